//! `GO_LINKER_SYMBOL`/`GO_LINKER_VALUE`: the linker's `-X symbol=value`, with the value reaching
//! the binary exactly.
//!
//! The go command splits `-ldflags` at whitespace, except inside a field wholly enclosed in
//! `'…'` or `"…"` (no escapes). A value holding whitespace and both quotes fits no field, so for
//! those the buildpack runs as the go command's `-toolexec` and hands the definition to the
//! linker as one argument itself. Its `link -V=full` answer carries a digest of the definition,
//! because the go command keys cached links on that answer: another value relinks.

use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

/// The definition (`symbol=value`) the buildpack as toolexec adds to every link.
pub(crate) const TOOLEXEC_DEFINITION_ENV: &str = "GO_CNB_LINKER_DEFINITION";

/// How the definition reaches the linker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkerDefinition {
    /// `-X …` in the go command's quoting, for the `-ldflags` of `go install`.
    LdFlags(String),
    /// `symbol=value`, given to the linker by the buildpack as `-toolexec`.
    Toolexec(String),
}

impl LinkerDefinition {
    pub(crate) fn new(symbol: &str, value: &str) -> Self {
        let field = format!("{symbol}={value}");
        match go_cnb_common::go_quoted::join(&[String::from("-X"), field.clone()]) {
            Some(flags) => LinkerDefinition::LdFlags(flags),
            None => LinkerDefinition::Toolexec(field),
        }
    }
}

/// Whether this process was started by the go command as its `-toolexec` (with the tool to
/// run as first argument), rather than by the lifecycle.
pub(crate) fn toolexec_definition() -> Option<OsString> {
    let definition = std::env::var_os(TOOLEXEC_DEFINITION_ENV)?;
    std::env::args_os().nth(1).map(|_| definition)
}

/// Runs the tool the go command asked for; for the linker, with the definition added. Returns
/// the exit code.
pub(crate) fn run_as_toolexec(definition: &OsString) -> i32 {
    let mut args = std::env::args_os().skip(1);
    let Some(tool) = args.next() else {
        return 2;
    };
    let rest: Vec<OsString> = args.collect();
    let is_linker = Path::new(&tool)
        .file_stem()
        .is_some_and(|stem| stem == "link");
    if is_linker && rest.len() == 1 && rest[0] == "-V=full" {
        return print_linker_version(&tool, definition);
    }
    let mut command = Command::new(&tool);
    if is_linker {
        command.arg("-X").arg(definition);
    }
    command.args(&rest);
    match command.status() {
        Ok(status) => status.code().unwrap_or(1),
        Err(error) => {
            eprintln!("go buildpack: running {}: {error}", tool.to_string_lossy());
            127
        }
    }
}

/// `link -V=full`, with a digest of the definition after the version (the go command takes the
/// whole line of a release as the linker's identity).
fn print_linker_version(tool: &OsString, definition: &OsString) -> i32 {
    match Command::new(tool).arg("-V=full").output() {
        Ok(output) if output.status.success() => {
            let digest = Sha256::digest(definition.as_encoded_bytes());
            println!(
                "{} gocnb-linker-definition:{}",
                String::from_utf8_lossy(&output.stdout).trim_end(),
                &go_cnb_common::hex(&digest)[..16]
            );
            0
        }
        Ok(output) => {
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            output.status.code().unwrap_or(1)
        }
        Err(error) => {
            eprintln!("go buildpack: running {}: {error}", tool.to_string_lossy());
            127
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_with_the_quote_they_lack() {
        let cases = [
            ("v1.2.3", "-X main.version=v1.2.3"),
            ("a b", "-X 'main.version=a b'"),
            ("it's here", "-X \"main.version=it's here\""),
            ("say \"hi\" now", "-X 'main.version=say \"hi\" now'"),
            ("a\"b\"c'd", "-X main.version=a\"b\"c'd"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                LinkerDefinition::new("main.version", value),
                LinkerDefinition::LdFlags(expected.to_string()),
                "{value}"
            );
        }
    }

    #[test]
    fn whitespace_with_both_quotes_goes_through_toolexec() {
        assert_eq!(
            LinkerDefinition::new("main.v", "a \"b\" c'd"),
            LinkerDefinition::Toolexec(String::from("main.v=a \"b\" c'd"))
        );
    }

    #[test]
    fn linker_values_reach_the_linker_as_one_exact_argument() {
        for value in [
            "v1.2.3",
            "a b",
            "a \"b\" c",
            "it's here",
            "\"quoted\"",
            "'single'",
            "$HOME;rm -rf /",
            "tab\there",
            "",
        ] {
            let LinkerDefinition::LdFlags(flag) = LinkerDefinition::new("main.version", value)
            else {
                panic!("{value:?} needs no toolexec");
            };
            assert_eq!(
                go_cnb_common::go_quoted::split(&flag).expect("balanced"),
                vec![String::from("-X"), format!("main.version={value}")],
                "{value:?} as {flag}"
            );
        }
    }
}
