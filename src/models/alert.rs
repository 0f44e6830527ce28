//! The Defender for Endpoint alert (`GET /api/alerts`).

use serde_json::Value;
use url::Url;

use super::enums::{
    AlertStatus, Classification, DetectionSource, Determination, InvestigationState, Severity,
};
use super::evidence::Evidence;
use super::macros::json_object;
use super::timestamp::Timestamp;
use crate::cloud::Cloud;

json_object! {
    /// A Defender for Endpoint alert, with every documented property and the
    /// older ones real tenants still return.
    ///
    /// Every member is optional because real payloads leave members out
    /// (older shapes have no `lastUpdateTime`, preview shapes no `incidentId`).
    /// Members this crate does not model are kept in [`Alert::extra`], and a
    /// member that arrived as `null` is written back as `null`, so
    /// serializing an alert gives back the document it came from (timestamps
    /// come back in their normalized form, same instant).
    ///
    /// ```
    /// use defender_siem::models::{Alert, Severity};
    ///
    /// let alert: Alert = serde_json::from_str(r#"{
    ///     "id": "da637472900382838869_1364969609",
    ///     "severity": "Medium",
    ///     "lastUpdateTime": "2021-01-26T20:33:59.2Z",
    ///     "assignedTo": null,
    ///     "someFutureField": {"kept": true}
    /// }"#)?;
    /// assert!(alert.severity >= Some(Severity::Low));
    /// assert!(alert.was_null("assignedTo"));
    /// assert!(alert.extra.contains_key("someFutureField"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub struct Alert {
        /// Alert id, for example `da637472900382838869_1364969609`.
        id: String => "id",
        /// Incident the alert belongs to.
        incident_id: i64 => "incidentId",
        /// Automated investigation attached to the alert.
        investigation_id: i64 => "investigationId",
        /// Owner of the alert (a UPN or a free-text name).
        assigned_to: String => "assignedTo",
        /// Severity.
        severity: Severity => "severity",
        /// Status.
        status: AlertStatus => "status",
        /// Analyst verdict.
        classification: Classification => "classification",
        /// What the alert turned out to be.
        determination: Determination => "determination",
        /// State of the automated investigation.
        investigation_state: InvestigationState => "investigationState",
        /// The engine that raised the alert.
        detection_source: DetectionSource => "detectionSource",
        /// The detector (rule) id.
        detector_id: String => "detectorId",
        /// Category, MITRE-tactic aligned for new alerts (`Execution`, …).
        category: String => "category",
        /// Threat family.
        threat_family_name: String => "threatFamilyName",
        /// Threat name.
        threat_name: String => "threatName",
        /// Title.
        title: String => "title",
        /// Description; may hold newlines.
        description: String => "description",
        /// When the alert was created.
        alert_creation_time: Timestamp => "alertCreationTime",
        /// First occurrence on the device.
        first_event_time: Timestamp => "firstEventTime",
        /// Last occurrence on the device.
        last_event_time: Timestamp => "lastEventTime",
        /// Last change to the alert: the cursor for incremental pulls.
        last_update_time: Timestamp => "lastUpdateTime",
        /// When the alert was resolved.
        resolved_time: Timestamp => "resolvedTime",
        /// Defender device id.
        machine_id: String => "machineId",
        /// Device FQDN.
        computer_dns_name: String => "computerDnsName",
        /// Device group.
        rbac_group_name: String => "rbacGroupName",
        /// Entra tenant id of the customer.
        aad_tenant_id: String => "aadTenantId",
        /// MITRE ATT&CK technique ids.
        mitre_techniques: Vec<String> => "mitreTechniques",
        /// The user the alert relates to.
        related_user: RelatedUser => "relatedUser",
        /// Comments.
        comments: Vec<Comment> => "comments",
        /// Evidence; empty unless the query asked for `$expand=evidence`.
        evidence: Vec<Evidence> => "evidence",
        /// Older shape: the user (2019 payloads send `null`).
        alert_user: Value => "alertUser",
        /// Older shape: files.
        alert_files: Vec<Value> => "alertFiles",
        /// Older shape: domains.
        alert_domains: Vec<Value> => "alertDomains",
        /// Older shape: IP addresses.
        alert_ips: Vec<Value> => "alertIps",
        /// Users logged on to the device (XDR-style payloads).
        logged_on_users: Vec<LoggedOnUser> => "loggedOnUsers",
        /// Preview shape: recommended action text.
        recommended_action: String => "recommendedAction",
        /// Preview shape: known actor group.
        actor_name: String => "actorName",
    }
}

json_object! {
    /// The user an alert relates to.
    pub struct RelatedUser {
        /// Account name.
        user_name: String => "userName",
        /// Account domain.
        domain_name: String => "domainName",
    }
}

json_object! {
    /// A comment on an alert.
    pub struct Comment {
        /// The text.
        comment: String => "comment",
        /// Who wrote it.
        created_by: String => "createdBy",
        /// When.
        created_time: Timestamp => "createdTime",
    }
}

json_object! {
    /// A user logged on to the device when the alert fired.
    pub struct LoggedOnUser {
        /// Account name.
        account_name: String => "accountName",
        /// Account domain.
        domain_name: String => "domainName",
    }
}

impl Alert {
    /// The tenant-specific portal link for this alert, as an MSSP analyst
    /// needs it: `https://security.microsoft.com/alerts/{id}?tid={aadTenantId}`
    /// on the public cloud. `None` when the alert has no `id` or no
    /// `aadTenantId`; use [`Alert::portal_url_in_tenant`] when you know the
    /// tenant from elsewhere.
    ///
    /// ```
    /// use defender_siem::cloud::Cloud;
    /// use defender_siem::models::Alert;
    ///
    /// let alert: Alert = serde_json::from_str(
    ///     r#"{"id":"da6374_13","aadTenantId":"a839b112-1253-6432-9bf6-94542403f21c"}"#,
    /// )?;
    /// let url = alert.portal_url(Cloud::Public).unwrap();
    /// assert_eq!(
    ///     url.as_str(),
    ///     "https://security.microsoft.com/alerts/da6374_13?tid=a839b112-1253-6432-9bf6-94542403f21c"
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn portal_url(&self, cloud: Cloud) -> Option<Url> {
        let tenant = self.aad_tenant_id.as_deref()?;
        self.portal_url_in_tenant(&cloud.portal_base(), tenant)
    }

    /// The portal link for this alert under `portal_base` (for example a
    /// simulator's URL), with `?tid=` set to `tenant_id`.
    pub fn portal_url_in_tenant(&self, portal_base: &Url, tenant_id: &str) -> Option<Url> {
        let id = self.id.as_deref()?;
        let mut url = portal_base.clone();
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .push("alerts")
            .push(id);
        url.query_pairs_mut().clear().append_pair("tid", tenant_id);
        Some(url)
    }

    /// The evidence items, or an empty slice when there are none.
    pub fn evidence_items(&self) -> &[Evidence] {
        self.evidence.as_deref().unwrap_or(&[])
    }
}
