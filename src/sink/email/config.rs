//! The `[[sinks]]` settings of a `type = "email"` sink in the forwarder's
//! configuration file, with its `[[sinks.rules]]`.

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use url::Url;

use super::rule::{DeviceGroups, NotificationRule};
use super::smtp::EmailSink;
use crate::config::{
    SecretText, SinkAt, SinkContext, SinkSettings, Text, severities, strings, tenants,
};
use crate::error::Error;
use crate::secret::Secret;
use crate::sink::AlertSink;

/// The `[[sinks]]` settings of a `type = "email"` sink.
///
/// ```toml
/// [[sinks]]
/// name = "notify"
/// type = "email"
/// smtp = "smtp://smtp.mssp.example:587"   # smtps:// for TLS, smtp+plain:// for a local relay
/// from = "soc@mssp.example"
/// username = "soc"                        # optional, with password
/// password = "${SMTP_PASSWORD}"
/// [[sinks.rules]]
/// name = "High to on-call"
/// severities = ["High"]
/// recipients = ["oncall@mssp.example"]
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct EmailSinkSettings {
    /// `smtp`: `smtp://host:port` (STARTTLS required), `smtps://host:port`
    /// (TLS from the start) or `smtp+plain://host:port` (no TLS, for a
    /// local relay only).
    pub smtp: Url,
    /// `from`.
    pub from: String,
    /// `username`.
    pub username: Option<String>,
    /// `password`.
    pub password: Option<Secret>,
    /// `[[sinks.rules]]`, at least one.
    pub rules: Vec<NotificationRule>,
}

impl fmt::Debug for EmailSinkSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry `user:password@`; show only where it goes.
        let smtp = format!(
            "{}://{}:{}",
            self.smtp.scheme(),
            self.smtp.host_str().unwrap_or("?"),
            self.smtp
                .port()
                .map_or_else(|| "default".to_owned(), |p| p.to_string())
        );
        f.debug_struct("EmailSinkSettings")
            .field("smtp", &smtp)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("rules", &self.rules)
            .finish()
    }
}

/// The keys of an e-mail sink as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEmail {
    smtp: Option<Text>,
    from: Option<Text>,
    username: Option<Text>,
    password: Option<SecretText>,
    rules: Option<Vec<RawRule>>,
}

/// One `[[sinks.rules]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    name: Text,
    severities: Option<Vec<Text>>,
    device_groups: Option<Vec<Text>>,
    tenants: Option<Vec<Text>>,
    recipients: Vec<Text>,
    include_org_name: Option<bool>,
    include_portal_link: Option<bool>,
    include_device_info: Option<bool>,
}

impl SinkSettings for EmailSinkSettings {
    type Raw = RawEmail;

    fn check(raw: RawEmail, at: &SinkAt<'_>) -> Result<Self, Error> {
        let smtp = at.required_url(raw.smtp, "smtp")?;
        if !matches!(smtp.scheme(), "smtp" | "smtps" | "smtp+plain") {
            return Err(at.error("smtp", "must start with smtp://, smtps:// or smtp+plain://"));
        }
        let with_login = raw.username.is_some() || raw.password.is_some();
        if smtp.scheme() == "smtp+plain" && with_login && !crate::transport::is_loopback(&smtp) {
            return Err(at.error(
                "smtp",
                format!(
                    "`smtp+plain://{}` with a username and password would send them in clear \
                     text to a host that is not loopback: use smtp:// (STARTTLS) or smtps://",
                    smtp.host_str().unwrap_or_default()
                ),
            ));
        }
        let rules = raw.rules.unwrap_or_default();
        if rules.is_empty() {
            return Err(at.error("rules", "an email sink needs at least one [[sinks.rules]]"));
        }
        let rules = rules
            .into_iter()
            .enumerate()
            .map(|(r, rule)| rule_config(rule).map_err(|m| at.error(&format!("rules[{r}]"), m)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EmailSinkSettings {
            smtp,
            from: at.required(raw.from, "from")?,
            username: raw.username.map(|t| t.0),
            password: raw.password.map(|t| Secret::new(t.0)),
            rules,
        })
    }

    fn build(&self, at: &SinkContext<'_>) -> Result<Arc<dyn AlertSink>, Error> {
        let mut b = EmailSink::builder(at.name(), self.smtp.clone())
            .from(&self.from)
            .rules(self.rules.iter().cloned())
            .portal(at.endpoints().portal().clone());
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            b = b.credentials(user, password.clone());
        }
        let sink = b
            .build()
            .map_err(|e| Error::Config(format!("sink `{}`: {e}", at.name())))?;
        Ok(Arc::new(sink))
    }
}

