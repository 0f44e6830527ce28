//! The per-alert details every rendering shares: device, user, analyst,
//! investigation, comments. Pure functions of the seed and the alert.

use chrono::{DateTime, TimeDelta, Utc};

use super::catalog::{
    ANALYSTS, CLOSED_INVESTIGATION, OPEN_INVESTIGATION, RESOLUTIONS, TRIAGE_COMMENTS, USERS,
};
use super::data::{AlertPlan, tag, ticks};
use super::rng::{Rng, key_of};
use super::templates::{TEMPLATES, Template};
use super::tenant::SimTenant;

/// Who and what an alert is about, at one version.
#[derive(Debug)]
pub(crate) struct Details<'a> {
    pub tenant: &'a SimTenant,
    pub plan: &'a AlertPlan,
    pub version: usize,
    pub template: &'static Template,
    pub fqdn: String,
    pub machine_id: String,
    pub rbac_group: &'static str,
    pub user: &'static str,
    pub netbios: String,
    pub related_user: bool,
    pub investigation_id: Option<i64>,
    pub first_event: DateTime<Utc>,
    pub last_event: DateTime<Utc>,
    pub investigation_state: &'static str,
    pub assigned_to: Option<String>,
    /// `(text, author, time)`, oldest first.
    pub comments: Vec<(&'static str, String, DateTime<Utc>)>,
    /// `(classification, determination)` once resolved.
    pub resolution: Option<(&'static str, &'static str)>,
    pub resolved_time: Option<DateTime<Utc>>,
    pub last_update: DateTime<Utc>,
}

impl<'a> Details<'a> {
    /// Details of `plan` at `version` (clamped to its last version).
    pub(crate) fn new(
        seed: u64,
        tenant_index: u64,
        tenant: &'a SimTenant,
        plan: &'a AlertPlan,
        version: usize,
    ) -> Self {
        let version = version.min(plan.versions.len().saturating_sub(1));
        let mut rng = Rng::new(&[seed, tenant_index, plan.index, tag::DETAILS]);
        let template = TEMPLATES.get(plan.template).unwrap_or(&TEMPLATES[0]);
        let kind = *rng.weighted(&[(0u8, 14), (1, 4), (2, 1), (3, 1)]);
        let (host, rbac_group) = match kind {
            0 => {
                let n = rng.range(1, 240);
                let group = if n <= 12 {
                    "VIP Devices"
                } else {
                    "Workstations"
                };
                (format!("ws-{n:03}"), group)
            }
            1 => (format!("srv-app{:02}", rng.range(1, 30)), "Servers"),
            2 => (format!("dc{:02}", rng.range(1, 4)), "Domain Controllers"),
            _ => (format!("laptop-{}", rng.hex(6)), "UnassignedGroup"),
        };
        let slug = tenant.slug();
        let fqdn = format!("{host}.{slug}.local");
        let machine_id = Rng::new(&[seed, tenant_index, key_of(&host)]).hex(40);
        let user = USERS[rng.index(USERS.len())];
        let netbios: String = slug
            .chars()
            .take(15)
            .collect::<String>()
            .to_ascii_uppercase();
        let related_user = rng.chance(0.85);
        let investigation_id = rng.chance(0.6).then(|| rng.range(1_000, 99_999));
        let first_event = ticks(plan.created - TimeDelta::seconds(rng.range(20, 1_800)));
        let last_event = ticks(first_event + TimeDelta::milliseconds(rng.range(0, 15_000)));
        let analyst = format!(
            "{}@mssp-soc.onmicrosoft.com",
            ANALYSTS[rng.index(ANALYSTS.len())]
        );
        let open_state = OPEN_INVESTIGATION[rng.index(OPEN_INVESTIGATION.len())];
        let closed_state = CLOSED_INVESTIGATION[rng.index(CLOSED_INVESTIGATION.len())];
        let triage = TRIAGE_COMMENTS[rng.index(TRIAGE_COMMENTS.len())];
        let (classification, determination, closing) = {
            let table: Vec<((&str, &str, &str), u32)> = RESOLUTIONS
                .iter()
                .map(|(c, d, t, w)| ((*c, *d, *t), *w))
                .collect();
            *rng.weighted(&table)
        };

        let mut comments = Vec::new();
        let mut resolution = None;
        let mut resolved_time = None;
        let mut assigned_to = None;
        let mut investigation_state = open_state;
        if let Some(v1) = plan.versions.get(1).filter(|_| version >= 1) {
            assigned_to = Some(analyst.clone());
            comments.push((triage, analyst.clone(), v1.updated));
            investigation_state = "Running";
        }
        if let Some(v2) = plan.versions.get(2).filter(|_| version >= 2) {
            comments.push((closing, analyst, v2.updated));
            resolution = Some((classification, determination));
            resolved_time = Some(v2.updated);
            investigation_state = closed_state;
        }
        if investigation_id.is_none() && version < 2 {
            investigation_state = "UnsupportedAlertType";
        }
        let last_update = plan
            .versions
            .get(version)
            .map_or(plan.created, |v| v.updated);
        Details {
            tenant,
            plan,
            version,
            template,
            fqdn,
            machine_id,
            rbac_group,
            user,
            netbios,
            related_user,
            investigation_id,
            first_event,
            last_event,
            investigation_state,
            assigned_to,
            comments,
            resolution,
            resolved_time,
            last_update,
        }
    }

    /// The MDE status of this version.
    pub(crate) fn status(&self) -> &'static str {
        super::catalog::STATUSES[self.version.min(2)]
    }

    /// The MDE severity.
    pub(crate) fn severity(&self) -> &'static str {
        super::catalog::SEVERITIES[self.plan.severity.min(3)]
    }

    /// The user's UPN.
    pub(crate) fn upn(&self) -> String {
        format!("{}@{}.com", self.user, self.tenant.slug())
    }
}
