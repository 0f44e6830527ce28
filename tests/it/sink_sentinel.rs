//! The Sentinel (Logs Ingestion API) sink against wiremock.
#![cfg(feature = "sentinel")]

use crate::sink_support;

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use defender_siem::TenantId;
use defender_siem::auth::StaticTokenProvider;
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::sentinel::{SentinelBuilder, SentinelSink};
use defender_siem::sink::{AlertRecord, AlertSink, SinkErrorKind, deliver};
use sink_support::{full, record};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const DCR: &str = "dcr-000a00a000a00000a000000aa000a0aa";
const STREAM: &str = "Custom-DefenderAlerts_CL";
const PATH: &str =
    "/dataCollectionRules/dcr-000a00a000a00000a000000aa000a0aa/streams/Custom-DefenderAlerts_CL";

fn builder(server: &MockServer, tokens: Arc<StaticTokenProvider>) -> SentinelBuilder {
    SentinelSink::builder(
        &server.uri(),
        DCR,
        STREAM,
        tokens,
        TenantId::new("mssp.onmicrosoft.com").unwrap(),
    )
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
}

fn unzip(body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

fn rows(body: &[u8]) -> Vec<serde_json::Value> {
    serde_json::from_slice(body).unwrap()
}

fn big_records(n: usize, size: usize) -> Vec<AlertRecord> {
    (0..n)
        .map(|i| {
            record(&format!(
                r#"{{"id":"r{i}","lastUpdateTime":"2024-01-01T00:00:00Z","description":"{}"}}"#,
                "d".repeat(size)
            ))
        })
        .collect()
}

#[tokio::test]
async fn posts_a_gzipped_json_array_with_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(query_param("api-version", "2023-01-01"))
        .and(header("authorization", "Bearer tok-123"))
        .and(header("content-type", "application/json"))
        .and(header("content-encoding", "gzip"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let tokens = Arc::new(StaticTokenProvider::new("tok-123"));
    let sink = builder(&server, tokens.clone()).build().unwrap();
    sink.send(&[full(), record(r#"{"id":"b"}"#)]).await.unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    assert!(
        uuid::Uuid::parse_str(
            req.headers
                .get("x-ms-client-request-id")
                .unwrap()
                .to_str()
                .unwrap()
        )
        .is_ok()
    );
    let body = rows(&unzip(&req.body));
    assert_eq!(body.len(), 2);
    assert_eq!(body[0]["AlertId"], "da637472900382838869_1364969609");
    assert_eq!(body[0]["TimeGenerated"], "2021-01-26T20:33:59.2Z");
    assert_eq!(
        body[0]["Alert"],
        serde_json::from_str::<serde_json::Value>(sink_support::FULL).unwrap()
    );
    assert_eq!(body[1]["AlertId"], "b");
    assert_eq!(tokens.calls(), 1);
    assert!(!format!("{sink:?}").contains("tok-123"));
}

#[tokio::test]
async fn chunks_stay_at_or_under_one_mebibyte_of_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let sink = builder(&server, Arc::new(StaticTokenProvider::new("t")))
        .gzip(false)
        .build()
        .unwrap();
    let batch = big_records(30, 100_000);
    sink.send(&batch).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs.len() >= 3);
    let mut seen = 0;
    for req in &reqs {
        assert!(req.headers.get("content-encoding").is_none());
        assert!(req.body.len() <= 1024 * 1024, "{}", req.body.len());
        let n = rows(&req.body).len();
        seen += n;
        if seen < batch.len() {
            // The next row would not have fitted.
            let next = serde_json::to_vec(&rows(&reqs[0].body)[0]).unwrap().len();
            assert!(req.body.len() + next > 1024 * 1024 - 2);
        }
    }
    assert_eq!(seen, 30);
}

/// One 429 (Retry-After 50 ms), then 413 for chunks of more than 2 rows.
async fn throttled_once_then_splitting(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0.05"))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .respond_with(|req: &Request| {
            if rows(&unzip(&req.body)).len() > 2 {
                ResponseTemplate::new(413)
            } else {
                ResponseTemplate::new(204)
            }
        })
        .mount(server)
        .await;
}

