//! [`SplunkHecBuilder`]: settings of a [`SplunkHecSink`].

use std::fmt;
use std::time::Duration;

use super::sink::SplunkHecSink;
use crate::error::Error;
use crate::format::HecEnvelope;
use crate::secret::Secret;
use crate::transport::HttpSettings;
use url::Url;

/// Indexer acknowledgement settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct IndexerAck {
    pub(super) poll_interval: Duration,
    pub(super) timeout: Duration,
}

impl Default for IndexerAck {
    /// Poll every 10 s; give up waiting after 5 minutes without an ack
    /// (Splunk's own guidance).
    fn default() -> Self {
        IndexerAck {
            poll_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
        }
    }
}

impl IndexerAck {
    /// How often `/services/collector/ack` is asked. Default 10 s.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
    /// How long `send` waits for the acks before it fails with
    /// [`SinkErrorKind::Unconfirmed`](crate::sink::SinkErrorKind::Unconfirmed)
    /// (retryable: the caller sends the unconfirmed rest again). Default 5
    /// minutes.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What to do with an event Splunk refuses (400 with
/// `invalid-event-number`); see the [module docs](super).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InvalidEvents {
    /// Log it, count it, keep it for [`SplunkHecSink::take_set_aside`], and
    /// deliver the rest of the batch. The default.
    #[default]
    SetAside,
    /// Fail the batch permanently at the refused event: the events before
    /// it are delivered ([`SinkError::accepted`](crate::sink::SinkError::accepted)
    /// is its index), the events after it are not sent.
    Fail,
}

/// Settings of a [`SplunkHecSink`]; see [`SplunkHecSink::builder`].
#[derive(Clone)]
#[must_use]
pub struct SplunkHecBuilder {
    pub(super) endpoint: String,
    pub(super) token: Secret,
    pub(super) envelope: HecEnvelope,
    pub(super) source: String,
    pub(super) sourcetype: String,
    pub(super) index: Option<String>,
    pub(super) max_batch_bytes: usize,
    pub(super) max_batch_events: usize,
    pub(super) gzip: bool,
    pub(super) ack: Option<IndexerAck>,
    pub(super) channel: Option<String>,
    pub(super) invalid_events: InvalidEvents,
    pub(super) keep_set_aside: usize,
    pub(super) http: HttpSettings,
    pub(super) allow_plain_http: bool,
}

/// The default of [`SplunkHecBuilder::keep_set_aside`]: how many refused
/// records a sink keeps for [`SplunkHecSink::take_set_aside`].
pub const DEFAULT_KEEP_SET_ASIDE: usize = 10_000;

impl fmt::Debug for SplunkHecBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SplunkHecBuilder")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token)
            .field("sourcetype", &self.sourcetype)
            .field("index", &self.index)
            .field("max_batch_bytes", &self.max_batch_bytes)
            .field("gzip", &self.gzip)
            .field("ack", &self.ack)
            .field("keep_set_aside", &self.keep_set_aside)
            .field("http", &self.http)
            .field("allow_plain_http", &self.allow_plain_http)
            .finish_non_exhaustive()
    }
}

impl SplunkHecBuilder {
    pub(super) fn new(endpoint: &str, token: Secret) -> Self {
        SplunkHecBuilder {
            endpoint: endpoint.to_owned(),
            token,
            envelope: HecEnvelope::default(),
            source: "defender-siem".into(),
            sourcetype: "ms:defender:atp:alerts".into(),
            index: None,
            max_batch_bytes: 1_000_000,
            max_batch_events: 10_000,
            gzip: false,
            ack: None,
            channel: None,
            invalid_events: InvalidEvents::default(),
            keep_set_aside: DEFAULT_KEEP_SET_ASIDE,
            http: HttpSettings::for_uploads(),
            allow_plain_http: false,
        }
    }

