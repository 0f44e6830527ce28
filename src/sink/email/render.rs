//! Turning a matched alert into an e-mail's subject and plain-text body.
//! Pure: no I/O, no clock.

use std::fmt::Write as _;

use url::Url;

use super::rule::NotificationRule;
use crate::models::Alert;
use crate::tenant::TenantInfo;

/// Longest subject written, in characters; the title is cut to fit.
const MAX_SUBJECT_CHARS: usize = 200;

/// An e-mail ready to send: one per alert per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notification {
    /// `[<org>] <severity> alert: <title>` (without `[<org>] ` when the rule
    /// leaves the organization name out). Never holds a line break.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// Who gets it.
    pub recipients: Vec<String>,
}

/// Renders the e-mail `rule` sends for `alert` of `tenant`. `portal_base` is
/// the Defender portal of the tenant's cloud (for example
/// `https://security.microsoft.com/`).
pub fn render(
    rule: &NotificationRule,
    tenant: &TenantInfo,
    alert: &Alert,
    portal_base: &Url,
) -> Notification {
    let severity = alert.severity.as_ref().map_or("Unknown", |s| s.as_str());
    let title = alert.title.as_deref().unwrap_or("(untitled alert)");
    let mut subject = String::new();
    if rule.include_org_name() {
        let _ = write!(subject, "[{}] ", one_line(&tenant.name));
    }
    let _ = write!(subject, "{} alert: {}", one_line(severity), one_line(title));
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        subject = subject.chars().take(MAX_SUBJECT_CHARS - 1).collect();
        subject.push('…');
    }

    let mut body = String::new();
    let mut line = |label: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let _ = writeln!(body, "{label:<18}{}", one_line(v));
        }
    };
    if rule.include_org_name() {
        line("Organization:", Some(&tenant.name));
    }
    line("Alert:", Some(title));
    line("Severity:", Some(severity));
    line("Status:", alert.status.as_ref().map(|s| s.as_str()));
    line("Category:", alert.category.as_deref());
    line(
        "Detection source:",
        alert.detection_source.as_ref().map(|s| s.as_str()),
    );
    let created = alert.alert_creation_time.map(|t| t.to_string());
    line("Created:", created.as_deref());
    let updated = alert.last_update_time.map(|t| t.to_string());
    line("Last updated:", updated.as_deref());
    let techniques = alert.mitre_techniques.as_ref().map(|t| t.join(", "));
    line("MITRE techniques:", techniques.as_deref());
    if rule.include_device_info() {
        line("Device:", alert.computer_dns_name.as_deref());
        line("Device id:", alert.machine_id.as_deref());
        line("Device group:", alert.rbac_group_name.as_deref());
        let user = alert
            .related_user
            .as_ref()
            .map(|u| match (&u.domain_name, &u.user_name) {
                (Some(d), Some(n)) => format!("{d}\\{n}"),
                (None, Some(n)) => n.clone(),
                _ => String::new(),
            });
        line("User:", user.as_deref());
    }
    line("Alert id:", alert.id.as_deref());
    line("Rule:", Some(rule.name()));
    if rule.include_portal_link() {
        let link = alert
            .portal_url_in_tenant(portal_base, tenant.id.as_str())
            .map(|u| u.to_string());
        line("Open in portal:", link.as_deref());
    }
    if let Some(description) = alert.description.as_deref().filter(|d| !d.is_empty()) {
        body.push('\n');
        // The description may hold line breaks; keep them as plain lines,
        // but never a bare CR or other control character.
        for text_line in description.lines() {
            body.push_str(&one_line(text_line));
            body.push('\n');
        }
    }
    Notification {
        subject,
        body,
        recipients: rule.recipients().to_vec(),
    }
}

