//! `runway-wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm MAIN_MODULE LINK_NAME`
//!
//! Splits the front end's WebAssembly (built with `-Clink-args=--emit-relocs`) at its lazy split
//! points (Leptos's `#[lazy]` and `#[lazy_route]`), as cargo-leptos does: the main module goes to
//! `MAIN_OUT.wasm` for wasm-bindgen, each lazily loaded module to `OUT_DIR/<name>.wasm`, the
//! JavaScript that loads them to `OUT_DIR/LINK_NAME`, and which modules each split point needs to
//! `OUT_DIR/__wasm_split_manifest.json` (Leptos preloads them for the page being rendered). Prints
//! the split modules' paths, one a line. `scripts/build-site` runs it; nothing else does.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, main_out, main_module, link_name] = args.as_slice() else {
        eprintln!(
            "usage: runway-wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm MAIN_MODULE LINK_NAME"
        );
        return ExitCode::from(2);
    };
    match split(input, out_dir, main_out, main_module, link_name) {
        Ok(modules) => {
            for m in modules {
                println!("{}", m.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("runway-wasm-split: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn split(
    input: &str,
    out_dir: &str,
    main_out: &str,
    main_module: &str,
    link_name: &str,
) -> Result<Vec<std::path::PathBuf>, Box<dyn std::error::Error>> {
    let wasm = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let out_dir = Path::new(out_dir);
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&wasm);
        opts.output_dir = out_dir;
        opts.main_out_path = Path::new(main_out);
        opts.main_module = main_module;
        opts.link_name = link_name;
        opts
    })
    .map_err(|e| format!("cannot split {input}: {e:#}"))?;
    let mut map: Vec<(&String, &Vec<String>)> = split.prefetch_map.iter().collect();
    map.sort();
    let manifest: serde_json::Map<String, serde_json::Value> = map
        .into_iter()
        .map(|(k, v)| (k.clone(), serde_json::json!(v)))
        .collect();
    std::fs::write(
        out_dir.join("__wasm_split_manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(split.split_modules)
}
