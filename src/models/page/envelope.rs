//! The OData envelope grammar, which both readers follow: which members of
//! an object make it a page and what each one means.
//!
//! A page is an object with a `value` array of alerts; `@odata.context` and
//! `@odata.nextLink` are kept; any other `@`-annotation (`@odata.count`, …)
//! is skipped. Whether any other member is skipped too or means "this
//! object is not a page" depends on where the object is (see
//! [`Member::of`]).

/// The member holding the alerts.
pub(super) const VALUE: &str = "value";
/// The member naming the query's metadata document.
pub(super) const CONTEXT: &str = "@odata.context";
/// The member linking to the next page.
pub(super) const NEXT_LINK: &str = "@odata.nextLink";

/// What one member of an envelope object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Member {
    /// `value`: the array of alerts.
    Value,
    /// `@odata.context`: a string or `null`.
    Context,
    /// `@odata.nextLink`: a string or `null`.
    NextLink,
    /// Anything else that may be skipped.
    Ignored,
}

impl Member {
    /// What the member `key` is, or `None` when it shows the object is not
    /// an envelope. When `strict` (an API response, which must be a page)
    /// every other member is skipped; otherwise (an object in a file, which
    /// may be a bare alert) only `@`-annotations are, which tells a bare
    /// alert from a page without reading the alert twice.
    pub(super) fn of(key: &str, strict: bool) -> Option<Member> {
        match key {
            VALUE => Some(Member::Value),
            CONTEXT => Some(Member::Context),
            NEXT_LINK => Some(Member::NextLink),
            other if strict || other.starts_with('@') => Some(Member::Ignored),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_of_an_envelope() {
        assert_eq!(Member::of("value", false), Some(Member::Value));
        assert_eq!(Member::of("@odata.context", false), Some(Member::Context));
        assert_eq!(Member::of("@odata.nextLink", true), Some(Member::NextLink));
        assert_eq!(Member::of("@odata.count", false), Some(Member::Ignored));
        assert_eq!(Member::of("id", true), Some(Member::Ignored));
        assert_eq!(Member::of("id", false), None);
    }
}
