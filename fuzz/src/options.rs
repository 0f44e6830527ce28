//! Fuzz-chosen settings for every format.

use arbitrary::Arbitrary;
use defender_siem::format::{
    CefOptions, Facility, Format, HecEnvelope, Hostname, LeefOptions, OcsfOptions, Payload,
    Rfc3164Options, Rfc5424Options, SentinelRow,
};

use crate::hostile::Hostile;

/// The delimiters LEEF accepts (TAB and punctuation but `=`, `\`, `|`, `-`).
pub const LEEF_DELIMITERS: &[char] = &[
    '^', '\t', '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '.', '/', ':', ';',
    '<', '>', '?', '@', '[', ']', '_', '`', '{', '}', '~',
];

/// Settings for every format.
#[derive(Debug, Arbitrary)]
pub struct FuzzOptions {
    /// Header vendor (CEF, LEEF).
    pub vendor: Option<Hostile>,
    /// Header product (CEF, LEEF).
    pub product: Option<Hostile>,
    /// Header version (CEF, LEEF).
    pub version: Option<Hostile>,
    /// Index into [`LEEF_DELIMITERS`].
    pub delimiter: u8,
    /// Syslog facility (mod 24).
    pub facility: u8,
    /// A fixed HOSTNAME instead of the device.
    pub hostname: Option<Hostile>,
    /// APP-NAME / TAG.
    pub app_name: Option<Hostile>,
    /// PROCID.
    pub procid: Option<Hostile>,
    /// MSGID.
    pub msgid: Option<Hostile>,
    /// SD-ID.
    pub sd_id: Option<Hostile>,
    /// Write the BOM.
    pub bom: bool,
    /// 0 JSON, 1 envelope, 2 CEF, 3 LEEF.
    pub payload: u8,
    /// A syslog size limit.
    pub limit: Option<u16>,
    /// HEC source, sourcetype and index.
    pub hec: Option<(Hostile, Hostile, Option<Hostile>)>,
}

/// The settings, built.
#[derive(Debug)]
pub struct Built {
    /// CEF.
    pub cef: CefOptions,
    /// LEEF.
    pub leef: LeefOptions,
    /// The LEEF delimiter.
    pub delimiter: char,
    /// CEF vendor, product, version as set.
    pub cef_ident: [String; 3],
    /// LEEF vendor, product, version as set.
    pub leef_ident: [String; 3],
    /// The syslog payload.
    pub payload: Payload,
    /// RFC 5424.
    pub rfc5424: Rfc5424Options,
    /// RFC 3164.
    pub rfc3164: Rfc3164Options,
    /// Every format, in [`Format::NAMES`] order.
    pub formats: Vec<Format>,
    /// Whether RFC 5424 writes a BOM.
    pub bom: bool,
}

impl Built {
    /// Whether RFC 5424 writes a BOM.
    pub fn rfc5424_bom(&self) -> bool {
        self.bom
    }
}

impl FuzzOptions {
    /// Builds the options of every format.
    pub fn build(&self) -> Built {
        let mut cef = CefOptions::default();
        let mut leef = LeefOptions::default();
        let mut cef_ident = ["Microsoft", "Microsoft Defender ATP", "2.0"].map(String::from);
        let mut leef_ident =
            ["Microsoft", "Microsoft Defender for Endpoint", "1.0"].map(String::from);
        if let Some(v) = &self.vendor {
            cef = cef.vendor(v.as_str());
            leef = leef.vendor(v.as_str());
            cef_ident[0] = v.0.clone();
            leef_ident[0] = v.0.clone();
        }
        if let Some(v) = &self.product {
            cef = cef.product(v.as_str());
            leef = leef.product(v.as_str());
            cef_ident[1] = v.0.clone();
            leef_ident[1] = v.0.clone();
        }
        if let Some(v) = &self.version {
            cef = cef.version(v.as_str());
            leef = leef.version(v.as_str());
            cef_ident[2] = v.0.clone();
            leef_ident[2] = v.0.clone();
        }
        let delimiter = LEEF_DELIMITERS[usize::from(self.delimiter) % LEEF_DELIMITERS.len()];
        leef = match leef.clone().delimiter(delimiter) {
            Ok(l) => l,
            Err(e) => panic!("allowed LEEF delimiter {delimiter:?} refused: {e}"),
        };
        let payload = match self.payload % 4 {
            0 => Payload::Json,
            1 => Payload::JsonEnvelope,
            2 => Payload::Cef(cef.clone()),
            _ => Payload::Leef(leef.clone()),
        };
        let facility = Facility::from_code(self.facility % 24).unwrap_or_default();
        let hostname = match &self.hostname {
            Some(h) => Hostname::Fixed(h.0.clone()),
            None => Hostname::Device,
        };
        let mut rfc5424 = Rfc5424Options::default()
            .facility(facility)
            .hostname(hostname.clone())
            .bom(self.bom)
            .payload(payload.clone());
        let mut rfc3164 = Rfc3164Options::default()
            .facility(facility)
            .hostname(hostname)
            .payload(payload.clone());
        if let Some(v) = &self.app_name {
            rfc5424 = rfc5424.app_name(v.as_str());
            rfc3164 = rfc3164.tag(v.as_str());
        }
        if let Some(v) = &self.procid {
            rfc5424 = rfc5424.procid(v.as_str());
        }
        if let Some(v) = &self.msgid {
            rfc5424 = rfc5424.msgid(v.as_str());
        }
        if let Some(v) = &self.sd_id {
            rfc5424 = rfc5424.sd_id(v.as_str());
        }
        let hec = match &self.hec {
            Some((source, sourcetype, index)) => HecEnvelope::new(
                source.as_str(),
                sourcetype.as_str(),
                index.as_ref().map(Hostile::as_str),
            ),
            None => HecEnvelope::default(),
        };
        let formats = vec![
            Format::Json,
            Format::JsonEnvelope,
            Format::Cef(cef.clone()),
            Format::Leef(leef.clone()),
            Format::Rfc5424(rfc5424.clone()),
            Format::Rfc3164(rfc3164.clone()),
            Format::Ocsf(OcsfOptions::default()),
            Format::Hec(hec),
            Format::Sentinel(SentinelRow::default()),
        ];
        Built {
            cef,
            leef,
            delimiter,
            cef_ident,
            leef_ident,
            payload,
            rfc5424,
            rfc3164,
            formats,
            bom: self.bom,
        }
    }
}
