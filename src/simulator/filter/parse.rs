//! Tokenizer and recursive-descent parser for `$filter`.

use super::{Dialect, Expr, FilterError, Kind, Literal, MAX_DEPTH, MAX_LEN, Op};
use crate::models::Timestamp;

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
