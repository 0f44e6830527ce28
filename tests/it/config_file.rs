//! The forwarder configuration file: the documented example parses, and
//! every mistake is reported with the line and the key.

use std::time::Duration;

use defender_siem::cloud::Cloud;
use defender_siem::config::{ForwarderConfig, SinkKind};
use defender_siem::models::Severity;

const EXAMPLE: &str = r#"
[defaults]
cloud = "gcc-high"
authority_host = "http://127.0.0.1:9000"
api_base = "http://127.0.0.1:9000"
poll_interval = "30s"
overlap = "15m"
page_size = 500
checkpoint_dir = "./cp"
since = "2026-11-01T00:00:00Z"

[[tenants]]
id = "a839b112-1253-6432-9bf6-94542403f21c"
name = "Contoso"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "${CFG_TEST_CONTOSO_SECRET}"

[[sinks]]
name = "splunk"
type = "splunk_hec"
url = "https://splunk.example:8088"
token = "${CFG_TEST_HEC_TOKEN}"
index = "defender"
gzip = true
filter = { min_severity = "medium", tenants = ["a839b112-1253-6432-9bf6-94542403f21c"], device_groups = ["Servers"] }

[[sinks]]
name = "sentinel"
type = "sentinel"
endpoint = "https://dce-1.eastus-1.ingest.monitor.azure.com"
dcr_immutable_id = "dcr-000a00a000a00000a000000aa000a0aa"
stream = "Custom-DefenderAlerts_CL"
tenant_id = "b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c"
client_id = "22222222-2222-3333-4444-555555555555"
client_secret = "ingest-secret"

[[sinks]]
name = "syslog"
type = "syslog"
address = "siem.example:6514"
transport = "tls"
framing = "octet-counting"
protocol = "rfc5424"
format = "cef"

[[sinks]]
name = "archive"
type = "file"
path = "alerts.jsonl"

[[sinks]]
name = "notify"
type = "email"
smtp = "smtp+plain://127.0.0.1:2525"
from = "soc@mssp.example"
[[sinks.rules]]
name = "High to on-call"
severities = ["High"]
recipients = ["oncall@mssp.example"]
include_org_name = true
include_portal_link = true
include_device_info = true
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "CFG_TEST_CONTOSO_SECRET" => Some("contoso-secret-value".into()),
        "CFG_TEST_HEC_TOKEN" => Some("hec-token-value".into()),
        _ => None,
    }
}

fn parse(text: &str) -> defender_siem::Result<ForwarderConfig> {
    ForwarderConfig::parse_with_lookup(text, "f.toml", env)
}

#[test]
fn the_documented_example_parses() {
    let config = parse(EXAMPLE).unwrap();
    assert_eq!(config.defaults.cloud, Cloud::GccHigh);
    assert_eq!(config.defaults.poll_interval, Duration::from_secs(30));
    assert_eq!(config.defaults.overlap, Duration::from_secs(900));
    assert_eq!(config.defaults.page_size, 500);
    assert_eq!(config.tenants[0].info.name, "Contoso");
    assert_eq!(
        config.tenants[0].client_secret.expose(),
        "contoso-secret-value"
    );
    let kinds: Vec<&str> = config.sinks.iter().map(|s| s.kind.type_name()).collect();
    assert_eq!(kinds, ["splunk_hec", "sentinel", "syslog", "file", "email"]);
    let SinkKind::SplunkHec(hec) = &config.sinks[0].kind else {
        panic!()
    };
    assert_eq!(hec.token.expose(), "hec-token-value");
    assert!(hec.gzip);
    assert_eq!(hec.index.as_deref(), Some("defender"));
    assert_eq!(config.sinks[0].filter.min_severity, Some(Severity::Medium));
    assert_eq!(config.sinks[0].filter.device_groups, ["Servers"]);
    let SinkKind::Email(email) = &config.sinks[4].kind else {
        panic!()
    };
    assert_eq!(email.rules[0].name(), "High to on-call");
    assert!(email.rules[0].include_device_info());
    // Secrets never show in Debug output.
    let debug = format!("{config:?}");
    for secret in ["contoso-secret-value", "hec-token-value", "ingest-secret"] {
        assert!(!debug.contains(secret), "{secret} leaked into Debug");
    }
}

