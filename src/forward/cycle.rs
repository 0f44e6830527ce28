//! One poll of one tenant: load each sink's checkpoint, fetch everything
//! from the oldest of them, drop what each sink already has, deliver the
//! rest in batches, and save a checkpoint after every acknowledged batch.
//!
//! The watermark of a (tenant, sink) pair only moves at the end of a poll
//! that fetched everything and that the sink acknowledged in full. The API
//! gives no order, so a batch acknowledged early in a poll says nothing
//! about alerts still to come. Until then the checkpoint only gains the
//! delivered versions, so a crash or a sink failure mid-poll re-reads from
//! the old watermark and drops what was already delivered: nothing lost,
//! nothing sent twice but the one unacknowledged batch.

use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::future::join_all;
use tracing::{Instrument, debug, error, info_span, warn};

use super::Inner;
use super::status::{SinkReport, StatusError, TenantReport};
use crate::checkpoint::{Checkpoint, CheckpointKey};
use crate::error::Error;
use crate::models::Timestamp;
use crate::retry::Stop;
use crate::sink::{AlertRecord, AlertSink, Delivery, Step};
use crate::tenant::TenantInfo;

/// What the status board needs from a finished [`SinkRun`].
pub(super) struct RunSummary<'a> {
    pub(super) name: &'a str,
    pub(super) forwarded: u64,
    pub(super) duplicates: u64,
    pub(super) filtered_out: u64,
    pub(super) watermark: Option<Timestamp>,
    pub(super) error: Option<&'a StatusError>,
}

/// One sink's state during a poll.
struct SinkRun {
    sink: Arc<dyn AlertSink>,
    /// Where the sink (and its breaker) sits in the forwarder's lists.
    index: usize,
    key: CheckpointKey,
    checkpoint: Checkpoint,
    /// Versions older than this were delivered by an earlier poll.
    from: Timestamp,
    /// Newest `lastUpdateTime` delivered in this poll.
    newest: Option<Timestamp>,
    forwarded: u64,
    duplicates: u64,
    filtered_out: u64,
    error: Option<StatusError>,
    /// Shutdown stopped this pair's delivery (not an error).
    interrupted: bool,
    /// Quarantined alerts this sink took (or declined) and the quarantine
    /// has not yet recorded as handed over.
    handed: Vec<Arc<str>>,
}

impl Inner {
    pub(crate) async fn poll_tenant(&self, tenant: Arc<TenantInfo>) -> TenantReport {
        let span = info_span!("tenant", tenant = %tenant.id, name = %tenant.name);
        self.poll_tenant_inner(tenant).instrument(span).await
    }

