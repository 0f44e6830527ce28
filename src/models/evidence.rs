//! One evidence item of a Defender for Endpoint alert (`$expand=evidence`).

use super::enums::EntityType;
use super::macros::json_object;
use super::timestamp::Timestamp;

json_object! {
    /// An entity the alert points at: a file, process, user, IP, URL, registry
    /// value and so on. Defender sends every member on every item and sets the
    /// ones that do not apply to `null`; those nulls are kept.
    pub struct Evidence {
        /// What kind of entity this is.
        entity_type: EntityType => "entityType",
        /// When the evidence was added to the alert.
        evidence_creation_time: Timestamp => "evidenceCreationTime",
        /// SHA-1 of the file.
        sha1: String => "sha1",
        /// SHA-256 of the file.
        sha256: String => "sha256",
        /// File name.
        file_name: String => "fileName",
        /// Folder of the file.
        file_path: String => "filePath",
        /// Process id.
        process_id: i64 => "processId",
        /// Process command line.
        process_command_line: String => "processCommandLine",
        /// When the process started.
        process_creation_time: Timestamp => "processCreationTime",
        /// Parent process id.
        parent_process_id: i64 => "parentProcessId",
        /// When the parent process started.
        parent_process_creation_time: Timestamp => "parentProcessCreationTime",
        /// Parent process file name.
        parent_process_file_name: String => "parentProcessFileName",
        /// Parent process folder.
        parent_process_file_path: String => "parentProcessFilePath",
        /// IP address.
        ip_address: String => "ipAddress",
        /// URL.
        url: String => "url",
        /// Registry key.
        registry_key: String => "registryKey",
        /// Registry hive.
        registry_hive: String => "registryHive",
        /// Registry value type.
        registry_value_type: String => "registryValueType",
        /// Registry value data.
        registry_value: String => "registryValue",
        /// Account name.
        account_name: String => "accountName",
        /// Account domain.
        domain_name: String => "domainName",
        /// Account SID.
        user_sid: String => "userSid",
        /// Entra ID object id of the user.
        aad_user_id: String => "aadUserId",
        /// User principal name.
        user_principal_name: String => "userPrincipalName",
        /// For example `Detected`, `Blocked`, `Prevented`.
        detection_status: String => "detectionStatus",
    }
}
