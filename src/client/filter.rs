//! OData `$filter` terms and query-string encoding, shared by the Defender
//! and Graph queries.
//!
//! Dates go unquoted (`lastUpdateTime ge 2024-05-02T09:14:05.2Z`), enum and
//! string values quoted with `'` doubled inside, sets become
//! `(severity eq 'High' or severity eq 'Medium')`, and terms are joined with
//! `and`. In the query string the option names stay literal (`$filter`) and
//! values are percent-encoded (space → `%20`, `'` → `%27`).

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::models::Timestamp;

/// A comparison on a date property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `ge`: at or after.
    Ge,
    /// `gt`: after.
    Gt,
    /// `lt`: before.
    Lt,
    /// `le`: at or before.
    Le,
}

impl Cmp {
    /// The OData operator.
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Ge => "ge",
            Cmp::Gt => "gt",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
        }
    }
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `field cmp 2024-05-02T09:14:05.2Z`.
///
/// Defender keeps times in 100 ns ticks (at most 7 fractional digits), so a
/// finer instant is moved onto the tick grid in the direction that keeps the
/// comparison's meaning for every tick: up for `ge`/`lt`, down for `gt`/`le`.
pub(crate) fn time_term(field: &str, cmp: Cmp, at: &Timestamp) -> String {
    let instant = at.as_datetime();
    let extra = i64::from(instant.timestamp_subsec_nanos() % 100);
    let on_grid = if extra == 0 {
        instant
    } else {
        let floor = instant - chrono::Duration::nanoseconds(extra);
        match cmp {
            Cmp::Ge | Cmp::Lt => floor + chrono::Duration::nanoseconds(100),
            Cmp::Gt | Cmp::Le => floor,
        }
    };
    format!("{field} {cmp} {}", Timestamp::from_datetime(on_grid))
}

/// `'value'` with inner quotes doubled.
pub(crate) fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `field eq 'a'`, or `(field eq 'a' or field eq 'b')`; `None` for no value.
pub(crate) fn any_of<I, S>(field: &str, values: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let terms: Vec<String> = values
        .into_iter()
        .map(|v| format!("{field} eq {}", quote(v.as_ref())))
        .collect();
    match terms.len() {
        0 => None,
        1 => terms.into_iter().next(),
        _ => Some(format!("({})", terms.join(" or "))),
    }
}

/// Terms joined with ` and `.
pub(crate) fn join_terms(terms: &[String]) -> Option<String> {
    (!terms.is_empty()).then(|| terms.join(" and "))
}

/// What is percent-encoded in a query value.
const VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'\'')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `$filter=…&$top=…` from (name, value) pairs.
pub(crate) fn encode_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, VALUE)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_encoding() {
        let at: Timestamp = "2024-05-02T09:14:05.2000000Z".parse().unwrap();
        assert_eq!(
            time_term("lastUpdateTime", Cmp::Ge, &at),
            "lastUpdateTime ge 2024-05-02T09:14:05.2Z"
        );
        let fine: Timestamp = "2024-05-02T09:14:05.123456789Z".parse().unwrap();
        assert_eq!(
            time_term("t", Cmp::Ge, &fine),
            "t ge 2024-05-02T09:14:05.1234568Z"
        );
        assert_eq!(
            time_term("t", Cmp::Le, &fine),
            "t le 2024-05-02T09:14:05.1234567Z"
        );
        assert_eq!(
            any_of("severity", ["High", "Medium"]).unwrap(),
            "(severity eq 'High' or severity eq 'Medium')"
        );
        assert_eq!(
            any_of("category", ["O'Brien"]).unwrap(),
            "category eq 'O''Brien'"
        );
        assert_eq!(any_of::<[&str; 0], &str>("x", []), None);
        assert_eq!(
            encode_query(&[("$filter", "a eq 'b&c'".into()), ("$top", "5".into())]),
            "$filter=a%20eq%20%27b%26c%27&$top=5"
        );
    }
}
