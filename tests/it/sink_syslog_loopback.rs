//! The syslog sink against loopback UDP and TCP listeners: framing,
//! truncation, reconnects without loss or duplicates.
#![cfg(feature = "syslog")]

use crate::sink_support;

use std::time::Duration;

use defender_siem::format::TRUNCATION_MARKER;
use defender_siem::retry::RetryPolicy;
use defender_siem::sink::syslog::{Framing, SyslogSink};
use defender_siem::sink::{AlertSink, deliver};
use sink_support::{full, hostile, record};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
}

/// Splits an octet-counted stream into messages.
fn octet_frames(mut buf: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let sp = buf.iter().position(|b| *b == b' ').unwrap();
        let len: usize = std::str::from_utf8(&buf[..sp]).unwrap().parse().unwrap();
        out.push(buf[sp + 1..sp + 1 + len].to_vec());
        buf = &buf[sp + 1 + len..];
    }
    out
}

#[tokio::test]
async fn udp_sends_one_datagram_per_message_and_marks_truncation() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sink = SyslogSink::udp(&server.local_addr().unwrap().to_string())
        .build()
        .unwrap();
    sink.send(&[full(), hostile(), record(r#"{"id":"c"}"#)])
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    for _ in 0..3 {
        let n = tokio::time::timeout(Duration::from_secs(5), server.recv(&mut buf))
            .await
            .unwrap()
            .unwrap();
        got.push(buf[..n].to_vec());
    }
    assert!(got[0].len() <= 2048 && got[0].ends_with(sink_support::FULL.as_bytes()));
    assert_eq!(got[1].len(), 2048);
    assert!(got[1].ends_with(TRUNCATION_MARKER.as_bytes()));
    assert!(
        String::from_utf8(got[1].clone())
            .unwrap()
            .contains(" truncated=\"")
    );
    assert!(got[2].ends_with(br#"{"id":"c"}"#));
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.truncated), (3, 1));
}

#[tokio::test]
async fn tcp_frames_octet_counted_or_lf() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let reader = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap();
        all
    });
    let sink = SyslogSink::tcp(&addr).build().unwrap();
    let batch = [full(), hostile()];
    sink.send(&batch).await.unwrap();
    sink.close().await;
    let frames = octet_frames(&reader.await.unwrap());
    assert_eq!(frames.len(), 2);
    assert!(
        frames[1].len() > 200 * 1024,
        "TCP has no size limit by default"
    );
    assert!(frames.iter().all(|f| !f.contains(&b'\n')));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let reader = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap();
        all
    });
    let sink = SyslogSink::tcp(&addr)
        .framing(Framing::LineFeed)
        .build()
        .unwrap();
    sink.send(&batch).await.unwrap();
    sink.close().await;
    let text = reader.await.unwrap();
    assert_eq!(text.iter().filter(|b| **b == b'\n').count(), 2);
    assert!(text.ends_with(b"\n"));
}

