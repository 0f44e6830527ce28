//! Deterministic fault injection.
//!
//! Whether a request is faulted, and how, is a pure function of the seed,
//! the tenant and the request's number within that tenant, so the same
//! sequence of requests meets the same faults on every run.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::rng::Rng;

/// A kind of failure the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// API answers 500 `InternalServerError` (retryable).
    InternalServerError,
    /// API answers 503 `ServiceUnavailable` (retryable).
    ServiceUnavailable,
    /// API sends the status line, headers and half the body, then drops the
    /// connection.
    ConnectionReset,
    /// API answers correctly, but only after the configured delay
    /// ([`SimulatorBuilder::slow_response_delay`](super::SimulatorBuilder::slow_response_delay)).
    SlowResponse,
    /// API answers 200 with a complete HTTP message whose JSON body is cut
    /// in half.
    TruncatedBody,
    /// One alert of a non-empty list page is malformed: a bad timestamp or a
    /// member of the wrong type. The rest of the page is intact.
    MalformedAlert,
    /// A token endpoint answers 503 `temporarily_unavailable` (AADSTS90033).
    TokenEndpointFailure,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FaultKind; 7] = [
        FaultKind::InternalServerError,
        FaultKind::ServiceUnavailable,
        FaultKind::ConnectionReset,
        FaultKind::SlowResponse,
        FaultKind::TruncatedBody,
        FaultKind::MalformedAlert,
        FaultKind::TokenEndpointFailure,
    ];

    /// The snake-case name used in `/_sim/stats`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::InternalServerError => "internal_server_error",
            FaultKind::ServiceUnavailable => "service_unavailable",
            FaultKind::ConnectionReset => "connection_reset",
            FaultKind::SlowResponse => "slow_response",
            FaultKind::TruncatedBody => "truncated_body",
            FaultKind::MalformedAlert => "malformed_alert",
            FaultKind::TokenEndpointFailure => "token_endpoint_failure",
        }
    }

    pub(crate) fn slot(self) -> usize {
        FaultKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// The rate of each fault kind.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultRates {
    rates: [f64; 7],
}

fn clamp(rate: f64) -> f64 {
    if rate.is_finite() {
        rate.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

impl FaultRates {
    /// Sets one kind's rate.
    pub(crate) fn set(&mut self, kind: FaultKind, rate: f64) {
        self.rates[kind.slot()] = clamp(rate);
    }

    /// Faults `rate` of all API calls, spread evenly over the six API kinds,
    /// and `rate` of token requests.
    pub(crate) fn set_all(&mut self, rate: f64) {
        let rate = clamp(rate);
        for kind in FaultKind::ALL {
            let share = if kind == FaultKind::TokenEndpointFailure {
                rate
            } else {
                rate / 6.0
            };
            self.set(kind, share);
        }
    }

    /// The fault for API request number `n` of `tenant`, if any.
    pub(crate) fn pick_api(&self, seed: u64, tenant: usize, n: u64) -> Option<FaultKind> {
        let roll = Rng::new(&[seed, tenant as u64, n, 0xfa17]).unit();
        let mut edge = 0.0;
        for kind in FaultKind::ALL {
            if kind == FaultKind::TokenEndpointFailure {
                continue;
            }
            edge += self.rates[kind.slot()];
            if roll < edge {
                return Some(kind);
            }
        }
        None
    }

    /// Whether token request number `n` of `tenant` fails.
    pub(crate) fn token_fails(&self, seed: u64, tenant: usize, n: u64) -> bool {
        let roll = Rng::new(&[seed, tenant as u64, n, 0x70c3]).unit();
        roll < self.rates[FaultKind::TokenEndpointFailure.slot()]
    }
}

/// Delivers `body` (a JSON document with status 200) damaged the way
/// `fault` says; `SlowResponse` waits `delay` first.
pub(crate) async fn deliver(fault: Option<FaultKind>, delay: Duration, body: Vec<u8>) -> Response {
    match fault {
        Some(FaultKind::SlowResponse) => {
            tokio::time::sleep(delay).await;
            json_response(body)
        }
        Some(FaultKind::TruncatedBody) => {
            let mut body = body;
            body.truncate(body.len() / 2);
            json_response(body)
        }
        Some(FaultKind::ConnectionReset) => {
            let half = Bytes::from(body[..body.len() / 2].to_vec());
            let length = body.len();
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "simulated connection reset",
                )),
            ];
            let mut response = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            response
        }
        _ => json_response(body),
    }
}

/// The content type the Defender API sends.
pub(crate) const JSON: &str =
    "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8";

/// A 200 JSON response.
pub(crate) fn json_response(body: Vec<u8>) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, JSON)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_pick_deterministically() {
        let mut rates = FaultRates::default();
        assert_eq!(rates.pick_api(1, 0, 0), None);
        rates.set(FaultKind::TruncatedBody, 1.0);
        assert_eq!(rates.pick_api(1, 0, 5), Some(FaultKind::TruncatedBody));
        let mut all = FaultRates::default();
        all.set_all(0.3);
        let hits = (0..10_000)
            .filter(|n| all.pick_api(9, 2, *n).is_some())
            .count();
        assert!((2_500..3_500).contains(&hits), "{hits}");
        let again = (0..10_000)
            .filter(|n| all.pick_api(9, 2, *n).is_some())
            .count();
        assert_eq!(hits, again);
        assert!(!all.token_fails(1, 1, 1) || all.token_fails(1, 1, 1));
    }
}
