//! The go command's quoting of flag lists (`GOFLAGS`, the values of `-ldflags` and `-gcflags`):
//! fields are separated by spaces, tabs and newlines; a field that starts with `'` or `"` runs
//! to the next same quote, with no escapes; a quote anywhere else is an ordinary character.
//! Checked here the way the go command checks it, so that a bad value fails before the build
//! with the variable named, rather than inside the go command.

/// A quote that opens a field and is never closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {quote} at character {position} is never closed")]
pub struct UnterminatedQuote {
    pub quote: char,
    /// 1-based, in characters.
    pub position: usize,
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The fields of `text`, as the go command splits it.
///
/// # Errors
/// A field opening with a quote that is never closed.
pub fn split(text: &str) -> Result<Vec<String>, UnterminatedQuote> {
    let mut fields = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(is_separator);
        let Some(first) = rest.chars().next() else {
            return Ok(fields);
        };
        if first == '\'' || first == '"' {
            let Some(end) = rest[1..].find(first) else {
                let consumed = &text[..text.len() - rest.len()];
                return Err(UnterminatedQuote {
                    quote: first,
                    position: consumed.chars().count() + 1,
                });
            };
            fields.push(rest[1..=end].to_string());
            rest = &rest[end + 2..];
        } else {
            let end = rest.find(is_separator).unwrap_or(rest.len());
            fields.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
}

/// `fields` written so that [`split`] gives them back: a field is quoted when it holds a
/// separator or starts with a quote. `None` when a field needing quotes holds both quotes,
/// which the go command's syntax cannot carry.
#[must_use]
pub fn join(fields: &[String]) -> Option<String> {
    fields
        .iter()
        .map(|field| {
            let needs_quotes =
                field.is_empty() || field.starts_with(['\'', '"']) || field.contains(is_separator);
            if !needs_quotes {
                Some(field.clone())
            } else if !field.contains('\'') {
                Some(format!("'{field}'"))
            } else if !field.contains('"') {
                Some(format!("\"{field}\""))
            } else {
                None
            }
        })
        .collect::<Option<Vec<_>>>()
        .map(|quoted| quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<String> {
        split(text).expect("balanced")
    }

    #[test]
    fn fields_split_at_whitespace_outside_leading_quotes() {
        assert_eq!(
            fields("-s  -w\t-X 'main.msg=hello world' -X \"main.q=it's\""),
            [
                "-s",
                "-w",
                "-X",
                "main.msg=hello world",
                "-X",
                "main.q=it's"
            ]
        );
        assert_eq!(fields("-X main.a='b c'"), ["-X", "main.a='b", "c'"]);
        assert_eq!(fields("'a'b"), ["a", "b"]);
        assert_eq!(fields("''"), [""]);
        assert_eq!(fields("  "), Vec::<String>::new());
    }

    #[test]
    fn an_open_quote_is_named_with_its_place() {
        assert_eq!(
            split("-s -X 'main.msg=hello"),
            Err(UnterminatedQuote {
                quote: '\'',
                position: 7
            })
        );
        assert_eq!(
            split("\"").map_err(|error| error.to_string()),
            Err(String::from("the \" at character 1 is never closed"))
        );
    }

    #[test]
    fn joined_fields_split_back() {
        let cases: [&[&str]; 4] = [
            &["-s", "-w"],
            &["-X", "main.msg=hello world"],
            &["-X", "main.q=it's here", "'lead"],
            &[""],
        ];
        for case in cases {
            let owned: Vec<String> = case.iter().map(ToString::to_string).collect();
            let joined = join(&owned).expect("joinable");
            assert_eq!(fields(&joined), owned, "{joined}");
        }
        assert_eq!(join(&[String::from("a 'b' \"c\"")]), None);
    }
}
