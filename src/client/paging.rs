//! Paging across a query's results.
//!
//! **Defender `/api/alerts`.** Microsoft documents no `@odata.nextLink` for
//! this API (users report none), no `$orderby`, and a 10,000 cap on `$top`.
//! So:
//! 1. If a page carries `@odata.nextLink`, follow it (only to the API's own
//!    host); once the server has used links, a page without one is the last.
//! 2. Otherwise page with `$skip += $top`. A short page (fewer than `$top`
//!    alerts) ends the current time window. The last page before offset
//!    10,000 asks for just enough to end there (`$skip` + `$top` ≤ 10,000).
//!    Consecutive pages overlap by an eighth of `$top` (when `$top` ≥ 8):
//!    the next page must hold one of the previous page's last alerts,
//!    unchanged (same id and `lastUpdateTime`). If none is there, the list
//!    moved under the pager (an alert updated or gone before the offset
//!    shifts the rest back, and `$skip` would jump over some): the window is
//!    read again from `$skip=0`, alerts already yielded skipped. After
//!    [`MAX_RESTARTS`] such restarts the stream ends with an
//!    [`Error::Protocol`] item rather than claim it read everything.
//! 3. When the next `$skip` would reach 10,000, the window is split in two
//!    at the middle of the `lastUpdateTime`s seen so far (`lt mid` and
//!    `ge mid`, added to the caller's filter), and each half is read from
//!    `$skip=0`. No order is assumed; each half holds strictly fewer alerts,
//!    so splitting ends. An alert already yielded in the window is skipped,
//!    unless it comes back with another `lastUpdateTime` (it was updated
//!    meanwhile: a new version). More than 10,000 alerts with one identical
//!    `lastUpdateTime` cannot be split: that window ends with an
//!    [`Error::Protocol`] item.
//!
//! **Graph `alerts_v2`** follows `@odata.nextLink` until a page has none.
//!
//! **Bounds** (both APIs, see [`super::Limits`]): one stream reads at most
//! `max_pages_per_poll` pages, its retries wait at most
//! `max_retry_wait_per_poll` in all, and a `@odata.nextLink` that repeats a
//! page already read in the stream (a loop) or carries `user:password@`
//! ends the stream with an error item. An alert is yielded once per
//! version (`id`, `lastUpdateTime`) in a stream, however many overlapping
//! pages or re-read windows return it.

use std::collections::HashSet;

use futures_util::stream::{self, StreamExt};
use tracing::debug;
use url::Url;

use super::alerts::{AlertQuery, AlertStream, MAX_TOP};
use super::filter::{Cmp, time_term};
use super::graph::GraphAlertQuery;
use super::limits::{Limit, LimitError, Limits};
use super::request::same_origin;
use crate::error::{Error, Result};
use crate::models::{Alert, GraphAlert, ParsedAlert, Timestamp};
use crate::retry::WaitBudget;
use crate::tenant::TenantId;
use crate::transport::Service;

/// The deepest result a `$skip` query may reach.
const MAX_REACH: u32 = 10_000;

/// How many times a window is read again from the start because the list
/// moved while it was paged, before the stream gives up.
pub(crate) const MAX_RESTARTS: u32 = 5;

/// How many alerts consecutive `$skip` pages share: an eighth of the page,
/// none for pages under 8 alerts.
fn page_overlap(top: u32) -> u32 {
    top / 8
}

type Items<T> = Vec<Result<ParsedAlert<T>>>;

/// What bounds one stream: pages read, links followed, retry waiting.
struct PollGuard {
    pages: u32,
    max_pages: u32,
    /// Every page URL reached through `@odata.nextLink`, and the pages that
    /// sent one: a link to any of them is a loop.
    linked: HashSet<String>,
    budget: WaitBudget,
}

impl PollGuard {
    fn new(limits: &Limits) -> Self {
        PollGuard {
            pages: 0,
            max_pages: limits.max_pages_per_poll,
            linked: HashSet::new(),
            budget: WaitBudget::new(limits.max_retry_wait_per_poll),
        }
    }

