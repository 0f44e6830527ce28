//! Bounded by the crate, not by the server: a `nextLink` loop, an endless
//! `nextLink` chain, a `nextLink` with user credentials, a 2 GB body, a
//! gzip bomb and endless `Retry-After`s each end the tenant's poll with an
//! error naming the tenant and the limit, and move no checkpoint. And an
//! alert with many versions in one window is delivered once per version,
//! across overlapping pages, one batch and a restart.

use crate::net;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use defender_siem::auth::StaticTokenProvider;
use defender_siem::checkpoint::{CheckpointKey, CheckpointStore, MemoryCheckpointStore};
use defender_siem::client::{DefenderClient, DefenderClientBuilder};
use defender_siem::forward::{Forwarder, TenantReport};
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::{InjectedFailure, MemorySink};
use defender_siem::{TenantInfo, cloud::Endpoints};
use net::{TENANT_A, alert, fast_retry, page, tenant};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SINK: &str = "memory";

fn builder_for(base: &str) -> DefenderClientBuilder {
    let url = Url::parse(base).unwrap();
    DefenderClient::builder()
        .token_provider(Arc::new(StaticTokenProvider::new("t0ken")))
        .endpoints(
            Endpoints::default()
                .with_authority(url.clone())
                .with_mde_api(url.clone())
                .with_graph(url),
        )
        .retry_policy(fast_retry())
        .user_agent("MdatpPartner-Contoso-AlertBridge/1.2.3")
}

struct Setup {
    forwarder: Forwarder,
    store: Arc<MemoryCheckpointStore>,
    sink: MemorySink,
}

fn forwarder(client: DefenderClient, store: Arc<MemoryCheckpointStore>, sink: MemorySink) -> Setup {
    let forwarder = Forwarder::builder()
        .source(Arc::new(client))
        .tenant(TenantInfo::new(tenant(TENANT_A), "Contoso"))
        .sink(Arc::new(sink.clone()))
        .checkpoint_store(store.clone())
        .page_size(2)
        .batch_size(500)
        .sink_retry(RetryPolicy::never())
        .start_from("2024-01-01T00:00:00Z".parse().unwrap())
        .build()
        .unwrap();
    Setup {
        forwarder,
        store,
        sink,
    }
}

fn setup(client: DefenderClient) -> Setup {
    forwarder(
        client,
        Arc::new(MemoryCheckpointStore::new()),
        MemorySink::named(SINK),
    )
}

async fn watermark(store: &MemoryCheckpointStore) -> Option<String> {
    let key = CheckpointKey::new(tenant(TENANT_A), SINK).unwrap();
    store
        .load(&key)
        .await
        .unwrap()
        .and_then(|c| c.watermark)
        .map(|w| w.to_string())
}

/// The tenant's poll failed with an error naming the tenant and `words`,
/// and the checkpoint's watermark never moved.
async fn assert_poll_failed(s: &Setup, report: &TenantReport, words: &[&str]) {
    let error = report.error.as_ref().expect("the poll must fail");
    let text = error.to_string();
    assert!(text.contains(TENANT_A), "names the tenant: {text}");
    for w in words {
        assert!(text.contains(w), "names `{w}`: {text}");
    }
    assert!(!report.is_success());
    assert_eq!(watermark(&s.store).await, None, "the checkpoint moved");
}

/// Answers the first page (no `$skiptoken`) with a full page and a link to
/// page `p2`; every `pN` gets `next(n)` as its link.
struct Chain {
    base: String,
    next: fn(&str, u64, &str) -> Option<String>,
    first: Mutex<Option<String>>,
}

