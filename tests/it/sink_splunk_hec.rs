//! The Splunk HEC sink against wiremock: exact requests, batching, gzip,
//! retries, 413 splits, refused events and indexer acknowledgement.
#![cfg(feature = "splunk")]

use crate::sink_support;

use std::io::Read;
use std::time::Duration;

use defender_siem::format::HecEnvelope;
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::splunk_hec::{IndexerAck, InvalidEvents, SplunkHecSink};
use defender_siem::sink::{AlertRecord, AlertSink, SinkErrorKind, deliver};
use serde_json::json;
use sink_support::{full, record};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "61876693-4758-4f45-bca7-c910ccc746eb";

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"text":"Success","code":0}))
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
}

fn records(n: usize) -> Vec<AlertRecord> {
    (0..n)
        .map(|i| record(&format!(r#"{{"id":"a{i}","lastUpdateTime":"2024-01-01T00:00:0{}.5Z","computerDnsName":"pc{i}"}}"#, i % 10)))
        .collect()
}

fn envelopes(records: &[AlertRecord]) -> Vec<u8> {
    let env = HecEnvelope::default();
    let mut out = Vec::new();
    for r in records {
        env.encode(r, &mut out);
    }
    out
}

async fn events(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/services/collector/event")
        .collect()
}

#[tokio::test]
async fn posts_concatenated_envelopes_with_token_and_channel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/collector/event"))
        .and(header("authorization", format!("Splunk {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    let batch = [full(), record(r#"{"id":"b"}"#)];
    sink.send(&batch).await.unwrap();
    let req = &events(&server).await[0];
    assert_eq!(req.body, envelopes(&batch));
    assert!(String::from_utf8_lossy(&req.body).contains(r#"{"time":1611693239.2,"host":"temp123.middleeast.corp.microsoft.com","source":"defender-siem","sourcetype":"ms:defender:atp:alerts","fields":{"tenantId":"#));
    let channel = req
        .headers
        .get("x-splunk-request-channel")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(channel, sink.channel());
    assert!(uuid::Uuid::parse_str(channel).is_ok());
    assert!(!format!("{sink:?}").contains(TOKEN));
}

#[tokio::test]
async fn batches_stay_under_the_byte_and_event_limits() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    // Records of ~50 KB each: 1,000,000-byte bodies hold 19 of them.
    let big: Vec<AlertRecord> = (0..45)
        .map(|i| {
            record(&format!(
                r#"{{"id":"b{i}","description":"{}"}}"#,
                "x".repeat(50_000)
            ))
        })
        .collect();
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    sink.send(&big).await.unwrap();
    let reqs = events(&server).await;
    let sizes: Vec<usize> = reqs.iter().map(|r| r.body.len()).collect();
    assert!(sizes.iter().all(|s| *s <= 1_000_000), "{sizes:?}");
    let one = envelopes(&big[..1]).len();
    assert!(sizes[0] + one > 1_000_000, "{sizes:?}");
    let joined: Vec<u8> = reqs.iter().flat_map(|r| r.body.clone()).collect();
    assert_eq!(joined, envelopes(&big));

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .max_batch_events(2)
        .build()
        .unwrap();
    let batch = records(5);
    sink.send(&batch).await.unwrap();
    let bodies: Vec<Vec<u8>> = events(&server).await.into_iter().map(|r| r.body).collect();
    assert_eq!(
        bodies,
        [
            envelopes(&batch[0..2]),
            envelopes(&batch[2..4]),
            envelopes(&batch[4..5])
        ]
    );
}

#[tokio::test]
async fn gzip_bodies_decompress_to_the_envelopes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("content-encoding", "gzip"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .gzip(true)
        .build()
        .unwrap();
    let batch = records(3);
    sink.send(&batch).await.unwrap();
    let body = &events(&server).await[0].body;
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, envelopes(&batch));
}

#[tokio::test]
async fn busy_server_is_retried_honouring_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0.05")
                .set_body_json(json!({"text":"Server is busy","code":9})),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    // The sink makes one attempt and hands the status and Retry-After up.
    let e = sink.send(&records(2)).await.unwrap_err();
    assert_eq!(
        (e.status(), e.code(), e.retry_after(), e.accepted()),
        (Some(503), Some(9), Some(Duration::from_millis(50)), 0)
    );
    assert!(e.is_retryable());
    assert_eq!(events(&server).await.len(), 1);
    // The caller retries, honouring Retry-After: delivered once.
    let started = std::time::Instant::now();
    deliver(&sink, &records(2), &fast()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(events(&server).await.len(), 3);
}

/// Every POST answered 403 "Invalid token" (code 4).
async fn refuse_the_token(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"text":"Invalid token","code":4})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn permanent_errors_name_code_and_fix_but_never_the_token() {
    let server = MockServer::start().await;
    refuse_the_token(&server).await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    let e = deliver(&sink, &records(1), &fast()).await.unwrap_err();
    assert!(!e.is_retryable());
    assert_eq!(
        (e.status(), e.code(), e.kind()),
        (Some(403), Some(4), SinkErrorKind::Rejected)
    );
    assert!(
        e.to_string().contains("Invalid token; check the HEC token"),
        "{e}"
    );
    assert!(!e.to_string().contains(TOKEN) && !format!("{e:?}").contains(TOKEN));
    assert_eq!(events(&server).await.len(), 1);
    // The caller's retries give up after the policy's attempts.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"text":"Internal server error","code":8})),
        )
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    let e = deliver(&sink, &records(1), &fast().max_attempts(3))
        .await
        .unwrap_err();
    assert!(e.is_retryable());
    assert_eq!(events(&server).await.len(), 3);
}

#[tokio::test]
async fn too_large_splits_the_batch() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(|req: &Request| {
            if req.body.len() > envelopes(&records(2)).len() {
                ResponseTemplate::new(413)
            } else {
                ok()
            }
        })
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    let batch = records(4);
    sink.send(&batch).await.unwrap();
    let bodies: Vec<Vec<u8>> = events(&server).await.into_iter().map(|r| r.body).collect();
    assert_eq!(
        bodies,
        [
            envelopes(&batch),
            envelopes(&batch[0..2]),
            envelopes(&batch[2..4])
        ]
    );
}

#[tokio::test]
async fn a_refused_event_is_set_aside_and_the_rest_delivered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"text":"Invalid data format","code":6,"invalid-event-number":1}),
            ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let batch = records(4);
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    sink.send(&batch).await.unwrap();
    let bodies: Vec<Vec<u8>> = events(&server).await.into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, [envelopes(&batch), envelopes(&batch[2..4])]);
    let aside = sink.take_set_aside();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].record.alert_id(), "a1");
    let reason = &aside[0].reason;
    assert!(
        reason.contains("Invalid data format") && reason.ends_with("(code 6)"),
        "{reason}"
    );
    assert_eq!(sink.set_aside_count(), 1);

    // With `Fail`, the batch fails for good at the refused event: the
    // events before it are accepted, nothing after it is posted.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"text":"Event field is required","code":12,"invalid-event-number":1}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .invalid_events(InvalidEvents::Fail)
        .max_batch_events(2)
        .build()
        .unwrap();
    let e = sink.send(&batch).await.unwrap_err();
    assert!(!e.is_retryable());
    assert_eq!(
        (e.accepted(), e.status(), e.code()),
        (1, Some(400), Some(12))
    );
    assert!(e.to_string().contains("alert a1 was refused"), "{e}");
    assert_eq!(events(&server).await.len(), 1);
    assert_eq!(sink.set_aside_count(), 0);
}

