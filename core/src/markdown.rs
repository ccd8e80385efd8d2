//! Action descriptions: Markdown in, sanitised HTML out.
//!
//! Catalogue files come from a repository many people can change, so descriptions are treated as
//! untrusted: raw HTML in the Markdown is shown as text, and the rendered HTML goes through an
//! allow-list sanitiser (no scripts, no event handlers, no `javascript:` links; links get
//! `rel="noopener noreferrer"`).

use pulldown_cmark::{html, Event, Options, Parser};

/// Escapes text for HTML element content and attribute values (the server's small pages and the
/// notification e-mails use it).
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Renders `markdown` to HTML that is safe to insert into a page as-is.
pub fn render(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML is displayed, never interpreted.
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn renders_common_markdown() {
        let html = render(
            "## What you get\n\n- a **repo**\n- `ci.yml`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h2>What you get</h2>"), "{html}");
        assert!(html.contains("<strong>repo</strong>"));
        assert!(html.contains("<code>ci.yml</code>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn raw_html_and_scripts_are_shown_as_text_not_run() {
        let html = render("Hello <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<div onclick=\"x()\">block</div>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn dangerous_links_are_removed_and_safe_ones_hardened() {
        let html = render("[click](javascript:alert(1)) and [docs](https://docs.example.com)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://docs.example.com\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }
}
