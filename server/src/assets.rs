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
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tower_http::services::ServeDir;

/// What a build lists in `hash.txt` in the site root.
const HASH_FILE: &str = "hash.txt";

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// What a page names of the built front end (`runway_app::PageAssets`), from the build's hash file
/// in `site_root`, read once when the router is built. A build's hash file has `js:`, `wasm:`,
/// `css:`, `manifest:` and `split:` lines (`scripts/build-site`); without one (or without a line)
/// the plain names are used, as Leptos does.
pub fn page_assets(site_root: &Path) -> runway_app::PageAssets {
    let hashes = std::fs::read_to_string(site_root.join(HASH_FILE)).unwrap_or_default();
    let hash = |kind: &str| {
        hashes.lines().find_map(|l| {
            l.trim()
                .split_once(':')
                .filter(|(file, _)| file.trim() == kind)
                .map(|(_, hash)| hash.trim().to_string())
                .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric()))
        })
    };
    let named = |stem: &str, kind: &str, ext: &str| -> Arc<str> {
        match hash(kind) {
            Some(h) => format!("/pkg/{stem}.{h}.{ext}").into(),
            None => format!("/pkg/{stem}.{ext}").into(),
        }
    };
    let manifest = match hash("manifest") {
        Some(h) => format!("__wasm_split_manifest.{h}.json"),
        None => "__wasm_split_manifest.json".to_string(),
    };
    let loader = match hash("split") {
        Some(h) => format!("__wasm_split.{h}.js"),
        None => "__wasm_split.______________________.js".to_string(),
    };
    // Which lazy modules each lazily loaded page needs; a build without lazy pages has no file.
    let split = std::fs::read_to_string(site_root.join("pkg").join(&manifest))
        .ok()
        .and_then(|text| {
            match serde_json::from_str::<HashMap<String, Vec<String>>>(&text) {
                Ok(map) => Some(map),
                Err(e) => {
                    tracing::warn!(file = %manifest, error = %e, "the lazy pages' manifest is unreadable; pages will not name their modules early");
                    None
                }
            }
        })
        .map(|map| Arc::new(runway_app::LazyModules::from_manifest("/pkg", &loader, map)));
    runway_app::PageAssets {
        stylesheet: named("runway", "css", "css"),
        script: named("runway", "js", "js"),
        module: named("runway", "wasm", "wasm"),
        split,
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
    use super::{is_hashed, page_assets};

    #[test]
    fn pages_name_the_files_the_hash_file_lists() {
        let site = tempfile::tempdir().expect("temp dir");
        let plain = page_assets(site.path());
        assert_eq!(&*plain.stylesheet, "/pkg/runway.css", "no hash file");
        assert_eq!(&*plain.script, "/pkg/runway.js");
        assert_eq!(&*plain.module, "/pkg/runway.wasm");
        assert!(plain.split.is_none(), "no manifest");

        std::fs::create_dir(site.path().join("pkg")).expect("pkg");
        std::fs::write(
            site.path().join("hash.txt"),
            "js: 00112233aabbccdd\nwasm: 00112233aabbccdd\ncss: fedcba9876543210\n\
             manifest: 00112233aabbccdd\nsplit: 00112233aabbccdd001122\nbad: </script>\n",
        )
        .expect("hash file");
        std::fs::write(
            site.path()
                .join("pkg/__wasm_split_manifest.00112233aabbccdd.json"),
            r#"{"__impact_view_42": ["chunk_1.00112233aabbccdd", "split___impact_view_42.00112233aabbccdd"]}"#,
        )
        .expect("manifest");
        let hashed = page_assets(site.path());
        assert_eq!(&*hashed.stylesheet, "/pkg/runway.fedcba9876543210.css");
        assert_eq!(&*hashed.script, "/pkg/runway.00112233aabbccdd.js");
        assert_eq!(&*hashed.module, "/pkg/runway.00112233aabbccdd.wasm");
        let split = hashed.split.expect("the manifest is read");
        assert_eq!(
            split.loader(),
            "/pkg/__wasm_split.00112233aabbccdd001122.js"
        );
        assert_eq!(
            split.of("Impact"),
            Some(
                &[
                    "/pkg/chunk_1.00112233aabbccdd.wasm".to_string(),
                    "/pkg/split___impact_view_42.00112233aabbccdd.wasm".to_string()
                ][..]
            )
        );
        assert_eq!(split.of("Imp"), None, "a page's whole name, not a prefix");

        // A hash that is not a plain name is ignored rather than written into every page.
        std::fs::write(site.path().join("hash.txt"), "js: a\"b\n").expect("hash file");
        assert_eq!(&*page_assets(site.path()).script, "/pkg/runway.js");
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
