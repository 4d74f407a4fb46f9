//! netrc text: every host read from it is a token that follows `machine` (or the catch-all
//! `default`), so a login or password is never taken for a host unless it also names one.
#![no_main]

use go_cnb_common::netrc::machines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let hosts = machines(text);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let after_machine: Vec<&str> = tokens
        .windows(2)
        .filter(|pair| pair[0] == "machine")
        .map(|pair| pair[1])
        .collect();
    let entries = tokens
        .iter()
        .filter(|token| matches!(**token, "machine" | "default"))
        .count();
    assert!(hosts.len() <= entries);
    for host in &hosts {
        assert!(
            host == "default" || after_machine.contains(&host.as_str()),
            "{host:?} does not follow `machine` in {text:?}"
        );
    }
});
