//! The flat record of the retired SIEM API (`wdatp-alertexporter-*`), for
//! users migrating from it.
//!
//! The SIEM API returned a bare JSON array of immutable detections, one alert
//! possibly split over several records (`AlertPart`). Microsoft deprecated it
//! on 2023-12-31. Parse old exports with
//! [`parse_records::<SiemAlert>`](crate::models::parse_records).

use serde_json::Value;

use super::macros::json_object;
use super::timestamp::Timestamp;

json_object! {
    /// One record of the legacy SIEM API. The API sent `""` for missing
    /// values; those empty strings are kept as they are.
    pub struct SiemAlert {
        /// When the alert was raised.
        alert_time: Timestamp => "AlertTime",
        /// Device FQDN.
        computer_dns_name: String => "ComputerDnsName",
        /// Title.
        alert_title: String => "AlertTitle",
        /// Category.
        category: String => "Category",
        /// Severity as text.
        severity: String => "Severity",
        /// Alert id (the id of today's alerts API).
        alert_id: String => "AlertId",
        /// Known actor.
        actor: String => "Actor",
        /// Old portal link.
        link_to_wdatp: String => "LinkToWDATP",
        /// IoC name.
        ioc_name: String => "IocName",
        /// IoC value.
        ioc_value: String => "IocValue",
        /// Creator IoC name.
        creator_ioc_name: String => "CreatorIocName",
        /// Creator IoC value.
        creator_ioc_value: String => "CreatorIocValue",
        /// SHA-1.
        sha1: String => "Sha1",
        /// File name.
        file_name: String => "FileName",
        /// File path.
        file_path: String => "FilePath",
        /// IP address.
        ip_address: String => "IpAddress",
        /// URL.
        url: String => "Url",
        /// Detector id.
        ioa_definition_id: String => "IoaDefinitionId",
        /// User name.
        user_name: String => "UserName",
        /// Part number of a split alert.
        alert_part: i64 => "AlertPart",
        /// `<AlertId>:<IocUniqueId>`.
        full_id: String => "FullId",
        /// When the record reached the backend (the old cursor).
        last_processed_time_utc: Timestamp => "LastProcessedTimeUtc",
        /// Threat category.
        threat_category: String => "ThreatCategory",
        /// Threat family.
        threat_family: String => "ThreatFamily",
        /// Threat name.
        threat_name: String => "ThreatName",
        /// Remediation action.
        remediation_action: String => "RemediationAction",
        /// Whether remediation worked (`true`/`false`, or text on old exports).
        remediation_is_success: Value => "RemediationIsSuccess",
        /// `EDR`, `Antivirus`, …
        source: String => "Source",
        /// MD5.
        md5: String => "Md5",
        /// SHA-256.
        sha256: String => "Sha256",
        /// Whether the file ran when detected.
        was_executing_while_detected: Value => "WasExecutingWhileDetected",
        /// User domain.
        user_domain: String => "UserDomain",
        /// Logged-on users.
        log_on_users: String => "LogOnUsers",
        /// Device domain.
        machine_domain: String => "MachineDomain",
        /// Device name.
        machine_name: String => "MachineName",
        /// IPv4 addresses.
        internal_ipv4_list: String => "InternalIPv4List",
        /// IPv6 addresses.
        internal_ipv6_list: String => "InternalIPv6List",
        /// File hash.
        file_hash: String => "FileHash",
        /// Device id.
        device_id: String => "DeviceID",
        /// Device group.
        machine_group: String => "MachineGroup",
        /// Description.
        description: String => "Description",
        /// Device tags set on the device.
        device_created_machine_tags: String => "DeviceCreatedMachineTags",
        /// Device tags set in the cloud.
        cloud_created_machine_tags: String => "CloudCreatedMachineTags",
        /// Command line.
        command_line: String => "CommandLine",
        /// Old incident link.
        incident_link_to_wdatp: String => "IncidentLinkToWDATP",
        /// Report id.
        report_id: i64 => "ReportID",
        /// Defender XDR link.
        link_to_mtp: String => "LinkToMTP",
        /// Defender XDR incident link.
        incident_link_to_mtp: String => "IncidentLinkToMTP",
        /// External id.
        external_id: String => "ExternalId",
        /// IoC unique id.
        ioc_unique_id: String => "IocUniqueId",
    }
}
