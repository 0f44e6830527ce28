//! A small OData `$filter` parser and evaluator.
//!
//! Grammar (keywords are case-insensitive, property names too):
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" expr ")" | field op literal
//! op      := eq | ne | gt | ge | lt | le
//! literal := 'text' ('' escapes a quote) | 2024-05-02T09:14:05Z | 42 | null
//! ```
//!
//! Dates are unquoted ISO 8601, strings are quoted, as on the real API.
//! Every error is a [`FilterError`] with a message for a 400 `ODataError`;
//! no input can make the parser panic or recurse without bound.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::catalog::SEVERITIES;

mod fuzzing;
mod parse;

pub use fuzzing::fuzz_filter;
pub(crate) use parse::parse;

/// The longest `$filter` accepted.
const MAX_LEN: usize = 8 * 1024;
/// The deepest nesting of parentheses and `not` accepted.
const MAX_DEPTH: usize = 64;

/// Why a `$filter` was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError(pub String);

/// The properties a filter can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    LastUpdate,
    Created,
    Severity,
    Status,
    DetectionSource,
    Category,
    IncidentId,
    Id,
}

impl Field {
    fn kind(self) -> Kind {
        match self {
            Field::LastUpdate | Field::Created => Kind::Date,
            Field::IncidentId => Kind::Int,
            _ => Kind::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Int,
    Text,
}

impl Kind {
    fn edm(self) -> &'static str {
        match self {
            Kind::Date => "Edm.DateTimeOffset",
            Kind::Int => "Edm.Int64",
            Kind::Text => "Edm.String",
        }
    }
}

/// Which API's property names apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Defender for Endpoint `/api/alerts`.
    Mde,
    /// Graph `alerts_v2`.
    Graph,
}

impl Dialect {
    fn field(self, name: &str) -> Option<Field> {
        let lower = name.to_ascii_lowercase();
        let field = match (self, lower.as_str()) {
            (Dialect::Mde, "lastupdatetime") | (Dialect::Graph, "lastupdatedatetime") => {
                Field::LastUpdate
            }
            (Dialect::Mde, "alertcreationtime") | (Dialect::Graph, "createddatetime") => {
                Field::Created
            }
            (_, "severity") => Field::Severity,
            (_, "status") => Field::Status,
            (_, "detectionsource") => Field::DetectionSource,
            (_, "category") => Field::Category,
            (Dialect::Mde, "incidentid") => Field::IncidentId,
            (_, "id") => Field::Id,
            _ => return None,
        };
        Some(field)
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
        }
    }
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Date(DateTime<Utc>),
    Int(i64),
    Text(String),
    Null,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Cmp(Field, Op, Literal),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

/// The filterable properties of one alert, in the spelling of its API.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    pub id: &'a str,
    pub created: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    pub severity: &'a str,
    pub status: &'a str,
    pub detection_source: &'a str,
    pub category: &'a str,
    pub incident_id: i64,
}

fn severity_rank(value: &str) -> i64 {
    SEVERITIES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(value))
        .map_or(-1, |i| i as i64)
}

impl Expr {
    /// Whether `row` matches.
    pub(crate) fn matches(&self, row: &Row<'_>) -> bool {
        match self {
            Expr::And(a, b) => a.matches(row) && b.matches(row),
            Expr::Or(a, b) => a.matches(row) || b.matches(row),
            Expr::Not(e) => !e.matches(row),
            Expr::Cmp(field, op, literal) => compare(row, *field, *op, literal),
        }
    }
}

fn compare(row: &Row<'_>, field: Field, op: Op, literal: &Literal) -> bool {
    let ord = match (field, literal) {
        (_, Literal::Null) => return op == Op::Ne,
        (Field::LastUpdate, Literal::Date(d)) => row.last_update.cmp(d),
        (Field::Created, Literal::Date(d)) => row.created.cmp(d),
        (Field::IncidentId, Literal::Int(n)) => row.incident_id.cmp(n),
        (Field::Id, Literal::Text(t)) => row.id.cmp(t.as_str()),
        (Field::Severity, Literal::Text(t)) => {
            if matches!(op, Op::Eq | Op::Ne) {
                bool_ord(row.severity.eq_ignore_ascii_case(t))
            } else {
                severity_rank(row.severity).cmp(&severity_rank(t))
            }
        }
        (Field::Status, Literal::Text(t)) => text_cmp(row.status, t),
        (Field::DetectionSource, Literal::Text(t)) => text_cmp(row.detection_source, t),
        (Field::Category, Literal::Text(t)) => text_cmp(row.category, t),
        // Types are checked while parsing; nothing else reaches here.
        _ => return false,
    };
    op.holds(ord)
}

fn bool_ord(equal: bool) -> Ordering {
    if equal {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

fn text_cmp(a: &str, b: &str) -> Ordering {
    a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
