//! No credential in cleartext, and no secret in `Debug` or a config error:
//! the configuration file's URL keys (`https`, or plain `http` to loopback
//! only, unless `allow_plain_http = true`; never user info or a query), the
//! HEC and Sentinel builders, `ForwarderConfig`'s `Debug`, and the errors
//! of secret keys.
#![cfg(all(feature = "splunk", feature = "sentinel"))]

use std::sync::Arc;

use defender_siem::auth::StaticTokenProvider;
use defender_siem::config::{ForwarderConfig, SinkKind};
use defender_siem::sink::sentinel::SentinelSink;
use defender_siem::sink::splunk_hec::SplunkHecSink;
use defender_siem::{Error, TenantId};

use crate::support::logs::warnings_of;

const SECRET: &str = "s3cr3t-from-the-vault";

const TENANT: &str =
    "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\nclient_secret = \"${SEC_TEST_SECRET}\"\n";

fn parse(text: &str) -> Result<ForwarderConfig, Error> {
    ForwarderConfig::parse_with_lookup(text, "f.toml", |name| {
        (name == "SEC_TEST_SECRET").then(|| SECRET.to_owned())
    })
}

/// The error of `text`, checked free of the secret and its spellings.
fn error_of(text: &str) -> String {
    match parse(text) {
        Ok(config) => panic!("parsed:\n{text}\n{config:?}"),
        Err(e) => {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(SECRET), "the secret leaked: {shown}");
            e.to_string()
        }
    }
}

fn hec(url: &str) -> String {
    format!(
        "[[sinks]]\nname = \"splunk\"\ntype = \"splunk_hec\"\nurl = \"{url}\"\ntoken = \"${{SEC_TEST_SECRET}}\"\n"
    )
}

fn sentinel(endpoint: &str) -> String {
    format!(
        "[[sinks]]\nname = \"sentinel\"\ntype = \"sentinel\"\nendpoint = \"{endpoint}\"\n\
         dcr_immutable_id = \"dcr-0\"\nstream = \"Custom-A_CL\"\ntenant_id = \"t2.example\"\n\
         client_id = \"app\"\nclient_secret = \"${{SEC_TEST_SECRET}}\"\n"
    )
}