impl Respond for Chain {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n: u64 = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "$skiptoken")
            .and_then(|(_, v)| v.trim_start_matches('p').parse().ok())
            .unwrap_or(1);
        let mut first = self.first.lock().unwrap();
        if n == 1 {
            first.get_or_insert_with(|| {
                format!(
                    "{}{}?{}",
                    self.base,
                    request.url.path(),
                    request.url.query().unwrap_or("")
                )
            });
        }
        let mut body = page(vec![
            alert(&format!("da{n}a"), "2024-05-01T00:00:00Z"),
            alert(&format!("da{n}b"), "2024-05-01T00:00:01Z"),
        ]);
        if let Some(link) = (self.next)(&self.base, n, first.as_deref().unwrap_or("")) {
            body["@odata.nextLink"] = json!(link);
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

async fn chain_server(next: fn(&str, u64, &str) -> Option<String>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Chain {
            base: server.uri(),
            next,
            first: Mutex::new(None),
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_next_link_back_to_the_first_page_is_a_loop_and_ends_the_poll() {
    // Page 1 links to page 2, page 2 links back to page 1.
    let server = chain_server(|base, n, first| {
        Some(if n == 1 {
            format!("{base}/api/alerts?$skiptoken=p2")
        } else {
            first.to_owned()
        })
    })
    .await;
    let s = setup(builder_for(&server.uri()).build().unwrap());
    let report = s.forwarder.run_once().await;
    assert_poll_failed(&s, &report.tenants[0], &["paging loop"]).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    // What was read before the loop was delivered once, not once a lap.
    assert_eq!(s.sink.alert_ids(), ["da1a", "da1b", "da2a", "da2b"]);
}

#[tokio::test]
async fn a_repeated_next_link_further_down_the_chain_is_a_loop() {
    // p1 -> p2 -> p3 -> p2.
    let server = chain_server(|base, n, _| {
        let to = if n == 3 { 2 } else { n + 1 };
        Some(format!("{base}/api/alerts?$skiptoken=p{to}"))
    })
    .await;
    let s = setup(builder_for(&server.uri()).build().unwrap());
    let report = s.forwarder.run_once().await;
    assert_poll_failed(&s, &report.tenants[0], &["paging loop"]).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_endless_chain_of_new_pages_stops_at_max_pages_per_poll() {
    let server =
        chain_server(|base, n, _| Some(format!("{base}/api/alerts?$skiptoken=p{}", n + 1))).await;
    let s = setup(
        builder_for(&server.uri())
            .max_pages_per_poll(25)
            .build()
            .unwrap(),
    );
    let report = s.forwarder.run_once().await;
    assert_poll_failed(&s, &report.tenants[0], &["max_pages_per_poll = 25"]).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 25);
    let code = report.tenants[0].error.as_ref().unwrap().code.clone();
    assert_eq!(code.as_deref(), Some("max_pages_per_poll"));
    // The checkpoint keeps what was delivered, bounded by the page limit.
    let key = CheckpointKey::new(tenant(TENANT_A), SINK).unwrap();
    let saved = s.store.load(&key).await.unwrap().unwrap();
    assert_eq!(saved.seen.len(), 50);
}

#[tokio::test]
async fn a_next_link_with_user_credentials_is_refused_and_never_sent_basic_auth() {
    let server = chain_server(|base, n, _| {
        (n == 1).then(|| {
            base.replace("http://", "http://mallory:hunter2@") + "/api/alerts?$skiptoken=p2"
        })
    })
    .await;
    let s = setup(builder_for(&server.uri()).build().unwrap());
    let report = s.forwarder.run_once().await;
    assert_poll_failed(&s, &report.tenants[0], &["user credentials"]).await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "the link was not followed");
    let text = report.tenants[0].error.as_ref().unwrap().to_string();
    assert!(!text.contains("hunter2"), "{text}");
}

/// A loopback HTTP/1.1 server that answers every request with `head` and
/// then up to `total` bytes of body made on the fly (never held in
/// memory), chunked when `chunked`. Counts the body bytes it wrote.
async fn endless_body(total: u64, chunked: bool) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = if chunked {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {total}\r\n\r\n"
                    )
                };
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let piece = vec![b' '; 64 * 1024];
                let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
                framed.extend_from_slice(&piece);
                framed.extend_from_slice(b"\r\n");
                let mut sent = 0u64;
                while sent < total {
                    let out = if chunked { &framed } else { &piece };
                    if socket.write_all(out).await.is_err() {
                        return;
                    }
                    sent += piece.len() as u64;
                    counter.fetch_add(piece.len(), Ordering::Relaxed);
                }
                if chunked {
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                }
            });
        }
    });
    (base, written)
}