/// A stream of alerts Splunk refuses cannot grow the set-aside list
/// without bound: the newest `keep_set_aside` are kept, the oldest dropped
/// and counted, and the total still counts every one.
#[tokio::test]
async fn set_aside_records_are_capped_oldest_dropped() {
    let server = MockServer::start().await;
    // Every request's first event is refused: each alert is set aside.
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"text":"Invalid data format","code":6,"invalid-event-number":0}),
            ),
        )
        .mount(&server)
        .await;
    let batch = records(7);
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .keep_set_aside(3)
        .build()
        .unwrap();
    sink.send(&batch).await.unwrap();
    assert_eq!(sink.set_aside_count(), 7);
    assert_eq!(sink.set_aside_dropped(), 4);
    let kept: Vec<String> = sink
        .take_set_aside()
        .iter()
        .map(|a| a.record.alert_id().to_owned())
        .collect();
    assert_eq!(kept, ["a4", "a5", "a6"]);

    // After a take there is room again; 0 keeps none but counts all.
    sink.send(&batch[..2]).await.unwrap();
    assert_eq!(sink.take_set_aside().len(), 2);
    let none = SplunkHecSink::builder(&server.uri(), TOKEN)
        .keep_set_aside(0)
        .build()
        .unwrap();
    none.send(&batch[..2]).await.unwrap();
    assert_eq!((none.set_aside_count(), none.set_aside_dropped()), (2, 2));
    assert!(none.take_set_aside().is_empty());
}

