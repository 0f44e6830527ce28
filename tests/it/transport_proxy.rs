//! Which clients go through a proxy: with one configured, the Defender
//! client, the Entra token requests and the Splunk HEC and Sentinel sinks
//! all do; with none configured, none does, even when `HTTPS_PROXY`,
//! `HTTP_PROXY` and `ALL_PROXY` name one.
//!
//! The proxy is a small one written here, on 127.0.0.1, that counts the
//! connections it opens per target: `CONNECT host:port` tunnels (https
//! targets) and absolute-form requests such as `GET http://host:port/…`
//! (http targets), which it passes on unchanged. Every target is loopback.
//!
//! The environment variables are process-wide and setting them needs
//! `unsafe`, which the crate forbids, so the environment tests run this
//! test binary again as a child process with the variables set
//! ([`child_process`]); the parent owns the proxy and counts.

use crate::sim_support;
use crate::sink_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use defender_siem::auth::{
    ClientSecretCredential, StaticTokenProvider, TokenProvider, TokenSource,
};
use defender_siem::client::DefenderClient;
use defender_siem::config::ForwarderConfig;
use defender_siem::simulator::Simulator;
use defender_siem::sink::AlertSink;
use defender_siem::sink::sentinel::SentinelSink;
use defender_siem::sink::splunk_hec::SplunkHecSink;
use defender_siem::transport::{HttpSettings, Proxy};
use defender_siem::{Secret, TenantId};
use serde_json::json;
use sim_support::{MDE_SCOPE, quiet};
use sink_support::full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const UA: &str = "MdatpPartner-Contoso-AlertBridge/1.0.0";
const DCR: &str = "dcr-000a00a000a00000a000000aa000a0aa";
const STREAM: &str = "Custom-DefenderAlerts_CL";

/// The test proxy: its URL and the connections it opened, per target.
struct TestProxy {
    url: Url,
    seen: Arc<Mutex<HashMap<String, usize>>>,
}

impl TestProxy {
    async fn start() -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let counts = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(relay(stream, counts.clone()));
            }
        });
        TestProxy { url, seen }
    }

    /// Connections opened to `target` (`host:port`).
    fn count(&self, target: &str) -> usize {
        self.seen.lock().unwrap().get(target).copied().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.seen.lock().unwrap().values().sum()
    }
}

/// `host:port` of a URL.
fn target_of(url: &str) -> String {
    let url = Url::parse(url).unwrap();
    format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    )
}

