//! The `[[sinks]]` entries: the keys every sink shares (`name`, `type`,
//! `filter`), the list of sink types, and the dispatch to each type's
//! settings, which live beside the sink (`sink/<name>/config.rs`).
//!
//! Adding a sink type means one settings struct implementing
//! [`SinkSettings`] in the sink's folder and one line in [`sink_types!`].

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use super::SinkConfig;
use super::check::{Place, filter_config};
use super::raw::RawFilter;
use super::text::Text;
use crate::cloud::Endpoints;
use crate::error::{Error, Result};
use crate::sink::{AlertSink, Named};
use crate::transport::HttpSettings;

/// A sink type's `[[sinks]]` settings: its keys, their checks and the
/// sink they build. Implemented beside each sink.
pub(crate) trait SinkSettings: Sized {
    /// The keys as written: every key optional, unknown keys refused
    /// (`#[serde(deny_unknown_fields)]`). Its field names are the type's keys.
    type Raw: DeserializeOwned;

    /// Checks the keys; every error comes from `at`, so it names the file,
    /// the line and the key.
    fn check(raw: Self::Raw, at: &SinkAt<'_>) -> Result<Self>;

    /// Builds the sink, named `at.name()` (the filter is applied by the caller).
    fn build(&self, at: &SinkContext<'_>) -> Result<Arc<dyn AlertSink>>;
}

/// Declares the sink types: the public [`SinkKind`] enum and the dispatch
/// from `type = "…"` to the settings of that type. One line per type:
/// `"type" => Variant(Settings) if "cargo feature",` (no feature: always built).
macro_rules! sink_types {
    ($($(#[$doc:meta])* $name:literal => $variant:ident($settings:ty) $(if $feature:literal)?,)*) => {
        /// `type = "…"` and the checked keys of that type. A variant exists
        /// when the sink's cargo feature is on.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum SinkKind {
            $($(#[$doc])* $(#[cfg(feature = $feature)])? $variant($settings),)*
        }

        impl SinkKind {
            /// The `type` value.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $($(#[cfg(feature = $feature)])? SinkKind::$variant(_) => $name,)*
                }
            }

            /// Builds the sink, named (not filtered yet).
            pub(super) fn build(&self, at: &SinkContext<'_>) -> Result<Arc<dyn AlertSink>> {
                match self {
                    $($(#[cfg(feature = $feature)])? SinkKind::$variant(s) => s.build(at),)*
                }
            }
        }

        /// Every sink type, and the cargo feature that builds it.
        const SINK_TYPES: &[(&str, Option<&str>)] = &[$(($name, first_of!($($feature)?))),*];

        /// The keys of a type built in, besides `name`, `type` and `filter`.
        fn keys_of(kind: &str) -> Option<&'static [&'static str]> {
            match kind {
                $($(#[cfg(feature = $feature)])? $name => Some(field_names::<<$settings as SinkSettings>::Raw>()),)*
                _ => None,
            }
        }

        /// Reads and checks the keys of a type built in.
        fn check_kind(kind: &str, table: Spanned<DeTable<'_>>, at: &SinkAt<'_>) -> Option<Result<SinkKind>> {
            match kind {
                $($(#[cfg(feature = $feature)])? $name => Some(check_as::<$settings>(table, at).map(SinkKind::$variant)),)*
                _ => None,
            }
        }
    };
}

macro_rules! first_of {
    () => {
        None
    };
    ($feature:literal) => {
        Some($feature)
    };
}

sink_types! {
    /// `splunk_hec`.
    "splunk_hec" => SplunkHec(crate::sink::splunk_hec::SplunkHecSettings) if "splunk",
    /// `sentinel`.
    "sentinel" => Sentinel(crate::sink::sentinel::SentinelSettings) if "sentinel",
    /// `syslog`.
    "syslog" => Syslog(crate::sink::syslog::SyslogSettings) if "syslog",
    /// `file`.
    "file" => File(crate::sink::FileSinkSettings),
    /// `email`.
    "email" => Email(crate::sink::email::EmailSinkSettings) if "email",
}

/// The keys every sink has.
const SHARED_KEYS: [&str; 3] = ["name", "type", "filter"];

/// The shared keys as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShared {
    name: Option<Text>,
    #[serde(rename = "type")]
    kind: Option<Text>,
    filter: Option<RawFilter>,
}

/// Where a sink entry is, for its settings' errors: `file:line: `sinks[i].key`: …`.
pub(crate) struct SinkAt<'a> {
    place: &'a Place<'a>,
    line: usize,
    index: usize,
    name: &'a str,
    kind: &'a str,
    /// `[defaults] allow_plain_http`.
    allow_plain_http: bool,
}

impl fmt::Debug for SinkAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the file's text: it holds secrets.
        f.debug_struct("SinkAt")
            .field("line", &self.line)
            .field("index", &self.index)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl SinkAt<'_> {
    /// An error about `key` of this sink.
    pub(crate) fn error(&self, key: &str, message: impl fmt::Display) -> Error {
        Error::Config(format!(
            "{}:{}: `sinks[{}].{key}`: {message}",
            self.place.origin, self.line, self.index
        ))
    }

    /// The value of a key this type needs, not empty.
    pub(crate) fn required(&self, value: Option<Text>, key: &str) -> Result<String> {
        value
            .map(|t| t.0)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.error(key, format!("is required for type {}", self.kind)))
    }

    /// The URL of a key this type needs.
    #[cfg_attr(
        not(any(feature = "splunk", feature = "sentinel", feature = "email")),
        allow(dead_code)
    )]
    /// Refuses user info and query strings (see [`plain_url`]).
    pub(crate) fn required_url(&self, value: Option<Text>, key: &str) -> Result<Url> {
        let value = self.required(value, key)?;
        let url = Url::parse(&value).map_err(|e| self.error(key, format!("not a URL: {e}")))?;
        plain_url(&url).map_err(|m| self.error(key, m))?;
        Ok(url)
    }

    /// The URL of a key a credential is sent to: as [`SinkAt::required_url`],
    /// and `https` (or plain `http` to loopback, or with `[defaults]
    /// allow_plain_http = true`).
    #[cfg_attr(not(any(feature = "splunk", feature = "sentinel")), allow(dead_code))]
    pub(crate) fn required_credential_url(&self, value: Option<Text>, key: &str) -> Result<Url> {
        let url = self.required_url(value, key)?;
        let setting = format!(
            "{}:{}: `sinks[{}].{key}`",
            self.place.origin, self.line, self.index
        );
        crate::transport::check_cleartext(&url, &setting, self.allow_plain_http)?;
        Ok(url)
    }

    /// One of `choices` in any case, lower-cased; the first when left out.
    #[cfg_attr(not(feature = "syslog"), allow(dead_code))]
    pub(crate) fn one_of(
        &self,
        value: Option<Text>,
        key: &str,
        choices: &[&str],
    ) -> Result<String> {
        let value = value.map_or_else(
            || choices.first().copied().unwrap_or_default().to_owned(),
            |t| t.0.to_ascii_lowercase(),
        );
        if choices.contains(&value.as_str()) {
            Ok(value)
        } else {
            Err(self.error(
                key,
                format!("`{value}` is not one of {}", choices.join(", ")),
            ))
        }
    }
}

/// What a sink's build gets besides its settings.
#[derive(Debug)]
pub(crate) struct SinkContext<'a> {
    pub(super) name: &'a str,
    #[cfg_attr(not(any(feature = "sentinel", feature = "email")), allow(dead_code))]
    pub(super) endpoints: &'a Endpoints,
    /// Where the HTTP sinks start from (`[defaults]` proxy, upload timeout).
    #[cfg_attr(not(any(feature = "splunk", feature = "sentinel")), allow(dead_code))]
    pub(super) http: &'a HttpSettings,
    /// The Entra client of `[defaults]`, for sinks that fetch tokens.
    #[cfg_attr(not(feature = "sentinel"), allow(dead_code))]
    pub(super) entra: &'a reqwest::Client,
    /// `[defaults] allow_plain_http`.
    #[cfg_attr(not(any(feature = "splunk", feature = "sentinel")), allow(dead_code))]
    pub(super) allow_plain_http: bool,
}

impl SinkContext<'_> {
    /// The sink's `name`.
    #[cfg_attr(not(feature = "email"), allow(dead_code))]
    pub(crate) fn name(&self) -> &str {
        self.name
    }

