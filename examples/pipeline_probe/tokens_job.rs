//! `--mode tokens`: many concurrent fetches for one tenant through one
//! client with a cold token cache; the simulator counts how many token
//! requests reached it (the target is exactly one).

use defender_siem::TenantId;
use defender_siem::client::RateLimits;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::args::Args;
use crate::report::{Meter, round3};
use crate::sim_setup;

pub async fn run(args: &Args) -> Result<Value, String> {
    let sim = sim_setup::simulator(1, args.alerts.min(50)).await?;
    let client = sim_setup::client(&sim, RateLimits::unlimited())?;
    let tenant = sim
        .tenants()
        .first()
        .map(|t| TenantId::new(&t.id))
        .ok_or("the simulator has no tenant")?
        .map_err(|e| e.to_string())?;
    let meter = Meter::start();
    let fetches = join_all((0..args.fetches).map(|_| {
        let query = client.alerts(&tenant).top(10);
        async move { query.send().await }
    }))
    .await;
    let wall_s = meter.wall_s();
    let ok = fetches.iter().filter(|f| f.is_ok()).count();
    let alerts: usize = fetches
        .iter()
        .filter_map(|f| f.as_ref().ok())
        .map(|page| page.len())
        .sum();
    let mut out = json!({
        "mode": "tokens",
        "fetches": args.fetches,
        "fetches_ok": ok,
        "alerts": alerts,
        "token_requests": sim_setup::token_requests(&sim),
        "api_requests": sim.stats().requests,
        "wall_s": round3(wall_s),
    });
    if let Some(tag) = &args.tag {
        out["tag"] = json!(tag);
    }
    sim.shutdown().await;
    Ok(out)
}