#[tokio::test]
async fn indexer_ack_is_polled_until_true() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/collector/event"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"text":"Success","code":0,"ackId":7})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/services/collector/ack"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"acks":{"7":false}})))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/services/collector/ack"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"acks":{"7":true}})))
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .indexer_ack(IndexerAck::default().poll_interval(Duration::from_millis(10)))
        .build()
        .unwrap();
    sink.send(&records(2)).await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    let acks: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.url.path() == "/services/collector/ack")
        .collect();
    assert_eq!(acks.len(), 3);
    assert_eq!(acks[0].body, br#"{"acks":[7]}"#);
    let channel = sink.channel();
    assert!(
        acks.iter()
            .all(|r| r.headers.get("x-splunk-request-channel").unwrap() == channel)
    );
}

#[tokio::test]
async fn an_ack_timeout_is_unconfirmed_from_the_first_unacknowledged_request() {
    let server = MockServer::start().await;
    let next_id = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1));
    let ids = next_id.clone();
    Mock::given(method("POST"))
        .and(path("/services/collector/event"))
        .respond_with(move |_: &Request| {
            let id = ids.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(json!({"text":"Success","code":0,"ackId":id}))
        })
        .mount(&server)
        .await;
    // Ack 2 never turns true; 1 and 3 do.
    Mock::given(method("POST"))
        .and(path("/services/collector/ack"))
        .respond_with(|req: &Request| {
            let asked: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            let acks: serde_json::Map<String, serde_json::Value> = asked["acks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| (id.to_string(), json!(id.as_u64() != Some(2))))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({ "acks": acks }))
        })
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .max_batch_events(2)
        .indexer_ack(
            IndexerAck::default()
                .poll_interval(Duration::from_millis(10))
                .timeout(Duration::from_millis(60)),
        )
        .build()
        .unwrap();
    let batch = records(6);
    let e = sink.send(&batch).await.unwrap_err();
    assert_eq!(e.kind(), SinkErrorKind::Unconfirmed);
    assert!(e.is_retryable());
    // Requests [0..2] (ack 1), [2..4] (ack 2), [4..6] (ack 3): only the
    // first is claimed, though the third was acknowledged too.
    assert_eq!(e.accepted(), 2);
    assert_eq!(
        events(&server).await.len(),
        3,
        "nothing is re-sent by the sink"
    );
    let host = server.address().to_string();
    assert_eq!(e.endpoint(), Some(host.as_str()));
}

/// A receiver that fails the `nth` event POST (0-based) with 503, once or
/// for good, and counts the POSTs.
async fn failing_nth(
    nth: usize,
    forever: bool,
) -> (MockServer, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let server = MockServer::start().await;
    let posts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = posts.clone();
    Mock::given(method("POST"))
        .and(path("/services/collector/event"))
        .respond_with(move |_: &Request| {
            let i = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if i == nth || (forever && i > nth) {
                ResponseTemplate::new(503).set_body_json(json!({"text":"Server is busy","code":9}))
            } else {
                ok()
            }
        })
        .mount(&server)
        .await;
    (server, posts)
}

