//! Byte-exact tests of every encoder, hostile inputs, and reference parsers
//! that split each format back into its fields.

use crate::sink_support;
use crate::sink_support::rfc5424_line;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use defender_siem::format::{
    self, CefOptions, Facility, Format, Hostname, LeefOptions, Payload, Rfc3164Options,
    Rfc5424Options, TRUNCATION_MARKER,
};
use sink_support::{FULL, HOSTILE, assert_one_line, full, hostile, record, text_safe};

fn now() -> DateTime<Utc> {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

fn encode(format: &Format, r: &defender_siem::sink::AlertRecord) -> String {
    let mut out = Vec::new();
    format.encode(r, now(), &mut out);
    String::from_utf8(out).unwrap()
}

fn small_hostile() -> defender_siem::sink::AlertRecord {
    record(
        &serde_json::json!({"id":"x=1]\"\\","severity":"Low","title":HOSTILE,
            "computerDnsName":"host name\n","lastUpdateTime":"2024-05-02T09:14:05.1234567Z",
            "relatedUser":{"userName":"evil\nCEF:0|x"}})
        .to_string(),
    )
}

// ---------- reference parsers ----------

/// CEF: 7 header fields split on unescaped `|`, then `key=value` pairs
/// where a key is the word before an unescaped `=`.
fn parse_cef(line: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let mut header = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars();
    while header.len() < 7 {
        match chars.next().expect("header ends early") {
            '\\' => field.push(chars.next().unwrap()),
            '|' => header.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    let ext: Vec<char> = chars.collect();
    // Positions of unescaped '='.
    let mut eqs = Vec::new();
    let mut i = 0;
    while i < ext.len() {
        match ext[i] {
            '\\' => i += 1,
            '=' => eqs.push(i),
            _ => {}
        }
        i += 1;
    }
    let key_start = |eq: usize| {
        let mut s = eq;
        while s > 0 && ext[s - 1] != ' ' {
            s -= 1;
        }
        s
    };
    let mut pairs = BTreeMap::new();
    for (n, &eq) in eqs.iter().enumerate() {
        let key: String = ext[key_start(eq)..eq].iter().collect();
        let end = eqs
            .get(n + 1)
            .map_or(ext.len(), |&next| key_start(next).saturating_sub(1));
        let mut value = String::new();
        let mut it = ext[eq + 1..end].iter();
        while let Some(&c) = it.next() {
            if c == '\\' {
                match it.next() {
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some(&o) => value.push(o),
                    None => {}
                }
            } else {
                value.push(c);
            }
        }
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric()),
            "bad key {key:?}"
        );
        assert!(
            pairs.insert(key.clone(), value).is_none(),
            "duplicate key {key}"
        );
    }
    (header, pairs)
}

fn leef_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('x') => {
                let hex: String = it.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&hex, 16).unwrap()));
            }
            Some(o) => out.push(o),
            None => {}
        }
    }
    out
}

/// LEEF 2.0: header split on `|`, attributes on the declared delimiter,
/// each pair at its first `=`.
fn parse_leef(line: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let parts: Vec<&str> = line.splitn(7, '|').collect();
    assert_eq!(parts.len(), 7, "{line}");
    assert_eq!(parts[0], "LEEF:2.0");
    let delim = match parts[5] {
        d if d.len() == 1 => d.chars().next().unwrap(),
        d => char::from(u8::from_str_radix(d.trim_start_matches('x'), 16).unwrap()),
    };
    let header = parts[1..5].iter().map(|h| leef_unescape(h)).collect();
    let mut attrs = BTreeMap::new();
    for pair in parts[6].split(delim) {
        let (k, v) = pair.split_once('=').unwrap();
        assert!(
            attrs.insert(k.to_owned(), leef_unescape(v)).is_none(),
            "duplicate {k}"
        );
    }
    (header, attrs)
}

// ---------- byte-exact ----------

