//! Where a sign-in may send the user back to: same-origin relative paths only.
//!
//! Anything that a browser could resolve to another origin (`//evil.example`, `/\evil.example`,
//! `https:evil.example`, encoded or with control characters) becomes `/`.

/// Returns `requested` if it is a safe same-origin path (with optional query), else `/`.
pub fn safe_return_path(requested: &str) -> String {
    fn is_safe(p: &str) -> bool {
        let bytes = p.as_bytes();
        if bytes.first() != Some(&b'/') || p.len() > 2_000 {
            return false;
        }
        // `//host` and `/\host` are protocol-relative in browsers.
        if matches!(bytes.get(1), Some(b'/') | Some(b'\\')) {
            return false;
        }
        // Backslashes, control characters and whitespace have no place in our paths and are the raw
        // material of every parser-confusion trick.
        if p.chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        {
            return false;
        }
        // Encoded forms of the same tricks: `/%2F%2Fevil`, `/%5Cevil`, `/%09/evil`.
        let lower = p.to_ascii_lowercase();
        if lower.contains("%5c") || lower.contains("%00") {
            return false;
        }
        let after_slash = &lower[1..];
        !["%2f", "%09", "%0a", "%0d", "%20"]
            .iter()
            .any(|bad| after_slash.starts_with(bad))
    }
    if is_safe(requested) {
        requested.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn same_origin_paths_are_kept() {
        for ok in [
            "/",
            "/actions/create-repo",
            "/?q=tls&category=Security",
            "/admin/catalog",
        ] {
            assert_eq!(safe_return_path(ok), ok);
        }
    }

    #[test]
    fn open_redirect_payloads_go_home() {
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https:evil.example",
            "https://evil.example/",
            "evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_return_path(bad), "/", "{bad:?}");
        }
    }
}
