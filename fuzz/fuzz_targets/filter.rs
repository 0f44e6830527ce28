//! The simulator's OData `$filter` parser and evaluator, both dialects.
//! Checks: no panic and no stack overflow, whatever the text; rejections
//! carry a message.
#![no_main]

use defender_siem::simulator::fuzz_filter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&first, rest)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if let Err(message) = fuzz_filter(&text, first & 1 == 1) {
        assert!(!message.is_empty(), "empty rejection message for {text:?}");
    }
});