#[tokio::test]
async fn too_large_splits_and_throttling_waits() {
    let server = MockServer::start().await;
    throttled_once_then_splitting(&server).await;
    let sink = builder(&server, Arc::new(StaticTokenProvider::new("t")))
        .build()
        .unwrap();
    let batch = big_records(4, 10);
    // One attempt: the 429 is the caller's to retry, with its Retry-After.
    let e = sink.send(&batch).await.unwrap_err();
    assert_eq!(
        (e.status(), e.retry_after(), e.accepted(), e.is_retryable()),
        (Some(429), Some(Duration::from_millis(50)), 0, true)
    );
    server.reset().await;
    throttled_once_then_splitting(&server).await;
    let started = std::time::Instant::now();
    deliver(&sink, &batch, &fast()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(50));
    let counts: Vec<usize> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| rows(&unzip(&r.body)).len())
        .collect();
    assert_eq!(counts, [4, 4, 2, 2]);
}

#[tokio::test]
async fn unauthorized_refreshes_the_token_once_then_explains() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let tokens = Arc::new(StaticTokenProvider::new("t"));
    let sink = builder(&server, tokens.clone()).build().unwrap();
    let e = sink.send(&[full()]).await.unwrap_err();
    assert_eq!(
        (e.status(), e.kind(), e.is_retryable()),
        (Some(401), SinkErrorKind::Auth, false)
    );
    assert!(
        e.to_string().contains("https://monitor.azure.us//.default"),
        "{e}"
    );
    assert_eq!((tokens.calls(), tokens.invalidations()), (2, 1));
    assert!(!e.to_string().contains("api-version"));

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let e = sink.send(&[full()]).await.unwrap_err();
    assert!(
        e.to_string().contains("Monitoring Metrics Publisher"),
        "{e}"
    );
    assert!(!e.is_retryable());

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string(r#"{"error":{"code":"InvalidStream","message":"bad"}}"#),
        )
        .mount(&server)
        .await;
    let e = sink.send(&[full()]).await.unwrap_err();
    assert!(e.to_string().contains("InvalidStream"), "{e}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Rows of one request body (gzip off), by `AlertId`.
fn ids(req: &Request) -> Vec<String> {
    rows(&req.body)
        .iter()
        .map(|r| r["AlertId"].as_str().unwrap().to_owned())
        .collect()
}

/// Answers 204, except 503 to the third POST.
async fn third_post_fails_once(server: &MockServer) {
    let posts = std::sync::atomic::AtomicUsize::new(0);
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| {
            if posts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2 {
                ResponseTemplate::new(503)
            } else {
                ResponseTemplate::new(204)
            }
        })
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_failed_chunk_reports_the_chunks_before_it_and_only_the_rest_is_sent_again() {
    let server = MockServer::start().await;
    third_post_fails_once(&server).await;
    let sink = builder(&server, Arc::new(StaticTokenProvider::new("t")))
        .gzip(false)
        .max_chunk_bytes(1024)
        .build()
        .unwrap();
    // Small rows: two per 1 KiB chunk, 4 chunks.
    let batch = big_records(8, 10);
    let e = sink.send(&batch).await.unwrap_err();
    let reqs = server.received_requests().await.unwrap();
    let per_chunk: Vec<usize> = reqs.iter().map(|r| ids(r).len()).collect();
    assert_eq!(per_chunk, [2, 2, 2], "3 of 4 chunks posted");
    assert_eq!(e.accepted(), 4);
    assert!(e.is_retryable() && e.status() == Some(503), "{e}");
    let host = server.address().to_string();
    assert_eq!(e.endpoint(), Some(host.as_str()));

    // Through the caller's retry: every row once, one extra POST.
    server.reset().await;
    third_post_fails_once(&server).await;
    deliver(&sink, &batch, &fast()).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    let accepted: Vec<String> = reqs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .flat_map(|(_, r)| ids(r))
        .collect();
    let expected: Vec<String> = (0..8).map(|i| format!("r{i}")).collect();
    assert_eq!(accepted, expected);
    assert_eq!(reqs.len(), 5);
}

#[tokio::test]
async fn errors_name_the_host_but_not_the_query_string() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let sink = builder(&server, Arc::new(StaticTokenProvider::new("t")))
        .build()
        .unwrap();
    let host = server.address().to_string();
    for e in [
        sink.send(&[full()]).await.unwrap_err(),
        sink.health().await.unwrap_err(),
    ] {
        assert_eq!(e.endpoint(), Some(host.as_str()));
        assert!(e.to_string().contains(&host), "{e}");
        assert!(!e.to_string().contains("api-version"), "{e}");
    }
}

