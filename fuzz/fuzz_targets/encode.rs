//! Every format encoder, on alerts full of hostile text (or any JSON at
//! all), with fuzz-chosen settings. Checks: no panic; no raw CR or LF in a
//! record; JSON formats parse and carry the alert unchanged; CEF, LEEF and
//! RFC 5424 split back into the same fields and values; syslog MSG is the
//! payload; size-limited syslog messages stay within the limit.
#![no_main]

use arbitrary::Arbitrary;
use fuzz_checks::alert::{FuzzAlert, records, tenant};
use fuzz_checks::check::all_formats;
use fuzz_checks::hostile::Hostile;
use fuzz_checks::options::FuzzOptions;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Source {
    /// An alert built member by member.
    Alert(Box<FuzzAlert>),
    /// Any bytes, read as the forwarder reads a page or a file.
    Json(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    tenant_id: Hostile,
    tenant_name: Hostile,
    options: FuzzOptions,
    source: Source,
}

fuzz_target!(|input: Input| {
    let tenant = tenant(&input.tenant_id, &input.tenant_name);
    let built = input.options.build();
    let json = match &input.source {
        Source::Alert(a) => a.to_json().into_bytes(),
        Source::Json(bytes) => bytes.clone(),
    };
    for record in records(&tenant, &json) {
        if let Err(e) = all_formats(&record, &built, input.options.limit) {
            panic!("{e}\nrecord: {record:?}");
        }
    }
});