const TWO_GB: u64 = 2 * 1024 * 1024 * 1024;

#[tokio::test]
async fn a_2_gb_chunked_body_stops_at_max_response_bytes_while_it_streams() {
    let (base, written) = endless_body(TWO_GB, true).await;
    // The default limit (128 MiB): nothing of the 2 GB is held but that.
    let s = setup(builder_for(&base).build().unwrap());
    let started = std::time::Instant::now();
    let report = s.forwarder.run_once().await;
    assert_poll_failed(
        &s,
        &report.tenants[0],
        &["max_response_bytes = 134217728 bytes", "while it was read"],
    )
    .await;
    let sent = written.load(Ordering::Relaxed) as u64;
    assert!(sent < TWO_GB / 4, "read on after the limit: {sent} bytes");
    eprintln!(
        "2 GB body refused after {:?}, {sent} bytes sent",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_reading() {
    let (base, written) = endless_body(TWO_GB, false).await;
    let s = setup(builder_for(&base).build().unwrap());
    let report = s.forwarder.run_once().await;
    assert_poll_failed(
        &s,
        &report.tenants[0],
        &["max_response_bytes", "Content-Length"],
    )
    .await;
    let sent = written.load(Ordering::Relaxed) as u64;
    assert!(sent < 64 * 1024 * 1024, "{sent} bytes were pulled");
}

#[tokio::test]
async fn a_small_body_over_a_small_limit_is_refused() {
    let server = MockServer::start().await;
    let alerts = (0..2)
        .map(|i| alert(&format!("da{i}"), "2024-05-01T00:00:00Z"))
        .collect();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(alerts)))
        .mount(&server)
        .await;
    let s = setup(
        builder_for(&server.uri())
            .max_response_bytes(100)
            .build()
            .unwrap(),
    );
    let report = s.forwarder.run_once().await;
    assert_poll_failed(&s, &report.tenants[0], &["max_response_bytes = 100 bytes"]).await;
    assert!(s.sink.alert_ids().is_empty());
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_unread() {
    // 64 MiB of JSON whitespace in a few tens of KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1024 * 1024];
    gz.write_all(br#"{"value":["#).unwrap();
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    gz.write_all(b"]}").unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(bomb, "application/json"),
        )
        .mount(&server)
        .await;
    let s = setup(
        builder_for(&server.uri())
            .max_response_bytes(1024 * 1024)
            .build()
            .unwrap(),
    );
    let report = s.forwarder.run_once().await;
    assert_poll_failed(&s, &report.tenants[0], &["`gzip`-encoded", "never decodes"]).await;
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.headers.contains_key("accept-encoding")),
        "the client must not ask for compressed bodies"
    );
}

/// Every odd request is a 429 asking `wait`; every even one a full page,
/// so each page costs one short `Retry-After` and no single request ever
/// runs out of attempts.
struct ThrottleEveryOther(AtomicUsize);

impl Respond for ThrottleEveryOther {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        if n.is_multiple_of(2) {
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0.3")
                .set_body_json(
                    json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
                )
        } else {
            ResponseTemplate::new(200).set_body_json(page(vec![
                alert(&format!("da{n}a"), "2024-05-01T00:00:00Z"),
                alert(&format!("da{n}b"), "2024-05-01T00:00:01Z"),
            ]))
        }
    }
}

#[tokio::test]
async fn retry_after_waiting_is_bounded_per_poll_not_per_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ThrottleEveryOther(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    let s = setup(
        builder_for(&server.uri())
            .max_retry_wait_per_poll(Duration::from_millis(1_000))
            .build()
            .unwrap(),
    );
    let report = s.forwarder.run_once().await;
    assert_poll_failed(
        &s,
        &report.tenants[0],
        &["max_retry_wait_per_poll = 1 s", "TooManyRequests"],
    )
    .await;
    // Three waits of 0.3 s fit in the second, the fourth does not: three
    // pages read, and the fourth page's 429 ends the poll.
    assert_eq!(server.received_requests().await.unwrap().len(), 7);
}

