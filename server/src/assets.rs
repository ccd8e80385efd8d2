//! The site's static assets under `/pkg`: the WebAssembly front end, its JavaScript and the
//! stylesheet, as `scripts/build-site` lays them out.
//!
//! Built files carry a content hash in their names (`runway.<hash>.wasm`, listed in the site root's
//! `hash.txt`), so they are sent `Cache-Control: public, max-age=31536000, immutable`: a new build
//! has new names, and pages name the current ones. Anything else (a file without a hash, such as the
//! plain stylesheet the server's own small pages link) is sent `no-cache`, so browsers revalidate
//! it. Release builds ship brotli and gzip copies next to each file; they are sent as they are to
//! browsers that accept them (no compression work per request).

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn, Next};
use axum::response::Response;
use axum::Router;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::services::ServeDir;

/// What a build lists in `hash.txt` in the site root.
const HASH_FILE: &str = "hash.txt";

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// The hash file Leptos reads to name the hashed assets in each page, when the build wrote one
/// (an absolute path: Leptos resolves it against the binary's directory otherwise).
pub fn hash_file(site_root: &Path) -> Option<Arc<str>> {
    let file = site_root.join(HASH_FILE);
    if !file.is_file() {
        return None;
    }
    let file: PathBuf = std::path::absolute(&file).unwrap_or(file);
    Some(Arc::from(file.display().to_string()))
}

/// The stylesheet's address, as Leptos's `HashedStylesheet` names it: `/pkg/runway.<hash>.css`
/// with the `css:` line of the build's hash file, `/pkg/runway.css` without one. Read once, when
/// the router is built.
pub fn stylesheet_href(site_root: &Path) -> String {
    let hash = std::fs::read_to_string(site_root.join(HASH_FILE))
        .ok()
        .and_then(|hashes| {
            hashes.lines().find_map(|l| {
                l.trim()
                    .split_once(':')
                    .filter(|(file, _)| *file == "css")
                    .map(|(_, hash)| hash.trim().to_string())
            })
        });
    match hash {
        Some(h) => format!("/pkg/runway.{h}.css"),
        None => "/pkg/runway.css".to_string(),
    }
}

/// The `/pkg` service: files from `<site_root>/pkg`, precompressed copies when accepted, and cache
/// headers by name.
pub fn router(site_root: &Path) -> Router {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(from_fn(cache_control))
}

async fn cache_control(req: Request, next: Next) -> Response {
    let immutable = is_hashed(req.uri().path());
    let mut resp = next.run(req).await;
    if resp.status().is_success() || resp.status() == axum::http::StatusCode::NOT_MODIFIED {
        let value = if immutable { IMMUTABLE } else { REVALIDATE };
        resp.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    resp
}

/// `name.<16 hex digits>.ext` (the lazy modules' loader: 22 digits): a file named by its content.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.split('.');
    let (Some(_stem), Some(hash), Some(_ext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    (hash.len() == 16 || hash.len() == 22) && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::{is_hashed, stylesheet_href};

    #[test]
    fn the_stylesheet_is_named_by_the_hash_files_css_line() {
        let site = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            stylesheet_href(site.path()),
            "/pkg/runway.css",
            "no hash file"
        );
        std::fs::write(
            site.path().join("hash.txt"),
            "js: 00112233aabbccdd\ncss: fedcba9876543210\n",
        )
        .expect("hash file");
        assert_eq!(
            stylesheet_href(site.path()),
            "/pkg/runway.fedcba9876543210.css"
        );
    }

    #[test]
    fn only_content_hashed_names_count_as_immutable() {
        assert!(is_hashed("/runway.0357fb4b23142d22.js"));
        assert!(is_hashed("runway.7228f5a4d9ff21e8.wasm"));
        assert!(!is_hashed("/runway.css"));
        assert!(!is_hashed("/runway.js"));
        assert!(!is_hashed("/runway.0357fb4b23142d2.js"), "15 digits");
        assert!(!is_hashed("/runway.0357fb4b23142dzz.js"), "not hex");
        assert!(!is_hashed("/a.0357fb4b23142d22.js.map"));
        assert!(
            is_hashed("/__wasm_split.0357fb4b23142d22a1b2c3.js"),
            "the loader"
        );
        assert!(
            is_hashed("/split___impact_view_1.0357fb4b23142d22.wasm"),
            "a lazy page"
        );
        assert!(!is_hashed("/__wasm_split.______________________.js"));
    }
}