#[test]
fn a_plain_http_hec_url_to_another_host_is_refused_naming_the_key() {
    let e = error_of(&format!("{TENANT}{}", hec("http://splunk.example:8088")));
    assert!(
        e.contains("f.toml:5: `sinks[0].url`: `http://splunk.example` would send a credential"),
        "{e}"
    );
    assert!(e.contains("allow_plain_http"), "{e}");
    for ok in [
        "http://127.0.0.1:8088",
        "http://[::1]:8088",
        "http://localhost:8088",
        "https://splunk.example:8088",
    ] {
        parse(&format!("{TENANT}{}", hec(ok))).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn allow_plain_http_in_defaults_lets_it_through() {
    let text = format!(
        "[defaults]\nallow_plain_http = true\n{TENANT}{}",
        hec("http://splunk.example:8088")
    );
    let config = parse(&text).unwrap();
    assert!(config.defaults.allow_plain_http);
}

#[test]
fn sentinel_endpoint_authority_host_and_api_base_follow_the_same_rule() {
    let e = error_of(&format!("{TENANT}{}", sentinel("http://dce.example")));
    assert!(
        e.contains("`sinks[0].endpoint`: `http://dce.example` would send a credential"),
        "{e}"
    );
    parse(&format!("{TENANT}{}", sentinel("http://127.0.0.1:9"))).unwrap();
    for key in ["authority_host", "api_base"] {
        let e = error_of(&format!(
            "[defaults]\n{key} = \"http://login.example\"\n{TENANT}{}",
            hec("https://h")
        ));
        assert!(
            e.contains(&format!(
                "f.toml:2: `defaults.{key}`: `http://login.example` would send a credential"
            )),
            "{e}"
        );
        parse(&format!(
            "[defaults]\n{key} = \"http://127.0.0.1:9000\"\n{TENANT}{}",
            hec("https://h")
        ))
        .unwrap();
    }
}

#[test]
fn user_info_and_query_strings_are_refused_in_every_url_key() {
    let userinfo = "https://bob:${SEC_TEST_SECRET}@h.example";
    let query = "https://h.example/?sig=${SEC_TEST_SECRET}";
    for (url, what) in [
        (userinfo, "must not hold a user name or password"),
        (query, "must not have a query string"),
    ] {
        let e = error_of(&format!("{TENANT}{}", hec(url)));
        assert!(e.contains(&format!("`sinks[0].url`: {what}")), "{e}");
        let e = error_of(&format!("{TENANT}{}", sentinel(url)));
        assert!(e.contains(&format!("`sinks[0].endpoint`: {what}")), "{e}");
        for key in ["authority_host", "api_base"] {
            let e = error_of(&format!(
                "[defaults]\n{key} = \"{url}\"\n{TENANT}{}",
                hec("https://h")
            ));
            assert!(e.contains(&format!("`defaults.{key}`: {what}")), "{e}");
        }
    }
}

#[cfg(feature = "email")]
#[test]
fn smtp_credentials_in_the_url_point_to_the_username_and_password_keys() {
    let text = format!(
        "{TENANT}[[sinks]]\nname = \"mail\"\ntype = \"email\"\n\
         smtp = \"smtp://soc:${{SEC_TEST_SECRET}}@mail.example:587\"\nfrom = \"soc@mssp.example\"\n\
         [[sinks.rules]]\nname = \"r\"\nrecipients = [\"oncall@mssp.example\"]\n"
    );
    let e = error_of(&text);
    assert!(
        e.contains("`sinks[0].smtp`: must not hold a user name or password"),
        "{e}"
    );
    assert!(e.contains("`username` and `password`"), "{e}");
}

#[test]
fn debug_never_shows_url_passwords_or_query_strings() {
    let text = format!(
        "[defaults]\napi_base = \"http://127.0.0.1:9000/base\"\n{TENANT}{}{}",
        hec("https://splunk.example:8088/hec"),
        sentinel("https://dce.example")
    );
    let mut config = parse(&text).unwrap();
    // The fields are public: whatever is put there, Debug hides it.
    let planted = "https://bob:pw-planted@h.example:1/p?sig=q-planted"
        .parse()
        .unwrap();
    config.defaults.api_base = Some(planted);
    config.defaults.authority_host =
        Some("https://u:pw-planted@a.example/?q-planted".parse().unwrap());
    for sink in &mut config.sinks {
        match &mut sink.kind {
            SinkKind::SplunkHec(s) => {
                s.url = "https://u:pw-planted@s.example/?q-planted".parse().unwrap()
            }
            SinkKind::Sentinel(s) => {
                s.endpoint = "https://u:pw-planted@d.example/?q-planted".parse().unwrap()
            }
            _ => {}
        }
    }
    let debug = format!("{config:?} {config:#?}");
    for hidden in ["pw-planted", "q-planted", SECRET] {
        assert!(!debug.contains(hidden), "{hidden} in {debug}");
    }
    assert!(debug.contains("https://h.example:1/p"), "{debug}");
    assert!(debug.contains("https://s.example/"), "{debug}");
}

#[test]
fn errors_of_secret_keys_never_quote_the_value() {
    let bad_reference = "hunter2-${not valid}-tail";
    let missing = "hunter2-${SEC_TEST_MISSING}-tail";
    let sinks = |secret: &str| {
        [
            (
                format!(
                    "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\nclient_secret = \"{secret}\"\n{}",
                    hec("https://h")
                ),
                "client_secret",
            ),
            (
                format!(
                    "[defaults]\nclient_secret = \"{secret}\"\n[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\n{}",
                    hec("https://h")
                ),
                "client_secret",
            ),
            (
                format!(
                    "{TENANT}[[sinks]]\nname = \"s\"\ntype = \"splunk_hec\"\nurl = \"https://h\"\ntoken = \"{secret}\"\n"
                ),
                "token",
            ),
            (
                sentinel("https://dce.example").replace("${SEC_TEST_SECRET}", secret),
                "client_secret",
            ),
        ]
    };
    for secret in [bad_reference, missing] {
        for (text, key) in sinks(secret) {
            let text = if text.starts_with("[[sinks]]") {
                format!("{TENANT}{text}")
            } else {
                text
            };
            let e = error_of(&text);
            for part in ["hunter2", "tail", "not valid", "SEC_TEST_MISSING"] {
                assert!(!e.contains(part), "`{part}` of the secret is in: {e}");
            }
            assert!(e.contains(key), "the key `{key}` is not named: {e}");
            assert!(e.contains("not shown"), "{e}");
        }
    }
    // A number where a secret string belongs: the number is not echoed.
    let e = error_of(&format!(
        "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\nclient_secret = 98765432\n{}",
        hec("https://h")
    ));
    assert!(
        !e.contains("98765432") && e.contains("must be a string"),
        "{e}"
    );
    // The proxy URL may hold the proxy's password: same care.
    let e = error_of(&format!(
        "[defaults]\nproxy = \"http://bob:hunter2@${{bad ref}}:3128\"\n{TENANT}{}",
        hec("https://h")
    ));
    assert!(!e.contains("hunter2") && !e.contains("bad ref"), "{e}");
    assert!(e.contains("proxy"), "{e}");
    // A secret that is just a missing variable names the variable.
    let e = error_of(&format!(
        "[[tenants]]\nid = \"t1.example\"\nclient_id = \"c\"\nclient_secret = \"${{SEC_TEST_UNSET}}\"\n{}",
        hec("https://h")
    ));
    assert!(e.contains("`SEC_TEST_UNSET` is not set"), "{e}");
}

#[test]
fn hec_and_sentinel_builders_refuse_plain_http_to_other_hosts() {
    let e = SplunkHecSink::builder("http://splunk.example:8088", "tok")
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("splunk_hec: the endpoint (SplunkHecSink::builder): `http://splunk.example`"),
        "{e}"
    );
    SplunkHecSink::builder("http://127.0.0.1:8088", "tok")
        .build()
        .unwrap();
    let (built, logs) = warnings_of(|| {
        SplunkHecSink::builder("http://splunk.example:8088", "hec-tok-value")
            .allow_plain_http(true)
            .build()
    });
    built.unwrap();
    assert!(
        logs.contains("WARN")
            && logs.contains("plain http allowed")
            && logs.contains("splunk.example"),
        "{logs:?}"
    );
    assert!(!logs.contains("hec-tok-value"), "{logs}");

    let sentinel = |endpoint: &str, allow: bool| {
        SentinelSink::builder(
            endpoint,
            "dcr-0",
            "Custom-A_CL",
            Arc::new(StaticTokenProvider::new("t")),
            TenantId::new("t2.example").unwrap(),
        )
        .allow_plain_http(allow)
        .build()
        .map(|_| ())
    };
    let e = sentinel("http://dce.example", false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sentinel: the endpoint (SentinelSink::builder): `http://dce.example`"),
        "{e}"
    );
    sentinel("http://127.0.0.1:9", false).unwrap();
    sentinel("http://dce.example", true).unwrap();
}

#[cfg(feature = "email")]
#[test]
fn the_email_builder_refuses_a_plain_smtp_login_to_another_host() {
    use defender_siem::sink::email::{EmailSink, NotificationRule};
    let sink = |url: &str| {
        EmailSink::builder("mail", url.parse().unwrap())
            .from("soc@mssp.example")
            .credentials("soc", "smtp-pw-value")
            .rule(
                NotificationRule::builder("r")
                    .recipients(["oncall@mssp.example"])
                    .build()
                    .unwrap(),
            )
            .build()
            .map(|_| ())
    };
    let e = sink("smtp+plain://mail.example:25")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`smtp+plain://mail.example` with a username and password"),
        "{e}"
    );
    assert!(!e.contains("smtp-pw-value"), "{e}");
    sink("smtp+plain://127.0.0.1:2525").unwrap();
    sink("smtp://mail.example:587").unwrap();
}
