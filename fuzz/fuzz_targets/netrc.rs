//! netrc text: the hosts read from it are each the token after a `machine` (or `default`), and
//! never the value of a login or password.
#![no_main]

use go_cnb_common::netrc::machines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let hosts = machines(text);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let secrets: Vec<&str> = tokens
        .windows(2)
        .filter(|pair| matches!(pair[0], "login" | "password" | "account"))
        .map(|pair| pair[1])
        .collect();
    for host in &hosts {
        if host != "default" {
            assert!(tokens.contains(&host.as_str()));
        }
    }
    // A value that is also a host name elsewhere is legitimately both; only a token that
    // appears solely as a secret must never be returned.
    for secret in secrets {
        let also_elsewhere = tokens
            .windows(2)
            .any(|pair| pair[1] == secret && !matches!(pair[0], "login" | "password" | "account"))
            || tokens.first() == Some(&secret);
        if !also_elsewhere {
            assert!(
                !hosts.iter().any(|host| host == secret),
                "secret {secret:?} returned"
            );
        }
    }
});