    /// Counts the next page, or refuses it past `max_pages_per_poll`.
    fn take_page(&mut self, tenant: &TenantId) -> Result<()> {
        if self.pages >= self.max_pages {
            return Err(LimitError::new(
                tenant.clone(),
                Limit::PagesPerPoll(self.max_pages),
                format!(
                    "{} pages were read in this poll and the server still sends more",
                    self.pages
                ),
            )
            .into());
        }
        self.pages += 1;
        Ok(())
    }

    /// The page `link` (read on `current`) points to, when it may be
    /// followed: the API's own host, no user credentials, not a page this
    /// stream has already read through links.
    fn follow(&mut self, tenant: &TenantId, api: &Url, current: &Url, link: &str) -> Result<Url> {
        let next = current
            .join(link)
            .map_err(|e| Error::Protocol(format!("tenant {tenant}: bad @odata.nextLink: {e}")))?;
        same_origin(api, &next)
            .map_err(|e| Error::Protocol(format!("tenant {tenant}: {}", strip_kind(&e))))?;
        self.linked.insert(current.as_str().to_owned());
        if !self.linked.insert(next.as_str().to_owned()) {
            return Err(Error::Protocol(format!(
                "tenant {tenant}: @odata.nextLink {} points to a page already read in this poll \
                 (a paging loop); the poll stops here",
                next.path()
            )));
        }
        Ok(next)
    }
}

