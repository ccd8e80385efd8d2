//! The small HTML pages plain form posts answer with when the answer is not a redirect: a refusal
//! the person can act on, or a revealed secret. They work without JavaScript and carry the site's
//! stylesheet; every text put in them is escaped here.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// A page with `title` and `body_html` (already escaped by the caller), never cached.
pub fn page(status: StatusCode, title: &str, body_html: String) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Runway</title><link rel=\"stylesheet\" href=\"/pkg/runway.css\"></head>\
         <body><main id=\"main\" class=\"container\"><h1>{title}</h1>{body_html}</main></body></html>",
        title = escape(title)
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// A short explanation (plain text) as the body of [`page`].
pub fn paragraph(message: &str) -> String {
    format!("<p>{}</p>", escape(message))
}

/// A short explanation (plain text) and a link back to request `id`, as the body of [`page`].
pub fn back_to_request(id: i64, message: &str) -> String {
    format!(
        "<p>{}</p><p><a href=\"/requests/{id}\">Back to the request</a></p>",
        escape(message)
    )
}

/// Why a retired action refused a request, with a link to its replacement when there is one.
pub fn retired(replacement: Option<&runway_domain::view::ActionLink>) -> String {
    let instead = match replacement {
        Some(r) => format!(
            "<p>Use <a href=\"/actions/{}\">{}</a> instead.</p>",
            escape(&r.id),
            escape(&r.title)
        ),
        None => "<p><a href=\"/\">Find another action in the catalogue</a></p>".to_string(),
    };
    format!("<p>This action takes no new requests; nothing was submitted.</p>{instead}")
}

/// Escapes text for HTML element content and attribute values.
pub use runway_core::markdown::escape_html as escape;
