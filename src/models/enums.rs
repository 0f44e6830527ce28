//! The Defender for Endpoint alert enums.
//!
//! Microsoft adds values without notice (`determination` has changed several
//! times), so every enum keeps a value it does not know as `Unknown(String)`
//! and writes it back unchanged.

use std::cmp::Ordering;

use super::macros::wire_enum;

wire_enum! {
    /// How severe an alert is. Ordered: `UnSpecified < Informational < Low <
    /// Medium < High`, so filters can say "Medium and up":
    ///
    /// ```
    /// use defender_siem::models::Severity;
    /// assert!(Severity::High >= Severity::Medium);
    /// assert!(Severity::Low < Severity::Medium);
    /// ```
    ///
    /// An unknown value sorts below every known one, so a "Medium and up"
    /// filter does not let it through by accident.
    pub enum Severity {
        /// No severity was set.
        UnSpecified => "UnSpecified",
        /// Informational.
        Informational => "Informational",
        /// Low.
        Low => "Low",
        /// Medium.
        Medium => "Medium",
        /// High.
        High => "High",
    }
}

impl Severity {
    /// Position in the severity order; unknown values rank lowest.
    pub fn rank(&self) -> u8 {
        match self {
            Severity::Unknown(_) => 0,
            Severity::UnSpecified => 1,
            Severity::Informational => 2,
            Severity::Low => 3,
            Severity::Medium => 4,
            Severity::High => 5,
        }
    }

    /// Reads a severity written in any case (`high`, `HIGH`, `High`), as
    /// Graph and hand-written configuration files do.
    pub fn from_any_case(value: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|known| known.eq_ignore_ascii_case(value))
            .map_or_else(
                || Self::Unknown(value.to_owned()),
                |known| Self::from_wire(known),
            )
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank()
            .cmp(&other.rank())
            .then_with(|| match (self, other) {
                (Severity::Unknown(a), Severity::Unknown(b)) => a.cmp(b),
                _ => Ordering::Equal,
            })
    }
}

wire_enum! {
    /// Where the alert is in its life cycle.
    pub enum AlertStatus {
        /// The status is unknown to Defender itself.
        Undetermined => "Unknown",
        /// Not looked at yet.
        New => "New",
        /// Someone is working on it.
        InProgress => "InProgress",
        /// Closed.
        Resolved => "Resolved",
    }
}

wire_enum! {
    /// The analyst's verdict.
    pub enum Classification {
        /// True positive.
        TruePositive => "TruePositive",
        /// Informational, expected activity.
        InformationalExpectedActivity => "InformationalExpectedActivity",
        /// False positive.
        FalsePositive => "FalsePositive",
        /// Explicitly unknown (older API versions).
        Undetermined => "Unknown",
    }
}

wire_enum! {
    /// What the alert turned out to be. Microsoft has renamed and retired
    /// values over time; all documented spellings are listed.
    pub enum Determination {
        /// Multi-staged attack.
        MultiStagedAttack => "MultiStagedAttack",
        /// Malicious user activity.
        MaliciousUserActivity => "MaliciousUserActivity",
        /// Compromised account.
        CompromisedUser => "CompromisedUser",
        /// Malware.
        Malware => "Malware",
        /// Phishing.
        Phishing => "Phishing",
        /// Unwanted software.
        UnwantedSoftware => "UnwantedSoftware",
        /// Security test.
        SecurityTesting => "SecurityTesting",
        /// Line-of-business application.
        LineOfBusinessApplication => "LineOfBusinessApplication",
        /// Confirmed user activity.
        ConfirmedUserActivity => "ConfirmedUserActivity",
        /// Confirmed activity (the spelling `update-alert` uses).
        ConfirmedActivity => "ConfirmedActivity",
        /// Not malicious, clean.
        Clean => "Clean",
        /// Not malicious (the spelling `update-alert` uses).
        NotMalicious => "NotMalicious",
        /// Not enough data to validate.
        InsufficientData => "InsufficientData",
        /// Other.
        Other => "Other",
        /// Advanced persistent threat (deprecated in 2022).
        Apt => "Apt",
        /// Security personnel (deprecated in 2022).
        SecurityPersonnel => "SecurityPersonnel",
        /// Not available (older API versions).
        NotAvailable => "NotAvailable",
    }
}