/// `$skip` pages over a fixed list: `[$skip, $skip + $top)`.
struct SkipPages(Vec<serde_json::Value>);

impl Respond for SkipPages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let q: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let skip: usize = q.get("$skip").map_or(0, |s| s.parse().unwrap());
        let top: usize = q.get("$top").map_or(10_000, |s| s.parse().unwrap());
        let end = (skip + top).min(self.0.len());
        let alerts = self.0[skip.min(end)..end].to_vec();
        ResponseTemplate::new(200).set_body_json(page(alerts))
    }
}

#[tokio::test]
async fn one_id_with_1000_versions_is_delivered_once_per_version_across_pages_and_a_restart() {
    let base = chrono::DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z").unwrap();
    let versions: Vec<String> = (0..1_000)
        .map(|i| {
            (base + chrono::Duration::milliseconds(i))
                .to_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .collect();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(SkipPages(
            versions.iter().map(|t| alert("da1", t)).collect(),
        ))
        .mount(&server)
        .await;
    let store = Arc::new(MemoryCheckpointStore::new());
    let sink = MemorySink::named(SINK);
    let client = builder_for(&server.uri()).build().unwrap();
    let make = |store: &Arc<MemoryCheckpointStore>, sink: &MemorySink| {
        Forwarder::builder()
            .source(Arc::new(client.clone()))
            .tenant(TenantInfo::new(tenant(TENANT_A), "Contoso"))
            .sink(Arc::new(sink.clone()))
            .checkpoint_store(store.clone())
            // Pages of 100 overlap by 12, and batches of 250 hold the
            // overlapping copies of a page together.
            .page_size(100)
            .batch_size(250)
            .sink_retry(RetryPolicy::never())
            .start_from("2024-01-01T00:00:00Z".parse().unwrap())
            .build()
            .unwrap()
    };

    // First run: the sink takes 150 versions and then fails: the
    // watermark stays, the 150 are remembered.
    sink.fail_next_with(1, InjectedFailure::retryable().after_records(150));
    let first = make(&store, &sink).run_once().await;
    assert!(!first.is_success());
    assert_eq!(watermark(&store).await, None);
    let after_first = sink.records().len();
    assert!(after_first > 0 && after_first < 1_000, "{after_first}");

    // A restart: a new forwarder on the same checkpoints.
    sink.recover();
    let second = make(&store, &sink).run_once().await;
    assert!(second.is_success(), "{second}");
    let third = make(&store, &sink).run_once().await;
    assert!(third.is_success(), "{third}");
    assert_eq!(third.forwarded(), 0);

    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for record in sink.records() {
        assert_eq!(record.alert_id(), "da1");
        let at = record.alert.last_update_time.unwrap();
        let at = at
            .as_datetime()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        *delivered.entry(at).or_default() += 1;
    }
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(delivered.len(), 1_000, "every version delivered");
    assert_eq!(
        watermark(&store).await.as_deref(),
        Some("2024-05-01T00:00:00.999Z")
    );
}

#[tokio::test]
async fn a_future_version_is_delivered_but_never_moves_the_watermark() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(SkipPages(vec![
            alert("da1", "2024-05-01T00:00:00Z"),
            alert("da2", "2999-01-01T00:00:00Z"),
        ]))
        .mount(&server)
        .await;
    let s = setup(builder_for(&server.uri()).build().unwrap());
    let report = s.forwarder.run_once().await;
    assert!(report.is_success(), "{report}");
    assert_eq!(s.sink.alert_ids(), ["da1", "da2"]);
    let key = CheckpointKey::new(tenant(TENANT_A), SINK).unwrap();
    let saved = s.store.load(&key).await.unwrap().unwrap();
    assert_eq!(
        saved.watermark.map(|w| w.to_string()).as_deref(),
        Some("2024-05-01T00:00:00Z"),
        "only the present version moves the watermark"
    );
    assert!(
        saved
            .seen
            .contains("da2", "2999-01-01T00:00:00Z".parse().unwrap()),
        "the future version is remembered"
    );
    // The next poll gets both again and sends neither.
    let again = s.forwarder.run_once().await;
    assert_eq!(again.forwarded(), 0);
    assert_eq!(again.tenants[0].sinks[0].duplicates_dropped, 2);
}

#[tokio::test]
async fn a_version_older_than_the_query_window_is_reported_not_taken_for_a_duplicate() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(SkipPages(vec![
            alert("da1", "2024-05-01T00:00:00Z"),
            alert("old", "2019-01-01T00:00:00Z"),
        ]))
        .mount(&server)
        .await;
    let s = setup(builder_for(&server.uri()).build().unwrap());
    let report = s.forwarder.run_once().await;
    let tenant = &report.tenants[0];
    assert_eq!(tenant.outside_window, 1);
    assert_eq!(tenant.sinks[0].duplicates_dropped, 0);
    assert_eq!(s.sink.alert_ids(), ["da1"]);
    assert!(
        tenant.to_string().contains("1 outside the query's window"),
        "{tenant}"
    );
    let status = s.forwarder.status();
    assert_eq!(status[0].outside_window, 1);
}

