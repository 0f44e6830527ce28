//! Typed, lossless models of what the Defender APIs send.
//!
//! | type | API |
//! |---|---|
//! | [`Alert`], [`Evidence`], [`Comment`], [`RelatedUser`] | Defender for Endpoint `GET /api/alerts` |
//! | [`GraphAlert`], [`GraphEvidence`] | Microsoft Graph `GET /v1.0/security/alerts_v2` |
//! | [`SiemAlert`] | the retired SIEM API (`wdatp-alertexporter-*`), for migrations |
//! | [`Page`] | the OData envelope: `@odata.context`, `value`, `@odata.nextLink` |
//!
//! Three promises hold for every type here:
//!
//! * **Nothing is lost.** Members the crate does not model are kept in an
//!   `extra` map; members that arrived as `null` are written back as `null`;
//!   enum values the crate does not know are kept as `Unknown(String)`.
//!   Serializing a parsed alert gives back an equal JSON document, except that
//!   timestamps come back in one normalized form (same instant).
//! * **Raw bytes travel with the typed view.** [`parse_page`] returns each
//!   alert's exact bytes ([`RawJson`]) beside its typed view ([`ParsedAlert`]), so JSON
//!   sinks forward what the API sent, byte for byte.
//! * **One bad alert never spoils its page.** A malformed alert becomes a
//!   [`MalformedAlert`] naming its index, id and JSON path; the others parse.

mod alert;
mod compact;
mod enums;
mod evidence;
mod fields;
mod graph;
mod graph_evidence;
mod legacy;
mod macros;
mod page;
mod raw;
mod timestamp;

pub use alert::{Alert, Comment, LoggedOnUser, RelatedUser};
pub use compact::compact_json_into;
pub use enums::{
    AlertStatus, Classification, DetectionSource, Determination, EntityType, InvestigationState,
    Severity,
};
pub use evidence::Evidence;
pub use graph::{
    GraphAlert, GraphClassification, GraphComment, GraphSeverity, GraphStatus, RecommendedActions,
    ServiceSource,
};
pub use graph_evidence::{
    AnalyzedMessageEvidence, CloudApplicationEvidence, DeviceEvidence, FileDetails, FileEvidence,
    GraphEvidence, IpEvidence, MailClusterEvidence, MailboxEvidence, OauthApplicationEvidence,
    ProcessEvidence, RegistryKeyEvidence, RegistryValueEvidence, SecurityGroupEvidence,
    UrlEvidence, UserAccount, UserEvidence,
};
pub use legacy::SiemAlert;
#[doc(hidden)]
pub use page::readers as page_readers;
pub use page::{
    HasAlertId, MalformedAlert, Page, PageError, PageErrorKind, ParsedAlert, parse_page,
    parse_records,
};
pub use raw::RawJson;
pub use timestamp::{Timestamp, TimestampError};