wire_enum! {
    /// State of the automated investigation attached to the alert.
    pub enum InvestigationState {
        /// Unknown.
        Undetermined => "Unknown",
        /// Terminated.
        Terminated => "Terminated",
        /// Remediated.
        SuccessfullyRemediated => "SuccessfullyRemediated",
        /// Benign.
        Benign => "Benign",
        /// Failed.
        Failed => "Failed",
        /// Partially remediated.
        PartiallyRemediated => "PartiallyRemediated",
        /// Running.
        Running => "Running",
        /// Waiting for approval.
        PendingApproval => "PendingApproval",
        /// Waiting for a resource.
        PendingResource => "PendingResource",
        /// Partially investigated.
        PartiallyInvestigated => "PartiallyInvestigated",
        /// Terminated by a user.
        TerminatedByUser => "TerminatedByUser",
        /// Terminated by the system.
        TerminatedBySystem => "TerminatedBySystem",
        /// Queued.
        Queued => "Queued",
        /// Inner failure.
        InnerFailure => "InnerFailure",
        /// The alert existed before the investigation.
        PreexistingAlert => "PreexistingAlert",
        /// The OS is not supported.
        UnsupportedOs => "UnsupportedOs",
        /// The alert type is not supported.
        UnsupportedAlertType => "UnsupportedAlertType",
        /// Suppressed.
        SuppressedAlert => "SuppressedAlert",
    }
}

wire_enum! {
    /// The product or engine that raised the alert. Not a closed set.
    pub enum DetectionSource {
        /// A third-party sensor.
        ThirdPartySensors => "ThirdPartySensors",
        /// Microsoft Defender Antivirus.
        WindowsDefenderAv => "WindowsDefenderAv",
        /// Automated investigation.
        AutomatedInvestigation => "AutomatedInvestigation",
        /// A custom detection rule.
        CustomDetection => "CustomDetection",
        /// The customer's own threat intelligence.
        CustomerTi => "CustomerTI",
        /// Endpoint detection and response (EDR).
        WindowsDefenderAtp => "WindowsDefenderAtp",
        /// Microsoft 365 Defender / Defender XDR.
        Mtp => "MTP",
        /// Defender for Office 365.
        OfficeAtp => "OfficeATP",
        /// Microsoft Threat Experts.
        ThreatExperts => "ThreatExperts",
        /// SmartScreen.
        WindowsDefenderSmartScreen => "WindowsDefenderSmartScreen",
        /// Defender for Identity.
        AzureAtp => "AzureATP",
        /// Defender for Cloud Apps.
        Mcas => "MCAS",
    }
}

wire_enum! {
    /// The kind of an evidence item (`entityType`).
    pub enum EntityType {
        /// A user account.
        User => "User",
        /// A process.
        Process => "Process",
        /// A file.
        File => "File",
        /// An IP address.
        Ip => "Ip",
        /// A URL.
        Url => "Url",
        /// A mailbox.
        MailBox => "MailBox",
        /// An e-mail message.
        MailMessage => "MailMessage",
        /// A cluster of e-mail messages.
        MailCluster => "MailCluster",
        /// A registry key or value.
        Registry => "Registry",
        /// A device.
        Machine => "Machine",
        /// A security group.
        SecurityGroup => "SecurityGroup",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_is_ordered_for_minimum_filters() {
        let mut all = [
            Severity::High,
            Severity::Unknown("Critical".into()),
            Severity::Low,
            Severity::UnSpecified,
            Severity::Medium,
            Severity::Informational,
        ];
        all.sort();
        let names: Vec<&str> = all.iter().map(Severity::as_str).collect();
        assert_eq!(
            names,
            [
                "Critical",
                "UnSpecified",
                "Informational",
                "Low",
                "Medium",
                "High"
            ]
        );
        assert!(Severity::Unknown("Critical".into()) < Severity::Informational);
    }

    #[test]
    fn unknown_values_round_trip_unchanged() {
        for (json, expect_unknown) in [
            (r#""Medium""#, false),
            (r#""medium""#, true),
            (r#""Critical""#, true),
        ] {
            let s: Severity = serde_json::from_str(json).unwrap();
            assert_eq!(matches!(s, Severity::Unknown(_)), expect_unknown, "{json}");
            assert_eq!(serde_json::to_string(&s).unwrap(), json);
        }
        let d: Determination = serde_json::from_str(r#""BrandNewVerdict""#).unwrap();
        assert_eq!(d, Determination::Unknown("BrandNewVerdict".into()));
        assert_eq!(d.to_string(), "BrandNewVerdict");
    }

    #[test]
    fn wire_names_that_differ_from_variant_names() {
        assert_eq!(
            DetectionSource::from_wire("CustomerTI"),
            DetectionSource::CustomerTi
        );
        assert_eq!(DetectionSource::Mtp.as_str(), "MTP");
        assert_eq!(AlertStatus::from_wire("Unknown"), AlertStatus::Undetermined);
        assert_eq!(EntityType::from_wire("Ip"), EntityType::Ip);
    }

    #[test]
    fn severity_from_any_case() {
        assert_eq!(Severity::from_any_case("high"), Severity::High);
        assert_eq!(Severity::from_any_case("MEDIUM"), Severity::Medium);
        assert_eq!(
            Severity::from_any_case("critical"),
            Severity::Unknown("critical".into())
        );
    }
}
