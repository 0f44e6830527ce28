//! The fixed vocabulary synthetic alerts are drawn from: alert templates
//! modelled on real Defender for Endpoint detections, severity and status
//! values, names of customers, users and devices.

/// Kinds of evidence an alert template carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EvidenceKind {
    Process,
    File,
    User,
    Ip,
    Url,
    Registry,
}

/// MDE severities, lowest first.
pub(crate) const SEVERITIES: [&str; 4] = ["Informational", "Low", "Medium", "High"];

/// MDE statuses of the three alert versions.
pub(crate) const STATUSES: [&str; 3] = ["New", "InProgress", "Resolved"];

/// Fictional organizations used for tenant names.
pub(crate) const ORGANIZATIONS: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind Traders",
    "Tailspin Toys",
    "Woodgrove Bank",
    "Adventure Works",
    "Litware",
    "Wide World Importers",
    "Alpine Ski House",
    "Proseware",
    "Lamna Healthcare",
    "Relecloud",
    "Trey Research",
    "Coho Winery",
    "Margie's Travel",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Humongous Insurance",
    "Lucerne Publishing",
    "Blue Yonder Airlines",
];

/// Account names.
pub(crate) const USERS: &[&str] = &[
    "jdoe",
    "asmith",
    "mgarcia",
    "lchen",
    "rpatel",
    "kmuller",
    "nkowalski",
    "oadeyemi",
    "svc-backup",
    "administrator",
];

/// Analysts who pick alerts up.
pub(crate) const ANALYSTS: &[&str] = &["secops1", "secops2", "soc.tier2", "ir.lead"];

/// Comments analysts write, by status reached.
pub(crate) const TRIAGE_COMMENTS: &[&str] = &[
    "Investigating, device isolated pending review",
    "Picked up by the MSSP SOC, checking the process tree",
    "Contacted the device owner",
];

/// Classification, determination and closing comment.
pub(crate) const RESOLUTIONS: &[(&str, &str, &str, u32)] = &[
    (
        "TruePositive",
        "Malware",
        "Malware removed, full scan clean",
        30,
    ),
    (
        "TruePositive",
        "MultiStagedAttack",
        "Part of a contained intrusion",
        6,
    ),
    (
        "TruePositive",
        "CompromisedUser",
        "Password reset, sessions revoked",
        6,
    ),
    (
        "InformationalExpectedActivity",
        "SecurityTesting",
        "Red team exercise",
        12,
    ),
    (
        "InformationalExpectedActivity",
        "LineOfBusinessApplication",
        "Known admin tooling",
        14,
    ),
    ("FalsePositive", "Clean", "Benign, tuned the rule", 20),
    (
        "FalsePositive",
        "InsufficientData",
        "Not enough data to confirm",
        8,
    ),
];

/// Investigation states of an open and of a closed alert.
pub(crate) const OPEN_INVESTIGATION: &[&str] = &[
    "Queued",
    "Running",
    "PendingApproval",
    "UnsupportedAlertType",
];
pub(crate) const CLOSED_INVESTIGATION: &[&str] = &[
    "SuccessfullyRemediated",
    "Benign",
    "TerminatedBySystem",
    "PartiallyRemediated",
];

/// Lower-camel Graph spelling of an MDE detection source.
pub(crate) fn graph_detection_source(mde: &str) -> &'static str {
    match mde {
        "WindowsDefenderAv" => "antivirus",
        "WindowsDefenderSmartScreen" => "smartScreen",
        "CustomerTI" => "customTi",
        "CustomDetection" => "customDetection",
        "AutomatedInvestigation" => "automatedInvestigation",
        "ThreatExperts" => "microsoftThreatExperts",
        "MTP" => "microsoft365Defender",
        _ => "microsoftDefenderForEndpoint",
    }
}

/// Lower-camel Graph spelling of an MDE enum value (`InProgress` → `inProgress`).
pub(crate) fn lower_camel(value: &str) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::templates::TEMPLATES;

    #[test]
    fn templates_are_consistent() {
        for template in TEMPLATES {
            assert!(template.severity < SEVERITIES.len(), "{}", template.title);
            assert!(!template.evidence.is_empty(), "{}", template.title);
            assert_eq!(template.detector_id.len(), 36, "{}", template.title);
        }
        assert_eq!(lower_camel("InProgress"), "inProgress");
        assert_eq!(
            graph_detection_source("WindowsDefenderAtp"),
            "microsoftDefenderForEndpoint"
        );
    }
}
