//! The reference readers catch what they are meant to catch.

use crate::{cef, leef, lines, syslog};

#[test]
fn cef_reader_splits_escapes_and_rejects_stray_equals() {
    let ok = cef::split(r"CEF:0|V|P\|Q|1|id|a\\b|5|msg=x\=y\nz cs2=t cs2Label=TenantId").unwrap();
    assert_eq!(ok.header, ["CEF:0", "V", "P|Q", "1", "id", r"a\b", "5"]);
    assert_eq!(ok.get("msg"), Some("x=y\nz"));
    assert_eq!(ok.equals, 3);
    // An unescaped `=` inside a value has no key of its own.
    assert!(cef::split("CEF:0|V|P|1|id|n|5|msg=a =b").is_err());
    // A value that ends in a word and `=` reads as an extra key.
    let forged = cef::split("CEF:0|V|P|1|id|n|5|msg=a cs9=b").unwrap();
    assert_eq!(forged.pairs.len(), 2);
    assert!(cef::split("CEF:0|V|P|1|id|n").is_err());
}

#[test]
fn leef_reader_splits_on_the_delimiter() {
    let ok = leef::split(r"LEEF:2.0|V|P\x7cQ|1|id|^|sev=5^title=a\x5eb=c", '^').unwrap();
    assert_eq!(ok.header[2], "P|Q");
    assert_eq!(ok.get("title"), Some("a^b=c"));
    assert!(leef::split("LEEF:2.0|V|P|1|id|^|sev=5^oops", '^').is_err());
}

#[test]
fn syslog_readers_check_the_structure() {
    let m = syslog::split_5424(br#"<134>1 - host app - alert [d@1 a="x\"y\]" b=""] {}"#).unwrap();
    assert_eq!(
        m.params,
        [("a".into(), "x\"y]".into()), ("b".into(), String::new())]
    );
    assert_eq!(m.msg, b"{}");
    assert!(syslog::split_5424(br#"<134>1 - host app - alert [d@1 a="x]"] {}"#).is_err());
    assert!(syslog::split_5424(b"<134>1 - ho st app - alert [d@1] {}").is_err());
    let b = syslog::split_3164(b"<134>Jan  5 09:03:07 host defender-siem: {}").unwrap();
    assert_eq!(
        (b.tag.as_str(), b.msg.as_slice()),
        ("defender-siem", b"{}".as_slice())
    );
    assert!(lines::one_line("x", b"a\nb").is_err());
}
