//! Graph `alerts_v2` evidence, typed by `@odata.type`.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::macros::json_object;
use super::timestamp::Timestamp;

/// Declares one evidence kind: the members every kind shares, then its own.
macro_rules! evidence_kind {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $key:literal, )*
        }
    ) => {
        json_object! {
            $(#[$meta])*
            pub struct $name {
                /// `#microsoft.graph.security.<kind>`
                odata_type: String => "@odata.type",
                /// When the evidence was created.
                created_date_time: Timestamp => "createdDateTime",
                /// `unknown`, `suspicious`, `malicious`, `noThreatsFound`.
                verdict: String => "verdict",
                /// `none`, `remediated`, `prevented`, `blocked`, `notFound`.
                remediation_status: String => "remediationStatus",
                /// Details of the remediation.
                remediation_status_details: String => "remediationStatusDetails",
                /// Roles of the entity in the alert (`compromised`, …).
                roles: Vec<String> => "roles",
                /// Detailed roles.
                detailed_roles: Vec<String> => "detailedRoles",
                /// Tags.
                tags: Vec<String> => "tags",
                $( $(#[$fmeta])* $field : $ty => $key, )*
            }
        }
    };
}

json_object! {
    /// File details inside file and process evidence.
    pub struct FileDetails {
        /// SHA-1.
        sha1: String => "sha1",
        /// SHA-256.
        sha256: String => "sha256",
        /// File name.
        file_name: String => "fileName",
        /// Folder.
        file_path: String => "filePath",
        /// Size in bytes.
        file_size: i64 => "fileSize",
        /// Publisher.
        file_publisher: String => "filePublisher",
        /// Signer.
        signer: String => "signer",
        /// Certificate issuer.
        issuer: String => "issuer",
    }
}

json_object! {
    /// A user account inside process, user and mailbox evidence.
    pub struct UserAccount {
        /// Account name.
        account_name: String => "accountName",
        /// Domain.
        domain_name: String => "domainName",
        /// SID.
        user_sid: String => "userSid",
        /// Entra object id.
        azure_ad_user_id: String => "azureAdUserId",
        /// UPN.
        user_principal_name: String => "userPrincipalName",
        /// Display name.
        display_name: String => "displayName",
    }
}

evidence_kind! {
    /// `deviceEvidence`: a device.
    pub struct DeviceEvidence {
        /// Defender device id.
        mde_device_id: String => "mdeDeviceId",
        /// Entra device id.
        azure_ad_device_id: String => "azureAdDeviceId",
        /// Device FQDN.
        device_dns_name: String => "deviceDnsName",
        /// Host name.
        host_name: String => "hostName",
        /// OS platform.
        os_platform: String => "osPlatform",
        /// OS build number.
        os_build: i64 => "osBuild",
        /// OS version.
        version: String => "version",
        /// Health status.
        health_status: String => "healthStatus",
        /// Risk score.
        risk_score: String => "riskScore",
        /// Device group id.
        rbac_group_id: i64 => "rbacGroupId",
        /// Device group.
        rbac_group_name: String => "rbacGroupName",
        /// Onboarding status.
        onboarding_status: String => "onboardingStatus",
        /// Antivirus status.
        defender_av_status: String => "defenderAvStatus",
        /// IP addresses of the interfaces.
        ip_interfaces: Vec<String> => "ipInterfaces",
        /// Users logged on.
        logged_on_users: Vec<Value> => "loggedOnUsers",
        /// First seen.
        first_seen_date_time: Timestamp => "firstSeenDateTime",
        /// VM metadata.
        vm_metadata: Value => "vmMetadata",
    }
}

evidence_kind! {
    /// `fileEvidence`: a file.
    pub struct FileEvidence {
        /// The file.
        file_details: FileDetails => "fileDetails",
        /// `detected`, `blocked`, `prevented`.
        detection_status: String => "detectionStatus",
        /// Defender device id.
        mde_device_id: String => "mdeDeviceId",
    }
}

evidence_kind! {
    /// `processEvidence`: a process.
    pub struct ProcessEvidence {
        /// Process id.
        process_id: i64 => "processId",
        /// Parent process id.
        parent_process_id: i64 => "parentProcessId",
        /// Command line.
        process_command_line: String => "processCommandLine",
        /// Start time.
        process_creation_date_time: Timestamp => "processCreationDateTime",
        /// Parent start time.
        parent_process_creation_date_time: Timestamp => "parentProcessCreationDateTime",
        /// `detected`, `blocked`, `prevented`.
        detection_status: String => "detectionStatus",
        /// Defender device id.
        mde_device_id: String => "mdeDeviceId",
        /// The image file.
        image_file: FileDetails => "imageFile",
        /// The parent's image file.
        parent_process_image_file: FileDetails => "parentProcessImageFile",
        /// The account it ran as.
        user_account: UserAccount => "userAccount",
    }
}

evidence_kind! {
    /// `ipEvidence`: an IP address.
    pub struct IpEvidence {
        /// The address.
        ip_address: String => "ipAddress",
        /// Country code.
        country_letter_code: String => "countryLetterCode",
    }
}

evidence_kind! {
    /// `urlEvidence`: a URL.
    pub struct UrlEvidence {
        /// The URL.
        url: String => "url",
    }
}

evidence_kind! {
    /// `userEvidence`: a user account.
    pub struct UserEvidence {
        /// The account.
        user_account: UserAccount => "userAccount",
    }
}

evidence_kind! {
    /// `registryKeyEvidence`: a registry key.
    pub struct RegistryKeyEvidence {
        /// Key.
        registry_key: String => "registryKey",
        /// Hive.
        registry_hive: String => "registryHive",
    }
}

evidence_kind! {
    /// `registryValueEvidence`: a registry value.
    pub struct RegistryValueEvidence {
        /// Defender device id.
        mde_device_id: String => "mdeDeviceId",
        /// Key.
        registry_key: String => "registryKey",
        /// Hive.
        registry_hive: String => "registryHive",
        /// Value data.
        registry_value: String => "registryValue",
        /// Value name.
        registry_value_name: String => "registryValueName",
        /// Value type.
        registry_value_type: String => "registryValueType",
    }
}

evidence_kind! {
    /// `mailboxEvidence`: a mailbox.
    pub struct MailboxEvidence {
        /// Display name.
        display_name: String => "displayName",
        /// Primary SMTP address.
        primary_address: String => "primaryAddress",
        /// The owning account.
        user_account: UserAccount => "userAccount",
    }
}

evidence_kind! {
    /// `analyzedMessageEvidence`: an e-mail message.
    pub struct AnalyzedMessageEvidence {
        /// Network message id.
        network_message_id: String => "networkMessageId",
        /// Internet message id.
        internet_message_id: String => "internetMessageId",
        /// Subject.
        subject: String => "subject",
        /// Language.
        language: String => "language",
        /// Sender IP.
        sender_ip: String => "senderIp",
        /// Recipient.
        recipient_email_address: String => "recipientEmailAddress",
        /// Direction.
        anti_spam_direction: String => "antiSpamDirection",
        /// Delivery action.
        delivery_action: String => "deliveryAction",
        /// Delivery location.
        delivery_location: String => "deliveryLocation",
        /// URLs in the message.
        urls: Vec<String> => "urls",
        /// Threats found.
        threats: Vec<String> => "threats",
        /// When it was received.
        received_date_time: Timestamp => "receivedDateTime",
    }
}

evidence_kind! {
    /// `cloudApplicationEvidence`: a cloud application.
    pub struct CloudApplicationEvidence {
        /// Display name.
        display_name: String => "displayName",
        /// Instance name.
        instance_name: String => "instanceName",
    }
}

evidence_kind! {
    /// `oauthApplicationEvidence`: an OAuth application.
    pub struct OauthApplicationEvidence {
        /// Application id.
        app_id: String => "appId",
        /// Display name.
        display_name: String => "displayName",
        /// Publisher.
        publisher: String => "publisher",
    }
}

evidence_kind! {
    /// `securityGroupEvidence`: a security group.
    pub struct SecurityGroupEvidence {
        /// Display name.
        display_name: String => "displayName",
        /// Group id.
        security_group_id: String => "securityGroupId",
    }
}

evidence_kind! {
    /// `mailClusterEvidence`: a cluster of similar messages.
    pub struct MailClusterEvidence {
        /// Cluster query.
        query: String => "query",
        /// Source.
        cluster_by: String => "clusterBy",
        /// Number of messages.
        network_message_ids: Vec<String> => "networkMessageIds",
    }
}

/// One Graph evidence item, chosen by its `@odata.type`.
///
/// A kind this crate does not model (or an item without `@odata.type`) is
/// kept whole as [`GraphEvidence::Unknown`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
// Boxing the large kinds would make every match on evidence clumsier; a page
// holds few evidence items, so the size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum GraphEvidence {
    Device(DeviceEvidence),
    File(FileEvidence),
    Process(ProcessEvidence),
    Ip(IpEvidence),
    Url(UrlEvidence),
    User(UserEvidence),
    RegistryKey(RegistryKeyEvidence),
    RegistryValue(RegistryValueEvidence),
    Mailbox(MailboxEvidence),
    MailCluster(MailClusterEvidence),
    AnalyzedMessage(AnalyzedMessageEvidence),
    CloudApplication(CloudApplicationEvidence),
    OauthApplication(OauthApplicationEvidence),
    SecurityGroup(SecurityGroupEvidence),
    /// A kind this crate does not model, kept as it came.
    Unknown(Value),
}

impl GraphEvidence {
    /// The `@odata.type` of the item, if it has one.
    pub fn odata_type(&self) -> Option<&str> {
        match self {
            GraphEvidence::Device(e) => e.odata_type.as_deref(),
            GraphEvidence::File(e) => e.odata_type.as_deref(),
            GraphEvidence::Process(e) => e.odata_type.as_deref(),
            GraphEvidence::Ip(e) => e.odata_type.as_deref(),
            GraphEvidence::Url(e) => e.odata_type.as_deref(),
            GraphEvidence::User(e) => e.odata_type.as_deref(),
            GraphEvidence::RegistryKey(e) => e.odata_type.as_deref(),
            GraphEvidence::RegistryValue(e) => e.odata_type.as_deref(),
            GraphEvidence::Mailbox(e) => e.odata_type.as_deref(),
            GraphEvidence::MailCluster(e) => e.odata_type.as_deref(),
            GraphEvidence::AnalyzedMessage(e) => e.odata_type.as_deref(),
            GraphEvidence::CloudApplication(e) => e.odata_type.as_deref(),
            GraphEvidence::OauthApplication(e) => e.odata_type.as_deref(),
            GraphEvidence::SecurityGroup(e) => e.odata_type.as_deref(),
            GraphEvidence::Unknown(v) => v.get("@odata.type").and_then(Value::as_str),
        }
    }
}

impl Serialize for GraphEvidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            GraphEvidence::Device(e) => e.serialize(s),
            GraphEvidence::File(e) => e.serialize(s),
            GraphEvidence::Process(e) => e.serialize(s),
            GraphEvidence::Ip(e) => e.serialize(s),
            GraphEvidence::Url(e) => e.serialize(s),
            GraphEvidence::User(e) => e.serialize(s),
            GraphEvidence::RegistryKey(e) => e.serialize(s),
            GraphEvidence::RegistryValue(e) => e.serialize(s),
            GraphEvidence::Mailbox(e) => e.serialize(s),
            GraphEvidence::MailCluster(e) => e.serialize(s),
            GraphEvidence::AnalyzedMessage(e) => e.serialize(s),
            GraphEvidence::CloudApplication(e) => e.serialize(s),
            GraphEvidence::OauthApplication(e) => e.serialize(s),
            GraphEvidence::SecurityGroup(e) => e.serialize(s),
            GraphEvidence::Unknown(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for GraphEvidence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let kind = value
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(|t| {
                t.trim_start_matches('#')
                    .trim_start_matches("microsoft.graph.security.")
            })
            .unwrap_or("")
            .to_owned();
        let kind = kind.as_str();
        fn typed<T: serde::de::DeserializeOwned, E: serde::de::Error>(
            kind: &str,
            value: Value,
        ) -> Result<T, E> {
            serde_json::from_value(value).map_err(|e| E::custom(format_args!("{kind}: {e}")))
        }
        Ok(match kind {
            "deviceEvidence" => GraphEvidence::Device(typed(kind, value)?),
            "fileEvidence" => GraphEvidence::File(typed(kind, value)?),
            "processEvidence" => GraphEvidence::Process(typed(kind, value)?),
            "ipEvidence" => GraphEvidence::Ip(typed(kind, value)?),
            "urlEvidence" => GraphEvidence::Url(typed(kind, value)?),
            "userEvidence" => GraphEvidence::User(typed(kind, value)?),
            "registryKeyEvidence" => GraphEvidence::RegistryKey(typed(kind, value)?),
            "registryValueEvidence" => GraphEvidence::RegistryValue(typed(kind, value)?),
            "mailboxEvidence" => GraphEvidence::Mailbox(typed(kind, value)?),
            "mailClusterEvidence" => GraphEvidence::MailCluster(typed(kind, value)?),
            "analyzedMessageEvidence" => GraphEvidence::AnalyzedMessage(typed(kind, value)?),
            "cloudApplicationEvidence" => GraphEvidence::CloudApplication(typed(kind, value)?),
            "oauthApplicationEvidence" => GraphEvidence::OauthApplication(typed(kind, value)?),
            "securityGroupEvidence" => GraphEvidence::SecurityGroup(typed(kind, value)?),
            _ if value.is_object() => GraphEvidence::Unknown(value),
            _ => return Err(D::Error::custom("an evidence item must be a JSON object")),
        })
    }
}
