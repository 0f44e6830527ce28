//! `Authorization` header values, always marked sensitive so that neither
//! reqwest's nor hyper's `Debug` (nor an HTTP/2 header table) shows them.

use reqwest::header::HeaderValue;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// `Bearer <token>`, marked sensitive. A token holding bytes a header
/// cannot carry is an error that does not show it.
pub(crate) fn bearer_header(token: &Secret) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        Error::Protocol("the access token holds characters a header cannot carry".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_header_is_sensitive_and_hidden_from_debug() {
        let value = bearer_header(&Secret::new("tok-123")).unwrap();
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().unwrap(), "Bearer tok-123");
        assert!(!format!("{value:?}").contains("tok-123"));
        let e = bearer_header(&Secret::new("bad\ntok-123")).unwrap_err();
        assert!(!e.to_string().contains("tok-123"), "{e}");
    }
}
