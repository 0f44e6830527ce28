//! [`EmailSink`]: matched alerts become e-mails, sent over SMTP.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tracing::{debug, warn};
use url::Url;

use super::render::{Notification, render};
use super::rule::NotificationRule;
use crate::cloud::Cloud;
use crate::secret::Secret;
use crate::sink::{AlertRecord, AlertSink, SinkError, SinkErrorKind};

/// How many sent (alert version, rule) pairs are remembered, so that a batch
/// retried after a partial failure does not mail the same alert twice.
const SENT_MEMORY: usize = 50_000;

/// Sends one e-mail per matched alert per [`NotificationRule`] (feature
/// `email`). It is an [`AlertSink`], so it gets checkpoints and retries like
/// every other sink.
///
/// ```no_run
/// # fn run() -> Result<(), defender_siem::sink::SinkError> {
/// use defender_siem::models::Severity;
/// use defender_siem::sink::email::{EmailSink, NotificationRule};
///
/// let rule = NotificationRule::builder("High to on-call")
///     .severities([Severity::High])
///     .recipient("oncall@mssp.example")
///     .build()
///     .map_err(|e| defender_siem::sink::SinkError::config("notify", e.to_string()))?;
/// let sink = EmailSink::builder("notify", "smtp://smtp.mssp.example:587".parse().unwrap())
///     .from("soc@mssp.example")
///     .credentials("soc", "app-password")
///     .rule(rule)
///     .build()?;
/// # Ok(()) }
/// ```
pub struct EmailSink {
    name: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    rules: Vec<NotificationRule>,
    portal: Url,
    /// `host:port` of the SMTP server, for errors.
    at: String,
    /// The SMTP password, cut out of any server reply put into an error.
    password: Option<Secret>,
    sent: Mutex<SentMemory>,
}

/// Builds an [`EmailSink`]; [`EmailSinkBuilder::build`] checks it.
#[must_use]
pub struct EmailSinkBuilder {
    name: String,
    smtp: Url,
    from: Option<String>,
    credentials: Option<(String, Secret)>,
    rules: Vec<NotificationRule>,
    portal: Url,
    ca_pem: Option<Vec<u8>>,
    timeout: Duration,
}