/// The events of the 2xx requests, in order, by alert id.
async fn delivered_ids(server: &MockServer, failed: &[usize]) -> Vec<String> {
    events(server)
        .await
        .iter()
        .enumerate()
        .filter(|(i, _)| !failed.contains(i))
        .flat_map(|(_, r)| {
            serde_json::Deserializer::from_slice(&r.body)
                .into_iter::<serde_json::Value>()
                .map(|v| v.unwrap()["event"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn a_failed_third_request_of_four_is_the_only_one_sent_again() {
    let batch = records(8);
    let all: Vec<String> = (0..8).map(|i| format!("a{i}")).collect();
    // One send: the first two requests (4 records) are accepted.
    let (server, posts) = failing_nth(2, false).await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .max_batch_events(2)
        .build()
        .unwrap();
    let e = sink.send(&batch).await.unwrap_err();
    assert_eq!(
        (e.accepted(), e.status(), e.is_retryable()),
        (4, Some(503), true)
    );
    assert_eq!(posts.load(std::sync::atomic::Ordering::SeqCst), 3);

    // Through the caller: every record reaches Splunk exactly once, 5 POSTs.
    let (server, posts) = failing_nth(2, false).await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .max_batch_events(2)
        .build()
        .unwrap();
    deliver(&sink, &batch, &fast()).await.unwrap();
    assert_eq!(posts.load(std::sync::atomic::Ordering::SeqCst), 5);
    assert_eq!(delivered_ids(&server, &[2]).await, all);
}

#[tokio::test]
async fn a_request_failing_for_good_is_posted_max_attempts_times() {
    let batch = records(8);
    let (server, posts) = failing_nth(2, true).await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .max_batch_events(2)
        .build()
        .unwrap();
    let policy = fast().max_attempts(6);
    let e = deliver(&sink, &batch, &policy).await.unwrap_err();
    assert_eq!(e.accepted(), 4);
    // 2 accepted requests + 6 attempts of the failing one (before the
    // sink stopped retrying, the nesting made it 6 × 6 = 36).
    assert_eq!(posts.load(std::sync::atomic::Ordering::SeqCst), 2 + 6);
    assert_eq!(
        delivered_ids(&server, &[2, 3, 4, 5, 6, 7]).await,
        batch_ids(4)
    );
}

fn batch_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("a{i}")).collect()
}

#[tokio::test]
async fn every_error_names_the_host_and_never_the_token() {
    let server = MockServer::start().await;
    refuse_the_token(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"code":18})))
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    let host = server.address().to_string();
    // A port nothing listens on: a connection error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_at = closed.local_addr().unwrap().to_string();
    drop(closed);
    let refused = SplunkHecSink::builder(&format!("http://{closed_at}"), TOKEN)
        .build()
        .unwrap();
    for (e, at) in [
        (sink.send(&records(1)).await.unwrap_err(), &host),
        (sink.health().await.unwrap_err(), &host),
        (refused.send(&records(1)).await.unwrap_err(), &closed_at),
        (refused.health().await.unwrap_err(), &closed_at),
    ] {
        assert_eq!(e.endpoint(), Some(at.as_str()), "{e}");
        assert!(e.to_string().contains(at.as_str()), "{e}");
        assert!(!e.to_string().contains(TOKEN) && !format!("{e:?}").contains(TOKEN));
    }
}

#[tokio::test]
async fn health_check() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/services/collector/health"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"text":"HEC is healthy","code":17})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/collector/health"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"text":"HEC is unhealthy, queues are full","code":18})),
        )
        .mount(&server)
        .await;
    let sink = SplunkHecSink::builder(&server.uri(), TOKEN)
        .build()
        .unwrap();
    sink.health().await.unwrap();
    let e = sink.health().await.unwrap_err();
    assert!(e.is_retryable() && e.code() == Some(18), "{e}");
}

#[test]
fn builder_validates() {
    assert!(
        SplunkHecSink::builder("https://s:8088", "")
            .build()
            .is_err()
    );
    assert!(
        SplunkHecSink::builder("https://s:8088/?token=x", TOKEN)
            .build()
            .is_err()
    );
    assert!(
        SplunkHecSink::builder("https://user:pw@s:8088", TOKEN)
            .build()
            .is_err()
    );
    assert!(SplunkHecSink::builder("ftp://s", TOKEN).build().is_err());
    assert!(
        SplunkHecSink::builder("https://s:8088", TOKEN)
            .extra_ca_pem("nope")
            .build()
            .is_err()
    );
    let b = SplunkHecSink::builder("https://s:8088", TOKEN);
    assert!(!format!("{b:?}").contains(TOKEN));
}