    async fn poll_tenant_inner(&self, tenant: Arc<TenantInfo>) -> TenantReport {
        let started = Timestamp::from_datetime(Utc::now());
        let default_from = self.default_start();
        let mut runs = Vec::with_capacity(self.sinks.len());
        let mut broken = Vec::new();
        for (index, sink) in self.sinks.iter().enumerate() {
            let key = match CheckpointKey::new(tenant.id.clone(), sink.name()) {
                Ok(key) => key,
                Err(e) => {
                    broken.push((
                        sink.name().to_owned(),
                        StatusError::from_error(&e, Utc::now()),
                    ));
                    continue;
                }
            };
            match self.store.load(&key).await {
                Ok(checkpoint) => {
                    let checkpoint = checkpoint.unwrap_or_default();
                    let from = checkpoint
                        .query_from(self.overlap())
                        .unwrap_or(default_from);
                    runs.push(SinkRun {
                        sink: sink.clone(),
                        index,
                        key,
                        checkpoint,
                        from,
                        newest: None,
                        forwarded: 0,
                        duplicates: 0,
                        filtered_out: 0,
                        error: None,
                        interrupted: false,
                        handed: Vec::new(),
                    });
                }
                Err(e) => {
                    error!(sink = sink.name(), error = %e, "checkpoint unreadable; this pair stops until it is fixed");
                    broken.push((
                        sink.name().to_owned(),
                        StatusError::from_error(&e, Utc::now()),
                    ));
                }
            }
        }

        let mut report = TenantReport {
            tenant: tenant.clone(),
            fetched: 0,
            malformed: 0,
            foreign_tenant: 0,
            quarantined: 0,
            quarantined_alerts: Vec::new(),
            outside_window: 0,
            error: None,
            interrupted: false,
            sinks: Vec::new(),
        };
        let complete = match runs.iter().map(|r| r.from).min() {
            Some(since) => match self.pin_runs(&tenant, &mut runs).await {
                Ok(pin) => {
                    self.fetch_and_deliver(&tenant, since, pin.as_deref(), &mut runs, &mut report)
                        .await
                }
                Err(e) => {
                    error!(error = %e, "tenant refused; nothing is fetched for it");
                    report.error = Some(StatusError::from_error(&e, Utc::now()));
                    false
                }
            },
            None => false,
        };
        let now = Utc::now();
        for run in &mut runs {
            if complete && run.error.is_none() && !run.interrupted {
                self.finish(run, started).await;
            }
        }
        report.interrupted |= runs.iter().any(|r| r.interrupted);
        let summaries: Vec<RunSummary<'_>> = runs
            .iter()
            .map(|r| RunSummary {
                name: r.sink.name(),
                forwarded: r.forwarded,
                duplicates: r.duplicates,
                filtered_out: r.filtered_out,
                watermark: r.checkpoint.watermark,
                error: r.error.as_ref(),
            })
            .collect();
        self.record_status(&tenant, &summaries, &broken, &report, now);
        drop(summaries);
        report.sinks = runs
            .into_iter()
            .map(|r| SinkReport {
                sink: r.sink.name().to_owned(),
                forwarded: r.forwarded,
                filtered_out: r.filtered_out,
                duplicates_dropped: r.duplicates,
                error: r.error,
            })
            .chain(broken.into_iter().map(|(sink, error)| SinkReport {
                sink,
                forwarded: 0,
                filtered_out: 0,
                duplicates_dropped: 0,
                error: Some(error),
            }))
            .collect();
        report
    }

    /// Pins the tenant (see [`super::pin`]) and saves the checkpoints of a
    /// domain pinned just now, so the pin holds from this poll on.
    async fn pin_runs(
        &self,
        tenant: &TenantInfo,
        runs: &mut [SinkRun],
    ) -> Result<Option<String>, Error> {
        let unpinned: Vec<bool> = runs
            .iter()
            .map(|r| r.checkpoint.pinned_tenant.is_none())
            .collect();
        let pin = self
            .tenant_pin(tenant, runs.iter_mut().map(|r| &mut r.checkpoint))
            .await?;
        for (run, was_unpinned) in runs.iter_mut().zip(unpinned) {
            if was_unpinned && run.checkpoint.pinned_tenant.is_some() {
                self.store.save(&run.key, &run.checkpoint).await?;
            }
        }
        Ok(pin)
    }

