//! Encodes one record with every format and checks what comes out.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use defender_siem::format::{Payload, TRUNCATION_MARKER, rfc3164, rfc5424};
use defender_siem::sink::AlertRecord;
use serde_json::Value;

use crate::options::Built;
use crate::{cef, expect, json, leef, lines, syslog};

/// The `now` passed to the encoders.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_714_641_245, 0).unwrap_or_default()
}

/// Encodes `record` in every format of `built` and checks each record;
/// `limit` also runs the size-limited syslog encoders.
pub fn all_formats(record: &AlertRecord, built: &Built, limit: Option<u16>) -> Result<(), String> {
    // JSON text whose numbers do not fit an f64 (`1e4444`) is forwarded
    // unchanged but cannot become a `Value`: then the JSON formats are only
    // checked to be JSON text.
    let Ok(raw) = serde_json::from_str::<Value>(record.raw.get()) else {
        return syntax_only(record, built);
    };
    for format in &built.formats {
        let mut out = Vec::new();
        format.encode(record, now(), &mut out);
        let name = format.name();
        lines::one_line(name, &out)?;
        let text = String::from_utf8(out.clone()).map_err(|e| format!("{name}: not UTF-8: {e}"))?;
        match name {
            "json" => {
                if json::parse(name, &out)? != raw {
                    return Err("json: the alert changed".into());
                }
            }
            "json-envelope" => envelope(record, &raw, &out)?,
            "cef" => check_cef(record, built, &text)?,
            "leef" => check_leef(record, built, &text)?,
            "rfc5424" => check_5424(record, built, &raw, &out, None)?,
            "rfc3164" => check_3164(record, built, &raw, &out, None)?,
            "ocsf" => {
                if !json::parse(name, &out)?.is_object() {
                    return Err("ocsf: not an object".into());
                }
            }
            "hec" => {
                let v = json::parse(name, &out)?;
                json::member_is(name, &v, "event", &raw)?;
                let fields = v.get("fields").cloned().unwrap_or_default();
                json::member_is(name, &fields, "tenantId", &record.tenant.id.as_str().into())?;
                json::member_is(
                    name,
                    &fields,
                    "tenantName",
                    &record.tenant.name.as_str().into(),
                )?;
                if let Some(host) = record
                    .alert
                    .computer_dns_name
                    .as_deref()
                    .filter(|h| !h.is_empty())
                {
                    json::member_is(name, &v, "host", &host.into())?;
                }
            }
            "sentinel" => {
                let v = json::parse(name, &out)?;
                json::member_is(name, &v, "Alert", &raw)?;
                json::member_is(
                    name,
                    &v,
                    "CustomerTenantId",
                    &record.tenant.id.as_str().into(),
                )?;
            }
            other => return Err(format!("no check for format {other}")),
        }
    }
    if let Some(limit) = limit {
        let limit = usize::from(limit);
        let mut out = Vec::new();
        let cut = rfc5424::encode_limited(record, &built.rfc5424, Some(limit), &mut out);
        lines::one_line("rfc5424 (limited)", &out)?;
        check_5424(record, built, &raw, &out, cut.map(|n| (n, limit)))?;
        let mut out = Vec::new();
        let cut = rfc3164::encode_limited(record, &built.rfc3164, now(), Some(limit), &mut out);
        lines::one_line("rfc3164 (limited)", &out)?;
        check_3164(record, built, &raw, &out, cut.map(|n| (n, limit)))?;
    }
    Ok(())
}

fn envelope(record: &AlertRecord, raw: &Value, out: &[u8]) -> Result<(), String> {
    let v = json::parse("json-envelope", out)?;
    json::member_is(
        "json-envelope",
        &v,
        "tenantId",
        &record.tenant.id.as_str().into(),
    )?;
    json::member_is(
        "json-envelope",
        &v,
        "tenantName",
        &record.tenant.name.as_str().into(),
    )?;
    json::member_is("json-envelope", &v, "alert", raw)
}