    /// The endpoints of `[defaults]` (token authority, portal).
    #[cfg_attr(not(any(feature = "sentinel", feature = "email")), allow(dead_code))]
    pub(crate) fn endpoints(&self) -> &Endpoints {
        self.endpoints
    }

    /// The HTTP settings an HTTP sink starts from: the `[defaults]` proxy
    /// and `no_proxy`, the upload timeouts.
    #[cfg_attr(not(any(feature = "splunk", feature = "sentinel")), allow(dead_code))]
    pub(crate) fn http(&self) -> HttpSettings {
        self.http.clone()
    }

    /// The Entra client of `[defaults]` (its proxy and extra CA).
    #[cfg_attr(not(feature = "sentinel"), allow(dead_code))]
    pub(crate) fn entra(&self) -> reqwest::Client {
        self.entra.clone()
    }

    /// `[defaults] allow_plain_http`: whether the HTTP sinks may use plain
    /// `http://` to a host that is not loopback.
    #[cfg_attr(not(any(feature = "splunk", feature = "sentinel")), allow(dead_code))]
    pub(crate) fn allow_plain_http(&self) -> bool {
        self.allow_plain_http
    }

    /// `sink` under the sink's name.
    pub(crate) fn named<S: AlertSink + 'static>(&self, sink: S) -> Arc<dyn AlertSink> {
        Arc::new(Named::new(self.name, sink))
    }
}

