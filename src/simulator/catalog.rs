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

/// One kind of detection.
#[derive(Debug)]
pub(crate) struct Template {
    pub detection_source: &'static str,
    pub detector_id: &'static str,
    pub category: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub mitre: &'static [&'static str],
    pub threat_family: Option<&'static str>,
    pub threat_name: Option<&'static str>,
    /// Index into [`SEVERITIES`] of the usual severity.
    pub severity: usize,
    pub evidence: &'static [EvidenceKind],
    /// Relative frequency.
    pub weight: u32,
}

use EvidenceKind::{File, Ip, Process, Registry, Url, User};

/// MDE severities, lowest first.
pub(crate) const SEVERITIES: [&str; 4] = ["Informational", "Low", "Medium", "High"];

/// MDE statuses of the three alert versions.
pub(crate) const STATUSES: [&str; 3] = ["New", "InProgress", "Resolved"];

#[allow(clippy::too_many_arguments)] // a table row, read positionally
const fn t(
    detection_source: &'static str,
    detector_id: &'static str,
    category: &'static str,
    title: &'static str,
    description: &'static str,
    mitre: &'static [&'static str],
    threat: Option<(&'static str, &'static str)>,
    severity: usize,
    evidence: &'static [EvidenceKind],
    weight: u32,
) -> Template {
    let (threat_family, threat_name) = match threat {
        Some((family, name)) => (Some(family), Some(name)),
        None => (None, None),
    };
    Template {
        detection_source,
        detector_id,
        category,
        title,
        description,
        mitre,
        threat_family,
        threat_name,
        severity,
        evidence,
        weight,
    }
}

