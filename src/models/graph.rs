//! The Microsoft Graph security alert (`GET /v1.0/security/alerts_v2`).

use serde::de::{Deserialize, Deserializer};
use serde::{Serialize, Serializer};

use super::enums::Severity;
use super::graph_evidence::GraphEvidence;
use super::macros::{json_object, wire_enum};
use super::timestamp::Timestamp;

wire_enum! {
    /// Graph alert severity (lowerCamel on the wire).
    pub enum GraphSeverity {
        /// `unknown`
        Undetermined => "unknown",
        /// `informational`
        Informational => "informational",
        /// `low`
        Low => "low",
        /// `medium`
        Medium => "medium",
        /// `high`
        High => "high",
        /// `unknownFutureValue` (a value newer than the caller asked for)
        UnknownFutureValue => "unknownFutureValue",
    }
}

impl GraphSeverity {
    /// The equivalent Defender for Endpoint severity, for filters that work
    /// across both APIs.
    pub fn to_mde(&self) -> Severity {
        match self {
            GraphSeverity::Informational => Severity::Informational,
            GraphSeverity::Low => Severity::Low,
            GraphSeverity::Medium => Severity::Medium,
            GraphSeverity::High => Severity::High,
            GraphSeverity::Undetermined => Severity::UnSpecified,
            GraphSeverity::UnknownFutureValue => Severity::Unknown(self.as_str().to_owned()),
            GraphSeverity::Unknown(other) => Severity::from_any_case(other),
        }
    }
}

wire_enum! {
    /// Graph alert status.
    pub enum GraphStatus {
        /// `unknown`
        Undetermined => "unknown",
        /// `new`
        New => "new",
        /// `inProgress`
        InProgress => "inProgress",
        /// `resolved`
        Resolved => "resolved",
        /// `unknownFutureValue`
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// Graph alert classification.
    pub enum GraphClassification {
        /// `unknown`
        Undetermined => "unknown",
        /// `falsePositive`
        FalsePositive => "falsePositive",
        /// `truePositive`
        TruePositive => "truePositive",
        /// `informationalExpectedActivity`
        InformationalExpectedActivity => "informationalExpectedActivity",
        /// `unknownFutureValue`
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The Microsoft product that raised a Graph alert (not a closed set).
    pub enum ServiceSource {
        /// Defender for Endpoint.
        MicrosoftDefenderForEndpoint => "microsoftDefenderForEndpoint",
        /// Defender for Identity.
        MicrosoftDefenderForIdentity => "microsoftDefenderForIdentity",
        /// Defender for Cloud Apps.
        MicrosoftDefenderForCloudApps => "microsoftDefenderForCloudApps",
        /// Defender for Office 365.
        MicrosoftDefenderForOffice365 => "microsoftDefenderForOffice365",
        /// Defender XDR.
        Microsoft365Defender => "microsoft365Defender",
        /// Entra ID Protection.
        AzureAdIdentityProtection => "azureAdIdentityProtection",
        /// Microsoft App Governance.
        MicrosoftAppGovernance => "microsoftAppGovernance",
        /// Data loss prevention.
        DataLossPrevention => "dataLossPrevention",
        /// Defender for Cloud.
        MicrosoftDefenderForCloud => "microsoftDefenderForCloud",
        /// Sentinel.
        MicrosoftSentinel => "microsoftSentinel",
        /// `unknownFutureValue`
        UnknownFutureValue => "unknownFutureValue",
    }
}

/// `recommendedActions`: a text on `alerts_v2`, a list of strings on the
/// retired `security/alerts` API. Both are kept as they came.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecommendedActions {
    /// Free text (`alerts_v2`).
    Text(String),
    /// A list of actions (the retired `security/alerts` API).
    List(Vec<String>),
}

impl Serialize for RecommendedActions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RecommendedActions::Text(text) => s.serialize_str(text),
            RecommendedActions::List(list) => list.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RecommendedActions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            List(Vec<String>),
        }
        match Either::deserialize(d)? {
            Either::Text(text) => Ok(RecommendedActions::Text(text)),
            Either::List(list) => Ok(RecommendedActions::List(list)),
        }
    }
}

json_object! {
    /// A Graph security alert (`alerts_v2`). Its evidence is typed by
    /// `@odata.type`; see [`GraphEvidence`].
    ///
    /// For Defender for Endpoint alerts, `id` and `providerAlertId` are the
    /// MDE alert id, and `alertWebUrl` already carries `?tid=`.
    pub struct GraphAlert {
        /// `#microsoft.graph.security.alert` on single-entity responses.
        odata_type: String => "@odata.type",
        /// Alert id.
        id: String => "id",
        /// The id in the product that raised it.
        provider_alert_id: String => "providerAlertId",
        /// Incident id (a string on Graph).
        incident_id: String => "incidentId",
        /// Status.
        status: GraphStatus => "status",
        /// Severity.
        severity: GraphSeverity => "severity",
        /// Classification.
        classification: GraphClassification => "classification",
        /// Determination (lowerCamel, not a closed set).
        determination: String => "determination",
        /// Product that raised the alert.
        service_source: ServiceSource => "serviceSource",
        /// Engine that raised it (`antivirus`, `customTi`, …).
        detection_source: String => "detectionSource",
        /// Detector id.
        detector_id: String => "detectorId",
        /// Tenant id.
        tenant_id: String => "tenantId",
        /// Title.
        title: String => "title",
        /// Description.
        description: String => "description",
        /// Recommended actions.
        recommended_actions: RecommendedActions => "recommendedActions",
        /// Category.
        category: String => "category",
        /// Owner.
        assigned_to: String => "assignedTo",
        /// Link to the alert in the portal, with `?tid=`.
        alert_web_url: String => "alertWebUrl",
        /// Link to the incident in the portal.
        incident_web_url: String => "incidentWebUrl",
        /// Actor (activity group).
        actor_display_name: String => "actorDisplayName",
        /// Threat name.
        threat_display_name: String => "threatDisplayName",
        /// Threat family.
        threat_family_name: String => "threatFamilyName",
        /// MITRE ATT&CK technique ids.
        mitre_techniques: Vec<String> => "mitreTechniques",
        /// Creation time.
        created_date_time: Timestamp => "createdDateTime",
        /// Last change: the cursor for incremental pulls.
        last_update_date_time: Timestamp => "lastUpdateDateTime",
        /// Resolution time.
        resolved_date_time: Timestamp => "resolvedDateTime",
        /// First activity.
        first_activity_date_time: Timestamp => "firstActivityDateTime",
        /// Last activity.
        last_activity_date_time: Timestamp => "lastActivityDateTime",
        /// Comments.
        comments: Vec<GraphComment> => "comments",
        /// Evidence, typed by `@odata.type`.
        evidence: Vec<GraphEvidence> => "evidence",
        /// System tags.
        system_tags: Vec<String> => "systemTags",
        /// Investigation state.
        investigation_state: String => "investigationState",
        /// Product name.
        product_name: String => "productName",
        /// Alert policy id.
        alert_policy_id: String => "alertPolicyId",
        /// Custom details.
        custom_details: serde_json::Value => "customDetails",
        /// Additional data.
        additional_data: serde_json::Value => "additionalData",
    }
}

json_object! {
    /// A comment on a Graph alert.
    pub struct GraphComment {
        /// The text.
        comment: String => "comment",
        /// Who wrote it.
        created_by_display_name: String => "createdByDisplayName",
        /// When.
        created_date_time: Timestamp => "createdDateTime",
    }
}
