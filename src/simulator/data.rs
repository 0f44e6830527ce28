//! The living data: each tenant's alert timeline, generated lazily and
//! deterministically from the seed.
//!
//! An alert is planned once, as a small [`AlertPlan`]: its id, template,
//! severity, incident and up to three versions (`New`, `InProgress`,
//! `Resolved`), each with the `lastUpdateTime` it carries and the instant it
//! becomes visible. Full JSON is rendered only for the alerts a response
//! returns (see `render`), so a tenant costs a few hundred bytes per alert
//! until it is queried.

use chrono::{DateTime, TimeDelta, Timelike, Utc};

use super::catalog::SEVERITIES;
use super::rng::Rng;
use super::templates::TEMPLATES;

/// Purpose tags that keep the random streams of one alert independent.
pub(crate) mod tag {
    pub const PLAN: u64 = 1;
    pub const DETAILS: u64 = 2;
    pub const EVIDENCE: u64 = 3;
    pub const NEW_ALERT: u64 = 4;
}

/// What shapes every tenant's timeline.
#[derive(Debug, Clone)]
pub(crate) struct TimelineConfig {
    pub seed: u64,
    /// When the simulator started (simulated time).
    pub start: DateTime<Utc>,
    /// Alerts that already exist at `start`.
    pub initial: usize,
    /// New alerts per tenant per hour after `start`.
    pub new_per_hour: f64,
    /// How far back the initial alerts reach.
    pub history: TimeDelta,
    /// Share of alert versions that become visible late.
    pub late_rate: f64,
    /// Shortest and longest delay of a late version.
    pub late_min: TimeDelta,
    pub late_max: TimeDelta,
}

/// Hard cap on alerts per tenant, whatever the clock does.
const MAX_ALERTS: usize = 2_000_000;

/// One version of an alert.
#[derive(Debug, Clone)]
pub(crate) struct VersionPlan {
    /// The version's `lastUpdateTime`.
    pub updated: DateTime<Utc>,
    /// When the API starts returning this version (`updated` unless late).
    pub visible_at: DateTime<Utc>,
}

/// One alert's identity and life cycle.
#[derive(Debug, Clone)]
pub(crate) struct AlertPlan {
    pub index: u64,
    pub id: String,
    pub template: usize,
    pub severity: usize,
    pub incident_id: i64,
    pub created: DateTime<Utc>,
    /// 1 to 3 versions; version `i` has status `STATUSES[i]`.
    pub versions: Vec<VersionPlan>,
}

impl AlertPlan {
    /// The version the API shows at `now`: the newest one already visible.
    pub(crate) fn visible_version(&self, now: DateTime<Utc>) -> Option<usize> {
        self.versions.iter().rposition(|v| v.visible_at <= now)
    }
}

/// Rounds down to the 100 ns ticks Defender timestamps carry.
pub(crate) fn ticks(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.nanosecond();
    at.with_nanosecond(nanos - nanos % 100).unwrap_or(at)
}

/// A random duration in `[low, high]` seconds, with a sub-second part.
fn seconds(rng: &mut Rng, low: i64, high: i64) -> TimeDelta {
    TimeDelta::seconds(rng.range(low, high)) + TimeDelta::nanoseconds(rng.range(0, 9_999_999) * 100)
}

/// A tenant's alerts, extended as time goes by.
#[derive(Debug)]
pub(crate) struct Timeline {
    tenant: u64,
    plans: Vec<AlertPlan>,
    new_generated: u64,
    last_incident: i64,
}

impl Timeline {
    /// The timeline of tenant number `tenant`, with its initial alerts.
    pub(crate) fn new(cfg: &TimelineConfig, tenant: u64) -> Self {
        let mut timeline = Timeline {
            tenant,
            plans: Vec::with_capacity(cfg.initial),
            new_generated: 0,
            last_incident: 0,
        };
        let span = cfg.history.num_microseconds().unwrap_or(0).max(0) as f64;
        let count = cfg.initial.min(MAX_ALERTS);
        for i in 0..count {
            let mut rng = Rng::new(&[cfg.seed, tenant, i as u64, tag::PLAN]);
            let share = (i as f64 + 0.05 + 0.9 * rng.unit()) / count as f64;
            let back = TimeDelta::microseconds((span * (1.0 - share)) as i64);
            let created = ticks(cfg.start - back - TimeDelta::seconds(60));
            timeline.push(cfg, created);
        }
        timeline
    }

