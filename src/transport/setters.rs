//! The HTTP setters of every builder that holds an `http: HttpSettings`
//! field (the Defender client, the Splunk HEC and Sentinel sinks), written
//! once: each is a forward onto [`HttpSettings`](super::HttpSettings).

/// Expands, inside an `impl` block of a builder with a field
/// `http: HttpSettings`, to its `timeout`, `connect_timeout`,
/// `extra_ca_pem`, `danger_accept_invalid_certs`, `proxy` and `http`
/// setters. `$what` names the builder's traffic in the docs; `$default`
/// names the `HttpSettings` constructor its settings start from.
macro_rules! http_setters {
    ($what:literal, $default:literal) => {
        #[doc = concat!("Time allowed for one request of ", $what, ", body included. Default: that of [`HttpSettings::", $default, "`]. A forward onto [`HttpSettings::timeout`].")]
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.http = self.http.timeout(timeout);
            self
        }

        /// Time allowed to connect. Default 10 s. A forward onto
        /// [`HttpSettings::connect_timeout`].
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.http = self.http.connect_timeout(timeout);
            self
        }

        /// Trusts the CA certificates of this PEM bundle besides the
        /// built-in roots (a private CA, a TLS-inspecting proxy). Each call
        /// adds one; checked when the client is built. A forward onto
        /// [`HttpSettings::add_root_certificate_pem`].
        pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.http = self.http.add_root_certificate_pem(pem);
            self
        }

        #[doc = concat!("**Turns TLS certificate verification off**: anyone on the path can then read and change ", $what, " and the credential it carries. Lab use only; logs a warning when the client is built. Default off. A forward onto [`HttpSettings::danger_accept_invalid_certs`].")]
        pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
            self.http = self.http.danger_accept_invalid_certs(accept);
            self
        }

        #[doc = concat!("Sends ", $what, " through this HTTP(S) proxy. Default: none, and `HTTPS_PROXY` and the like are ignored (for them, pass [`Proxy::Environment`](crate::transport::Proxy::Environment) to [`HttpSettings::proxy_mode`] and the settings to `http`). A forward onto [`HttpSettings::proxy`].")]
        pub fn proxy(mut self, proxy: url::Url) -> Self {
            self.http = self.http.proxy(proxy);
            self
        }

        #[doc = concat!("All HTTP settings of ", $what, " at once (timeouts, proxy, extra CAs, TLS checking), replacing those set before; the setters above change single ones. Default [`HttpSettings::", $default, "`].")]
        pub fn http(mut self, http: HttpSettings) -> Self {
            self.http = http;
            self
        }
    };
}

pub(crate) use http_setters;
