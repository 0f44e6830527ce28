//! The HTTP(S) server: one accept loop, hyper connections (HTTP/1.1 and
//! HTTP/2), optional TLS, and a shutdown signal that ends everything.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::state::State;
use super::{api, entra, graph, introspect};

/// All routes.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(graph::routes())
        .merge(introspect::routes())
        .merge(entra::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(uri: Uri) -> Response {
    let body = json!({"error": {"code": "NotFound", "message": format!("No route matches {}", uri.path())}});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait a little.
                tracing::warn!(error = %e, "simulator accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let tls = tls.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let connection = async move {
                let builder = Builder::new(TokioExecutor::new());
                let result = match tls {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(stream) => {
                            builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "simulator TLS handshake failed");
                            return;
                        }
                    },
                    None => {
                        builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                    }
                };
                if let Err(e) = result {
                    tracing::debug!(error = %e, "simulator connection ended with an error");
                }
            };
            tokio::select! {
                _ = connection => {}
                _ = stop.changed() => {}
            }
        });
    }
    tracing::debug!("simulator stopped accepting connections");
}