/// Reads a PEM file named in the configuration.
pub(crate) fn read_pem(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("cannot read CA file {}", path.display()), e))
}

/// Refuses what a URL key must not hold: user info (`user:password@`,
/// which would be ignored or sent where it should not: credentials have
/// their own keys) and a query string or fragment (a secret would be kept
/// in a URL, which is printed). The message never repeats the URL.
pub(super) fn plain_url(url: &Url) -> std::result::Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "must not hold a user name or password (`user:password@`): they would \
             not be used; credentials have their own keys (for e-mail, `username` and \
             `password`)"
                .to_owned(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query string (`?…`) or fragment (`#…`)".to_owned());
    }
    Ok(())
}

/// Checks the `i`th `[[sinks]]` entry; `allow_plain_http` is the
/// `[defaults]` key.
pub(super) fn sink_config(
    place: &Place<'_>,
    i: usize,
    entry: Spanned<DeValue<'_>>,
    allow_plain_http: bool,
) -> Result<SinkConfig> {
    let line = place.line_of(entry.span().start);
    let span = entry.span();
    let DeValue::Table(mut table) = entry.into_inner() else {
        return Err(place.error(line, &format!("sinks[{i}]"), "must be a table"));
    };
    let mut shared = DeTable::new();
    for key in SHARED_KEYS {
        if let Some((k, v)) = table.remove_entry(key) {
            shared.insert(k, v);
        }
    }
    let shared: RawShared = RawShared::deserialize(toml::de::Deserializer::from(Spanned::new(
        span.clone(),
        shared,
    )))
    .map_err(|e| place.toml_error(&e, ""))?;
    let missing = |k: &str| place.error(line, &format!("sinks[{i}].{k}"), "missing");
    let name = shared.name.map(|t| t.0).ok_or_else(|| missing("name"))?;
    let kind = shared.kind.map(|t| t.0).ok_or_else(|| missing("type"))?;
    let Some(keys) = keys_of(&kind) else {
        let message = match SINK_TYPES.iter().find(|(t, _)| *t == kind) {
            Some((_, feature)) => format!(
                "this build has no `{kind}` sink; enable its cargo feature `{}`",
                feature.unwrap_or_default()
            ),
            None => format!(
                "must be one of {}",
                SINK_TYPES
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(place.error(line, &format!("sinks[{i}].type"), message));
    };
    refuse_foreign_keys(place, i, line, &name, &kind, keys, &table)?;
    let at = SinkAt {
        place,
        line,
        index: i,
        name: &name,
        kind: &kind,
        allow_plain_http,
    };
    let settings = check_kind(&kind, Spanned::new(span, table), &at)
        .unwrap_or_else(|| Err(missing("type")))?;
    let filter = filter_config(shared.filter.unwrap_or_default())
        .map_err(|m| place.error(line, &format!("sinks[{i}].filter"), m))?;
    Ok(SinkConfig {
        name,
        filter,
        kind: settings,
        line,
    })
}

/// Refuses, in file order, a key of another sink type ("does not apply")
/// or of none at all ("unknown field"), naming the key, the sink and the line.
fn refuse_foreign_keys(
    place: &Place<'_>,
    i: usize,
    line: usize,
    name: &str,
    kind: &str,
    keys: &[&str],
    table: &DeTable<'_>,
) -> Result<()> {
    let mut foreign: Vec<_> = table
        .iter()
        .filter(|(k, _)| !keys.contains(&k.get_ref().as_ref()))
        .map(|(k, _)| (k.span().start, k.get_ref().as_ref()))
        .collect();
    foreign.sort_unstable();
    let Some((offset, key)) = foreign.first().copied() else {
        return Ok(());
    };
    let key_line = place.line_of(offset);
    let owners: Vec<&str> = SINK_TYPES
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| keys_of(t).is_some_and(|k| k.contains(&key)))
        .collect();
    if owners.is_empty() {
        let mut all: Vec<&str> = SHARED_KEYS.to_vec();
        all.extend_from_slice(keys);
        return Err(Error::Config(format!(
            "{}:{key_line}: unknown field `{key}` in sink `{name}` (type {kind}); \
             its keys are {}",
            place.origin,
            all.join(", ")
        )));
    }
    Err(place.error(
        line,
        &format!("sinks[{i}].{key}"),
        format!(
            "does not apply to type {kind} (line {key_line}; it is a key of type {})",
            owners.join(", ")
        ),
    ))
}

/// Reads a type's keys into its settings.
fn check_as<S: SinkSettings>(table: Spanned<DeTable<'_>>, at: &SinkAt<'_>) -> Result<S> {
    let raw = S::Raw::deserialize(toml::de::Deserializer::from(table)).map_err(|e| {
        let context = format!(" in sink `{}` (type {})", at.name, at.kind);
        at.place.toml_error(&e, &context)
    })?;
    S::check(raw, at)
}

/// The field names of a struct deriving `Deserialize`, read from the
/// derive itself (it hands them to `deserialize_struct`).
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(FieldProbe) {
        Err(Probe::Fields(fields)) => fields,
        _ => &[],
    }
}

