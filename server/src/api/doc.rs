//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and the
//! model's `ToSchema` types, and a readable reference page made from it.

use super::model;
use super::problem::{FieldError, ProblemDetails};
use crate::html::escape;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Runway API",
        description = "Self-service actions for scripts, CI jobs and bots: the catalogue, requests, approvals. Authenticate with a personal or service token (`Authorization: Bearer …`) made under Settings → API tokens. Errors are RFC 9457 problem details.",
        version = "1",
    ),
    paths(
        super::me,
        super::actions::list,
        super::actions::get_one,
        super::actions::submit,
        super::requests::list,
        super::requests::get_one,
        super::requests::log,
        super::requests::events,
        super::requests::cancel,
        super::requests::retry,
        super::requests::reveal,
        super::approvals::list,
        super::approvals::approve,
        super::approvals::reject,
        openapi_json,
        reference,
    ),
    components(schemas(ProblemDetails, FieldError, model::WhoAmI)),
    modifiers(&BearerAuth),
    tags(
        (name = "catalogue", description = "Actions and their forms"),
        (name = "requests", description = "Submitting and following requests"),
        (name = "approvals", description = "Deciding on requests that wait for approval"),
        (name = "tokens", description = "Who a token acts for"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal (`rw_pat_…`) or service (`rw_svc_…`) token with the scopes the call needs: `read`, `request` or `approve`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document, built once.
pub fn document() -> &'static Document {
    static DOC: std::sync::OnceLock<Document> = std::sync::OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// This OpenAPI 3.1 document.
#[utoipa::path(get, operation_id = "openapiDocument", path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> Response {
    match document_json() {
        Ok(json) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json,
        )
            .into_response(),
        Err(e) => super::problem::internal("cannot write the OpenAPI document", e).into_response(),
    }
}

/// The document as JSON, written once, with its response links ([`LINKS`]).
fn document_json() -> Result<&'static str, &'static str> {
    static JSON: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    JSON.get_or_init(|| {
        let mut value = serde_json::to_value(document()).map_err(|e| e.to_string())?;
        add_links(&mut value);
        serde_json::to_string(&value).map_err(|e| e.to_string())
    })
    .as_deref()
    .map_err(String::as_str)
}

/// What a client (and schemathesis's stateful phase, `scripts/check-api`) can do next with an
/// answer: (path, method, statuses, where the answer holds the `id`, the operations taking it).
/// Added to the JSON rather than through utoipa's `links(...)`, which 5.5 writes in snake case
/// (`operation_id`) where OpenAPI has camel case (`operationId`).
const LINKS: [LinkRow; 4] = [
    (
        "/api/v1/actions",
        "get",
        &["200"],
        "/0/id",
        &["getAction", "submitRequest"],
    ),
    (
        "/api/v1/actions/{id}/requests",
        "post",
        &["200", "201"],
        "/id",
        &[
            "getRequest",
            "getRequestLog",
            "cancelRequest",
            "retryRequest",
            "approveRequest",
            "rejectRequest",
        ],
    ),
    (
        "/api/v1/requests",
        "get",
        &["200"],
        "/items/0/id",
        &[
            "getRequest",
            "getRequestLog",
            "cancelRequest",
            "retryRequest",
        ],
    ),
    (
        "/api/v1/approvals",
        "get",
        &["200"],
        "/items/0/id",
        &["getRequest", "approveRequest", "rejectRequest"],
    ),
];

/// One row of [`LINKS`].
type LinkRow = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static [&'static str],
);

fn add_links(doc: &mut serde_json::Value) {
    for (path, method, statuses, pointer, targets) in LINKS {
        for status in statuses {
            let Some(response) = doc
                .pointer_mut(&format!(
                    "/paths/{}/{method}/responses/{status}",
                    path.replace('/', "~1")
                ))
                .and_then(serde_json::Value::as_object_mut)
            else {
                continue;
            };
            let links: serde_json::Map<String, serde_json::Value> = targets
                .iter()
                .map(|target| {
                    let link = serde_json::json!({
                        "operationId": target,
                        "parameters": {"id": format!("$response.body#{pointer}")},
                    });
                    (target.to_string(), link)
                })
                .collect();
            response.insert("links".to_string(), links.into());
        }
    }
}

/// The API reference as a page: every endpoint with its parameters, body and answers.
#[utoipa::path(get, operation_id = "apiReference", path = "/api/v1/docs", tag = "meta",
    responses((status = 200, description = "The reference page", content_type = "text/html", body = String)))]