/// The text of a protocol error without its "unexpected answer: " prefix.
fn strip_kind(e: &Error) -> String {
    match e {
        Error::Protocol(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A `lastUpdateTime` range: `ge after` and `lt before`.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    after: Option<Timestamp>,
    before: Option<Timestamp>,
}

impl Window {
    fn terms(&self) -> Vec<String> {
        let mut terms = Vec::new();
        if let Some(a) = &self.after {
            terms.push(time_term("lastUpdateTime", Cmp::Ge, a));
        }
        if let Some(b) = &self.before {
            terms.push(time_term("lastUpdateTime", Cmp::Lt, b));
        }
        terms
    }

    fn contains(&self, t: &Timestamp) -> bool {
        self.after.is_none_or(|a| a <= *t) && self.before.is_none_or(|b| *t < b)
    }
}

/// The middle of `[min, max]` on a 100 ns grid, strictly after `min`.
fn middle(min: Timestamp, max: Timestamp) -> Option<Timestamp> {
    let (a, b) = (min.as_datetime(), max.as_datetime());
    let span = (b - a).num_nanoseconds()?;
    if span <= 0 {
        return None;
    }
    let half = ((span / 2) + 99) / 100 * 100;
    let mid = a + chrono::Duration::nanoseconds(half.max(100));
    (mid <= b).then(|| Timestamp::from_datetime(mid))
}

struct MdeState {
    query: AlertQuery,
    top: u32,
    skip: u32,
    /// Pending windows; the last one is being read.
    windows: Vec<Window>,
    next_link: Option<Url>,
    server_links: bool,
    /// Versions (id, `lastUpdateTime`) yielded while reading the pending
    /// windows; an alert without a readable time counts as `(id, None)`.
    seen: HashSet<(String, Option<Timestamp>)>,
    guard: PollGuard,
    /// Earliest and latest `lastUpdateTime` in the current window's pass.
    range: Option<(Timestamp, Timestamp)>,
    /// The last alerts of the previous `$skip` page (id, `lastUpdateTime`):
    /// the next page must hold one of them unchanged.
    anchors: Vec<(String, Timestamp)>,
    /// Times the current window was read again from the start.
    restarts: u32,
    done: bool,
}

impl MdeState {
    async fn next_page(&mut self) -> Option<Items<Alert>> {
        if self.done {
            return None;
        }
        let window = *self.windows.last()?;
        // The last page of a window stops exactly at offset 10,000.
        let page_top = match MAX_REACH.checked_sub(self.skip) {
            Some(room) if room > 0 => self.top.min(room),
            _ => self.top,
        };
        let url = match self.next_link.take() {
            Some(link) => link,
            None => match self
                .query
                .query(&window.terms(), Some(page_top), Some(self.skip))
                .and_then(|q| self.query.url(&q))
            {
                Ok(url) => url,
                Err(e) => return Some(self.fail(e)),
            },
        };
        if let Err(e) = self.guard.take_page(&self.query.tenant) {
            return Some(self.fail(e));
        }
        let inner = self.query.client.inner();
        let page = match inner
            .get_page::<Alert>(
                Service::Defender,
                &self.query.tenant,
                url.clone(),
                Some(&self.guard.budget),
            )
            .await
        {
            Ok(p) => p,
            Err(e) => return Some(self.fail(e)),
        };
        let count = page.len();
        let anchored = self.anchors.is_empty()
            || page.alerts.iter().any(|r| match r {
                Ok(p) => self.anchors.iter().any(|(id, t)| {
                    p.alert.id.as_deref() == Some(id.as_str())
                        && p.alert.last_update_time == Some(*t)
                }),
                // A malformed copy has no time to compare: its id will do.
                Err(m) => self
                    .anchors
                    .iter()
                    .any(|(id, _)| m.id() == Some(id.as_str())),
            });
        let overlap = page_overlap(page_top);
        let tail_from = count.saturating_sub(overlap as usize);
        let tail: Vec<(String, Timestamp)> = page.alerts[tail_from..]
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter_map(|p| Some((p.alert.id.clone()?, p.alert.last_update_time?)))
            .collect();
        let mut items = Vec::with_capacity(count);
        for result in page.alerts {
            let (id, time) = match &result {
                Ok(p) => (p.alert.id.clone(), p.alert.last_update_time),
                Err(m) => (m.id().map(str::to_owned), None),
            };
            if let Some(t) = time {
                self.range = Some(match self.range {
                    Some((lo, hi)) => (lo.min(t), hi.max(t)),
                    None => (t, t),
                });
            }
            // A version already yielded (overlapping pages, a re-read
            // window) is skipped; another version of the same alert (it was
            // updated while the window was paged) is a new event. Every
            // version is remembered, not just the last one per id, so an
            // id with many versions in the window yields each once.
            // An unreadable copy (no time) stands for every version of
            // its id, as before.
            if let Some(id) = id {
                let known = match time {
                    None => self.seen.iter().any(|(i, _)| *i == id),
                    Some(_) => self.seen.contains(&(id.clone(), None)),
                };
                if known || !self.seen.insert((id, time)) {
                    continue;
                }
            }
            items.push(result.map_err(Error::from));
        }
        if let Some(link) = page.next_link {
            match self
                .guard
                .follow(&self.query.tenant, inner.endpoints.mde_api(), &url, &link)
            {
                Ok(next) => {
                    self.server_links = true;
                    self.next_link = Some(next);
                }
                Err(e) => {
                    items.push(Err(e));
                    self.done = true;
                }
            }
            return Some(items);
        }
        if !self.server_links && !anchored {
            self.restarts += 1;
            if self.restarts > MAX_RESTARTS {
                items.push(Err(Error::Protocol(format!(
                    "the alerts of tenant {} kept changing while they were paged with $skip \
                     ({MAX_RESTARTS} restarts); the next poll reads them again",
                    self.query.tenant
                ))));
                self.done = true;
                return Some(items);
            }
            debug!(tenant = %self.query.tenant, skip = self.skip, "the list moved while paging: reading the window again");
            self.skip = 0;
            self.anchors.clear();
            return Some(items);
        }
        if self.server_links || count < page_top as usize {
            self.finish_window();
            return Some(items);
        }
        // A page of `top` under 8 has no overlap and no check.
        self.anchors = if overlap > 0 { tail } else { Vec::new() };
        let next_skip = self.skip.saturating_add(page_top - overlap);
        if next_skip < MAX_REACH {
            self.skip = next_skip;
            return Some(items);
        }
        match self.range.and_then(|(lo, hi)| middle(lo, hi)) {
            Some(mid) => {
                debug!(tenant = %self.query.tenant, %mid, "over 10,000 alerts: splitting the window");
                self.windows.pop();
                self.windows.push(Window {
                    after: Some(mid),
                    before: window.before,
                });
                self.windows.push(Window {
                    after: window.after,
                    before: Some(mid),
                });
                self.skip = 0;
                self.range = None;
                self.anchors.clear();
            }
            None => {
                items.push(Err(Error::Protocol(format!(
                    "more than {MAX_REACH} alerts share one lastUpdateTime in tenant {}; \
                     the rest of that instant cannot be paged",
                    self.query.tenant
                ))));
                self.finish_window();
            }
        }
        Some(items)
    }

    fn finish_window(&mut self) {
        self.windows.pop();
        self.skip = 0;
        self.range = None;
        self.anchors.clear();
        if self.windows.is_empty() || self.server_links {
            self.done = true;
            self.seen.clear();
            return;
        }
        let windows = &self.windows;
        self.seen
            .retain(|(_, t)| t.is_none_or(|t| windows.iter().any(|w| w.contains(&t))));
    }

    fn fail(&mut self, e: Error) -> Items<Alert> {
        self.done = true;
        vec![Err(e)]
    }
}

/// The Defender stream of [`AlertQuery::stream`].
pub(crate) fn mde_stream(query: AlertQuery) -> AlertStream {
    let top = query
        .top
        .unwrap_or(query.client.inner().page_size)
        .clamp(1, MAX_TOP);
    let guard = PollGuard::new(&query.client.inner().limits);
    let state = MdeState {
        skip: query.skip.unwrap_or(0),
        guard,
        query,
        top,
        windows: vec![Window::default()],
        next_link: None,
        server_links: false,
        seen: HashSet::new(),
        range: None,
        anchors: Vec::new(),
        restarts: 0,
        done: false,
    };
    stream::unfold(state, |mut s| async move {
        s.next_page().await.map(|items| (stream::iter(items), s))
    })
    .flatten()
    .boxed()
}

struct GraphState {
    query: GraphAlertQuery,
    next: Option<Result<Url>>,
    guard: PollGuard,
}

impl GraphState {
    async fn next_page(&mut self) -> Option<Items<GraphAlert>> {
        let url = match self.next.take()? {
            Ok(url) => url,
            Err(e) => return Some(vec![Err(e)]),
        };
        if let Err(e) = self.guard.take_page(&self.query.tenant) {
            return Some(vec![Err(e)]);
        }
        let inner = self.query.client.inner();
        let page = match inner
            .get_page::<GraphAlert>(
                Service::Graph,
                &self.query.tenant,
                url.clone(),
                Some(&self.guard.budget),
            )
            .await
        {
            Ok(p) => p,
            Err(e) => return Some(vec![Err(e)]),
        };
        self.next = page.next_link.map(|link| {
            self.guard
                .follow(&self.query.tenant, inner.endpoints.graph(), &url, &link)
        });
        Some(
            page.alerts
                .into_iter()
                .map(|r| r.map_err(Error::from))
                .collect(),
        )
    }
}

/// The Graph stream of [`GraphAlertQuery::stream`].
pub(crate) fn graph_stream(query: GraphAlertQuery) -> AlertStream<GraphAlert> {
    let first = query.query_string().and_then(|q| query.url(&q));
    let guard = PollGuard::new(&query.client.inner().limits);
    let state = GraphState {
        query,
        next: Some(first),
        guard,
    };
    stream::unfold(state, |mut s| async move {
        s.next_page().await.map(|items| (stream::iter(items), s))
    })
    .flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn middle_is_on_the_tick_grid_and_after_min() {
        let m = middle(ts("2024-05-02T00:00:00Z"), ts("2024-05-02T00:00:01Z")).unwrap();
        assert_eq!(m.to_string(), "2024-05-02T00:00:00.5Z");
        let m = middle(
            ts("2024-05-02T00:00:00Z"),
            ts("2024-05-02T00:00:00.0000001Z"),
        )
        .unwrap();
        assert_eq!(m.to_string(), "2024-05-02T00:00:00.0000001Z");
        assert!(middle(ts("2024-05-02T00:00:00Z"), ts("2024-05-02T00:00:00Z")).is_none());
    }

    #[test]
    fn windows_are_half_open() {
        let w = Window {
            after: Some(ts("2024-01-01T00:00:00Z")),
            before: Some(ts("2024-01-02T00:00:00Z")),
        };
        assert!(w.contains(&ts("2024-01-01T00:00:00Z")));
        assert!(!w.contains(&ts("2024-01-02T00:00:00Z")));
        assert_eq!(w.terms().len(), 2);
    }
}
