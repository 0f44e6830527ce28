//! From a checked [`ForwarderConfig`] to a running [`Forwarder`]: the
//! client with one cached credential per distinct app, the sinks with their
//! filters and names, and the file checkpoint store.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::{FilterConfig, ForwarderConfig, SinkConfig, SinkKind};
use crate::auth::{ClientSecretCredential, PerTenantTokenProvider, TokenProvider, TokenSource};
use crate::checkpoint::FileCheckpointStore;
use crate::client::DefenderClient;
use crate::cloud::Endpoints;
use crate::error::{Error, Result};
use crate::forward::Forwarder;
use crate::sink::{AlertSink, Filter, Named};
use crate::transport::HttpSettings;

impl ForwarderConfig {
    /// The endpoints of `[defaults]`: the cloud's, with `authority_host` and
    /// `api_base` applied.
    pub fn endpoints(&self) -> Endpoints {
        let mut endpoints = Endpoints::new(self.defaults.cloud);
        if let Some(url) = &self.defaults.authority_host {
            endpoints = endpoints.with_authority(url.clone());
        }
        if let Some(url) = &self.defaults.api_base {
            endpoints = endpoints.with_mde_api(url.clone()).with_graph(url.clone());
        }
        endpoints
    }

    /// Builds everything the file describes. Nothing is contacted yet.
    pub fn build(&self) -> Result<Forwarder> {
        let endpoints = self.endpoints();
        let ca = self.defaults.ca_cert.as_deref().map(read_pem).transpose()?;
        let mut http = self.http_settings(HttpSettings::new());
        if let Some(pem) = &ca {
            http = http.add_root_certificate_pem(pem.clone());
        }
        let http_client = http.clone().component("entra").build_client()?;

        // One cached credential per distinct (client id, secret): most MSSPs
        // use one multi-tenant app for every customer.
        let mut credentials: HashMap<(String, String), Arc<dyn TokenProvider>> = HashMap::new();
        let mut tokens = PerTenantTokenProvider::new();
        for tenant in &self.tenants {
            let key = (
                tenant.client_id.clone(),
                tenant.client_secret.expose().to_owned(),
            );
            let provider = match credentials.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let p: Arc<dyn TokenProvider> = Arc::new(
                        ClientSecretCredential::new(
                            &tenant.client_id,
                            tenant.client_secret.clone(),
                        )?
                        .with_endpoints(&endpoints)
                        .with_http_client(http_client.clone())
                        .cached(),
                    );
                    credentials.insert(key, p.clone());
                    p
                }
            };
            tokens = tokens.with_tenant(tenant.info.id.clone(), provider);
        }

        let client = DefenderClient::builder()
            .token_provider(Arc::new(tokens))
            .endpoints(endpoints.clone())
            .http(http)
            .user_agent(self.defaults.user_agent.clone())
            .page_size(self.defaults.page_size)
            .build()?;

        let mut builder = Forwarder::builder()
            .source(Arc::new(client))
            .tenants(self.tenants.iter().map(|t| t.info.clone()))
            .checkpoint_store(Arc::new(FileCheckpointStore::new(
                &self.defaults.checkpoint_dir,
            )?))
            .poll_interval(self.defaults.poll_interval)
            .overlap(self.defaults.overlap)
            .page_size(self.defaults.page_size)
            .batch_size(self.defaults.batch_size)
            .tenant_concurrency(self.defaults.tenant_concurrency);
        if let Some(since) = self.defaults.since {
            builder = builder.start_from(since);
        }
        let sink_http = self.http_settings(HttpSettings::for_uploads());
        for sink in &self.sinks {
            builder = builder.sink(build_sink(sink, &endpoints, &sink_http, &http_client)?);
        }
        builder.build()
    }

    /// `base` with the `proxy` and `no_proxy` of `[defaults]`: every HTTP
    /// client of the forwarder (Defender, Entra, Splunk HEC, Sentinel)
    /// starts from this.
    fn http_settings(&self, base: HttpSettings) -> HttpSettings {
        base.proxy_mode(self.defaults.proxy.clone())
            .no_proxy(self.defaults.no_proxy.iter().cloned())
    }
}

fn read_pem(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("cannot read CA file {}", path.display()), e))
}