fn error_of(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const TENANT: &str = "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";

#[test]
fn mistakes_name_the_line_and_the_key() {
    let cases: Vec<(String, &str)> = vec![
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"x\"\ninedx = \"typo\"\n"
            ),
            "f.toml:9: unknown field `inedx`",
        ),
        (
            format!("{TENANT}\n[[sinks]]\nname = \"a\"\ntype = \"splunk_hec\"\ntoken = \"t\"\n"),
            "f.toml:6: `sinks[0].url`: is required for type splunk_hec",
        ),
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"a\"\ntype = \"syslog\"\naddress = \"h:1\"\nindex = \"x\"\n"
            ),
            "f.toml:5: `sinks[0].index`: does not apply to type syslog",
        ),
        (
            format!(
                "[defaults]\ncloud = \"azure-china\"\n{TENANT}[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"x\"\n"
            ),
            "f.toml:2: `defaults.cloud`: unknown cloud `azure-china`",
        ),
        (
            format!("[defaults]\npoll_interval = \"soon\"\n{TENANT}"),
            "f.toml:2: `soon` is not a duration (write e.g. 60s, 10m, 1h) (in `poll_interval = \"soon\"`)",
        ),
        (
            "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\nclient_secret = \"${CFG_TEST_UNSET_VAR}\"\n".to_string(),
            "f.toml:4: environment variable `CFG_TEST_UNSET_VAR` is not set (in `client_secret = …`)",
        ),
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"x\"\n[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"y\"\n"
            ),
            "f.toml:9: `sinks[1].name`: `a` is used twice",
        ),
        (
            format!("{TENANT}[[sinks]]\nname = \"a\"\ntype = \"kafka\"\n"),
            "f.toml:5: `sinks[0].type`: must be one of",
        ),
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"x\"\nfilter = {{ min_severity = \"Critical\" }}\n"
            ),
            "f.toml:5: `sinks[0].filter`: `Critical` is not a severity",
        ),
        (
            "[[tenants]]\nid = \"not a tenant\"\n".to_string(),
            "f.toml:2: `tenants[0].id`: invalid configuration: `not a tenant` is not a tenant id",
        ),
        (
            "[[tenants]]\nid = \"t1.example\"\n".to_string(),
            "f.toml:1: `tenants[0].client_id`: missing",
        ),
        (
            format!("[defaults]\npage_size = 20000\n{TENANT}"),
            "f.toml:2: `defaults.page_size`: must be 1 to 10000",
        ),
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"n\"\ntype = \"email\"\nsmtp = \"smtp://h:25\"\nfrom = \"a@b.example\"\n[[sinks.rules]]\nname = \"r\"\nrecipients = [\"bad address\"]\n"
            ),
            "`sinks[0].rules[0]`: invalid configuration: notification rule `r`: `bad address` is not an e-mail address",
        ),
        ("[defaults\n".to_owned(), "f.toml:1:"),
        (String::new(), "`tenants`: at least one"),
        (TENANT.to_owned(), "`sinks`: at least one"),
    ];
    for (text, expected) in cases {
        let error = error_of(&text);
        assert!(
            error.contains(expected),
            "expected `{expected}` in:\n{error}\nfor:\n{text}"
        );
    }
}

#[test]
fn defaults_apply_when_keys_are_left_out() {
    let text = "[defaults]\nclient_id = \"app\"\nclient_secret = \"s\"\n[[tenants]]\nid = \"t1.example\"\n[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"x\"\n".to_string();
    let config = parse(&text).unwrap();
    assert_eq!(config.defaults.poll_interval, Duration::from_secs(60));
    assert_eq!(config.defaults.overlap, Duration::from_secs(600));
    assert_eq!(config.defaults.page_size, 1000);
    assert_eq!(config.tenants[0].client_id, "app");
    assert_eq!(config.tenants[0].info.name, "t1.example");
    assert!(config.defaults.user_agent.starts_with("MdatpPartner-"));
}

/// The configuration reference in the README, as a user would copy it.
fn readme_example() -> &'static str {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Forwarder configuration reference").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let end = section[start..].find("```").unwrap();
    &section[start..start + end]
}

#[test]
fn the_readme_reference_parses() {
    let config = ForwarderConfig::parse_with_lookup(readme_example(), "README.md", |name| {
        Some(format!("value-of-{name}"))
    })
    .unwrap();
    let kinds: Vec<&str> = config.sinks.iter().map(|s| s.kind.type_name()).collect();
    assert_eq!(kinds, ["splunk_hec", "sentinel", "syslog", "file", "email"]);
    let debug = format!("{config:?}");
    for secret in [
        "HEC_TOKEN",
        "INGEST_SECRET",
        "SMTP_PASSWORD",
        "CONTOSO_SECRET",
    ] {
        assert!(!debug.contains(&format!("value-of-{secret}")), "{secret}");
    }
}

#[test]
fn sink_keys_are_checked_against_the_sink_type() {
    let cases: Vec<(String, &str)> = vec![
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"arch\"\ntype = \"file\"\npath = \"x\"\ntoken = \"t\"\n"
            ),
            "f.toml:5: `sinks[0].token`: does not apply to type file (line 9; it is a key of type splunk_hec)",
        ),
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"hec\"\ntype = \"splunk_hec\"\nurl = \"https://h\"\ntoken = \"t\"\nindx = \"i\"\n"
            ),
            "f.toml:10: unknown field `indx` in sink `hec` (type splunk_hec); its keys are name, type, filter, url, token",
        ),
        (
            format!(
                "sinks = [{{ name = \"a\", type = \"file\", path = \"x\", bad = 1 }}]\n{TENANT}"
            ),
            "f.toml:1: unknown field `bad` in sink `a` (type file)",
        ),
        (
            format!(
                "{TENANT}[[sinks]]\nname = \"a\"\ntype = \"file\"\npath = \"x\"\nfilter = {{ severity = \"High\" }}\n"
            ),
            "f.toml:9: unknown field `severity`",
        ),
        (
            format!("sinks = 5\n{TENANT}"),
            "f.toml:1: `sinks`: must be a list of tables",
        ),
        (
            format!("{TENANT}[[sinks]]\ntype = \"file\"\npath = \"x\"\n"),
            "f.toml:5: `sinks[0].name`: missing",
        ),
    ];
    for (text, expected) in cases {
        let error = error_of(&text);
        assert!(
            error.contains(expected),
            "expected `{expected}` in:\n{error}\nfor:\n{text}"
        );
    }
}
