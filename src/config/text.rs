//! Small value types of the configuration file: strings with `${ENV}`
//! references, and durations such as `60s`.

use std::fmt;
use std::time::Duration;

use serde::de::{Deserialize, Deserializer, Error as _, Visitor};

/// A string in which `${NAME}` is replaced by the environment variable
/// `NAME` when the file is read; `$${` writes a literal `${`. A missing
/// variable is an error that names it (the file parser adds the line).
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct Text(pub(crate) String);

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Texts may hold secrets from the environment.
        f.write_str("Text(…)")
    }
}

pub(crate) fn expand(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err("`${` without a closing `}`".to_owned());
            };
            let name = &after[..end];
            let valid =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(format!(
                    "`${{{name}}}` is not a valid environment variable reference"
                ));
            }
            match lookup(name) {
                Some(value) => out.push_str(&value),
                None => return Err(format!("environment variable `{name}` is not set")),
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Answers `${NAME}` references while a file is being read.
pub(crate) type Lookup = std::rc::Rc<dyn Fn(&str) -> Option<String>>;

thread_local! {
    /// The lookup of the parse under way on this thread; parsing is
    /// synchronous, so a thread-local scopes it exactly. `None` means the
    /// process environment.
    static LOOKUP: std::cell::RefCell<Option<Lookup>> = const { std::cell::RefCell::new(None) };
}

/// Runs `parse` with `lookup` answering `${NAME}` references.
pub(crate) fn with_lookup<T>(lookup: Lookup, parse: impl FnOnce() -> T) -> T {
    let previous = LOOKUP.with(|slot| slot.replace(Some(lookup)));
    let out = parse();
    LOOKUP.with(|slot| slot.replace(previous));
    out
}

fn resolve(name: &str) -> Option<String> {
    LOOKUP
        .with(|slot| slot.borrow().clone())
        .map_or_else(|| std::env::var(name).ok(), |lookup| lookup(name))
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        expand(&raw, resolve).map(Text).map_err(D::Error::custom)
    }
}

/// The value of a secret key (`client_secret`, `token`, `password`): a
/// [`Text`] whose errors never show any part of the value as written. A
/// wrong type says only that a string is needed; a bad `${…}` reference
/// says what is wrong without quoting it; a missing variable is named only
/// when the whole value is that one reference (`"${HEC_TOKEN}"`), which
/// holds nothing secret.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct SecretText(pub(crate) String);

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(…)")
    }
}

impl From<SecretText> for Text {
    fn from(secret: SecretText) -> Self {
        Text(secret.0)
    }
}

/// Why a secret's `${…}` expansion failed, without any of its text.
fn secret_expand_error(raw: &str, message: &str) -> String {
    let whole_reference = raw
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    match whole_reference {
        Some(name) if message.contains("is not set") => {
            format!("environment variable `{name}` is not set")
        }
        _ if message.contains("is not set") => "the value refers to an environment variable \
             that is not set (the value is a secret and is not shown)"
            .to_owned(),
        _ => "the value holds a `${` that is not a valid environment variable reference \
              (write `$${` for a literal `${`; the value is a secret and is not shown)"
            .to_owned(),
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SecretVisitor;
        const NOT_A_STRING: &str = "must be a string (the value is a secret and is not shown)";
        impl<'de> Visitor<'de> for SecretVisitor {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<String, E> {
                Err(E::custom(NOT_A_STRING))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<String, E> {
                Err(E::custom(NOT_A_STRING))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<String, E> {
                Err(E::custom(NOT_A_STRING))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<String, E> {
                Err(E::custom(NOT_A_STRING))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
                Err(A::Error::custom(NOT_A_STRING))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
                Err(A::Error::custom(NOT_A_STRING))
            }
        }
        let raw = d.deserialize_any(SecretVisitor)?;
        expand(&raw, resolve)
            .map(SecretText)
            .map_err(|message| D::Error::custom(secret_expand_error(&raw, &message)))
    }
}

/// A duration written `500ms`, `60s`, `10m`, `1h` or `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span(pub(crate) Duration);

/// Reads a duration written `500ms`, `60s`, `10m`, `1h` or `1d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (write e.g. 60s, 10m, 1h)"))?;
    let unit_secs = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(value)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}` has no known unit (use ms, s, m, h or d)")),
    };
    value
        .checked_mul(unit_secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SpanVisitor;
        impl Visitor<'_> for SpanVisitor {
            type Value = Span;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"60s\" or \"10m\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Span, E> {
                parse_duration(v).map(Span).map_err(E::custom)
            }
        }
        d.deserialize_str(SpanVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HEC_TOKEN").then(|| "s3cr3t".to_owned())
    }

    #[test]
    fn expands_references() {
        assert_eq!(expand("${HEC_TOKEN}", env).unwrap(), "s3cr3t");
        assert_eq!(expand("a-${HEC_TOKEN}-b", env).unwrap(), "a-s3cr3t-b");
        assert_eq!(
            expand("cost $5 and $${HEC_TOKEN}", env).unwrap(),
            "cost $5 and ${HEC_TOKEN}"
        );
        assert!(
            expand("${MISSING}", env)
                .unwrap_err()
                .contains("`MISSING` is not set")
        );
        assert!(expand("${HEC", env).is_err());
        assert!(expand("${A B}", env).is_err());
    }

    #[test]
    fn secret_errors_never_quote_the_value() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};
        let read = |raw: &str| {
            let d: StrDeserializer<'_, ValueError> = raw.into_deserializer();
            with_lookup(std::rc::Rc::new(env), || SecretText::deserialize(d))
        };
        assert_eq!(read("${HEC_TOKEN}").unwrap().0, "s3cr3t");
        for raw in [
            "hunter2${oops here}",
            "hunter2${unclosed",
            "hunter2${MISSING}x",
        ] {
            let e = read(raw).unwrap_err().to_string();
            assert!(!e.contains("hunter2") && !e.contains("oops"), "{e}");
            assert!(!e.contains("MISSING") && !e.contains("unclosed"), "{e}");
            assert!(e.contains("not shown"), "{e}");
        }
        let e = read("${MISSING}").unwrap_err().to_string();
        assert!(e.contains("`MISSING` is not set"), "{e}");
        let number: serde::de::value::I64Deserializer<ValueError> = 1234567i64.into_deserializer();
        let e = SecretText::deserialize(number).unwrap_err().to_string();
        assert!(
            !e.contains("1234567") && e.contains("must be a string"),
            "{e}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["", "10", "m", "10 minutes", "-1s", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