    /// `source` of every event. Default `defender-siem`.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }
    /// `sourcetype`. Default `ms:defender:atp:alerts` (Splunk's add-on).
    pub fn sourcetype(mut self, sourcetype: impl Into<String>) -> Self {
        self.sourcetype = sourcetype.into();
        self
    }
    /// Target `index`. Default none (the token's default index).
    pub fn index(mut self, index: impl Into<String>) -> Self {
        self.index = Some(index.into());
        self
    }
    /// Largest request body before compression. Default 1,000,000 bytes.
    /// An event larger than this goes alone.
    pub fn max_batch_bytes(mut self, bytes: usize) -> Self {
        self.max_batch_bytes = bytes;
        self
    }
    /// Most events per request. Default 10,000.
    pub fn max_batch_events(mut self, events: usize) -> Self {
        self.max_batch_events = events;
        self
    }
    /// gzip request bodies. Default off.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }
    /// Turns on indexer acknowledgement. Default off.
    pub fn indexer_ack(mut self, ack: IndexerAck) -> Self {
        self.ack = Some(ack);
        self
    }
    /// The channel GUID. Default: a random GUID per sink, kept for its life.
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }
    /// What to do with an event Splunk refuses. Default set it aside.
    pub fn invalid_events(mut self, policy: InvalidEvents) -> Self {
        self.invalid_events = policy;
        self
    }
    /// How many set-aside records the sink keeps until
    /// [`SplunkHecSink::take_set_aside`] takes them. Past that the oldest
    /// kept one is dropped (and counted in
    /// [`SplunkHecSink::set_aside_dropped`]), so a stream of alerts Splunk
    /// refuses cannot grow memory without bound; every one is still logged
    /// and counted in [`SplunkHecSink::set_aside_count`]. 0 keeps none.
    /// Default [`DEFAULT_KEEP_SET_ASIDE`] (10,000).
    pub fn keep_set_aside(mut self, records: usize) -> Self {
        self.keep_set_aside = records;
        self
    }
    crate::transport::http_setters!("the events sent to Splunk", "for_uploads");

    /// Accepts a plain `http://` endpoint on a host other than loopback, so
    /// that the HEC token and every alert cross the network in clear: only
    /// for a test rig. `build` logs a warning naming the host. Default: off
    /// (`build` refuses such an endpoint).
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// Checks the settings and builds the sink.
    pub fn build(mut self) -> Result<SplunkHecSink, Error> {
        if self.token.expose().trim().is_empty() {
            return Err(Error::Config("splunk_hec: the HEC token is empty".into()));
        }
        if self.max_batch_bytes < 1024 || self.max_batch_events == 0 {
            return Err(Error::Config(
                "splunk_hec: batches must allow at least 1 KiB and 1 event".into(),
            ));
        }
        if let Some(ack) = &self.ack
            && (ack.poll_interval.is_zero() || ack.timeout < ack.poll_interval)
        {
            return Err(Error::Config(
                "splunk_hec: the ack timeout must be at least one poll interval".into(),
            ));
        }
        self.envelope = HecEnvelope::new(&self.source, &self.sourcetype, self.index.as_deref());
        SplunkHecSink::from_builder(self)
    }
}

// ---------------------------------------------------------------------------
// The `[[sinks]]` settings of the configuration file (their own imports
// here, so that this section stays apart from the builder above).

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use crate::config::{SecretText, SinkAt, SinkContext, SinkSettings, Text, read_pem};
use crate::sink::AlertSink;

/// The `[[sinks]]` settings of a `type = "splunk_hec"` sink in the
/// forwarder's configuration file.
///
/// ```toml
/// [[sinks]]
/// name = "splunk"
/// type = "splunk_hec"
/// url = "https://splunk.example:8088"
/// token = "${HEC_TOKEN}"
/// index = "defender"          # optional, and so are the keys below
/// sourcetype = "ms:defender:atp:alerts"
/// source = "defender-siem"
/// gzip = true
/// ack = true
/// ca_cert = "splunk-ca.pem"
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct SplunkHecSettings {
    /// `url`, the HEC base URL (`https://splunk.example:8088`).
    pub url: Url,
    /// `token`.
    pub token: Secret,
    /// `index`.
    pub index: Option<String>,
    /// `sourcetype`, default `ms:defender:atp:alerts`.
    pub sourcetype: Option<String>,
    /// `source`.
    pub source: Option<String>,
    /// `gzip`, default false.
    pub gzip: bool,
    /// `ack` (indexer acknowledgement), default false.
    pub ack: bool,
    /// `ca_cert`: an extra trusted CA (PEM).
    pub ca_cert: Option<PathBuf>,
}