    /// Streams the tenant's alerts and delivers them batch by batch.
    /// Returns true when the whole result set was read.
    async fn fetch_and_deliver(
        &self,
        tenant: &Arc<TenantInfo>,
        since: Timestamp,
        pin: Option<&str>,
        runs: &mut [SinkRun],
        report: &mut TenantReport,
    ) -> bool {
        let settings = &self.settings;
        let mut stream = self
            .source
            .alerts_since(&tenant.id, since, settings.page_size);
        let mut batch: Vec<AlertRecord> = Vec::with_capacity(settings.batch_size);
        loop {
            // Shutdown abandons the fetch at once, even in the middle of a
            // `Retry-After` wait: nothing fetched moves a checkpoint, so
            // the next run reads it again.
            let item = tokio::select! {
                biased;
                () = self.shutdown.cancelled() => {
                    debug!("stopping: leaving the rest of this poll for the next run");
                    report.interrupted = true;
                    return false;
                }
                item = stream.next() => item,
            };
            match item {
                Some(Ok(parsed)) => {
                    report.fetched += 1;
                    if let Some(other) = super::pin::foreign_tenant(&parsed.alert, pin) {
                        report.foreign_tenant += 1;
                        error!(
                            id = parsed.alert_id(),
                            alert_tenant = other,
                            pinned = pin.unwrap_or_default(),
                            "alert names another tenant; set aside, not delivered under this tenant's name"
                        );
                        continue;
                    }
                    // Not what was asked for: reported, never taken for a
                    // version already delivered, and never delivered (no
                    // pair could recognise it again next poll).
                    if parsed.alert.last_update_time.is_some_and(|t| t < since) {
                        report.outside_window += 1;
                        warn!(id = parsed.alert.id.as_deref(), %since, "the server sent a version older than the query's window; not delivered");
                        continue;
                    }
                    batch.push(AlertRecord::new(tenant.clone(), parsed));
                    if batch.len() >= settings.batch_size {
                        self.deliver(runs, &batch).await;
                        batch.clear();
                    }
                }
                Some(Err(Error::MalformedAlert(bad))) => {
                    report.malformed += 1;
                    match &self.on_malformed {
                        Some(hook) => hook(tenant, &bad),
                        None => error!(
                            index = bad.index(),
                            id = bad.id(),
                            path = bad.path(),
                            quarantine = self.quarantine.path().map(|p| p.display().to_string()),
                            "{bad}; quarantined and sent as raw JSON"
                        ),
                    }
                    // Durably quarantined before anything moves on.
                    if let Err(e) = self.quarantine_one(tenant, &bad, report).await {
                        error!(error = %e, "alert not quarantined; the poll ends here");
                        self.deliver(runs, &batch).await;
                        report.error = Some(StatusError::from_error(&e, Utc::now()));
                        return false;
                    }
                    batch.push(AlertRecord::from_malformed(tenant.clone(), *bad));
                    if batch.len() >= settings.batch_size {
                        self.deliver(runs, &batch).await;
                        batch.clear();
                    }
                }
                Some(Err(e)) => {
                    warn!(error = %e, "fetch failed; the poll ends here");
                    self.deliver(runs, &batch).await;
                    report.error = Some(StatusError::from_error(&e, Utc::now()));
                    return false;
                }
                None => {
                    self.deliver(runs, &batch).await;
                    return true;
                }
            }
            if runs.iter().all(|r| r.error.is_some() || r.interrupted) {
                if runs.iter().any(|r| r.interrupted) {
                    report.interrupted = true;
                } else {
                    warn!("every sink failed; the poll ends here");
                }
                return false;
            }
        }
    }

    /// Gives one batch to every sink still going, at the same time.
    async fn deliver(&self, runs: &mut [SinkRun], batch: &[AlertRecord]) {
        if batch.is_empty() {
            return;
        }
        if self.is_stopping() {
            // No new sends after shutdown; the batch is read again next run.
            for run in runs.iter_mut().filter(|r| r.error.is_none()) {
                run.interrupted = true;
            }
            return;
        }
        join_all(
            runs.iter_mut()
                .filter(|r| r.error.is_none() && !r.interrupted)
                .map(|run| self.deliver_to(run, batch)),
        )
        .await;
    }

