//! Reading OData query options (`$filter`, `$top`, `$skip`, …).

use url::form_urlencoded;

/// The query options a request carried (last one wins when repeated).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    pub filter: Option<String>,
    pub top: Option<String>,
    pub skip: Option<String>,
    pub expand: Option<String>,
    pub skiptoken: Option<String>,
    pub count: Option<String>,
    /// Non-OData parameters (`tenant=` on `/_sim` routes).
    pub other: Vec<(String, String)>,
}

/// Splits a raw query string.
pub(crate) fn params(query: Option<&str>) -> Params {
    let mut params = Params::default();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let value = value.into_owned();
        match key.to_ascii_lowercase().as_str() {
            "$filter" => params.filter = Some(value),
            "$top" => params.top = Some(value),
            "$skip" => params.skip = Some(value),
            "$expand" => params.expand = Some(value),
            "$skiptoken" => params.skiptoken = Some(value),
            "$count" => params.count = Some(value),
            _ => params.other.push((key.into_owned(), value)),
        }
    }
    params
}

/// A non-negative whole number option, at most `max`.
pub(crate) fn number(
    value: Option<&str>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, String> {
    let Some(text) = value else {
        return Ok(default);
    };
    let Ok(n) = text.trim().parse::<u64>() else {
        return Err(format!(
            "Invalid value '{text}' for {name} query option found. The {name} query option requires a non-negative integer value."
        ));
    };
    if n > max as u64 {
        return Err(format!(
            "The limit of '{max}' for {} query has been exceeded. The value from the incoming request is '{n}'.",
            if name == "$top" { "Top" } else { "Skip" }
        ));
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_options() {
        let p = params(Some(
            "$filter=lastUpdateTime+ge+2024-01-01T00:00:00Z&$top=5&tenant=x&%24skip=2",
        ));
        assert_eq!(
            p.filter.as_deref(),
            Some("lastUpdateTime ge 2024-01-01T00:00:00Z")
        );
        assert_eq!(number(p.top.as_deref(), "$top", 10, 10_000), Ok(5));
        assert_eq!(number(p.skip.as_deref(), "$skip", 0, usize::MAX), Ok(2));
        assert_eq!(p.other, vec![("tenant".to_owned(), "x".to_owned())]);
        assert!(number(Some("-1"), "$top", 0, 10).is_err());
        assert!(
            number(Some("11"), "$top", 0, 10)
                .unwrap_err()
                .contains("limit of '10'")
        );
    }
}