/// Checks a payload (the MSG of a syslog message).
fn payload(record: &AlertRecord, built: &Built, raw: &Value, msg: &[u8]) -> Result<(), String> {
    match &built.payload {
        Payload::Json => {
            if json::parse("syslog json payload", msg)? != *raw {
                return Err("syslog json payload: the alert changed".into());
            }
            Ok(())
        }
        Payload::JsonEnvelope => envelope(record, raw, msg),
        Payload::Cef(_) => check_cef(record, built, &utf8(msg)?),
        Payload::Leef(_) => check_leef(record, built, &utf8(msg)?),
        other => Err(format!("no check for payload {other:?}")),
    }
}

fn utf8(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|e| format!("payload not UTF-8: {e}"))
}

/// The keys the CEF encoder may write.
const CEF_KEYS: &[&str] = &[
    "externalId",
    "rt",
    "cat",
    "sourceServiceName",
    "shost",
    "sourceDnsDomain",
    "deviceExternalId",
    "suser",
    "sntdom",
    "fname",
    "filePath",
    "fileHash",
    "cs6",
    "cs6Label",
    "src",
    "request",
    "start",
    "end",
    "cn3",
    "cn3Label",
    "cs1",
    "cs1Label",
    "cs4",
    "cs4Label",
    "cs5",
    "cs5Label",
    "flexString1",
    "flexString1Label",
    "flexString2",
    "flexString2Label",
    "deviceCustomDate1",
    "deviceCustomDate1Label",
    "msg",
    "cs2",
    "cs2Label",
    "cs3",
    "cs3Label",
];

fn unique_known(
    format: &str,
    keys: impl Iterator<Item = String>,
    known: &[&str],
) -> Result<usize, String> {
    let mut seen = HashSet::new();
    for k in keys {
        if !known.contains(&k.as_str()) {
            return Err(format!("{format}: unexpected key {k:?}"));
        }
        if !seen.insert(k.clone()) {
            return Err(format!("{format}: key {k:?} twice"));
        }
    }
    Ok(seen.len())
}

/// CEF: 7 header fields + extension; header values and the directly
/// mapped extension values read back as they went in; one unescaped `=`
/// per key written.
pub fn check_cef(record: &AlertRecord, built: &Built, text: &str) -> Result<(), String> {
    let a = &record.alert;
    let cef = cef::split(text).map_err(|e| format!("cef: {e}: {text:?}"))?;
    let class = a
        .detector_id
        .as_deref()
        .or(a.category.as_deref())
        .unwrap_or("DefenderAlert");
    let expected_header = [
        "CEF:0".to_owned(),
        expect::cef_header(&built.cef_ident[0], 63),
        expect::cef_header(&built.cef_ident[1], 63),
        expect::cef_header(&built.cef_ident[2], 31),
        expect::cef_header(class, 1023),
        expect::cef_header(a.title.as_deref().unwrap_or("Defender alert"), 512),
    ];
    if cef.header[..6] != expected_header {
        return Err(format!(
            "cef: header {:?} != {expected_header:?}",
            cef.header
        ));
    }
    if !cef.header[6].parse::<u8>().is_ok_and(|s| s <= 10) {
        return Err(format!("cef: severity {:?}", cef.header[6]));
    }
    let keys = unique_known("cef", cef.pairs.iter().map(|(k, _)| k.clone()), CEF_KEYS)?;
    if keys != cef.equals {
        return Err(format!(
            "cef: {} keys but {} unescaped `=`",
            keys, cef.equals
        ));
    }
    let direct = [
        ("externalId", a.id.as_deref()),
        ("cat", a.category.as_deref()),
        ("shost", a.computer_dns_name.as_deref()),
        ("deviceExternalId", a.machine_id.as_deref()),
        ("cs4", a.actor_name.as_deref()),
        ("msg", a.description.as_deref()),
    ];
    for (key, value) in direct {
        let expected = value.filter(|v| !v.is_empty()).map(expect::plain_value);
        if cef.get(key).map(str::to_owned) != expected {
            return Err(format!(
                "cef: {key} is {:?}, expected {expected:?}: {text:?}",
                cef.get(key)
            ));
        }
    }
    for (key, value) in [
        ("cs2", record.tenant.id.as_str()),
        ("cs3", record.tenant.name.as_str()),
    ] {
        let expected = expect::plain_value(value);
        if cef.get(key) != Some(expected.as_str()) {
            return Err(format!(
                "cef: {key} is {:?}, expected {expected:?}",
                cef.get(key)
            ));
        }
    }
    for (key, _) in &cef.pairs {
        let labelled = key.starts_with("cs")
            || key.starts_with("flexString")
            || key == "cn3"
            || key == "deviceCustomDate1";
        if labelled && !key.ends_with("Label") && cef.get(&format!("{key}Label")).is_none() {
            return Err(format!("cef: {key} has no label"));
        }
    }
    Ok(())
}

