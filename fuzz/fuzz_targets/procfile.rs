//! Procfile text: every entry, and every malformed line, names a line that exists and holds
//! what was read from it; a command run without a shell has no shell syntax left in it.
#![no_main]

use go_cnb_common::procfile::{parse_procfile, plain_words, ProcfileError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let lines: Vec<&str> = text.lines().collect();
    match parse_procfile(text) {
        Ok(entries) => {
            for entry in &entries {
                let line = lines[entry.line - 1];
                assert!(line.contains(&entry.process_type) && line.contains(&entry.command));
                assert!(!entry.command.is_empty());
                if let Some(words) = plain_words(&entry.command) {
                    assert_eq!(
                        words.join(" "),
                        entry
                            .command
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    );
                    assert!(words.iter().all(|w| !w.contains('$') && !w.contains('\'')));
                }
            }
        }
        Err(ProcfileError::Malformed { line, content, .. }) => assert_eq!(lines[line - 1], content),
        Err(ProcfileError::Duplicate {
            first_line, line, ..
        }) => assert!(first_line < line && line <= lines.len()),
    }
});