/// The templates, with weights giving a realistic mix of sources.
pub(crate) static TEMPLATES: &[Template] = &[
    t(
        "WindowsDefenderAtp",
        "7f1c3609-a3ff-40e2-995b-c01770161d68",
        "Execution",
        "Suspicious PowerShell command line",
        "A suspicious PowerShell activity was observed on the machine. This behavior may indicate that PowerShell was used during installation, exploration, or in some cases in lateral movement activities.",
        &["T1059.001"],
        None,
        2,
        &[Process, File, User],
        14,
    ),
    t(
        "WindowsDefenderAtp",
        "17e10bbc-3a68-474a-8aad-faef14d43952",
        "DefenseEvasion",
        "Low-reputation arbitrary code executed by signed executable",
        "Binaries signed by Microsoft can be used to run low-reputation arbitrary code. This technique hides the execution of malicious code within a trusted process.",
        &["T1218.011", "T1220"],
        None,
        1,
        &[User, Process, File],
        10,
    ),
    t(
        "WindowsDefenderAtp",
        "c4a8e3ba-3b31-4ec8-8f6c-fa5f1a1e4f35",
        "CredentialAccess",
        "Suspicious access to LSASS service",
        "A process accessed the memory of the Local Security Authority Subsystem Service (LSASS). Attackers do this to obtain credentials of users logged on to the device.",
        &["T1003.001"],
        None,
        3,
        &[Process, User],
        6,
    ),
    t(
        "WindowsDefenderAtp",
        "b3f8a2e1-9f1c-4a5b-8e0d-2c6d3b7a9e41",
        "Persistence",
        "Suspicious Scheduled Task Process Launched",
        "A scheduled task launched a process that is rarely seen in the organization.\nAttackers use scheduled tasks to keep a foothold after a reboot.",
        &["T1053.005"],
        None,
        2,
        &[Process, Registry, File],
        7,
    ),
    t(
        "WindowsDefenderAtp",
        "5a0e7c62-d8a4-4c1e-9b7e-3f2a6d1c8b90",
        "LateralMovement",
        "Suspicious service registration by a remote device",
        "A service was created on this device by a remote session. Attackers install services to run code on other devices of the network.",
        &["T1021.002", "T1569.002"],
        None,
        3,
        &[Process, Ip, User],
        4,
    ),
    t(
        "WindowsDefenderAtp",
        "e2c4b8d6-1a3f-4e5b-9c7d-8f0a2b4c6d1e",
        "Discovery",
        "Suspicious sequence of exploration activities",
        "A process called a set of windows commands. These commands can be used by attackers to identify assets of value and coordinate lateral movement after compromising a device.",
        &["T1087.002", "T1135", "T1016"],
        None,
        1,
        &[Process, User],
        8,
    ),
    t(
        "WindowsDefenderAtp",
        "9d1b3f5e-7a2c-4e6b-8d0f-1c3e5a7b9d2f",
        "Impact",
        "Ransomware behavior detected in the file system",
        "A process renamed and encrypted many files in a short time, which is typical of ransomware.",
        &["T1486"],
        None,
        3,
        &[Process, File, User],
        2,
    ),
    t(
        "WindowsDefenderAtp",
        "0c2e4a6b-8d1f-4b3c-9e5a-7f9b1d3e5c70",
        "Collection",
        "Suspicious archive creation",
        "A command line tool created a password-protected archive of documents, which may be staged for exfiltration.",
        &["T1560.001"],
        None,
        1,
        &[Process, File],
        4,
    ),
    t(
        "WindowsDefenderAv",
        "e0da400f-affd-43ef-b1d5-afc2eb6f2756",
        "Malware",
        "'Emotet' malware was prevented",
        "Malware and unwanted software are undesirable applications that perform annoying, disruptive, or harmful actions on affected machines.\nThis detection might indicate that the malware was stopped from delivering its payload.",
        &[],
        Some(("Emotet", "Trojan:Win32/Emotet.RT!MTB")),
        2,
        &[File, Process],
        10,
    ),
    t(
        "WindowsDefenderAv",
        "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "CredentialAccess",
        "'Mimikatz' credential theft tool",
        "The Mimikatz credential theft tool was detected on this device. Mimikatz dumps credentials from memory.",
        &["T1003"],
        Some(("Mimikatz", "HackTool:Win32/Mimikatz.D")),
        3,
        &[File],
        5,
    ),
    t(
        "WindowsDefenderAv",
        "3e5f7a9b-1c2d-4e6f-8a0b-2c4d6e8f0a1b",
        "UnwantedSoftware",
        "'Presenoker' unwanted software was detected",
        "Potentially unwanted applications (PUA) can reduce device performance and expose it to other threats.",
        &[],
        Some(("Presenoker", "PUA:Win32/Presenoker")),
        0,
        &[File],
        8,
    ),
    t(
        "WindowsDefenderSmartScreen",
        "6b8d0f2a-4c6e-4a1b-9d3f-5e7a9c1b3d5f",
        "InitialAccess",
        "Suspicious URL clicked",
        "A user opened a URL that SmartScreen flagged as potentially malicious.",
        &["T1566.002", "T1204.001"],
        None,
        2,
        &[Url, User],
        5,
    ),
    t(
        "CustomerTI",
        "8f0a2c4e-6b8d-4f1a-9c3e-5b7d9f1a3c5e",
        "CommandAndControl",
        "Connection to a custom network indicator",
        "An endpoint connected to a URL or domain in your list of custom indicators.",
        &["T1071.001"],
        None,
        2,
        &[Ip, Url, Process],
        3,
    ),
    t(
        "CustomDetection",
        "2d4f6a8c-0e2b-4d6f-8a1c-3e5b7d9f1a2c",
        "Execution",
        "Custom detection: Office application spawned a script host",
        "A custom detection rule matched: an Office application started wscript or cscript.",
        &["T1204.002", "T1059.005"],
        None,
        2,
        &[Process, File, User],
        4,
    ),
    t(
        "AutomatedInvestigation",
        "4f6a8c0e-2b4d-4f6a-8c1e-3b5d7f9a1c3e",
        "Malware",
        "Malicious file remediated by automated investigation",
        "Automated investigation found a malicious file on the device and quarantined it.",
        &[],
        Some(("Qakbot", "Trojan:Win32/Qakbot!MSR")),
        1,
        &[File, Process],
        3,
    ),
    t(
        "ThreatExperts",
        "1a3c5e7f-9b2d-4f6a-8c0e-2d4f6a8c0b1d",
        "SuspiciousActivity",
        "Microsoft Threat Experts: hands-on-keyboard activity",
        "Microsoft Threat Experts observed activity that suggests a human operator on this device. Review the timeline and contact the device owner.",
        &["T1078", "T1059"],
        None,
        3,
        &[Process, User, Ip],
        2,
    ),
    t(
        "MTP",
        "7c9e1a3b-5d7f-4a9c-8e0b-2d4f6a8c1e3b",
        "InitialAccess",
        "Email messages containing malicious URL removed after delivery",
        "Emails with a malicious URL were delivered and later removed. A user on this device may have opened the link.",
        &["T1566.002"],
        None,
        2,
        &[Url, User],
        3,
    ),
];

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