fn rule_config(raw: RawRule) -> Result<NotificationRule, String> {
    let groups = strings(raw.device_groups);
    let mut builder = NotificationRule::builder(raw.name.0)
        .severities(severities(raw.severities)?)
        .tenants(tenants(raw.tenants)?)
        .recipients(raw.recipients.into_iter().map(|t| t.0))
        .device_groups(if groups.is_empty() {
            DeviceGroups::All
        } else {
            DeviceGroups::Only(groups)
        });
    if let Some(on) = raw.include_org_name {
        builder = builder.include_org_name(on);
    }
    if let Some(on) = raw.include_portal_link {
        builder = builder.include_portal_link(on);
    }
    if let Some(on) = raw.include_device_info {
        builder = builder.include_device_info(on);
    }
    builder.build().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use crate::config::SinkKind;
    use crate::config::testing::{SECRET, parse_sink, refused};

    const EMAIL: &str = "[[sinks]]\nname = \"s\"\ntype = \"email\"\nsmtp = \"smtps://mail.example:465\"\nfrom = \"soc@mssp.example\"\nusername = \"soc\"\npassword = \"${TEST_SECRET}\"\n";
    const RULE: &str = "[[sinks.rules]]\nname = \"r\"\nrecipients = [\"oncall@mssp.example\"]\n";

    #[test]
    fn reads_the_keys_and_hides_the_password() {
        let config = parse_sink(&format!("{EMAIL}{RULE}")).unwrap();
        let SinkKind::Email(email) = &config.kind else {
            panic!("{config:?}")
        };
        assert_eq!(email.password.as_ref().map(|p| p.expose()), Some(SECRET));
        assert_eq!(email.rules[0].name(), "r");
        let debug = format!("{config:?} {config:#?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("smtps://mail.example:465"), "{debug}");
    }

    #[test]
    fn refuses_unknown_and_foreign_keys_and_bad_rules() {
        refused(
            &format!("{EMAIL}to = \"x\"\n{RULE}"),
            &["f.toml:12: unknown field `to` in sink `s` (type email)"],
        );
        refused(
            &format!("{EMAIL}ca_cert = \"ca.pem\"\n{RULE}"),
            &[
                "f.toml:5: `sinks[0].ca_cert`: does not apply to type email (line 12; it is a key of type splunk_hec, sentinel, syslog)",
            ],
        );
        refused(
            &format!("{EMAIL}{RULE}cc = [\"x\"]\n"),
            &["f.toml:15: unknown field `cc`", "in sink `s` (type email)"],
        );
        refused(
            EMAIL,
            &["f.toml:5: `sinks[0].rules`: an email sink needs at least one [[sinks.rules]]"],
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_not_ignored() {
        let with_userinfo = EMAIL.replace("smtps://", "smtps://soc:${TEST_SECRET}@");
        refused(
            &format!("{with_userinfo}{RULE}"),
            &[
                "f.toml:5: `sinks[0].smtp`: must not hold a user name or password",
                "`username` and `password`",
            ],
        );
        let with_query = EMAIL.replace(":465", ":465/?auth=${TEST_SECRET}");
        refused(
            &format!("{with_query}{RULE}"),
            &["`sinks[0].smtp`: must not have a query string"],
        );
    }

    #[test]
    fn plain_smtp_with_a_login_only_to_loopback() {
        let plain = EMAIL.replace("smtps://mail.example:465", "smtp+plain://mail.example:25");
        refused(
            &format!("{plain}{RULE}"),
            &["`sinks[0].smtp`: `smtp+plain://mail.example` with a username and password"],
        );
        let local = EMAIL.replace("smtps://mail.example:465", "smtp+plain://127.0.0.1:25");
        assert!(parse_sink(&format!("{local}{RULE}")).is_ok());
        let anonymous = plain
            .replace("username = \"soc\"\n", "")
            .replace("password = \"${TEST_SECRET}\"\n", "");
        assert!(parse_sink(&format!("{anonymous}{RULE}")).is_ok());
    }
}