#[tokio::test]
async fn reconnects_after_the_receiver_closes_without_loss_or_duplicates() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // The receiver reads the first connection until the first batch is in,
    // closes it, and then reads everything from the second connection.
    let reader = tokio::spawn(async move {
        let mut all = Vec::new();
        let (mut first, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 1 << 16];
        while octet_frames_complete(&all) < 3 {
            let n = first.read(&mut buf).await.unwrap();
            all.extend_from_slice(&buf[..n]);
        }
        drop(first);
        let (mut second, _) = listener.accept().await.unwrap();
        second.read_to_end(&mut all).await.unwrap();
        all
    });
    let sink = SyslogSink::tcp(&addr).build().unwrap();
    let ids = |r: std::ops::Range<usize>| {
        r.map(|i| record(&format!(r#"{{"id":"m{i}"}}"#)))
            .collect::<Vec<_>>()
    };
    sink.send(&ids(0..3)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    sink.send(&ids(3..6)).await.unwrap();
    sink.close().await;
    let frames = octet_frames(&reader.await.unwrap());
    let got: Vec<String> = frames
        .iter()
        .map(|f| {
            let text = String::from_utf8(f.clone()).unwrap();
            text[text.find("{\"id\":\"").unwrap() + 7..]
                .trim_end_matches("\"}")
                .to_owned()
        })
        .collect();
    assert_eq!(got, ["m0", "m1", "m2", "m3", "m4", "m5"]);
    assert_eq!(sink.stats().connects, 2);
    assert_eq!(sink.stats().sent, 6);
}

fn octet_frames_complete(buf: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = buf;
    while let Some(sp) = rest.iter().position(|b| *b == b' ') {
        let Ok(len) = std::str::from_utf8(&rest[..sp]).unwrap().parse::<usize>() else {
            break;
        };
        if rest.len() < sp + 1 + len {
            break;
        }
        rest = &rest[sp + 1 + len..];
        n += 1;
    }
    n
}

#[tokio::test]
async fn a_down_receiver_gives_a_retryable_error() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let sink = SyslogSink::tcp(&addr).build().unwrap();
    let e = sink.send(&[full()]).await.unwrap_err();
    assert!(e.is_retryable());
    assert_eq!((e.endpoint(), e.accepted()), (Some(addr.as_str()), 0));
    assert!(e.to_string().contains(&addr), "{e}");
    let e = sink.health().await.unwrap_err();
    assert_eq!(e.endpoint(), Some(addr.as_str()));
    // The caller's retries: one connect per attempt.
    let e = deliver(&sink, &[full()], &fast().max_attempts(2))
        .await
        .unwrap_err();
    assert!(e.is_retryable() && e.endpoint() == Some(addr.as_str()));
    assert!(
        SyslogSink::udp("127.0.0.1:514")
            .max_message_bytes(Some(100))
            .build()
            .is_err()
    );
}

/// The alert ids of octet-counted frames.
fn frame_ids(frames: &[Vec<u8>]) -> Vec<String> {
    frames
        .iter()
        .map(|f| {
            let text = String::from_utf8_lossy(f);
            let at = text.find("{\"id\":\"").unwrap() + 7;
            text[at..at + text[at..].find('"').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_connection_lost_mid_batch_reports_the_frames_written_and_the_rest_follows_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (resume_tx, resume_rx) = tokio::sync::oneshot::channel::<()>();
    // The receiver reads a few messages, then stops reading (the sink's
    // write times out and it drops the connection), then reads what the
    // first connection carried and everything of the second.
    let reader = tokio::spawn(async move {
        let (mut first, _) = listener.accept().await.unwrap();
        let mut one = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        while octet_frames_complete(&one) < 3 {
            let n = first.read(&mut buf).await.unwrap();
            one.extend_from_slice(&buf[..n]);
        }
        resume_rx.await.unwrap();
        first.read_to_end(&mut one).await.unwrap();
        let (mut second, _) = listener.accept().await.unwrap();
        let mut two = Vec::new();
        second.read_to_end(&mut two).await.unwrap();
        (one, two)
    });
    let sink = SyslogSink::tcp(&addr)
        .write_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // ~24 MB: more than the loopback socket buffers hold.
    let batch: Vec<_> = (0..400)
        .map(|i| {
            record(&format!(
                r#"{{"id":"m{i}","description":"{}"}}"#,
                "d".repeat(60_000)
            ))
        })
        .collect();
    let e = sink.send(&batch).await.unwrap_err();
    assert!(e.is_retryable(), "{e}");
    assert_eq!(e.endpoint(), Some(addr.as_str()));
    let accepted = e.accepted();
    assert!(accepted >= 3 && accepted < batch.len(), "{accepted}");
    resume_tx.send(()).unwrap();
    // The caller sends only the rest; the sink reconnects.
    sink.send(&batch[accepted..]).await.unwrap();
    sink.close().await;
    let (one, two) = reader.await.unwrap();
    // The first connection carried exactly the accepted messages whole
    // (and the start of the one cut off, which the receiver drops).
    let whole = octet_frames_complete(&one);
    assert_eq!(whole, accepted);
    let mut cut = one.clone();
    let mut rest: &[u8] = &one;
    for _ in 0..whole {
        let sp = rest.iter().position(|b| *b == b' ').unwrap();
        let len: usize = std::str::from_utf8(&rest[..sp]).unwrap().parse().unwrap();
        rest = &rest[sp + 1 + len..];
    }
    cut.truncate(one.len() - rest.len());
    let mut got = frame_ids(&octet_frames(&cut));
    got.extend(frame_ids(&octet_frames(&two)));
    let expected: Vec<String> = (0..400).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected, "each message exactly once");
    assert_eq!(sink.stats().connects, 2);
}
