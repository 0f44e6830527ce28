//! [`NotificationRule`]: which alerts become an e-mail, and to whom.

use crate::error::{Error, Result};
use crate::models::{Alert, Severity};
use crate::tenant::{TenantId, TenantInfo};

/// Which devices a rule covers, as in Defender's own rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeviceGroups {
    /// Every device.
    #[default]
    All,
    /// Only devices in these groups (`rbacGroupName`, compared without case).
    Only(Vec<String>),
}

/// An alert notification rule with the fields of Defender's own rules: name,
/// alert severities, device groups, tenants, recipients, and whether to
/// include the organization name, the tenant-specific portal link and the
/// device information.
///
/// ```
/// use defender_siem::models::Severity;
/// use defender_siem::sink::email::NotificationRule;
///
/// let rule = NotificationRule::builder("High to on-call")
///     .severities([Severity::High])
///     .recipient("oncall@mssp.example")
///     .include_org_name(true)
///     .include_portal_link(true)
///     .build()?;
/// assert_eq!(rule.recipients(), ["oncall@mssp.example"]);
/// # Ok::<(), defender_siem::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRule {
    name: String,
    severities: Vec<Severity>,
    device_groups: DeviceGroups,
    tenants: Vec<TenantId>,
    recipients: Vec<String>,
    include_org_name: bool,
    include_portal_link: bool,
    include_device_info: bool,
}

/// Builds a [`NotificationRule`]; [`NotificationRuleBuilder::build`] checks it.
#[derive(Debug, Clone)]
#[must_use]
pub struct NotificationRuleBuilder {
    rule: NotificationRule,
}

impl NotificationRule {
    /// Starts a rule called `name`.
    pub fn builder(name: impl Into<String>) -> NotificationRuleBuilder {
        NotificationRuleBuilder {
            rule: NotificationRule {
                name: name.into(),
                severities: Vec::new(),
                device_groups: DeviceGroups::All,
                tenants: Vec::new(),
                recipients: Vec::new(),
                include_org_name: true,
                include_portal_link: true,
                include_device_info: false,
            },
        }
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Who gets the e-mails.
    pub fn recipients(&self) -> &[String] {
        &self.recipients
    }

    /// Whether the subject and body name the customer.
    pub fn include_org_name(&self) -> bool {
        self.include_org_name
    }

    /// Whether the body links to the alert in the customer's portal (`?tid=`).
    pub fn include_portal_link(&self) -> bool {
        self.include_portal_link
    }

    /// Whether the body names the device. Recipient mail servers may sit
    /// outside the customer's Defender data location, which is why
    /// Defender makes this a choice; so does this rule (off by default).
    pub fn include_device_info(&self) -> bool {
        self.include_device_info
    }

    /// Whether an alert of `tenant` triggers this rule.
    pub fn matches(&self, tenant: &TenantInfo, alert: &Alert) -> bool {
        let severity_ok = self.severities.is_empty()
            || alert
                .severity
                .as_ref()
                .is_some_and(|s| self.severities.contains(s));
        let tenant_ok = self.tenants.is_empty() || self.tenants.contains(&tenant.id);
        let group_ok = match &self.device_groups {
            DeviceGroups::All => true,
            DeviceGroups::Only(groups) => alert
                .rbac_group_name
                .as_deref()
                .is_some_and(|g| groups.iter().any(|want| want.eq_ignore_ascii_case(g))),
        };
        severity_ok && tenant_ok && group_ok
    }
}

impl NotificationRuleBuilder {
    /// Alert severities that trigger the rule. Default: every severity.
    pub fn severities(mut self, severities: impl IntoIterator<Item = Severity>) -> Self {
        self.rule.severities = severities.into_iter().collect();
        self
    }

    /// Device groups the rule covers. Default: all devices.
    pub fn device_groups(mut self, groups: DeviceGroups) -> Self {
        self.rule.device_groups = groups;
        self
    }

    /// Tenants the rule covers. Default: every tenant.
    pub fn tenants(mut self, tenants: impl IntoIterator<Item = TenantId>) -> Self {
        self.rule.tenants = tenants.into_iter().collect();
        self
    }

    /// Adds a recipient address.
    pub fn recipient(mut self, address: impl Into<String>) -> Self {
        self.rule.recipients.push(address.into());
        self
    }

    /// Adds recipient addresses.
    pub fn recipients<S: Into<String>>(mut self, addresses: impl IntoIterator<Item = S>) -> Self {
        self.rule
            .recipients
            .extend(addresses.into_iter().map(Into::into));
        self
    }

