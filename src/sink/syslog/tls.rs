//! The rustls client configuration of the TLS transport.

use std::sync::Arc;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::config::SyslogBuilder;
use crate::error::Error;

fn config_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("syslog TLS: {what}: {e}"))
}

/// Builds the client configuration from the sink settings.
pub(crate) fn client_config(b: &SyslogBuilder) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error("no protocol version", e))?;
    let builder = if b.accept_invalid_certs {
        tracing::warn!(
            sink = "syslog",
            "TLS certificate verification is OFF (danger_accept_invalid_certs): \
             anyone on the network path can read and change the alerts"
        );
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &b.extra_ca_pem {
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| config_error("the extra CA is not PEM", e))?;
                roots
                    .add(cert)
                    .map_err(|e| config_error("the extra CA was refused", e))?;
                added += 1;
            }
            if added == 0 {
                return Err(config_error("the extra CA", "no certificate in it"));
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match &b.client_cert {
        Some((chain, key)) => {
            let chain = CertificateDer::pem_slice_iter(chain)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| config_error("the client certificate is not PEM", e))?;
            let key = PrivateKeyDer::from_pem_slice(key.expose().as_bytes()).map_err(|_| {
                Error::Config("syslog TLS: the client key is not a PEM private key".into())
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| config_error("the client certificate was refused", e))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The server name to verify, from the sink settings.
pub(crate) fn server_name(name: &str) -> Result<ServerName<'static>, Error> {
    ServerName::try_from(name.to_owned()).map_err(|_| {
        Error::Config(format!(
            "syslog TLS: `{name}` is not a DNS name or IP address"
        ))
    })
}

/// Accepts every certificate (`danger_accept_invalid_certs`).
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, tokio_rustls::rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
