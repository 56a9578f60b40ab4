//! Which URLs a config may send people to: http, https and relative ones. Anything with another
//! scheme (`javascript:`, `data:`) or with characters a browser would silently strip is refused,
//! so a config string can never run code in the host page.

/// Whether `url` is an absolute http(s) URL or a relative one, with nothing a browser would
/// strip or reinterpret.
pub fn is_safe_url(url: &str) -> bool {
    if url.is_empty() || url.len() > 2048 {
        return false;
    }
    // Browsers drop leading and trailing spaces and controls, and tabs and newlines anywhere,
    // which turns "java\tscript:" into "javascript:". Refuse them all.
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) || url.contains('\\') {
        return false;
    }
    let end_of_scheme = url.find([':', '/', '?', '#']);
    match end_of_scheme {
        Some(at) if url.as_bytes().get(at) == Some(&b':') => {
            let scheme = url.get(..at).unwrap_or_default().to_ascii_lowercase();
            (scheme == "http" || scheme == "https") && url.get(at..).is_some_and(|rest| rest.starts_with("://"))
        }
        // No scheme: a path, a query or a fragment, but not a protocol-relative "//host".
        _ => !url.starts_with("//"),
    }
}

#[cfg(test)]
mod tests {
    use super::is_safe_url;

    #[test]
    fn allows_http_https_and_relative_urls() {
        for url in [
            "/automations.html",
            "automations.html",
            "../settings?tab=rules",
            "#automations",
            "?tab=2",
            "https://docs.example.com/automate",
            "HTTP://example.com",
            "/a:b",
        ] {
            assert!(is_safe_url(url), "{url}");
        }
    }

    #[test]
    fn refuses_other_schemes_and_what_browsers_would_rewrite() {
        for url in [
            "",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "//evil.example.com",
            "\\\\evil.example.com",
            "http:evil",
            "/ok\u{0}",
            "/with space",
        ] {
            assert!(!is_safe_url(url), "{url:?}");
        }
    }
}