#[test]
fn json_is_the_raw_alert_byte_for_byte() {
    assert_eq!(encode(&Format::Json, &full()), FULL);
    let pretty = record("{\n  \"id\": \"a b\",\r\n\t\"t\": \"x\\ny\"\n}");
    assert_eq!(encode(&Format::Json, &pretty), r#"{"id":"a b","t":"x\ny"}"#);
    assert_eq!(
        encode(&Format::JsonEnvelope, &full()),
        format!(
            r#"{{"tenantId":"a839b112-1253-6432-9bf6-94542403f21c","tenantName":"Contoso \"Main\" | Ltd","alert":{FULL}}}"#
        )
    );
}

#[test]
fn cef_full_alert_is_byte_exact() {
    let expected = r#"CEF:0|Microsoft|Microsoft Defender ATP|2.0|17e10bbc-3a68-474a-8aad-faef14d43952|Low-reputation arbitrary code executed by signed executable|8|externalId=da637472900382838869_1364969609 rt=1611693239200 cat=Execution sourceServiceName=WindowsDefenderAtp shost=temp123.middleeast.corp.microsoft.com sourceDnsDomain=middleeast.corp.microsoft.com deviceExternalId=111e6dd8c833c8a052ea231ec1b19adaf497b625 suser=temp123 sntdom=MIDDLEEAST fname=rundll32.exe filePath=C:\\Windows\\SysWOW64 fileHash=ff836cfb1af40252bd2a2ea843032e99a5b262ed cs6=a4a2e1f9c6a8d1f7e0c3b5a7d9e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7 cs6Label=Sha256 src=218.90.204.141 request=down.esales360.cn start=1611693092956 end=1611693093057 cn3=1126093 cn3Label=IncidentId cs1=HackTool:Win32/Mikatz!dha cs1Label=ThreatName cs5=New cs5Label=Status flexString1=https://security.microsoft.com/alerts/da637472900382838869_1364969609?tid\=a839b112-1253-6432-9bf6-94542403f21c flexString1Label=LinkToWDATP flexString2=T1064,T1085 flexString2Label=MitreTechniques deviceCustomDate1=1611693237722 deviceCustomDate1Label=AlertCreationTime msg=Binaries signed by Microsoft can be used to run low-reputation code. cs2=a839b112-1253-6432-9bf6-94542403f21c cs2Label=TenantId cs3=Contoso "Main" | Ltd cs3Label=TenantName"#;
    let cef = encode(&"cef".parse().unwrap(), &full());
    assert_eq!(cef, expected);
    let (header, ext) = parse_cef(&cef);
    assert_eq!(header[0], "CEF:0");
    assert_eq!(header[6], "8");
    assert_eq!(ext["filePath"], r"C:\Windows\SysWOW64");
    assert_eq!(ext["cs3"], "Contoso \"Main\" | Ltd");
    assert_eq!(
        ext["flexString1"],
        "https://security.microsoft.com/alerts/da637472900382838869_1364969609?tid=a839b112-1253-6432-9bf6-94542403f21c"
    );
}

#[test]
fn cef_hostile_small_is_byte_exact() {
    let cef = encode(&"cef".parse().unwrap(), &small_hostile());
    let expected = "CEF:0|Microsoft|Microsoft Defender ATP|2.0|DefenderAlert|a\\|b\\\\c=d]e\"f  CEF:0\\|fake\\|x y z 日本語😀\u{2028}end|3|externalId=x\\=1]\"\\\\ rt=1714641245123 shost=host name\\n suser=evil\\nCEF:0|x flexString1=https://security.microsoft.com/alerts/x\\=1]%22%5C?tid\\=a839b112-1253-6432-9bf6-94542403f21c flexString1Label=LinkToWDATP cs2=a839b112-1253-6432-9bf6-94542403f21c cs2Label=TenantId cs3=Contoso \"Main\" | Ltd cs3Label=TenantName";
    assert_eq!(cef, expected);
    let (header, ext) = parse_cef(&cef);
    assert_eq!(
        header[5],
        "a|b\\c=d]e\"f  CEF:0|fake|x y z 日本語😀\u{2028}end"
    );
    assert_eq!(ext["suser"], "evil\nCEF:0|x");
    assert_eq!(ext["externalId"], "x=1]\"\\");
    assert_eq!(ext["shost"], "host name\n");
}

#[test]
fn leef_full_and_hostile_are_byte_exact() {
    let leef = encode(&"leef".parse().unwrap(), &full());
    assert_eq!(
        leef,
        r#"LEEF:2.0|Microsoft|Microsoft Defender for Endpoint|1.0|17e10bbc-3a68-474a-8aad-faef14d43952|^|devTime=1611693239200^sev=8^cat=Execution^identHostName=temp123.middleeast.corp.microsoft.com^usrName=temp123^domain=MIDDLEEAST^src=218.90.204.141^url=down.esales360.cn^alertId=da637472900382838869_1364969609^title=Low-reputation arbitrary code executed by signed executable^status=New^detectionSource=WindowsDefenderAtp^threatName=HackTool:Win32/Mikatz!dha^machineId=111e6dd8c833c8a052ea231ec1b19adaf497b625^deviceGroup=Servers^incidentId=1126093^mitreTechniques=T1064,T1085^fileName=rundll32.exe^filePath=C:\\Windows\\SysWOW64^sha1=ff836cfb1af40252bd2a2ea843032e99a5b262ed^sha256=a4a2e1f9c6a8d1f7e0c3b5a7d9e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7^alertCreationTime=1611693237722^firstEventTime=1611693092956^lastEventTime=1611693093057^link=https://security.microsoft.com/alerts/da637472900382838869_1364969609?tid=a839b112-1253-6432-9bf6-94542403f21c^description=Binaries signed by Microsoft can be used to run low-reputation code.^tenantId=a839b112-1253-6432-9bf6-94542403f21c^tenantName=Contoso "Main" | Ltd"#
    );
    let hostile_leef = encode(&"leef".parse().unwrap(), &small_hostile());
    assert_eq!(
        hostile_leef,
        "LEEF:2.0|Microsoft|Microsoft Defender for Endpoint|1.0|DefenderAlert|^|devTime=1714641245123^sev=3^identHostName=host name\\n^usrName=evil\\nCEF:0|x^alertId=x=1]\"\\\\^title=a|b\\\\c=d]e\"f\\r\\nCEF:0|fake|x\u{FFFD}y\u{FFFD}z 日本語😀\u{2028}end^link=https://security.microsoft.com/alerts/x=1]%22%5C?tid=a839b112-1253-6432-9bf6-94542403f21c^tenantId=a839b112-1253-6432-9bf6-94542403f21c^tenantName=Contoso \"Main\" | Ltd"
    );
    let (_, attrs) = parse_leef(&hostile_leef);
    assert_eq!(attrs["title"], text_safe(HOSTILE));
    assert_eq!(attrs["alertId"], "x=1]\"\\");
}

#[test]
fn leef_delimiter_inside_values_and_tab_delimiter() {
    let r = record(r#"{"id":"a^b","title":"t\tx^y"}"#);
    let caret = encode(&"leef".parse().unwrap(), &r);
    assert!(
        caret.contains("^alertId=a\\x5eb^title=t x\\x5ey^"),
        "{caret}"
    );
    assert_eq!(parse_leef(&caret).1["alertId"], "a^b");
    let tab = Format::Leef(LeefOptions::default().delimiter('\t').unwrap());
    let line = encode(&tab, &r);
    assert!(
        line.contains("|x09|devTime") || line.contains("|x09|sev="),
        "{line}"
    );
    let (_, attrs) = parse_leef(&line);
    assert_eq!(attrs["title"], "t\tx^y");
    for bad in ['=', '\\', '|', 'a', '\n'] {
        assert!(LeefOptions::default().delimiter(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn rfc5424_is_byte_exact_with_escaped_structured_data() {
    let opts = Rfc5424Options::default().payload(Payload::Cef(CefOptions::default()));
    let line = encode(&Format::Rfc5424(opts), &small_hostile());
    let cef = encode(&"cef".parse().unwrap(), &small_hostile());
    assert_eq!(
        line,
        format!(
            "<133>1 2024-05-02T09:14:05.123456Z host_name_ defender-siem - alert [defender@32473 tenantId=\"a839b112-1253-6432-9bf6-94542403f21c\" alertId=\"x=1\\]\\\"\\\\\" severity=\"Low\"] {cef}"
        )
    );
    let parsed = rfc5424_line::read(line.as_bytes());
    assert_eq!(parsed.pri, 16 * 8 + 5);
    assert_eq!(parsed.header[0], "1");
    assert_eq!(parsed.sd_id, "defender@32473");
    assert_eq!(parsed.param("alertId"), "x=1]\"\\");
    assert_eq!(parsed.msg, cef);
    // JSON payload, default options, facility and BOM.
    let opts = Rfc5424Options::default()
        .facility("local4".parse::<Facility>().unwrap())
        .hostname(Hostname::Fixed("fwd-01".into()))
        .procid("4242")
        .bom(true);
    let line = encode(&Format::Rfc5424(opts), &full());
    assert_eq!(
        line,
        format!(
            "<163>1 2021-01-26T20:33:59.2Z fwd-01 defender-siem 4242 alert [defender@32473 tenantId=\"a839b112-1253-6432-9bf6-94542403f21c\" alertId=\"da637472900382838869_1364969609\" severity=\"High\"] \u{FEFF}{FULL}"
        )
    );
}

#[test]
fn rfc5424_without_time_and_with_long_header_fields() {
    let r = record(r#"{"id":"a"}"#);
    let opts = Rfc5424Options::default()
        .app_name("x".repeat(60))
        .msgid("m".repeat(40))
        .hostname(Hostname::Fixed("h".repeat(300)));
    let line = encode(&Format::Rfc5424(opts), &r);
    let p = rfc5424_line::read(line.as_bytes());
    assert_eq!(p.pri, 134);
    assert_eq!(p.header[1], "-");
    assert_eq!(p.header[2].len(), 255);
    assert_eq!(p.header[3].len(), 48);
    assert_eq!(p.header[5].len(), 32);
    assert_eq!(p.param("severity"), "");
}

#[test]
fn rfc3164_is_byte_exact() {
    let opts = Rfc3164Options::default().payload(Payload::Leef(LeefOptions::default()));
    let r = small_hostile();
    let line = encode(&Format::Rfc3164(opts), &r);
    let leef = encode(&"leef".parse().unwrap(), &r);
    assert_eq!(
        line,
        format!("<133>May  2 09:14:05 host_name_ defender-siem: {leef}")
    );
    // No time in the alert: `now` is used.
    let untimed = encode(&"rfc3164".parse().unwrap(), &record(r#"{"id":"a"}"#));
    assert_eq!(
        untimed,
        r#"<134>Jan  1 00:00:00 - defender-siem: {"id":"a"}"#
    );
    let tag = Rfc3164Options::default()
        .tag("my tag[1]")
        .hostname(Hostname::Fixed("fwd".into()));
    let line = encode(&Format::Rfc3164(tag), &full());
    assert!(
        line.starts_with("<131>Jan 26 20:33:59 fwd my_tag_1_: {"),
        "{line}"
    );
}

#[test]
fn hec_and_sentinel_embed_the_raw_alert() {
    let hec = encode(&"hec".parse().unwrap(), &full());
    assert_eq!(
        hec,
        format!(
            r#"{{"time":1611693239.2,"host":"temp123.middleeast.corp.microsoft.com","source":"defender-siem","sourcetype":"ms:defender:atp:alerts","fields":{{"tenantId":"a839b112-1253-6432-9bf6-94542403f21c","tenantName":"Contoso \"Main\" | Ltd"}},"event":{FULL}}}"#
        )
    );
    let env = format::HecEnvelope::default()
        .index(Some("edr".into()))
        .source("s");
    let mut out = Vec::new();
    env.encode(&record(r#"{"id":"a"}"#), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"source":"s","sourcetype":"ms:defender:atp:alerts","index":"edr","fields":{"tenantId":"a839b112-1253-6432-9bf6-94542403f21c","tenantName":"Contoso \"Main\" | Ltd"},"event":{"id":"a"}}"#
    );
    let row = encode(&"sentinel".parse().unwrap(), &full());
    assert!(row.starts_with(r#"{"TimeGenerated":"2021-01-26T20:33:59.2Z","CustomerTenantId":"a839b112-1253-6432-9bf6-94542403f21c","CustomerTenantName":"Contoso \"Main\" | Ltd","AlertId":"da637472900382838869_1364969609","IncidentId":1126093,"Severity":"High","Status":"New","AlertTitle":"Low-reputation arbitrary code executed by signed executable","Category":"Execution","DetectionSource":"WindowsDefenderAtp","ThreatName":"HackTool:Win32/Mikatz!dha","ComputerDnsName":"temp123.middleeast.corp.microsoft.com","MachineId":"111e6dd8c833c8a052ea231ec1b19adaf497b625","DeviceGroup":"Servers","UserName":"temp123","UserDomain":"MIDDLEEAST","MitreTechniques":["T1064","T1085"],"AlertCreationTime":"2021-01-26T20:33:57.7220239Z","#), "{row}");
    assert!(row.ends_with(&format!(r#","Alert":{FULL}}}"#)));
    let untimed = encode(&"sentinel".parse().unwrap(), &record(r#"{"id":"a"}"#));
    assert!(untimed.starts_with(r#"{"TimeGenerated":"2030-01-01T00:00:00Z","#));
}

#[test]
fn ocsf_detection_finding() {
    let line = encode(&"ocsf".parse().unwrap(), &full());
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["class_uid"], 2004);
    assert_eq!(v["category_uid"], 2);
    assert_eq!(v["type_uid"], 200402);
    assert_eq!(v["severity_id"], 4);
    assert_eq!(v["status_id"], 1);
    assert_eq!(v["time"], 1611693239200i64);
    assert_eq!(v["finding_info"]["uid"], "da637472900382838869_1364969609");
    assert_eq!(v["finding_info"]["attacks"][1]["technique"]["uid"], "T1085");
    assert_eq!(v["device"]["groups"][0]["name"], "Servers");
    assert_eq!(
        v["evidences"][0]["process"]["file"]["hashes"][0]["algorithm_id"],
        2
    );
    assert_eq!(v["evidences"][1]["src_endpoint"]["ip"], "218.90.204.141");
    assert_eq!(v["metadata"]["product"]["vendor_name"], "Microsoft");
    assert_eq!(
        v["unmapped"],
        serde_json::from_str::<serde_json::Value>(FULL).unwrap()
    );
    let resolved = encode(
        &"ocsf".parse().unwrap(),
        &record(r#"{"id":"a","status":"Resolved"}"#),
    );
    let v: serde_json::Value = serde_json::from_str(&resolved).unwrap();
    assert_eq!(
        (v["activity_id"].as_u64(), v["type_uid"].as_u64()),
        (Some(3), Some(200403))
    );
}

// ---------- hostile, big ----------

#[test]
fn hostile_big_alert_stays_one_parseable_record_in_every_format() {
    let r = hostile();
    let safe = text_safe(HOSTILE);
    for name in Format::NAMES {
        let line = encode(&name.parse().unwrap(), &r);
        assert_one_line(line.as_bytes());
        match *name {
            "cef" => {
                let (header, ext) = parse_cef(&line);
                assert_eq!(header.len(), 7);
                assert_eq!(ext["cat"], safe);
                assert_eq!(ext["msg"].len(), 200 * 1024 + safe.len());
                assert_eq!(ext["suser"], "evil\nuser");
                assert_eq!(ext["fname"], format!("f0{safe}"));
                assert_eq!(ext["cs3"], "Contoso \"Main\" | Ltd");
            }
            "leef" => {
                let (_, attrs) = parse_leef(&line);
                assert_eq!(attrs["cat"], safe);
                assert_eq!(attrs["usrName"], "evil\nuser");
                assert_eq!(attrs["mitreTechniques"], format!("T1059,{safe}"));
            }
            "rfc5424" => {
                let p = rfc5424_line::read(line.as_bytes());
                // RFC 5424 parsers keep `\r`/`\n` as written (our convention).
                let sd = safe.replace('\r', "\\r").replace('\n', "\\n");
                assert_eq!(p.param("alertId"), format!("da1_{sd}"));
                let alert: serde_json::Value = serde_json::from_str(p.msg).unwrap();
                assert_eq!(alert["evidence"].as_array().unwrap().len(), 300);
                assert_eq!(alert["title"], HOSTILE);
            }
            "rfc3164" => assert!(line.starts_with("<132>May  2 09:14:05 ")),
            _ => {
                let json = line.trim_start_matches(|c| c != '{');
                let v: serde_json::Value = serde_json::from_str(json).unwrap();
                assert!(v.is_object(), "{name}");
            }
        }
    }
}

#[test]
fn truncation_cuts_the_payload_and_marks_it() {
    let r = hostile();
    let opts = Rfc5424Options::default();
    let mut out = Vec::new();
    let original = format::rfc5424::encode_limited(&r, &opts, Some(2048), &mut out).unwrap();
    assert!(out.len() <= 2048, "{}", out.len());
    assert!(original > 200 * 1024);
    assert!(out.ends_with(TRUNCATION_MARKER.as_bytes()));
    assert_one_line(&out);
    let p = rfc5424_line::read(&out);
    assert_eq!(p.param("truncated"), original.to_string());
    let mut out = Vec::new();
    let opts = Rfc3164Options::default().payload(Payload::Cef(CefOptions::default()));
    assert!(format::rfc3164::encode_limited(&r, &opts, now(), Some(1024), &mut out).is_some());
    assert!(out.len() <= 1024);
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with(TRUNCATION_MARKER));
    // A message that fits is untouched.
    let mut out = Vec::new();
    assert_eq!(
        format::rfc5424::encode_limited(&full(), &opts_json(), Some(8192), &mut out),
        None
    );
    assert_eq!(
        out,
        encode(&Format::Rfc5424(opts_json()), &full()).into_bytes()
    );
}

fn opts_json() -> Rfc5424Options {
    Rfc5424Options::default()
}

#[test]
fn format_names_round_trip() {
    for name in Format::NAMES {
        let f: Format = name.parse().unwrap();
        assert_eq!(f.name(), *name);
    }
    let err = "xml".parse::<Format>().unwrap_err().to_string();
    assert!(err.contains("supported: json, json-envelope, cef"), "{err}");
}
