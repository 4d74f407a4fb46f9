//! Echoed user input (go.mod lines, environment values) is cut to a bounded length, so a hostile
//! or broken input cannot flood the build output.

use std::borrow::Cow;

/// The most characters of one piece of user input that the output repeats.
pub(crate) const MAX_ECHOED_CHARS: usize = 200;

/// `text` as it is shown to users: whole when short, else its start, an ellipsis and how much
/// was left out.
pub(crate) fn for_display(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_ECHOED_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} more characters)",
            &text[..cut],
            text[cut..].chars().count()
        )),
    }
}

/// A message that quotes user input in backticks, with each quoted piece cut by
/// [`for_display`] and the words around them kept.
pub(crate) fn quoted_for_display(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(index, piece)| {
            if index % 2 == 1 {
                for_display(piece)
            } else {
                Cow::Borrowed(piece)
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_shown_whole() {
        let text = "a".repeat(MAX_ECHOED_CHARS);
        assert_eq!(for_display(&text), text);
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_on_a_character_boundary() {
        let text = format!(
            "{}é{}",
            "a".repeat(MAX_ECHOED_CHARS - 1),
            "b".repeat(5_000_000)
        );
        let shown = for_display(&text);
        assert_eq!(
            shown,
            format!(
                "{}é… (5000000 more characters)",
                "a".repeat(MAX_ECHOED_CHARS - 1)
            )
        );
    }

    #[test]
    fn quoted_pieces_are_cut_and_the_words_around_them_kept() {
        let message = format!("`{}` is not a Go version", "9".repeat(1000));
        assert_eq!(
            quoted_for_display(&message),
            format!(
                "`{}… (800 more characters)` is not a Go version",
                "9".repeat(200)
            )
        );
    }
}