/// The text with every control character (CR, LF, TAB, NUL, …) and the
/// Unicode line and paragraph separators turned into spaces, and every
/// format character (a bidi override such as U+202E, a zero-width space)
/// shown as `<U+XXXX>`, so `invoice\u{202E}fdp.exe` cannot pass for
/// `invoiceexe.pdf` in a mail client.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.push(' ');
        } else if crate::unicode::is_format(c) {
            crate::unicode::push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::TenantId;

    fn tenant() -> TenantInfo {
        TenantInfo::new(
            TenantId::new("b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c").unwrap(),
            "Contoso",
        )
    }

    fn alert() -> Alert {
        serde_json::from_str(
            r#"{"id":"da1_2","severity":"High","status":"New","title":"Mimikatz\r\nBcc: x@evil.example",
                "category":"CredentialAccess","computerDnsName":"ws-1.contoso.local","rbacGroupName":"Servers",
                "lastUpdateTime":"2026-11-10T09:00:05.2Z","mitreTechniques":["T1003.001"],
                "relatedUser":{"userName":"jdoe","domainName":"CONTOSO"},
                "description":"Line one\nLine two\u2028still two"}"#,
        )
        .unwrap()
    }

    fn portal() -> Url {
        "https://security.microsoft.com/".parse().unwrap()
    }

    #[test]
    fn subject_names_org_severity_and_title_on_one_line() {
        let rule = NotificationRule::builder("r")
            .recipient("a@b.example")
            .build()
            .unwrap();
        let mail = render(&rule, &tenant(), &alert(), &portal());
        assert_eq!(
            mail.subject,
            "[Contoso] High alert: Mimikatz  Bcc: x@evil.example"
        );
        assert!(!mail.subject.contains(['\r', '\n']));
        assert_eq!(mail.recipients, ["a@b.example"]);
    }

    #[test]
    fn body_follows_the_include_switches() {
        let full = NotificationRule::builder("r")
            .recipient("a@b.example")
            .include_device_info(true)
            .build()
            .unwrap();
        let mail = render(&full, &tenant(), &alert(), &portal());
        assert!(
            mail.body.contains("Organization:     Contoso\n"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("Device:           ws-1.contoso.local\n"));
        assert!(mail.body.contains("User:             CONTOSO\\jdoe\n"));
        assert!(mail.body.contains(
            "Open in portal:   https://security.microsoft.com/alerts/da1_2?tid=b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c\n"
        ));
        assert!(
            mail.body.ends_with("\nLine one\nLine two still two\n"),
            "{}",
            mail.body
        );

        let bare = NotificationRule::builder("r")
            .recipient("a@b.example")
            .include_org_name(false)
            .include_portal_link(false)
            .build()
            .unwrap();
        let mail = render(&bare, &tenant(), &alert(), &portal());
        assert!(mail.subject.starts_with("High alert: "));
        assert!(!mail.body.contains("Contoso") && !mail.body.contains("tid="));
        assert!(!mail.body.contains("ws-1"), "device info is off by default");
    }

    #[test]
    fn long_titles_are_cut() {
        let rule = NotificationRule::builder("r")
            .recipient("a@b.example")
            .build()
            .unwrap();
        let mut long = alert();
        long.title = Some("x".repeat(10_000));
        let mail = render(&rule, &tenant(), &long, &portal());
        assert_eq!(mail.subject.chars().count(), MAX_SUBJECT_CHARS);
        assert!(mail.subject.ends_with('…'));
    }

    #[test]
    fn format_characters_are_shown_in_subject_and_body() {
        let rule = NotificationRule::builder("r")
            .recipient("a@b.example")
            .include_device_info(true)
            .build()
            .unwrap();
        let mut spoof = alert();
        spoof.title = Some("invoice\u{202E}fdp.exe".into());
        spoof.computer_dns_name = Some("ws\u{200B}1\u{2066}".into());
        spoof.description = Some("see \u{FEFF}attachment\u{202D}".into());
        let tenant = TenantInfo::new(tenant().id, "Con\u{200D}toso");
        let mail = render(&rule, &tenant, &spoof, &portal());
        assert_eq!(
            mail.subject,
            "[Con<U+200D>toso] High alert: invoice<U+202E>fdp.exe"
        );
        assert!(
            mail.body
                .contains("Device:           ws<U+200B>1<U+2066>\n")
        );
        assert!(mail.body.ends_with("\nsee <U+FEFF>attachment<U+202D>\n"));
        for c in [
            '\u{202E}', '\u{200B}', '\u{2066}', '\u{FEFF}', '\u{202D}', '\u{200D}',
        ] {
            assert!(!mail.subject.contains(c) && !mail.body.contains(c), "{c:?}");
        }
    }
}