    async fn deliver_to(&self, run: &mut SinkRun, batch: &[AlertRecord]) {
        let span = info_span!("sink", sink = run.sink.name());
        async {
            let mut wanted = Vec::with_capacity(batch.len());
            // Two copies of one version in one batch go once.
            let mut in_batch = std::collections::HashSet::new();
            for (i, record) in batch.iter().enumerate() {
                let repeated = match (record.alert.id.as_deref(), record.alert.last_update_time) {
                    (Some(id), Some(ts)) => !in_batch.insert((id, ts)),
                    _ => false,
                };
                if repeated || !run.wants(record) || self.handed_before(run, record) {
                    run.duplicates += 1;
                } else if !run.sink.accepts(record) {
                    // Handled: the sink does not want it. Remembered like a
                    // delivered version, so the overlap does not offer it again.
                    run.filtered_out += 1;
                    run.mark(record);
                } else {
                    wanted.push(i);
                }
            }
            if !self.record_handed(run).await || wanted.is_empty() {
                return;
            }
            let subset;
            let records: &[AlertRecord] = if wanted.len() == batch.len() {
                batch
            } else {
                subset = wanted.iter().map(|&i| batch[i].clone()).collect::<Vec<_>>();
                &subset
            };
            let policy = &self.settings.retry;
            let sink = run.sink.clone();
            let mut delivery = Delivery::new(sink.as_ref(), records, policy)
                .breaker(&self.breakers[run.index])
                .cancel(&self.shutdown);
            while let Some(step) = delivery.step().await {
                match step {
                    Step::Accepted(range) => {
                        run.forwarded += range.len() as u64;
                        for record in &records[range] {
                            run.mark(record);
                        }
                        if !self.record_handed(run).await {
                            return;
                        }
                        // Saved before the rest is retried, so a crash now
                        // does not send the accepted prefix again.
                        if let Err(e) = self.store.save(&run.key, &run.checkpoint).await {
                            error!(error = %e, "checkpoint not saved; stopping this pair");
                            run.error = Some(StatusError::from_error(&e, Utc::now()));
                            return;
                        }
                    }
                    Step::Failed { stop: Stop::Cancelled, .. } => {
                        debug!("stopping: the rest of this batch is left for the next run");
                        run.interrupted = true;
                    }
                    Step::Failed {
                        error,
                        stop,
                        attempts,
                    } => {
                        warn!(error = %error, attempts, stop = %stop.describe(), "sink failed; its checkpoint stays where the acknowledgements put it");
                        run.error = Some(StatusError::text(
                            format!("{error} ({} after {attempts} send(s))", stop.describe()),
                            Utc::now(),
                        ));
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// After a complete poll: move the watermark and forget what the next
    /// poll can no longer return.
    ///
    /// The watermark never passes the moment the poll `started`: a version
    /// that became visible while a long poll paged (a late one, carrying a
    /// `lastUpdateTime` up to the overlap in the past) may sit behind the
    /// pages already read, and the next poll must still reach back to it,
    /// however long this poll took.
    async fn finish(&self, run: &mut SinkRun, started: Timestamp) {
        if let Some(newest) = run.newest.map(|n| n.min(started))
            && run.checkpoint.watermark.is_none_or(|w| w < newest)
        {
            run.checkpoint.watermark = Some(newest);
        }
        run.checkpoint.prune(self.overlap());
        if let Err(e) = self.store.save(&run.key, &run.checkpoint).await {
            error!(error = %e, "checkpoint not saved");
            run.error = Some(StatusError::from_error(&e, Utc::now()));
        }
    }
}

impl Inner {
    /// Puts one alert that cannot be read in the quarantine and counts it.
    async fn quarantine_one(
        &self,
        tenant: &TenantInfo,
        bad: &crate::models::MalformedAlert,
        report: &mut TenantReport,
    ) -> crate::error::Result<()> {
        if let Some(note) = self.quarantine.admit(tenant, bad).await? {
            report.quarantined += 1;
            if report.quarantined_alerts.len() < super::status::MAX_NAMED_QUARANTINED {
                report.quarantined_alerts.push(note);
            }
        }
        Ok(())
    }

    /// True when `record` is a quarantined alert this sink already has.
    fn handed_before(&self, run: &SinkRun, record: &AlertRecord) -> bool {
        record.malformed_sha256().is_some_and(|h| {
            self.quarantine
                .delivered_to(&record.tenant.id, h, run.sink.name())
        })
    }

    /// Records the quarantined alerts the sink took since the last call;
    /// false (and the pair stops) when that cannot be saved.
    async fn record_handed(&self, run: &mut SinkRun) -> bool {
        if run.handed.is_empty() {
            return true;
        }
        let handed = std::mem::take(&mut run.handed);
        match self
            .quarantine
            .mark_delivered(run.key.tenant(), handed, run.sink.name())
            .await
        {
            Ok(()) => true,
            Err(e) => {
                error!(error = %e, "quarantine hand-over not saved; stopping this pair");
                run.error = Some(StatusError::from_error(&e, Utc::now()));
                false
            }
        }
    }
}

impl SinkRun {
    /// Records that this version is handled (delivered or filtered out).
    fn mark(&mut self, record: &AlertRecord) {
        if let Some(hash) = record.malformed_sha256() {
            self.handed.push(Arc::from(hash));
        }
        if let (Some(id), Some(ts)) = (record.alert.id.as_deref(), record.alert.last_update_time) {
            self.checkpoint.seen.insert(id, ts);
            // A version dated in the future is remembered (the next polls
            // get it again) but never moves the watermark.
            if ts.as_datetime() <= Utc::now() {
                self.newest = Some(self.newest.map_or(ts, |n| n.max(ts)));
            }
        }
    }

    /// Whether this sink still needs this version.
    fn wants(&self, record: &AlertRecord) -> bool {
        match (record.alert.id.as_deref(), record.alert.last_update_time) {
            (Some(id), Some(ts)) => ts >= self.from && !self.checkpoint.seen.contains(id, ts),
            // Without an id or a time a version cannot be recognised again;
            // sending it (again) is better than losing it.
            _ => true,
        }
    }
}