    /// Adds the alerts created between the last call and `now`.
    pub(crate) fn advance_to(&mut self, cfg: &TimelineConfig, now: DateTime<Utc>) {
        if cfg.new_per_hour <= 0.0 || !cfg.new_per_hour.is_finite() {
            return;
        }
        let interval_micros = 3_600_000_000.0 / cfg.new_per_hour;
        let elapsed = (now - cfg.start).num_microseconds().unwrap_or(i64::MAX) as f64;
        while self.plans.len() < MAX_ALERTS {
            let k = self.new_generated;
            let slot_start = interval_micros * k as f64;
            if slot_start > elapsed {
                break;
            }
            let mut rng = Rng::new(&[cfg.seed, self.tenant, k, tag::NEW_ALERT]);
            let offset = slot_start + interval_micros * (0.05 + 0.9 * rng.unit());
            let created = ticks(cfg.start + TimeDelta::microseconds(offset as i64));
            self.push(cfg, created);
            self.new_generated += 1;
        }
    }

    fn push(&mut self, cfg: &TimelineConfig, created: DateTime<Utc>) {
        let index = self.plans.len() as u64;
        let mut rng = Rng::new(&[cfg.seed, self.tenant, index, tag::PLAN, 1]);
        let template = {
            let weights: Vec<(usize, u32)> = TEMPLATES
                .iter()
                .enumerate()
                .map(|(i, t)| (i, t.weight))
                .collect();
            *rng.weighted(&weights)
        };
        let base = TEMPLATES.get(template).map_or(1, |t| t.severity) as i64;
        let shift = *rng.weighted(&[(-1i64, 2), (0, 6), (1, 2)]);
        let severity = (base + shift).clamp(0, SEVERITIES.len() as i64 - 1) as usize;
        let incident_id = if self.last_incident > 0 && rng.chance(0.3) {
            self.last_incident
        } else {
            100_000 + (self.tenant as i64 % 1000) * 10_000 + index as i64
        };
        self.last_incident = incident_id;
        let dotnet_ticks = created.timestamp() * 10_000_000
            + i64::from(created.nanosecond() / 100)
            + 621_355_968_000_000_000;
        let id = format!("da{dotnet_ticks}_{}", rng.next_u64() as i32);

        let mut versions = Vec::with_capacity(3);
        let mut updated = ticks(created + seconds(&mut rng, 1, 4));
        versions.push(self.version(cfg, &mut rng, updated));
        if rng.chance(0.75) {
            updated = ticks(updated + seconds(&mut rng, 5 * 60, 12 * 3600));
            versions.push(self.version(cfg, &mut rng, updated));
            if rng.chance(0.8) {
                updated = ticks(updated + seconds(&mut rng, 15 * 60, 3 * 86_400));
                versions.push(self.version(cfg, &mut rng, updated));
            }
        }
        self.plans.push(AlertPlan {
            index,
            id,
            template,
            severity,
            incident_id,
            created,
            versions,
        });
    }

    fn version(&self, cfg: &TimelineConfig, rng: &mut Rng, updated: DateTime<Utc>) -> VersionPlan {
        let late = rng.chance(cfg.late_rate);
        let low = cfg.late_min.num_seconds();
        let high = cfg.late_max.num_seconds().max(low);
        let delay = seconds(rng, low, high);
        VersionPlan {
            updated,
            visible_at: if late { updated + delay } else { updated },
        }
    }

    /// Every alert visible at `now`, with the index of its visible version.
    pub(crate) fn visible(
        &self,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = (&AlertPlan, usize)> + '_ {
        self.plans
            .iter()
            .filter_map(move |plan| plan.visible_version(now).map(|v| (plan, v)))
    }

    /// The alert with this id, whether visible or not.
    pub(crate) fn find(&self, id: &str) -> Option<&AlertPlan> {
        self.plans.iter().find(|plan| plan.id == id)
    }

    /// How many alerts have been planned so far.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.plans.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(late_rate: f64) -> TimelineConfig {
        TimelineConfig {
            seed: 42,
            start: DateTime::parse_from_rfc3339("2025-06-02T08:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            initial: 200,
            new_per_hour: 6.0,
            history: TimeDelta::days(7),
            late_rate,
            late_min: TimeDelta::minutes(2),
            late_max: TimeDelta::minutes(15),
        }
    }

    #[test]
    fn initial_alerts_exist_before_start_and_new_ones_follow() {
        let cfg = cfg(0.0);
        let mut timeline = Timeline::new(&cfg, 3);
        assert_eq!(timeline.len(), 200);
        assert_eq!(timeline.visible(cfg.start).count(), 200);
        timeline.advance_to(&cfg, cfg.start + TimeDelta::hours(2));
        assert!((212..=213).contains(&timeline.len()), "{}", timeline.len());
        let again = Timeline::new(&cfg, 3);
        assert_eq!(again.plans[17].id, timeline.plans[17].id);
    }

    #[test]
    fn versions_move_forward_and_late_ones_lag() {
        let cfg = cfg(1.0);
        let timeline = Timeline::new(&cfg, 0);
        for plan in &timeline.plans {
            for pair in plan.versions.windows(2) {
                assert!(pair[0].updated < pair[1].updated);
            }
            for v in &plan.versions {
                assert!(v.visible_at - v.updated >= TimeDelta::minutes(2));
                assert_eq!(v.updated, ticks(v.updated));
            }
        }
    }
}