impl fmt::Debug for EmailSinkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSinkBuilder")
            .field("name", &self.name)
            .field("smtp", &redacted(&self.smtp))
            .field("from", &self.from)
            .field("username", &self.credentials.as_ref().map(|c| &c.0))
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for EmailSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSink")
            .field("name", &self.name)
            .field("from", &self.from.to_string())
            .field(
                "rules",
                &self
                    .rules
                    .iter()
                    .map(NotificationRule::name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The URL without user, password or query, fit for logs.
fn redacted(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or("?"),
        url.port()
            .map_or_else(|| "default".to_owned(), |p| p.to_string())
    )
}

impl EmailSink {
    /// A sink called `name` sending through `smtp`:
    /// `smtp://host:port` (STARTTLS required, port 587 by default),
    /// `smtps://host:port` (TLS from the first byte, port 465), or
    /// `smtp+plain://host:port` (no TLS at all: only for a relay on the same
    /// machine or network; port 25).
    pub fn builder(name: impl Into<String>, smtp: Url) -> EmailSinkBuilder {
        EmailSinkBuilder {
            name: name.into(),
            smtp,
            from: None,
            credentials: None,
            rules: Vec::new(),
            portal: Cloud::Public.portal_base(),
            ca_pem: None,
            timeout: Duration::from_secs(30),
        }
    }
}

impl EmailSinkBuilder {
    /// The sender address (required).
    pub fn from(mut self, address: impl Into<String>) -> Self {
        self.from = Some(address.into());
        self
    }

    /// SMTP login. Default: none.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials = Some((username.into(), password.into()));
        self
    }

    /// Adds a rule (at least one is required).
    pub fn rule(mut self, rule: NotificationRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds rules.
    pub fn rules(mut self, rules: impl IntoIterator<Item = NotificationRule>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// The portal the links point to. Default: the public cloud's.
    pub fn portal(mut self, portal: Url) -> Self {
        self.portal = portal;
        self
    }

    /// An extra CA (PEM) to trust for the SMTP server's certificate.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Timeout of one SMTP conversation. Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Checks the settings and builds the sink. TLS certificates are
    /// always verified on `smtp://` and `smtps://`.
    pub fn build(self) -> Result<EmailSink, SinkError> {
        let name = self.name;
        let bad = |message: String| SinkError::config(&name, message);
        let host = self
            .smtp
            .host_str()
            .ok_or_else(|| bad(format!("`{}` has no host", redacted(&self.smtp))))?
            .to_owned();
        let from: Mailbox = self
            .from
            .as_deref()
            .ok_or_else(|| bad("a sender address (`from`) is required".into()))?
            .parse()
            .map_err(|e| bad(format!("`from` is not an address: {e}")))?;
        if self.rules.is_empty() {
            return Err(bad("at least one notification rule is required".into()));
        }
        let tls = || -> Result<TlsParameters, SinkError> {
            let mut params = TlsParameters::builder(host.clone());
            if let Some(pem) = &self.ca_pem {
                let cert = Certificate::from_pem(pem).map_err(|e| bad(format!("ca_cert: {e}")))?;
                params = params.add_root_certificate(cert);
            }
            params
                .build_rustls()
                .map_err(|e| bad(format!("TLS settings: {e}")))
        };
        let mut builder = match self.smtp.scheme() {
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                .port(self.smtp.port().unwrap_or(587))
                .tls(Tls::Required(tls()?)),
            "smtps" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                .port(self.smtp.port().unwrap_or(465))
                .tls(Tls::Wrapper(tls()?)),
            "smtp+plain" => {
                if self.credentials.is_some() && !crate::transport::is_loopback(&self.smtp) {
                    return Err(bad(format!(
                        "`smtp+plain://{host}` with a username and password would send them \
                         in clear text to a host that is not loopback: use smtp:// (STARTTLS) \
                         or smtps://"
                    )));
                }
                warn!(sink = %name, "e-mail sink without TLS: use it only for a local relay");
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                    .port(self.smtp.port().unwrap_or(25))
                    .tls(Tls::None)
            }
            other => {
                return Err(bad(format!(
                    "scheme `{other}` is not one of smtp, smtps, smtp+plain"
                )));
            }
        }
        .timeout(Some(self.timeout));
        let port = self.smtp.port().unwrap_or(match self.smtp.scheme() {
            "smtps" => 465,
            "smtp+plain" => 25,
            _ => 587,
        });
        let at = match self.smtp.host() {
            Some(h) => format!("{h}:{port}"),
            None => format!("{host}:{port}"),
        };
        let mut kept_password = None;
        if let Some((user, password)) = self.credentials {
            builder = builder.credentials(Credentials::new(user, password.expose().to_owned()));
            kept_password = Some(password);
        }
        Ok(EmailSink {
            name,
            transport: builder.build(),
            from,
            rules: self.rules,
            portal: self.portal,
            at,
            password: kept_password,
            sent: Mutex::new(SentMemory::default()),
        })
    }
}

/// Remembers recently sent (tenant, alert id, lastUpdateTime, rule) keys.
#[derive(Default)]
struct SentMemory {
    keys: HashSet<String>,
    order: VecDeque<String>,
}

impl SentMemory {
    fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    fn insert(&mut self, key: String) {
        if self.keys.insert(key.clone()) {
            self.order.push_back(key);
            if self.order.len() > SENT_MEMORY
                && let Some(old) = self.order.pop_front()
            {
                self.keys.remove(&old);
            }
        }
    }
}

impl EmailSink {
    fn message(&self, mail: &Notification) -> Result<Message, SinkError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        for to in &mail.recipients {
            let mailbox: Mailbox = to
                .parse()
                .map_err(|e| SinkError::config(&self.name, format!("recipient `{to}`: {e}")))?;
            builder = builder.to(mailbox);
        }
        builder
            .body(mail.body.clone())
            .map_err(|e| SinkError::config(&self.name, format!("cannot build the e-mail: {e}")))
    }

    fn smtp_error(&self, error: &lettre::transport::smtp::Error) -> SinkError {
        let (kind, retryable) = if error.is_permanent() {
            (SinkErrorKind::Rejected, false)
        } else if error.is_timeout() {
            (SinkErrorKind::Timeout, true)
        } else if error.is_transient() {
            (SinkErrorKind::Rejected, true)
        } else if error.is_tls() || error.to_string().contains("certificate") {
            // A certificate the sink does not trust will not become trusted
            // by retrying: it needs `ca_cert` or a fixed server.
            (SinkErrorKind::Config, false)
        } else {
            (SinkErrorKind::Connection, true)
        };
        // The server's reply is part of lettre's text: cut the password out
        // (a server may echo the AUTH exchange) and escape CR/LF.
        let sent: Vec<&str> = self.password.iter().map(Secret::expose).collect();
        let text = crate::transport::server_text(&error.to_string(), &sent, 500);
        let mut err = SinkError::new(&self.name, kind, retryable, format!("SMTP: {text}"));
        if let Some(code) = error.status() {
            err = err.with_code(i64::from(u16::from(code)));
        }
        err
    }
}

#[async_trait]
impl AlertSink for EmailSink {
    fn name(&self) -> &str {
        &self.name
    }

    /// Not a record whose typed view could not be read
    /// ([`AlertRecord::is_malformed`]): rules match the typed view, and a
    /// mail made from an empty one would say nothing.
    fn accepts(&self, record: &AlertRecord) -> bool {
        !record.is_malformed()
    }

    /// One e-mail per matched alert per rule, one attempt each. On an
    /// error, [`SinkError::accepted`] is the index of the alert whose
    /// e-mail failed: every alert before it had all its e-mails sent. The
    /// e-mails of that alert already sent (for other rules) are remembered
    /// and not sent again when the caller retries from it.
    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        for (i, record) in batch.iter().enumerate() {
            self.send_record(record)
                .await
                .map_err(|e| e.with_accepted(i).at(&self.at))?;
        }
        Ok(())
    }

    async fn health(&self) -> Result<(), SinkError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SinkError::connection(
                &self.name,
                "the SMTP server did not answer NOOP",
            )
            .at(&self.at)),
            Err(e) => Err(self.smtp_error(&e).at(&self.at)),
        }
    }
}

impl EmailSink {
    /// Every e-mail `record` calls for that was not sent yet.
    async fn send_record(&self, record: &AlertRecord) -> Result<(), SinkError> {
        for rule in self
            .rules
            .iter()
            .filter(|r| r.matches(&record.tenant, &record.alert))
        {
            let key = format!(
                "{}|{}|{}|{}",
                record.tenant.id,
                record.alert.id.as_deref().unwrap_or(""),
                record
                    .alert
                    .last_update_time
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                rule.name()
            );
            if self.sent.lock().is_ok_and(|s| s.contains(&key)) {
                debug!(rule = rule.name(), "already mailed this alert version");
                continue;
            }
            let mail = render(rule, &record.tenant, &record.alert, &self.portal);
            let message = self.message(&mail)?;
            self.transport
                .send(message)
                .await
                .map_err(|e| self.smtp_error(&e))?;
            if let Ok(mut sent) = self.sent.lock() {
                sent.insert(key);
            }
        }
        Ok(())
    }
}