struct FieldProbe;

#[derive(Debug)]
enum Probe {
    Fields(&'static [&'static str]),
    NotAStruct,
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field probe")
    }
}

impl std::error::Error for Probe {}

impl serde::de::Error for Probe {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Probe::NotAStruct
    }
}

impl<'de> serde::Deserializer<'de> for FieldProbe {
    type Error = Probe;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Probe> {
        Err(Probe::NotAStruct)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probe> {
        Err(Probe::Fields(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Helpers for the settings' unit tests beside each sink.
#[cfg(test)]
pub(crate) mod testing {
    use super::super::{ForwarderConfig, SinkConfig};
    use crate::error::Result;

    /// The secret that `${TEST_SECRET}` stands for.
    pub(crate) const SECRET: &str = "s3cr3t-from-the-vault";

    /// Four lines before the sink, which starts on line 5.
    const TENANT: &str =
        "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\nclient_secret = \"${TEST_SECRET}\"\n";

    /// Parses one `[[sinks]]` entry (`sink` starts with `[[sinks]]`, on line 5).
    pub(crate) fn parse_sink(sink: &str) -> Result<SinkConfig> {
        let text = format!("{TENANT}{sink}");
        let mut config = ForwarderConfig::parse_with_lookup(&text, "f.toml", |name| {
            (name == "TEST_SECRET").then(|| SECRET.to_owned())
        })?;
        Ok(config.sinks.remove(0))
    }

    /// The error of one `[[sinks]]` entry, checked free of the secret.
    #[allow(clippy::panic)]
    pub(crate) fn error_of(sink: &str) -> String {
        match parse_sink(sink) {
            Ok(config) => panic!("parsed: {config:?}"),
            Err(e) => {
                let text = format!("{e} {e:?}");
                assert!(!text.contains(SECRET), "the secret leaked into {text}");
                e.to_string()
            }
        }
    }

    /// Asserts that one `[[sinks]]` entry is refused with an error holding
    /// every one of `parts`, and not the secret.
    #[allow(clippy::panic)]
    pub(crate) fn refused(sink: &str, parts: &[&str]) {
        let text = error_of(sink);
        for part in parts {
            assert!(text.contains(part), "expected `{part}` in:\n{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_listed_whatever_the_features() {
        let names: Vec<&str> = SINK_TYPES.iter().map(|(t, _)| *t).collect();
        assert_eq!(names, ["splunk_hec", "sentinel", "syslog", "file", "email"]);
        // A type that is built in knows its keys; `file` always is.
        assert_eq!(keys_of("file"), Some(&["path", "rotate_bytes"][..]));
        assert_eq!(keys_of("kafka"), None);
    }

    #[test]
    fn field_names_come_from_the_derive() {
        assert_eq!(field_names::<RawShared>(), ["name", "type", "filter"]);
        assert!(field_names::<String>().is_empty());
    }
}