    /// Name the customer in the subject and body. Default: on (Microsoft
    /// asks MSSPs to turn it on).
    pub fn include_org_name(mut self, on: bool) -> Self {
        self.rule.include_org_name = on;
        self
    }

    /// Link to the alert in the customer's portal with `?tid=`. Default: on
    /// (Microsoft asks MSSPs to turn it on).
    pub fn include_portal_link(mut self, on: bool) -> Self {
        self.rule.include_portal_link = on;
        self
    }

    /// Name the device in the body. Default: off.
    pub fn include_device_info(mut self, on: bool) -> Self {
        self.rule.include_device_info = on;
        self
    }

    /// Checks the rule: a name, at least one recipient, and addresses that
    /// look like `local@domain` with nothing that could break a header.
    pub fn build(self) -> Result<NotificationRule> {
        let rule = self.rule;
        if rule.name.trim().is_empty() {
            return Err(Error::Config("a notification rule needs a name".into()));
        }
        if rule.recipients.is_empty() {
            return Err(Error::Config(format!(
                "notification rule `{}` has no recipients",
                rule.name
            )));
        }
        if let Some(bad) = rule.recipients.iter().find(|r| !looks_like_address(r)) {
            return Err(Error::Config(format!(
                "notification rule `{}`: `{}` is not an e-mail address",
                rule.name,
                bad.escape_debug()
            )));
        }
        if let DeviceGroups::Only(groups) = &rule.device_groups
            && groups.is_empty()
        {
            return Err(Error::Config(format!(
                "notification rule `{}` lists no device groups; use DeviceGroups::All for every device",
                rule.name
            )));
        }
        Ok(rule)
    }
}

/// `local@domain.tld`, printable ASCII or UTF-8 letters, no spaces, angle
/// brackets, commas or control characters. The SMTP library checks again.
fn looks_like_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let clean = |s: &str| {
        !s.is_empty()
            && !s.chars().any(|c| {
                c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"' | '@')
            })
    };
    clean(local) && clean(domain) && domain.contains('.') && !domain.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str) -> TenantInfo {
        TenantInfo::new(TenantId::new(id).unwrap(), "Contoso")
    }

    fn alert(json: &str) -> Alert {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn matches_on_severity_group_and_tenant() {
        let rule = NotificationRule::builder("r")
            .severities([Severity::High, Severity::Medium])
            .device_groups(DeviceGroups::Only(vec!["servers".into()]))
            .tenants([TenantId::new("t1.example").unwrap()])
            .recipient("soc@mssp.example")
            .build()
            .unwrap();
        let t1 = tenant("t1.example");
        assert!(rule.matches(
            &t1,
            &alert(r#"{"severity":"High","rbacGroupName":"Servers"}"#)
        ));
        assert!(!rule.matches(
            &t1,
            &alert(r#"{"severity":"Low","rbacGroupName":"Servers"}"#)
        ));
        assert!(!rule.matches(
            &t1,
            &alert(r#"{"severity":"High","rbacGroupName":"Laptops"}"#)
        ));
        assert!(!rule.matches(&t1, &alert(r#"{"severity":"High"}"#)));
        assert!(!rule.matches(
            &tenant("t2.example"),
            &alert(r#"{"severity":"High","rbacGroupName":"Servers"}"#)
        ));
    }

    #[test]
    fn empty_lists_mean_everything() {
        let rule = NotificationRule::builder("all")
            .recipient("a@b.example")
            .build()
            .unwrap();
        assert!(rule.matches(&tenant("x.example"), &alert("{}")));
    }

    #[test]
    fn build_refuses_what_would_break() {
        let no_recipient = NotificationRule::builder("r").build().unwrap_err();
        assert!(no_recipient.to_string().contains("no recipients"));
        for bad in [
            "oncall",
            "a@b",
            "a b@c.example",
            "x@y.example\r\nBcc: evil@z.example",
            "<a@b.example>",
        ] {
            let err = NotificationRule::builder("r")
                .recipient(bad)
                .build()
                .unwrap_err();
            assert!(err.to_string().contains("not an e-mail address"), "{bad}");
        }
        let err = NotificationRule::builder(" ")
            .recipient("a@b.example")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("needs a name"));
        let err = NotificationRule::builder("r")
            .recipient("a@b.example")
            .device_groups(DeviceGroups::Only(vec![]))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("no device groups"));
    }
}