#[tokio::test]
async fn the_pager_yields_each_version_of_an_id_once_across_overlapping_pages() {
    use futures_util::StreamExt;
    let server = MockServer::start().await;
    // Forty versions of one id, then others: pages of 16 overlap by two,
    // so every page starts with two versions already yielded.
    let mut list: Vec<serde_json::Value> = (0..40)
        .map(|i| alert("da1", &format!("2024-05-01T00:00:{i:02}Z")))
        .collect();
    list.extend((0..30).map(|i| alert(&format!("db{i}"), "2024-05-01T00:01:00Z")));
    Mock::given(method("GET"))
        .respond_with(SkipPages(list))
        .mount(&server)
        .await;
    let client = builder_for(&server.uri()).build().unwrap();
    let items: Vec<(String, String)> = client
        .alerts(&tenant(TENANT_A))
        .top(16)
        .stream()
        .map(|r| {
            let a = r.unwrap().alert;
            (a.id.unwrap(), a.last_update_time.unwrap().to_string())
        })
        .collect()
        .await;
    let distinct: std::collections::BTreeSet<_> = items.iter().cloned().collect();
    assert_eq!(
        items.len(),
        distinct.len(),
        "a version came twice: {items:?}"
    );
    assert_eq!(distinct.len(), 70);
}

#[test]
fn the_limits_are_config_keys_of_defaults() {
    use defender_siem::config::ForwarderConfig;
    let text = |extra: &str| {
        format!(
            "[defaults]\n{extra}\n[[tenants]]\nid = \"contoso.com\"\nclient_id = \"app\"\nclient_secret = \"s\"\n\
             [[sinks]]\nname = \"archive\"\ntype = \"file\"\npath = \"alerts.jsonl\"\n"
        )
    };
    let config = ForwarderConfig::parse(
        &text("max_response_bytes = 1048576\nmax_pages_per_poll = 50\nmax_retry_wait_per_poll = \"2m\""),
        "inline",
    )
    .unwrap();
    let limits = config.defaults.limits;
    assert_eq!(limits.max_response_bytes(), 1_048_576);
    assert_eq!(limits.max_pages_per_poll(), 50);
    assert_eq!(limits.max_retry_wait_per_poll(), Duration::from_secs(120));
    let defaults = ForwarderConfig::parse(&text(""), "inline").unwrap();
    assert_eq!(
        defaults.defaults.limits,
        defender_siem::client::Limits::default()
    );
    let zero = ForwarderConfig::parse(&text("max_pages_per_poll = 0"), "inline")
        .unwrap_err()
        .to_string();
    assert!(
        zero.contains("inline:2: `defaults.max_pages_per_poll`: must be at least 1"),
        "{zero}"
    );
    let built = builder_for("http://127.0.0.1:1")
        .max_response_bytes(0)
        .build();
    assert!(
        built
            .unwrap_err()
            .to_string()
            .contains("max_response_bytes")
    );
}