impl fmt::Debug for SplunkHecSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL without user info or query (either may hold a secret).
        f.debug_struct("SplunkHecSettings")
            .field("url", &crate::config::shown_url(&self.url))
            .field("token", &self.token)
            .field("index", &self.index)
            .field("sourcetype", &self.sourcetype)
            .field("source", &self.source)
            .field("gzip", &self.gzip)
            .field("ack", &self.ack)
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

/// The keys of a Splunk HEC sink as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSplunkHec {
    url: Option<Text>,
    token: Option<SecretText>,
    index: Option<Text>,
    sourcetype: Option<Text>,
    source: Option<Text>,
    gzip: Option<bool>,
    ack: Option<bool>,
    ca_cert: Option<Text>,
}

impl SinkSettings for SplunkHecSettings {
    type Raw = RawSplunkHec;

    fn check(raw: RawSplunkHec, at: &SinkAt<'_>) -> Result<Self, Error> {
        Ok(SplunkHecSettings {
            url: at.required_credential_url(raw.url, "url")?,
            token: Secret::new(at.required(raw.token.map(Text::from), "token")?),
            index: raw.index.map(|t| t.0),
            sourcetype: raw.sourcetype.map(|t| t.0),
            source: raw.source.map(|t| t.0),
            gzip: raw.gzip.unwrap_or(false),
            ack: raw.ack.unwrap_or(false),
            ca_cert: raw.ca_cert.map(|t| PathBuf::from(t.0)),
        })
    }

    fn build(&self, at: &SinkContext<'_>) -> Result<Arc<dyn AlertSink>, Error> {
        let mut b = SplunkHecSink::builder(self.url.as_str(), self.token.clone())
            .http(at.http())
            .allow_plain_http(at.allow_plain_http())
            .gzip(self.gzip);
        if let Some(v) = &self.index {
            b = b.index(v);
        }
        if let Some(v) = &self.sourcetype {
            b = b.sourcetype(v);
        }
        if let Some(v) = &self.source {
            b = b.source(v);
        }
        if self.ack {
            b = b.indexer_ack(IndexerAck::default());
        }
        if let Some(path) = &self.ca_cert {
            b = b.extra_ca_pem(read_pem(path)?);
        }
        Ok(at.named(b.build()?))
    }
}

#[cfg(test)]
mod settings_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use crate::config::SinkKind;
    use crate::config::testing::{SECRET, parse_sink, refused};

    const HEC: &str = "[[sinks]]\nname = \"s\"\ntype = \"splunk_hec\"\nurl = \"https://h:8088\"\ntoken = \"${TEST_SECRET}\"\n";

    #[test]
    fn reads_the_keys_and_hides_the_token() {
        let config = parse_sink(&format!("{HEC}index = \"i\"\ngzip = true\nack = true\n")).unwrap();
        let SinkKind::SplunkHec(hec) = &config.kind else {
            panic!("{config:?}")
        };
        assert_eq!(hec.token.expose(), SECRET);
        assert_eq!(hec.index.as_deref(), Some("i"));
        assert!(hec.gzip && hec.ack);
        assert!(!format!("{config:?} {config:#?}").contains(SECRET));
    }

    #[test]
    fn refuses_unknown_and_foreign_keys_and_missing_ones() {
        refused(
            &format!("{HEC}inedx = \"x\"\n"),
            &["f.toml:10: unknown field `inedx` in sink `s` (type splunk_hec)"],
        );
        refused(
            &format!("{HEC}address = \"h:1\"\n"),
            &[
                "f.toml:5: `sinks[0].address`: does not apply to type splunk_hec (line 10; it is a key of type syslog)",
            ],
        );
        refused(
            "[[sinks]]\nname = \"s\"\ntype = \"splunk_hec\"\nurl = \"https://h\"\n",
            &["f.toml:5: `sinks[0].token`: is required for type splunk_hec"],
        );
        refused(
            &format!("{HEC}gzip = \"${{TEST_SECRET}}\"\n"),
            &["f.toml:10: invalid type", "in sink `s` (type splunk_hec)"],
        );
    }
}
