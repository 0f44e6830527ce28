//! The forwarder's TOML configuration: `ForwarderConfig::parse_with_lookup`
//! (with `${NAME}` answered by a fixed lookup, never the environment) and
//! `endpoints()`. `build()` is not called: it creates the checkpoint
//! directory and reads CA files named in the text. Checks: no panic;
//! secrets never show in `Debug` output; errors name the origin.
#![no_main]

use defender_siem::config::ForwarderConfig;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "S3cr3t-from-lookup";

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let lookup = |name: &str| (!name.starts_with('X')).then(|| format!("{SECRET}-{name}"));
    match ForwarderConfig::parse_with_lookup(text, "fuzz.toml", lookup) {
        Ok(config) => {
            let _ = config.endpoints();
            for tenant in &config.tenants {
                let secret = tenant.client_secret.expose();
                if !secret.is_empty() {
                    let shown = format!("{:?}", tenant.client_secret);
                    assert!(!shown.contains(secret), "secret in Debug: {shown}");
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains("fuzz.toml"),
                "error without the origin: {message}"
            );
        }
    }
});
