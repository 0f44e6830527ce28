//! [`RawJson`]: one JSON value's exact text, as it arrived.

use std::fmt;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::value::RawValue;

/// The exact text of one well-formed JSON value (an alert as the API sent
/// it), kept so that JSON sinks can forward it byte for byte.
///
/// It plays the part of serde_json's `Box<RawValue>`, and converts from one
/// for free, but can be made without a second validating pass when the
/// parser has just read the value: [`parse_page`](super::parse_page) reads
/// each alert once and keeps its bytes as they were.
///
/// ```
/// use defender_siem::models::RawJson;
///
/// let raw = RawJson::from_string(r#"{"id": "da1"}"#.to_owned())?;
/// assert_eq!(raw.get(), r#"{"id": "da1"}"#);
/// assert!(RawJson::from_string("{\"id\":".to_owned()).is_err());
/// // Serializing embeds the text as it is.
/// assert_eq!(serde_json::to_string(&[&raw])?, r#"[{"id": "da1"}]"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// Checks that `json` is exactly one JSON value and keeps it unchanged,
    /// less any whitespace around it (as `RawValue::from_string` does).
    pub fn from_string(json: String) -> Result<Self, serde_json::Error> {
        let value: &RawValue = serde_json::from_str(&json)?;
        if value.get().len() < json.len() {
            return Ok(RawJson::from(value));
        }
        Ok(RawJson(json.into_boxed_str()))
    }

    /// Keeps text the caller has already read as one JSON value.
    pub(crate) fn from_checked(json: &str) -> Self {
        RawJson(Box::from(json))
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }

    /// The JSON text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Length of the text in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a JSON value is never empty text. Here for the
    /// convention that comes with `len`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text as a `String`.
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// The text as serde_json's raw value (one validating pass).
    pub fn to_raw_value(&self) -> Result<Box<RawValue>, serde_json::Error> {
        RawValue::from_string(self.0.to_string())
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson")
            .field(&format_args!("{}", self.0))
            .finish()
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RawJson {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(raw: Box<RawValue>) -> Self {
        let text: Box<str> = raw.into();
        RawJson(text)
    }
}

impl From<&RawValue> for RawJson {
    fn from(raw: &RawValue) -> Self {
        RawJson::from_checked(raw.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Borrowing a RawValue re-reads the text; only serialization pays it.
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(S::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawJson::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_from_serde_json_raw_values_unchanged() {
        let boxed = RawValue::from_string("[1, {\"a\": null}]".to_owned()).unwrap();
        let raw = RawJson::from(boxed);
        assert_eq!(raw.get(), "[1, {\"a\": null}]");
        assert_eq!(raw.to_raw_value().unwrap().get(), raw.get());
        let back: RawJson = serde_json::from_str(" {\"x\" : 1} ").unwrap();
        assert_eq!(back.get(), "{\"x\" : 1}");
    }

    #[test]
    fn rejects_text_that_is_not_one_value() {
        assert!(RawJson::from_string("1 2".to_owned()).is_err());
        assert_eq!(
            RawJson::from_string(" [1] \n".to_owned()).unwrap().get(),
            "[1]"
        );
        assert!(RawJson::from_string(String::new()).is_err());
    }
}
