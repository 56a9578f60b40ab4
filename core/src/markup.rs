//! The small markup config texts may use, parsed into spans the browser layer builds with DOM
//! calls (never `innerHTML`): `**bold**`, `*italic*`, a line break for each newline, and
//! `[links](https://...)` to http, https and relative URLs. A backslash escapes a marker.
//! Anything else, HTML included, is text.

use crate::config::is_safe_url;

/// A run of text with the same style, or a line break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    Text { text: String, bold: bool, italic: bool, link: Option<String> },
    LineBreak,
}

struct Style {
    bold: bool,
    italic: bool,
}

fn push_text(spans: &mut Vec<Span>, text: &mut String, style: &Style, link: Option<&str>) {
    if text.is_empty() {
        return;
    }
    spans.push(Span::Text {
        text: std::mem::take(text),
        bold: style.bold,
        italic: style.italic,
        link: link.map(str::to_owned),
    });
}

/// `[label](url)` at the start of `rest`: the label, the URL and the length of the whole link.
fn link_at(rest: &str) -> Option<(&str, &str, usize)> {
    let after_bracket = rest.strip_prefix('[')?;
    let label_end = after_bracket.find(']')?;
    let label = &after_bracket[..label_end];
    let after_label = after_bracket[label_end + 1..].strip_prefix('(')?;
    // The URL ends at the `)` that balances the opening one, as in Markdown: parentheses in a
    // URL (`.../Invoice_(finance)`, `javascript:alert(1)`) belong to it.
    let mut depth = 0usize;
    let url_end = after_label.char_indices().find_map(|(at, c)| match c {
        '(' => {
            depth += 1;
            None
        }
        ')' if depth == 0 => Some(at),
        ')' => {
            depth -= 1;
            None
        }
        _ => None,
    })?;
    let url = &after_label[..url_end];
    if label.is_empty() || label.contains('[') {
        return None;
    }
    Some((label, url, 1 + label_end + 2 + url_end + 1))
}

/// Parses `source` into spans.
pub fn parse(source: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut text = String::new();
    let mut style = Style { bold: false, italic: false };
    let mut rest = source;
    while let Some(c) = rest.chars().next() {
        if c == '\\'
            && let Some(next) = rest[1..].chars().next().filter(|next| matches!(next, '*' | '[' | ']' | '\\'))
        {
            text.push(next);
            rest = &rest[1 + next.len_utf8()..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("**") {
            push_text(&mut spans, &mut text, &style, None);
            style.bold = !style.bold;
            rest = after;
            continue;
        }
        if c == '*' {
            push_text(&mut spans, &mut text, &style, None);
            style.italic = !style.italic;
            rest = &rest[1..];
            continue;
        }
        if c == '\n' {
            push_text(&mut spans, &mut text, &style, None);
            spans.push(Span::LineBreak);
            rest = &rest[1..];
            continue;
        }
        if c == '['
            && let Some((label, url, length)) = link_at(rest)
        {
            push_text(&mut spans, &mut text, &style, None);
            let mut label = label.to_owned();
            let safe = is_safe_url(url).then_some(url);
            push_text(&mut spans, &mut label, &style, safe);
            rest = &rest[length..];
            continue;
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    push_text(&mut spans, &mut text, &style, None);
    spans
}

/// The text of `source` without markup, for screen-reader labels and comparisons.
pub fn plain_text(source: &str) -> String {
    let mut plain = String::new();
    for span in parse(source) {
        match span {
            Span::Text { text, .. } => plain.push_str(&text),
            Span::LineBreak => plain.push('\n'),
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(text: &str, bold: bool, italic: bool) -> Span {
        Span::Text { text: text.into(), bold, italic, link: None }
    }

    #[test]
    fn bold_italic_and_line_breaks() {
        assert_eq!(
            parse("You approved **5 invoices** by *hand*.\nAutomate?"),
            [
                text("You approved ", false, false),
                text("5 invoices", true, false),
                text(" by ", false, false),
                text("hand", false, true),
                text(".", false, false),
                Span::LineBreak,
                text("Automate?", false, false),
            ]
        );
        assert_eq!(parse("***both***"), [text("both", true, true)]);
    }

    #[test]
    fn links_only_to_safe_urls() {
        assert_eq!(
            parse("See [the guide](https://docs.example.com/a) or [bad](javascript:alert`1`)."),
            [
                text("See ", false, false),
                Span::Text {
                    text: "the guide".into(),
                    bold: false,
                    italic: false,
                    link: Some("https://docs.example.com/a".into())
                },
                text(" or ", false, false),
                text("bad", false, false),
                text(".", false, false),
            ]
        );
        assert_eq!(parse("[no url]"), [text("[no url]", false, false)]);
        assert_eq!(parse("[bad](javascript:alert(2))!"), [text("bad", false, false), text("!", false, false)]);
        assert_eq!(
            parse("[wiki](https://en.wikipedia.org/wiki/Invoice_(finance))"),
            [Span::Text {
                text: "wiki".into(),
                bold: false,
                italic: false,
                link: Some("https://en.wikipedia.org/wiki/Invoice_(finance)".into())
            }]
        );
    }

    #[test]
    fn html_is_text() {
        let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        assert_eq!(parse(hostile), [text(hostile, false, false)]);
    }

    #[test]
    fn backslash_escapes_markers() {
        assert_eq!(parse(r"2 \* 3 = 6 \[not a link](x)"), [text("2 * 3 = 6 [not a link](x)", false, false)]);
        assert_eq!(plain_text("**a** *b*\nc"), "a b\nc");
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_keeps_every_letter(source in "\\PC{0,60}") {
            let parsed = plain_text(&source);
            let letters = |text: &str| text.chars().filter(|c| c.is_alphanumeric()).count();
            prop_assert!(letters(&parsed) <= letters(&source));
        }
    }
}
