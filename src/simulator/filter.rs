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
use crate::models::Timestamp;

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

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Quoted(String),
}

fn tokenize(input: &str) -> Result<Vec<(usize, Token)>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(pos, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push((pos, Token::Open));
            }
            ')' => {
                chars.next();
                tokens.push((pos, Token::Close));
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) if matches!(chars.peek(), Some((_, '\''))) => {
                            chars.next();
                            text.push('\'');
                        }
                        Some((_, '\'')) => break,
                        Some((_, ch)) => text.push(ch),
                        None => {
                            return Err(FilterError(format!(
                                "Syntax error: unterminated string literal at position {pos} in '{input}'."
                            )));
                        }
                    }
                }
                tokens.push((pos, Token::Quoted(text)));
            }
            c if c.is_ascii_alphanumeric() || "-:._+".contains(c) => {
                let mut word = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_ascii_alphanumeric() || "-:._+".contains(ch) {
                        word.push(ch);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push((pos, Token::Word(word)));
            }
            other => {
                return Err(FilterError(format!(
                    "Syntax error: character '{other}' is not valid at position {pos} in '{input}'."
                )));
            }
        }
    }
    Ok(tokens)
}

/// Parses a `$filter` value for `dialect`.
pub(crate) fn parse(input: &str, dialect: Dialect) -> Result<Expr, FilterError> {
    if input.len() > MAX_LEN {
        return Err(FilterError(format!(
            "The $filter expression is longer than {MAX_LEN} characters."
        )));
    }
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        input,
        tokens,
        pos: 0,
        dialect,
    };
    let expr = parser.or(0)?;
    match parser.tokens.get(parser.pos) {
        None => Ok(expr),
        Some((at, _)) => Err(parser.syntax(*at)),
    }
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<(usize, Token)>,
    pos: usize,
    dialect: Dialect,
}

impl Parser<'_> {
    fn syntax(&self, at: usize) -> FilterError {
        FilterError(format!(
            "Syntax error at position {at} in '{}'.",
            self.input
        ))
    }

    fn end(&self) -> FilterError {
        FilterError(format!(
            "Syntax error: the expression '{}' ends too early.",
            self.input
        ))
    }

    fn keyword(&mut self, word: &str) -> bool {
        match self.tokens.get(self.pos) {
            Some((_, Token::Word(w))) if w.eq_ignore_ascii_case(word) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.and(depth)?;
        while self.keyword("or") {
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut left = self.unary(depth)?;
        while self.keyword("and") {
            let right = self.unary(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if depth >= MAX_DEPTH {
            return Err(FilterError(format!(
                "The $filter expression nests deeper than {MAX_DEPTH} levels."
            )));
        }
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        let Some((at, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.end());
        };
        self.pos += 1;
        match token {
            Token::Open => {
                let inner = self.or(depth + 1)?;
                match self.tokens.get(self.pos) {
                    Some((_, Token::Close)) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    Some((at, _)) => Err(self.syntax(*at)),
                    None => Err(self.end()),
                }
            }
            Token::Word(name) => self.comparison(at, &name),
            Token::Close | Token::Quoted(_) => Err(self.syntax(at)),
        }
    }

    fn comparison(&mut self, at: usize, name: &str) -> Result<Expr, FilterError> {
        let Some(field) = self.dialect.field(name) else {
            return Err(FilterError(format!(
                "Could not find a property named '{name}' that can be filtered on (position {at})."
            )));
        };
        let op = match self.tokens.get(self.pos) {
            Some((op_at, Token::Word(w))) => Op::parse(w).ok_or_else(|| self.syntax(*op_at))?,
            Some((at, _)) => return Err(self.syntax(*at)),
            None => return Err(self.end()),
        };
        self.pos += 1;
        let Some((lit_at, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.end());
        };
        self.pos += 1;
        let literal = match token {
            Token::Quoted(text) => Literal::Text(text),
            Token::Word(w) if w.eq_ignore_ascii_case("null") => Literal::Null,
            Token::Word(w) => {
                if let Ok(n) = w.parse::<i64>() {
                    Literal::Int(n)
                } else if let Ok(ts) = Timestamp::parse(&w) {
                    Literal::Date(ts.as_datetime())
                } else {
                    return Err(FilterError(format!(
                        "'{w}' at position {lit_at} is not a valid literal; quote strings and write dates as ISO 8601."
                    )));
                }
            }
            Token::Open | Token::Close => return Err(self.syntax(lit_at)),
        };
        let literal_kind = match &literal {
            Literal::Date(_) => Some(Kind::Date),
            Literal::Int(_) => Some(Kind::Int),
            Literal::Text(_) => Some(Kind::Text),
            Literal::Null => None,
        };
        if let Some(kind) = literal_kind
            && kind != field.kind()
        {
            return Err(FilterError(format!(
                "A binary operator with incompatible types was detected. Found operand types '{}' and '{}' for operator kind '{op:?}'.",
                field.kind().edm(),
                kind.edm()
            )));
        }
        if literal == Literal::Null && !matches!(op, Op::Eq | Op::Ne) {
            return Err(FilterError(format!(
                "The operator '{op:?}' cannot compare with null (position {lit_at})."
            )));
        }
        Ok(Expr::Cmp(field, op, literal))
    }
}

#[cfg(test)]
mod tests;