pub async fn reference() -> Response {
    let doc = document();
    let mut body = String::from(
        "<p>Runway's REST API for scripts, CI jobs and bots. Send a token as <code>Authorization: Bearer &lt;token&gt;</code>; make one under <a href=\"/settings/tokens\">Settings → API tokens</a>. \
         Errors are <a href=\"https://www.rfc-editor.org/rfc/rfc9457\">problem details</a> with a stable <code>type</code>. \
         The machine-readable document is <a href=\"/api/v1/openapi.json\">openapi.json</a>.</p>",
    );
    body.push_str("<nav aria-label=\"Endpoints\"><ul>");
    let mut sections = String::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            let anchor = format!("{method}-{path}")
                .replace(['/', '{', '}'], "-")
                .to_lowercase();
            let summary = op
                .summary
                .clone()
                .or_else(|| op.description.clone())
                .unwrap_or_default();
            body.push_str(&format!(
                "<li><a href=\"#{anchor}\"><code>{method} {}</code></a> {}</li>",
                escape(path),
                escape(first_line(&summary))
            ));
            sections.push_str(&format!(
                "<section id=\"{anchor}\"><h2><code>{method} {}</code></h2><p>{}</p>",
                escape(path),
                escape(op.description.as_deref().unwrap_or(&summary))
            ));
            if op.security.is_some() {
                sections.push_str("<p>Needs a token.</p>");
            }
            if let Some(params) = &op.parameters {
                sections.push_str("<h3>Parameters</h3><ul>");
                for p in params {
                    sections.push_str(&format!(
                        "<li><code>{}</code> ({}{}) {}</li>",
                        escape(&p.name),
                        match p.parameter_in {
                            utoipa::openapi::path::ParameterIn::Path => "path",
                            utoipa::openapi::path::ParameterIn::Query => "query",
                            utoipa::openapi::path::ParameterIn::Header => "header",
                            utoipa::openapi::path::ParameterIn::Cookie => "cookie",
                        },
                        if matches!(p.required, utoipa::openapi::Required::True) {
                            ", required"
                        } else {
                            ""
                        },
                        escape(p.description.as_deref().unwrap_or(""))
                    ));
                }
                sections.push_str("</ul>");
            }
            if let Some(rb) = &op.request_body {
                for (ctype, content) in &rb.content {
                    sections.push_str(&format!(
                        "<h3>Body</h3><p><code>{}</code>: {}</p>",
                        escape(ctype),
                        escape(&schema_name(&content.schema))
                    ));
                }
            }
            sections.push_str("<h3>Answers</h3><ul>");
            for (code, resp) in &op.responses.responses {
                let (desc, schema) = match resp {
                    RefOr::T(r) => (
                        r.description.clone(),
                        r.content
                            .values()
                            .next()
                            .map(|c| schema_name(&c.schema))
                            .unwrap_or_default(),
                    ),
                    RefOr::Ref(r) => (r.ref_location.clone(), String::new()),
                };
                sections.push_str(&format!(
                    "<li><code>{}</code> {} {}</li>",
                    escape(code),
                    escape(&desc),
                    escape(&schema)
                ));
            }
            sections.push_str("</ul></section>");
        }
    }
    body.push_str("</ul></nav>");
    body.push_str(&sections);
    let mut resp = crate::html::page(StatusCode::OK, "API reference", body);
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    resp
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn operations(
    item: &utoipa::openapi::path::PathItem,
) -> Vec<(&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("DELETE", &item.delete),
        ("PATCH", &item.patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    .collect()
}

fn schema_name(schema: &Option<RefOr<utoipa::openapi::schema::Schema>>) -> String {
    match schema {
        Some(RefOr::Ref(r)) => r
            .ref_location
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
        Some(RefOr::T(utoipa::openapi::schema::Schema::Array(a))) => match &a.items {
            utoipa::openapi::schema::ArrayItems::RefOrSchema(inner) => match inner.as_ref() {
                RefOr::Ref(r) => format!(
                    "a list of {}",
                    r.ref_location.rsplit('/').next().unwrap_or_default()
                ),
                RefOr::T(_) => "a list".to_string(),
            },
            _ => "a list".to_string(),
        },
        Some(RefOr::T(_)) => "JSON".to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{document_json, LINKS};

    #[test]
    fn every_link_lands_on_a_documented_response_and_names_a_documented_operation() {
        let doc: serde_json::Value =
            serde_json::from_str(document_json().expect("the document")).expect("JSON");
        let operations: Vec<&str> = doc
            .pointer("/paths")
            .and_then(|p| p.as_object())
            .expect("paths")
            .values()
            .filter_map(|item| item.as_object())
            .flat_map(|item| item.values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let mut found = 0;
        for (path, method, statuses, _, targets) in LINKS {
            for status in statuses {
                let response = &doc["paths"][path][method]["responses"][status];
                for target in targets {
                    let link = &response["links"][target];
                    assert_eq!(link["operationId"], *target, "{path} {method} {status}");
                    assert!(operations.contains(target), "{target} is documented");
                    found += 1;
                }
            }
        }
        assert_eq!(found, 21);
    }
}
