//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod logs;

use std::path::{Path, PathBuf};

use defender_siem::models::Timestamp;
use defender_siem::simulator::Simulator;
use serde_json::Value;

/// A program from `examples/`: `cargo test` builds the examples next to
/// the test binaries (`target/<profile>/examples/`).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} was not built; run `cargo test`",
        path.display()
    );
    path
}

/// The start of a `forwarder` configuration file against `sim`: its
/// `[defaults]` (the simulator as authority and API, checkpoints in
/// `checkpoints`, `client_secret` as written, then the `extra` lines) and
/// one `[[tenants]]` table per simulated tenant. The caller adds the sinks.
pub fn forwarder_config(
    sim: &Simulator,
    checkpoints: &Path,
    client_secret: &str,
    extra: &str,
) -> String {
    let base = sim.api_base();
    let mut text = format!(
        "[defaults]\nauthority_host = \"{base}\"\napi_base = \"{base}\"\n\
         checkpoint_dir = \"{}\"\nsince = \"2000-01-01T00:00:00Z\"\n\
         client_id = \"{}\"\nclient_secret = \"{client_secret}\"\n{extra}",
        checkpoints.display(),
        sim.client_id(),
    );
    for t in sim.tenants() {
        text.push_str(&format!(
            "\n[[tenants]]\nid = \"{}\"\nname = \"{}\"\n",
            t.id, t.name
        ));
    }
    text
}

/// The real API samples, vendored in `tests/fixtures/real` (copies of
/// `../shared/fixtures/real`).
pub fn real_fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real")
}

/// `../shared/fixtures/real`, when the shared folder sits next to the
/// repository (on developer machines and in CI, not in a bare clone).
pub fn shared_fixture_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/real");
    dir.is_dir().then_some(dir)
}

/// The bytes of one real fixture.
pub fn real_fixture(name: &str) -> Vec<u8> {
    let path = real_fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bytes of one of our own fixtures in `tests/fixtures/`.
pub fn own_fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts two JSON documents are equal, where strings that are both
/// timestamps may differ in form but must be the same instant.
pub fn assert_same_document(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys_a: Vec<_> = a.keys().collect();
            let mut keys_b: Vec<_> = b.keys().collect();
            keys_a.sort();
            keys_b.sort();
            assert_eq!(keys_a, keys_b, "{at}: members differ");
            for (k, v) in a {
                assert_same_document(v, &b[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: array lengths differ");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same_document(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let (ta, tb) = (a.parse::<Timestamp>(), b.parse::<Timestamp>());
            assert!(
                matches!((&ta, &tb), (Ok(x), Ok(y)) if x == y),
                "{at}: {a:?} != {b:?}"
            );
        }
        _ => assert_eq!(expected, actual, "{at}"),
    }
}

/// An error's `Display` followed by each of its sources', joined by ` | `.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(" | ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Runs the `forwarder` example once (`--once`) with `config`, the client
/// secret in `FWD_TEST_SECRET` and warnings logged.
pub async fn run_forwarder_once(config: &str, secret: &str) -> std::process::Output {
    tokio::process::Command::new(example("forwarder"))
        .args(["--config", config, "--once"])
        .env("FWD_TEST_SECRET", secret)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap()
}