/// One sink, named as configured and wrapped in its filter. Only the
/// Sentinel and e-mail sinks use the endpoints (token authority, portal);
/// the HTTP sinks start from `http` (proxy, upload timeout), and the
/// Sentinel sink gets its tokens with `entra`, the Entra client.
#[cfg_attr(not(feature = "sentinel"), allow(unused_variables))]
fn build_sink(
    config: &SinkConfig,
    endpoints: &Endpoints,
    http: &HttpSettings,
    entra: &reqwest::Client,
) -> Result<Arc<dyn AlertSink>> {
    let name = config.name.clone();
    let sink: Arc<dyn AlertSink> = match &config.kind {
        #[cfg(feature = "splunk")]
        SinkKind::SplunkHec {
            url,
            token,
            index,
            sourcetype,
            source,
            gzip,
            ack,
            ca_cert,
        } => {
            use crate::sink::splunk_hec::{IndexerAck, SplunkHecSink};
            let mut b = SplunkHecSink::builder(url.as_str(), token.clone())
                .http(http.clone())
                .gzip(*gzip);
            if let Some(v) = index {
                b = b.index(v);
            }
            if let Some(v) = sourcetype {
                b = b.sourcetype(v);
            }
            if let Some(v) = source {
                b = b.source(v);
            }
            if *ack {
                b = b.indexer_ack(IndexerAck::default());
            }
            if let Some(path) = ca_cert {
                b = b.extra_ca_pem(read_pem(path)?);
            }
            named(&name, b.build()?)
        }
        #[cfg(feature = "sentinel")]
        SinkKind::Sentinel {
            endpoint,
            dcr_immutable_id,
            stream,
            tenant_id,
            client_id,
            client_secret,
            ca_cert,
        } => {
            use crate::sink::sentinel::SentinelSink;
            let tokens: Arc<dyn TokenProvider> = Arc::new(
                ClientSecretCredential::new(client_id, client_secret.clone())?
                    .with_endpoints(endpoints)
                    .with_http_client(entra.clone())
                    .cached(),
            );
            let mut b = SentinelSink::builder(
                endpoint.as_str(),
                dcr_immutable_id,
                stream,
                tokens,
                tenant_id.clone(),
            )
            .http(http.clone())
            .portal_base(endpoints.portal().clone());
            if let Some(path) = ca_cert {
                b = b.extra_ca_pem(read_pem(path)?);
            }
            named(&name, b.build()?)
        }
        #[cfg(feature = "syslog")]
        SinkKind::Syslog {
            address,
            transport,
            framing,
            protocol,
            format,
            max_message_size,
            ca_cert,
        } => {
            use crate::format::{CefOptions, LeefOptions, Payload, Rfc3164Options, Rfc5424Options};
            use crate::sink::syslog::{Framing, SyslogSink};
            let host = address
                .rsplit_once(':')
                .map_or(address.as_str(), |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let mut b = match transport.as_str() {
                "udp" => SyslogSink::udp(address),
                "tcp" => SyslogSink::tcp(address),
                _ => SyslogSink::tls(address, host),
            };
            let payload = match format.as_str() {
                "cef" => Payload::Cef(CefOptions::default()),
                "leef" => Payload::Leef(LeefOptions::default()),
                _ => Payload::Json,
            };
            b = if protocol == "rfc3164" {
                b.rfc3164(Rfc3164Options::default().payload(payload))
            } else {
                b.rfc5424(Rfc5424Options::default().payload(payload))
            };
            b = b.framing(if framing == "lf" {
                Framing::LineFeed
            } else {
                Framing::OctetCounting
            });
            if max_message_size.is_some() {
                b = b.max_message_bytes(*max_message_size);
            }
            if let Some(path) = ca_cert {
                b = b.extra_ca_pem(read_pem(path)?);
            }
            named(&name, b.build()?)
        }
        SinkKind::File { path, rotate_bytes } => {
            let mut b = crate::sink::FileSink::builder(path);
            if let Some(bytes) = rotate_bytes {
                b = b.rotate_at_bytes(*bytes);
            }
            named(&name, b.build()?)
        }
        #[cfg(feature = "email")]
        SinkKind::Email {
            smtp,
            from,
            username,
            password,
            rules,
        } => {
            use crate::sink::email::EmailSink;
            let mut b = EmailSink::builder(&name, smtp.clone())
                .from(from)
                .rules(rules.iter().cloned())
                .portal(endpoints.portal().clone());
            if let (Some(user), Some(password)) = (username, password) {
                b = b.credentials(user, password.clone());
            }
            Arc::new(
                b.build()
                    .map_err(|e| Error::Config(format!("sink `{name}`: {e}")))?,
            )
        }
        #[allow(unreachable_patterns)]
        other => {
            return Err(Error::Config(format!(
                "sink `{name}` (line {}): this build has no `{}` sink; enable its cargo feature",
                config.line,
                other.type_name()
            )));
        }
    };
    Ok(with_filter(sink, &config.filter))
}

fn named<S: AlertSink + 'static>(name: &str, sink: S) -> Arc<dyn AlertSink> {
    Arc::new(Named::new(name, sink))
}

fn with_filter(sink: Arc<dyn AlertSink>, f: &FilterConfig) -> Arc<dyn AlertSink> {
    if *f == FilterConfig::default() {
        return sink;
    }
    let mut filter = Filter::new()
        .severities(f.severities.iter().cloned())
        .statuses(f.statuses.iter().cloned())
        .tenants(f.tenants.iter().cloned())
        .device_groups(f.device_groups.iter().cloned())
        .categories(f.categories.iter().cloned())
        .detection_sources(f.detection_sources.iter().cloned());
    if let Some(min) = &f.min_severity {
        filter = filter.min_severity(min.clone());
    }
    Arc::new(filter.wrap(sink))
}