/// The keys the LEEF encoder may write.
const LEEF_KEYS: &[&str] = &[
    "devTime",
    "sev",
    "cat",
    "identHostName",
    "usrName",
    "domain",
    "src",
    "url",
    "alertId",
    "title",
    "status",
    "detectionSource",
    "threatName",
    "machineId",
    "deviceGroup",
    "incidentId",
    "mitreTechniques",
    "fileName",
    "filePath",
    "sha1",
    "sha256",
    "alertCreationTime",
    "firstEventTime",
    "lastEventTime",
    "link",
    "description",
    "tenantId",
    "tenantName",
];

/// LEEF: 6 header fields + attributes; every attribute a known key once;
/// values read back as they went in.
pub fn check_leef(record: &AlertRecord, built: &Built, text: &str) -> Result<(), String> {
    let a = &record.alert;
    let d = built.delimiter;
    let leef = leef::split(text, d).map_err(|e| format!("leef: {e}: {text:?}"))?;
    let event_id = a
        .detector_id
        .as_deref()
        .or(a.category.as_deref())
        .unwrap_or("DefenderAlert");
    let event_id: String = event_id.chars().take(255).collect();
    let delim_field = if d.is_ascii_graphic() {
        d.to_string()
    } else {
        format!("x{:02X}", d as u32)
    };
    let expected_header = [
        "LEEF:2.0".to_owned(),
        expect::leef_plain(&built.leef_ident[0], '|'),
        expect::leef_plain(&built.leef_ident[1], '|'),
        expect::leef_plain(&built.leef_ident[2], '|'),
        expect::leef_plain(&event_id, '|'),
        delim_field,
    ];
    if leef.header != expected_header {
        return Err(format!(
            "leef: header {:?} != {expected_header:?}",
            leef.header
        ));
    }
    unique_known("leef", leef.pairs.iter().map(|(k, _)| k.clone()), LEEF_KEYS)?;
    if !leef
        .get("sev")
        .and_then(|s| s.parse::<u8>().ok())
        .is_some_and(|s| (1..=10).contains(&s))
    {
        return Err(format!("leef: sev {:?}", leef.get("sev")));
    }
    let direct = [
        ("cat", a.category.as_deref()),
        ("identHostName", a.computer_dns_name.as_deref()),
        ("alertId", a.id.as_deref()),
        ("title", a.title.as_deref()),
        ("machineId", a.machine_id.as_deref()),
        ("deviceGroup", a.rbac_group_name.as_deref()),
        ("description", a.description.as_deref()),
        ("tenantId", Some(record.tenant.id.as_str())),
    ];
    for (key, value) in direct {
        let expected = value
            .filter(|v| !v.is_empty())
            .map(|v| expect::leef_plain(v, d));
        if leef.get(key).map(str::to_owned) != expected {
            return Err(format!(
                "leef: {key} is {:?}, expected {expected:?}: {text:?}",
                leef.get(key)
            ));
        }
    }
    let name = expect::leef_plain(&record.tenant.name, d);
    if leef.get("tenantName") != Some(name.as_str()) {
        return Err(format!(
            "leef: tenantName is {:?}, expected {name:?}",
            leef.get("tenantName")
        ));
    }
    Ok(())
}

