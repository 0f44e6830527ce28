//! HEC response codes: text, retryability and what to fix.

/// One HEC response code, as Splunk documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HecCode {
    /// The code.
    pub code: i64,
    /// The HTTP status Splunk sends it with.
    pub status: u16,
    /// Splunk's text.
    pub text: &'static str,
    /// Whether sending again later may succeed.
    pub retryable: bool,
    /// What to change, when it is a configuration problem.
    pub fix: &'static str,
}

const fn c(
    code: i64,
    status: u16,
    text: &'static str,
    retryable: bool,
    fix: &'static str,
) -> HecCode {
    HecCode {
        code,
        status,
        text,
        retryable,
        fix,
    }
}

const CODES: [HecCode; 23] = [
    c(0, 200, "Success", false, ""),
    c(
        1,
        403,
        "Token disabled",
        false,
        "enable the HEC token in Splunk",
    ),
    c(2, 401, "Token is required", false, "set the HEC token"),
    c(
        3,
        401,
        "Invalid authorization",
        false,
        "the header must read `Splunk <token>`; check the token",
    ),
    c(4, 403, "Invalid token", false, "check the HEC token"),
    c(5, 400, "No data", false, "an empty request was sent"),
    c(
        6,
        400,
        "Invalid data format",
        false,
        "Splunk refused one event (see invalid-event-number)",
    ),
    c(
        7,
        400,
        "Incorrect index",
        false,
        "the index is not in the token's list of allowed indexes",
    ),
    c(8, 500, "Internal server error", true, ""),
    c(9, 503, "Server is busy", true, ""),
    c(
        10,
        400,
        "Data channel is missing",
        false,
        "the token has indexer acknowledgement on: enable `indexer_ack` on the sink",
    ),
    c(
        11,
        400,
        "Invalid data channel",
        false,
        "the channel must be a GUID",
    ),
    c(
        12,
        400,
        "Event field is required",
        false,
        "Splunk refused one event (see invalid-event-number)",
    ),
    c(
        13,
        400,
        "Event field cannot be blank",
        false,
        "Splunk refused one event (see invalid-event-number)",
    ),
    c(
        14,
        400,
        "ACK is disabled",
        false,
        "turn `indexer_ack` off, or enable useACK on the token",
    ),
    c(
        15,
        400,
        "Error in handling indexed fields",
        false,
        "Splunk refused the indexed fields of one event",
    ),
    c(
        16,
        400,
        "Query string authorization is not enabled",
        false,
        "send the token in the header",
    ),
    c(17, 200, "HEC is healthy", false, ""),
    c(18, 503, "HEC is unhealthy, queues are full", true, ""),
    c(
        19,
        503,
        "HEC is unhealthy, ack service unavailable",
        true,
        "",
    ),
    c(
        20,
        503,
        "HEC is unhealthy, queues are full, ack service unavailable",
        true,
        "",
    ),
    c(21, 400, "Invalid token", false, "check the HEC token"),
    c(
        22,
        400,
        "Token disabled",
        false,
        "enable the HEC token in Splunk",
    ),
];

/// The documented meaning of HEC code `code` (0–22), or `None`.
///
/// ```
/// use defender_siem::sink::splunk_hec::hec_code;
/// let busy = hec_code(9).unwrap();
/// assert_eq!((busy.status, busy.text, busy.retryable), (503, "Server is busy", true));
/// assert!(!hec_code(4).unwrap().retryable);
/// assert!(hec_code(23).is_none());
/// ```
pub fn hec_code(code: i64) -> Option<&'static HecCode> {
    usize::try_from(code).ok().and_then(|i| CODES.get(i))
}

/// Whether an HTTP status without a known HEC code may succeed later:
/// 408, 429 and every 5xx except 501 (as Vector and Splunk's own guidance).
pub(crate) fn status_retryable(status: u16) -> bool {
    status == 408 || status == 429 || (status >= 500 && status != 501)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_code() {
        for (i, code) in CODES.iter().enumerate() {
            assert_eq!(code.code, i as i64);
            assert_eq!(
                code.retryable,
                status_retryable(code.status) && code.code != 0 && code.code != 17,
                "{}",
                code.code
            );
        }
    }
}
