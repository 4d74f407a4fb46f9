//! Reading a Procfile (`<process type>: <command>` a line), as Heroku and the Procfile
//! buildpacks read it, so that its processes exist even when no Procfile buildpack is in the
//! build.

use std::fmt;

/// A process a Procfile defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcfileEntry {
    pub process_type: String,
    pub command: String,
    /// 1-based.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcfileError {
    /// A line that is neither blank, a `#` comment nor `<type>: <command>`.
    Malformed {
        line: usize,
        content: String,
        problem: ProcfileProblem,
    },
    /// The same process type on two lines: which one a platform runs is not clear.
    Duplicate {
        process_type: String,
        first_line: usize,
        line: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcfileProblem {
    NoColon,
    InvalidType,
    EmptyCommand,
}

impl fmt::Display for ProcfileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoColon => "expected `<process type>: <command>`",
            Self::InvalidType => {
                "a process type may only contain letters, digits, `.`, `_` and `-`"
            }
            Self::EmptyCommand => "the command is empty",
        })
    }
}

/// The entries of a Procfile's text, in order.
///
/// # Errors
/// A malformed line or a process type defined twice.
pub fn parse_procfile(text: &str) -> Result<Vec<ProcfileEntry>, ProcfileError> {
    let mut entries: Vec<ProcfileEntry> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let malformed = |problem| ProcfileError::Malformed {
            line,
            content: raw.to_string(),
            problem,
        };
        let (process_type, command) = trimmed
            .split_once(':')
            .ok_or_else(|| malformed(ProcfileProblem::NoColon))?;
        let process_type = process_type.trim();
        if process_type.is_empty() || !process_type.chars().all(is_process_type_char) {
            return Err(malformed(ProcfileProblem::InvalidType));
        }
        let command = command.trim();
        if command.is_empty() {
            return Err(malformed(ProcfileProblem::EmptyCommand));
        }
        if let Some(first) = entries.iter().find(|e| e.process_type == process_type) {
            return Err(ProcfileError::Duplicate {
                process_type: process_type.to_string(),
                first_line: first.line,
                line,
            });
        }
        entries.push(ProcfileEntry {
            process_type: process_type.to_string(),
            command: command.to_string(),
            line,
        });
    }
    Ok(entries)
}

/// The characters the CNB spec allows in a process type.
fn is_process_type_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The words of a command that needs no shell (no variables, quotes, redirections, globs,
/// operators or leading assignments), to be run directly; `None` when a shell must read it.
#[must_use]
pub fn plain_words(command: &str) -> Option<Vec<String>> {
    const SHELL_SYNTAX: &str = "$`\\\"'|&;<>()*?[]{}~!#";
    if command.chars().any(|c| SHELL_SYNTAX.contains(c)) {
        return None;
    }
    let words: Vec<String> = command.split_whitespace().map(String::from).collect();
    // `NAME=value cmd` sets a variable for the command: only a shell does that.
    match words.first() {
        Some(first) if !first.contains('=') => Some(words),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(process_type: &str, command: &str, line: usize) -> ProcfileEntry {
        ProcfileEntry {
            process_type: process_type.to_string(),
            command: command.to_string(),
            line,
        }
    }

    #[test]
    fn entries_in_order_skipping_blanks_and_comments() {
        let text =
            "# processes\r\nweb: bin/web -port $PORT\r\n\n  worker:app-worker --queue=jobs  \n";
        assert_eq!(
            parse_procfile(text),
            Ok(vec![
                entry("web", "bin/web -port $PORT", 2),
                entry("worker", "app-worker --queue=jobs", 4)
            ])
        );
    }

    #[test]
    fn a_colon_in_the_command_is_part_of_it() {
        assert_eq!(
            parse_procfile("web: app -addr :8080\n"),
            Ok(vec![entry("web", "app -addr :8080", 1)])
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        let problem = |text: &str| match parse_procfile(text) {
            Err(ProcfileError::Malformed { line, problem, .. }) => Some((line, problem)),
            _ => None,
        };
        assert_eq!(
            problem("web: a\nno colon here\n"),
            Some((2, ProcfileProblem::NoColon))
        );
        assert_eq!(
            problem("my web: a\n"),
            Some((1, ProcfileProblem::InvalidType))
        );
        assert_eq!(problem(": a\n"), Some((1, ProcfileProblem::InvalidType)));
        assert_eq!(
            problem("web:   \n"),
            Some((1, ProcfileProblem::EmptyCommand))
        );
    }

    #[test]
    fn a_type_defined_twice_is_refused() {
        assert_eq!(
            parse_procfile("web: a\nworker: b\nweb: c\n"),
            Err(ProcfileError::Duplicate {
                process_type: String::from("web"),
                first_line: 1,
                line: 3
            })
        );
    }

    #[test]
    fn plain_commands_are_split_and_shell_commands_are_not() {
        assert_eq!(
            plain_words("miniflux.app  -c /etc/x.conf"),
            Some(vec![
                String::from("miniflux.app"),
                String::from("-c"),
                String::from("/etc/x.conf")
            ])
        );
        assert_eq!(
            plain_words("app -addr=:8080"),
            Some(vec![String::from("app"), String::from("-addr=:8080")])
        );
        for shell in [
            "app -port $PORT",
            "A=1 app",
            "app > log",
            "a && b",
            "app 'x y'",
            "app *.conf",
            "cd dir; app",
        ] {
            assert_eq!(plain_words(shell), None, "{shell}");
        }
    }
}