fn check_cut(
    format: &str,
    msg: &[u8],
    total: usize,
    cut: Option<(usize, usize)>,
) -> Result<bool, String> {
    let Some((_, limit)) = cut else {
        return Ok(false);
    };
    if !msg.ends_with(TRUNCATION_MARKER.as_bytes()) {
        return Err(format!("{format}: cut payload without the marker"));
    }
    if total > limit && msg.len() > TRUNCATION_MARKER.len() {
        return Err(format!(
            "{format}: {total} bytes over the limit {limit} with payload left"
        ));
    }
    Ok(true)
}

/// RFC 5424: header fields, SD params read back, MSG is the payload.
pub fn check_5424(
    record: &AlertRecord,
    built: &Built,
    raw: &Value,
    out: &[u8],
    cut: Option<(usize, usize)>,
) -> Result<(), String> {
    let m = syslog::split_5424(out)
        .map_err(|e| format!("rfc5424: {e}: {:?}", String::from_utf8_lossy(out)))?;
    let a = &record.alert;
    let mut expected = vec![
        (
            "tenantId".to_owned(),
            expect::sd_plain(record.tenant.id.as_str()),
        ),
        (
            "alertId".to_owned(),
            expect::sd_plain(a.id.as_deref().unwrap_or("")),
        ),
        (
            "severity".to_owned(),
            expect::sd_plain(a.severity.as_ref().map_or("", |s| s.as_str())),
        ),
    ];
    if let Some((original, _)) = cut {
        expected.push(("truncated".to_owned(), original.to_string()));
    }
    if m.params != expected {
        return Err(format!("rfc5424: params {:?} != {expected:?}", m.params));
    }
    let msg = if built.rfc5424_bom() {
        m.msg
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .ok_or("rfc5424: no BOM")?
    } else {
        &m.msg[..]
    };
    if check_cut("rfc5424", msg, out.len(), cut)? {
        return Ok(());
    }
    let mut alone = Vec::new();
    built.payload.encode(record, &mut alone);
    if msg != alone.as_slice() {
        return Err("rfc5424: MSG is not the payload".into());
    }
    payload(record, built, raw, msg)
}

/// RFC 3164: header shape, MSG is the payload.
pub fn check_3164(
    record: &AlertRecord,
    built: &Built,
    raw: &Value,
    out: &[u8],
    cut: Option<(usize, usize)>,
) -> Result<(), String> {
    let m = syslog::split_3164(out)
        .map_err(|e| format!("rfc3164: {e}: {:?}", String::from_utf8_lossy(out)))?;
    if check_cut("rfc3164", &m.msg, out.len(), cut)? {
        return Ok(());
    }
    let mut alone = Vec::new();
    built.payload.encode(record, &mut alone);
    if m.msg != alone {
        return Err("rfc3164: MSG is not the payload".into());
    }
    payload(record, built, raw, &m.msg)
}

/// For a record whose raw JSON is valid text but not a `Value`: every
/// record is one line, and the JSON formats are JSON text.
fn syntax_only(record: &AlertRecord, built: &Built) -> Result<(), String> {
    for format in &built.formats {
        let mut out = Vec::new();
        format.encode(record, now(), &mut out);
        let name = format.name();
        lines::one_line(name, &out)?;
        if matches!(name, "json" | "json-envelope" | "ocsf" | "hec" | "sentinel") {
            json::syntax(name, &out)?;
        }
    }
    Ok(())
}
