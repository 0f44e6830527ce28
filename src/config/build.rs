//! From a checked [`ForwarderConfig`] to a running [`Forwarder`]: the
//! client with one cached credential per distinct app, the sinks with their
//! filters and names, and the file checkpoint store.

use std::collections::HashMap;
use std::sync::Arc;

use super::sink::{SinkContext, read_pem};
use super::{FilterConfig, ForwarderConfig, SinkConfig};
use crate::auth::{ClientSecretCredential, PerTenantTokenProvider, TokenProvider, TokenSource};
use crate::checkpoint::FileCheckpointStore;
use crate::client::DefenderClient;
use crate::cloud::Endpoints;
use crate::error::Result;
use crate::forward::Forwarder;
use crate::sink::{AlertSink, Filter};
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
                        .allow_plain_http(self.defaults.allow_plain_http)
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
            .allow_plain_http(self.defaults.allow_plain_http)
            .max_response_bytes(self.defaults.limits.max_response_bytes())
            .max_pages_per_poll(self.defaults.limits.max_pages_per_poll())
            .max_retry_wait_per_poll(self.defaults.limits.max_retry_wait_per_poll())
            .build()?;

        let mut builder = Forwarder::builder()
            .source(Arc::new(client))
            .tenants(self.tenants.iter().map(|t| t.info.clone()))
            .checkpoint_store(Arc::new(
                FileCheckpointStore::new(&self.defaults.checkpoint_dir)?
                    .max_watermark_ahead(self.defaults.overlap),
            ))
            .quarantine_file(&self.defaults.quarantine_file)
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
            builder = builder.sink(build_sink(
                sink,
                &endpoints,
                &sink_http,
                &http_client,
                self.defaults.allow_plain_http,
            )?);
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

/// One sink, named as configured and wrapped in its filter. The HTTP
/// sinks start from `http` (proxy, upload timeout), and the Sentinel sink
/// gets its tokens with `entra`, the Entra client.
fn build_sink(
    config: &SinkConfig,
    endpoints: &Endpoints,
    http: &HttpSettings,
    entra: &reqwest::Client,
    allow_plain_http: bool,
) -> Result<Arc<dyn AlertSink>> {
    let context = SinkContext {
        name: &config.name,
        endpoints,
        http,
        entra,
        allow_plain_http,
    };
    let sink = config.kind.build(&context)?;
    Ok(with_filter(sink, &config.filter))
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