/// Serves one client connection of the proxy.
async fn relay(mut client: TcpStream, seen: Arc<Mutex<HashMap<String, usize>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        let Ok(n) = client.read(&mut buf).await else {
            return;
        };
        if n == 0 || head.len() > 64 * 1024 {
            return;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let mut words = text.lines().next().unwrap_or("").split(' ');
    let (verb, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (authority, tunnel) = if verb == "CONNECT" {
        (target.to_owned(), true)
    } else if let Some(rest) = target.strip_prefix("http://") {
        (rest.split('/').next().unwrap_or("").to_owned(), false)
    } else {
        let _ = client
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    // Loopback only: nothing here may leave the machine.
    let host = authority.rsplit_once(':').map_or("", |(h, _)| h);
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        let _ = client
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    }
    *seen.lock().unwrap().entry(authority.clone()).or_insert(0) += 1;
    let Ok(mut upstream) = TcpStream::connect(&authority).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    let sent = if tunnel {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        upstream.write_all(&head[end..]).await
    } else {
        // Absolute-form requests pass on unchanged: the servers accept them.
        upstream.write_all(&head).await
    };
    if sent.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

async fn hec_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text":"Success","code":0})))
        .mount(&server)
        .await;
    server
}

async fn sentinel_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// The simulator's credential; `http: None` keeps the builder's default client.
fn sim_credential(sim: &Simulator, http: Option<&HttpSettings>) -> ClientSecretCredential {
    let credential = ClientSecretCredential::new(sim.client_id(), Secret::new(sim.client_secret()))
        .unwrap()
        .with_endpoints(&sim.endpoints());
    match http {
        Some(http) => {
            credential.with_http_client(http.clone().component("entra").build_client().unwrap())
        }
        None => credential,
    }
}

/// A token, an alert page, an HEC post and a Sentinel post, every client
/// built from `http` (`None`: each builder's defaults, no settings passed),
/// against targets started here. Returns the targets (`host:port`) of the
/// simulator, the HEC and the Sentinel server.
async fn exercise(sim: &Simulator, http: Option<&HttpSettings>) -> [String; 3] {
    let tenant = TenantId::new(&sim.tenants()[0].id).unwrap();
    let tokens = sim_credential(sim, http).cached();
    tokens.token(&tenant, MDE_SCOPE).await.unwrap();
    let mut client = DefenderClient::builder()
        .token_provider(Arc::new(tokens))
        .endpoints(sim.endpoints());
    if let Some(http) = http {
        client = client.http(http.clone());
    }
    let client = client.user_agent(UA).build().unwrap();
    client.alerts(&tenant).top(5).send().await.unwrap();

    let hec = hec_server().await;
    let mut builder = SplunkHecSink::builder(&hec.uri(), "hec-token-0123456789");
    if let Some(http) = http {
        builder = builder.http(http.clone());
    }
    builder.build().unwrap().send(&[full()]).await.unwrap();
    assert_eq!(hec.received_requests().await.unwrap().len(), 1);

    let sentinel = sentinel_server().await;
    let ingest: Arc<dyn TokenProvider> = Arc::new(StaticTokenProvider::new("ingest-token-0123"));
    let mut builder = SentinelSink::builder(&sentinel.uri(), DCR, STREAM, ingest, tenant);
    if let Some(http) = http {
        builder = builder.http(http.clone());
    }
    builder.build().unwrap().send(&[full()]).await.unwrap();
    assert_eq!(sentinel.received_requests().await.unwrap().len(), 1);

    [
        target_of(sim.api_base().as_str()),
        target_of(&hec.uri()),
        target_of(&sentinel.uri()),
    ]
}

#[tokio::test]
async fn with_a_proxy_url_every_client_goes_through_it() {
    let proxy = TestProxy::start().await;
    // The simulator over TLS, so that its calls are CONNECT tunnels.
    let sim = quiet().tenants(1).tls(true).start().await.unwrap();
    let ca = std::fs::read(sim.ca_cert_path().unwrap()).unwrap();
    let http = HttpSettings::new()
        .proxy(proxy.url.clone())
        .add_root_certificate_pem(ca);
    let sim_at = target_of(sim.api_base().as_str());

    // The token request alone.
    let tenant = TenantId::new(&sim.tenants()[0].id).unwrap();
    sim_credential(&sim, Some(&http))
        .cached()
        .token(&tenant, MDE_SCOPE)
        .await
        .unwrap();
    let after_token = proxy.count(&sim_at);
    assert!(after_token >= 1, "the token request bypassed the proxy");

    // Then all four (the Defender client on new connections of its own).
    let [sim_at, hec_at, sentinel_at] = exercise(&sim, Some(&http)).await;
    assert!(
        proxy.count(&sim_at) >= after_token + 2,
        "Entra and Defender calls bypassed the proxy: {:?}",
        proxy.seen
    );
    assert_eq!(proxy.count(&hec_at), 1, "{:?}", proxy.seen);
    assert_eq!(proxy.count(&sentinel_at), 1, "{:?}", proxy.seen);
    sim.shutdown().await;
}

#[tokio::test]
async fn sink_setters_forward_onto_the_proxy() {
    let proxy = TestProxy::start().await;
    let hec = hec_server().await;
    SplunkHecSink::builder(&hec.uri(), "hec-token-0123456789")
        .timeout(std::time::Duration::from_secs(5))
        .proxy(proxy.url.clone())
        .build()
        .unwrap()
        .send(&[full()])
        .await
        .unwrap();
    assert_eq!(proxy.count(&target_of(&hec.uri())), 1);
    // The same builder with the `no_proxy` list naming the host: direct.
    SplunkHecSink::builder(&hec.uri(), "hec-token-0123456789")
        .http(
            HttpSettings::for_uploads()
                .proxy(proxy.url.clone())
                .no_proxy(["127.0.0.1"]),
        )
        .build()
        .unwrap()
        .send(&[full()])
        .await
        .unwrap();
    assert_eq!(proxy.total(), 1, "{:?}", proxy.seen);
    assert_eq!(hec.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_config_file_proxy_reaches_the_defender_entra_and_sink_clients() {
    let proxy = TestProxy::start().await;
    let sim = quiet().tenants(1).no_throttling().start().await.unwrap();
    let hec = hec_server().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[defaults]
authority_host = "{authority}"
api_base = "{api}"
checkpoint_dir = "{dir}"
since = "2000-01-01T00:00:00Z"
proxy = "{proxy}"
no_proxy = ["siem.example"]
client_id = "{client_id}"
client_secret = "{secret}"

[[tenants]]
id = "{tenant}"

[[sinks]]
name = "splunk"
type = "splunk_hec"
url = "{hec}"
token = "hec-token-0123456789"
"#,
        authority = sim.authority_url(),
        api = sim.api_base(),
        dir = dir.path().display(),
        proxy = proxy.url,
        client_id = sim.client_id(),
        secret = sim.client_secret(),
        tenant = sim.tenants()[0].id,
        hec = hec.uri(),
    );
    let config = ForwarderConfig::parse(&text, "forwarder.toml").unwrap();
    assert_eq!(config.defaults.proxy, Proxy::Url(proxy.url.clone()));
    assert_eq!(config.defaults.no_proxy, ["siem.example"]);
    let report = config.build().unwrap().run_once().await;
    assert!(report.is_success(), "{report:?}");
    assert!(!hec.received_requests().await.unwrap().is_empty());
    let sim_at = target_of(sim.api_base().as_str());
    // At least one connection for the token and one for the alerts.
    assert!(proxy.count(&sim_at) >= 2, "{:?}", proxy.seen);
    assert!(proxy.count(&target_of(&hec.uri())) >= 1, "{:?}", proxy.seen);
    sim.shutdown().await;
}

#[test]
fn config_file_proxy_errors_name_the_key_and_line() {
    let file = |defaults: &str| {
        format!(
            "[defaults]\nclient_id = \"11111111-2222-3333-4444-555555555555\"\n\
             client_secret = \"s\"\n{defaults}\n\
             [[tenants]]\nid = \"a839b112-1253-6432-9bf6-94542403f21c\"\n\
             [[sinks]]\nname = \"f\"\ntype = \"file\"\npath = \"a.jsonl\"\n"
        )
    };
    let err = |defaults: &str| {
        ForwarderConfig::parse(&file(defaults), "f.toml")
            .unwrap_err()
            .to_string()
    };
    let e = err("proxy = \"ftp://x\"");
    assert!(e.contains("f.toml:4: `defaults.proxy`"), "{e}");
    assert!(e.contains("http://"), "{e}");
    let e = err("proxy = \"not a url\"");
    assert!(e.contains("f.toml:4: `defaults.proxy`"), "{e}");
    let e = err("proxy = \"http://bob:hunter2@\"");
    assert!(
        e.contains("`defaults.proxy`") && !e.contains("hunter2"),
        "{e}"
    );
    let e = err("no_proxy = [\"a.example\"]");
    assert!(e.contains("f.toml:4: `defaults.no_proxy`"), "{e}");
    let e = err("proxy = \"http://p:3128\"\nno_proxy = [\"ok.example\", \"a, b\"]");
    assert!(e.contains("f.toml:5: `defaults.no_proxy[1]`"), "{e}");

    let ok = |defaults: &str| ForwarderConfig::parse(&file(defaults), "f.toml").unwrap();
    assert_eq!(ok("").defaults.proxy, Proxy::None);
    assert_eq!(
        ok("proxy = \"environment\"").defaults.proxy,
        Proxy::Environment
    );
    let c = ok("proxy = \"http://p:3128\"\nno_proxy = [\"10.0.0.0/8\", \".corp.example\"]");
    assert_eq!(c.defaults.no_proxy, ["10.0.0.0/8", ".corp.example"]);
}

// ---- the environment, in a child process ----

/// Set in the child's environment: which `Proxy` it builds its clients with.
const CHILD: &str = "DEFENDER_SIEM_TRANSPORT_PROXY_CHILD";

/// Starts a proxy, runs [`child_process`] in `mode` with every proxy
/// variable naming that proxy and `NO_PROXY` as given, checks that the
/// child passed, and returns the proxy with its counts.
async fn run_child(mode: &'static str, no_proxy: Option<&'static str>) -> TestProxy {
    let proxy = TestProxy::start().await;
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "transport_proxy::child_process",
        "--exact",
        "--ignored",
        "--nocapture",
    ])
    .env(CHILD, mode)
    .env_remove("no_proxy")
    .env_remove("REQUEST_METHOD");
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env(var, proxy.url.as_str());
    }
    match no_proxy {
        Some(v) => cmd.env("NO_PROXY", v),
        None => cmd.env_remove("NO_PROXY"),
    };
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "child ({mode}) failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    proxy
}

#[tokio::test]
async fn without_a_proxy_setting_the_environment_is_ignored() {
    let proxy = run_child("none", None).await;
    assert_eq!(proxy.total(), 0, "{:?}", proxy.seen);
}

#[tokio::test]
async fn proxy_environment_reads_the_variables_and_no_proxy() {
    // reqwest 0.12 has no built-in exception for loopback: without
    // NO_PROXY, requests to 127.0.0.1 go through the environment's proxy.
    let proxy = run_child("environment", None).await;
    assert!(proxy.total() >= 4, "{:?}", proxy.seen);
    let proxy = run_child("environment", Some("127.0.0.1")).await;
    assert_eq!(proxy.total(), 0, "{:?}", proxy.seen);
}

/// The child's half of the environment tests: does nothing unless started
/// by [`run_child`].
#[tokio::test]
#[ignore = "run as a child process by the environment tests"]
async fn child_process() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let http = match mode.as_str() {
        "none" => None,
        "environment" => Some(HttpSettings::new().proxy_mode(Proxy::Environment)),
        other => panic!("unknown mode {other}"),
    };
    let sim = quiet().tenants(1).start().await.unwrap();
    exercise(&sim, http.as_ref()).await;
    sim.shutdown().await;
}