#[tokio::test]
async fn health_posts_an_empty_array() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let sink = builder(&server, Arc::new(StaticTokenProvider::new("t")))
        .gzip(false)
        .build()
        .unwrap();
    sink.health().await.unwrap();
    assert_eq!(server.received_requests().await.unwrap()[0].body, b"[]");
}

#[test]
fn builder_validates() {
    let t = || Arc::new(StaticTokenProvider::new("t"));
    let tenant = || TenantId::new("a.com").unwrap();
    assert!(
        SentinelSink::builder("https://x", "dcr/../x", STREAM, t(), tenant())
            .build()
            .is_err()
    );
    assert!(
        SentinelSink::builder("https://x", DCR, "", t(), tenant())
            .build()
            .is_err()
    );
    assert!(
        SentinelSink::builder("https://x?sig=1", DCR, STREAM, t(), tenant())
            .build()
            .is_err()
    );
    let sink = SentinelSink::builder(
        "https://x.ingest.monitor.azure.com",
        DCR,
        STREAM,
        t(),
        tenant(),
    )
    .build()
    .unwrap();
    assert_eq!(
        sink.url().as_str(),
        "https://x.ingest.monitor.azure.com/dataCollectionRules/dcr-000a00a000a00000a000000aa000a0aa/streams/Custom-DefenderAlerts_CL?api-version=2023-01-01"
    );
}

#[test]
fn shipped_table_and_dcr_match_the_rows() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sentinel");
    let table: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("table.json")).unwrap()).unwrap();
    let dcr: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("dcr.json")).unwrap()).unwrap();
    let columns = |v: &serde_json::Value| -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["type"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let table_cols = columns(&table["properties"]["schema"]["columns"]);
    let stream_cols =
        columns(&dcr["properties"]["streamDeclarations"]["Custom-DefenderAlerts_CL"]["columns"]);
    assert_eq!(table_cols, stream_cols);
    let mut row = Vec::new();
    let full = sink_support::record(&sink_support::FULL.replace(
        r#""comments":[]"#,
        r#""resolvedTime":"2021-01-27T00:00:00Z","comments":[]"#,
    ));
    defender_siem::format::SentinelRow::default().encode(&full, chrono::Utc::now(), &mut row);
    let row: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&row).unwrap();
    let names: Vec<&String> = row.keys().collect();
    let mut declared: Vec<&String> = table_cols.iter().map(|(n, _)| n).collect();
    declared.sort();
    assert_eq!(names, declared, "row columns and table columns differ");
    for (name, kind) in &table_cols {
        let v = &row[name];
        let ok = match kind.as_str() {
            "string" | "datetime" => v.is_string(),
            "long" => v.is_i64(),
            "dynamic" => v.is_object() || v.is_array(),
            _ => false,
        };
        assert!(ok, "{name} is {kind} but the row has {v}");
    }
}
