//! Answers alert queries from a tenant's timeline: filter, order, page,
//! render. Shared by the MDE and Graph routes and by the ground truth.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::catalog::{SEVERITIES, STATUSES, graph_detection_source};
use super::data::AlertPlan;
use super::details::Details;
use super::filter::{Dialect, Expr, Row};
use super::graph_render::graph_alert;
use super::render::mde_alert;
use super::rng::Rng;
use super::state::State;
use super::templates::TEMPLATES;

/// One page of rendered alerts.
#[derive(Debug)]
pub(crate) struct Page {
    pub items: Vec<Value>,
    /// Whether more alerts match after this page.
    pub more: bool,
}

/// What a list request asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListRequest {
    pub filter: Option<Expr>,
    pub skip: usize,
    pub top: usize,
    pub expand: bool,
}

fn row(plan: &AlertPlan, version: usize, dialect: Dialect) -> Row<'_> {
    let template = TEMPLATES.get(plan.template).unwrap_or(&TEMPLATES[0]);
    Row {
        id: &plan.id,
        created: plan.created,
        last_update: plan
            .versions
            .get(version)
            .map_or(plan.created, |v| v.updated),
        severity: SEVERITIES[plan.severity.min(3)],
        status: STATUSES[version.min(2)],
        detection_source: match dialect {
            Dialect::Mde => template.detection_source,
            Dialect::Graph => graph_detection_source(template.detection_source),
        },
        category: template.category,
        incident_id: plan.incident_id,
    }
}

/// MDE order: oldest `lastUpdateTime` first, then id. Graph: newest
/// `createdDateTime` first, then id (as the Graph docs describe).
fn order(a: &Row<'_>, b: &Row<'_>, dialect: Dialect) -> Ordering {
    match dialect {
        Dialect::Mde => a
            .last_update
            .cmp(&b.last_update)
            .then_with(|| a.id.cmp(b.id)),
        Dialect::Graph => b.created.cmp(&a.created).then_with(|| a.id.cmp(b.id)),
    }
}

fn render(
    state: &State,
    tenant: usize,
    plan: &AlertPlan,
    version: usize,
    dialect: Dialect,
    expand: bool,
) -> Value {
    let seed = state.settings.seed;
    let Some(info) = state.tenants.get(tenant) else {
        return Value::Null;
    };
    let details = Details::new(seed, tenant as u64, info, plan, version);
    match dialect {
        Dialect::Mde => mde_alert(seed, tenant as u64, &details, expand),
        Dialect::Graph => graph_alert(seed, tenant as u64, &details),
    }
}

/// Lists tenant `tenant`'s visible alerts at `now`.
pub(crate) fn list(
    state: &State,
    tenant: usize,
    now: DateTime<Utc>,
    dialect: Dialect,
    request: &ListRequest,
) -> Page {
    state
        .with_timeline(tenant, now, |timeline| {
            let mut rows: Vec<(Row<'_>, &AlertPlan, usize)> = timeline
                .visible(now)
                .map(|(plan, v)| (row(plan, v, dialect), plan, v))
                .filter(|(row, _, _)| request.filter.as_ref().is_none_or(|f| f.matches(row)))
                .collect();
            rows.sort_by(|a, b| order(&a.0, &b.0, dialect));
            let end = request.skip.saturating_add(request.top);
            let items = rows
                .iter()
                .skip(request.skip)
                .take(request.top)
                .map(|(_, plan, v)| render(state, tenant, plan, *v, dialect, request.expand))
                .collect();
            Page {
                items,
                more: rows.len() > end,
            }
        })
        .unwrap_or(Page {
            items: Vec::new(),
            more: false,
        })
}

/// One visible alert by id, with evidence.
pub(crate) fn get(state: &State, tenant: usize, now: DateTime<Utc>, id: &str) -> Option<Value> {
    state
        .with_timeline(tenant, now, |timeline| {
            let plan = timeline.find(id)?;
            let version = plan.visible_version(now)?;
            Some(render(state, tenant, plan, version, Dialect::Mde, true))
        })
        .flatten()
}

/// Every visible alert of `tenant` at `now`, as `$expand=evidence` shows it.
pub(crate) fn ground_truth(state: &State, tenant: usize, now: DateTime<Utc>) -> Option<Vec<Value>> {
    state.tenants.get(tenant)?;
    let request = ListRequest {
        top: usize::MAX,
        expand: true,
        ..ListRequest::default()
    };
    Some(list(state, tenant, now, Dialect::Mde, &request).items)
}

/// Damages one alert of `items`, chosen by `n`: a bad timestamp or a member
/// of the wrong type.
pub(crate) fn corrupt_one(items: &mut [Value], dialect: Dialect, seed: u64, n: u64) {
    if items.is_empty() {
        return;
    }
    let mut rng = Rng::new(&[seed, n, 0xbad]);
    let index = rng.index(items.len());
    let Some(Value::Object(alert)) = items.get_mut(index) else {
        return;
    };
    let (time_key, type_key, wrong) = match dialect {
        Dialect::Mde => ("lastUpdateTime", "incidentId", json!("INC-not-a-number")),
        Dialect::Graph => ("lastUpdateDateTime", "mitreTechniques", json!(1042)),
    };
    if rng.chance(0.5) {
        alert.insert(time_key.to_owned(), json!("2024-13-45T25:61:00Z"));
    } else {
        alert.insert(type_key.to_owned(), wrong);
    }
}
