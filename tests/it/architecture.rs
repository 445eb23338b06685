//! The dependency rules of ARCHITECTURE.md that `clippy.toml` cannot
//! express, checked on the source tree: the pure core and the records never
//! import storage or AWS, and the wiring never names an SDK type. A rule
//! broken here fails with the file and line that broke it.

use std::fs;
use std::path::{Path, PathBuf};

/// (folders under `src/`, forbidden text, why)
const RULES: &[(&[&str], &str, &str)] = &[
    (
        &["pricing", "budgets", "attribution", "reconcile", "records", "sources", "shard"],
        "crate::ledger",
        "storage is downstream",
    ),
    (
        &["pricing", "budgets", "attribution", "reconcile", "records", "shard"],
        "aws_sdk_",
        "the core sees no AWS type",
    ),
    (&["pricing", "budgets", "attribution", "reconcile", "records"], "async fn", "the core is synchronous"),
    (
        &["pricing", "budgets", "attribution", "reconcile", "records", "shard"],
        "Utc::now",
        "time is a parameter",
    ),
    (&["app", "cli"], "aws_sdk_", "adapters build their own clients"),
    (&["app", "cli"], "aws_config::", "adapters build their own clients"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_layers_import_only_downstream() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (folders, needle, why) in RULES {
        for folder in *folders {
            let mut files = Vec::new();
            rust_files(&src.join(folder), &mut files);
            assert!(!files.is_empty(), "src/{folder} has no Rust files: the rule guards nothing");
            for file in files {
                let text = fs::read_to_string(&file).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.trim_start();
                    if !code.starts_with("//") && code.contains(needle) {
                        broken.push(format!("{}:{}: `{needle}`: {why}", file.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "layer rules broken:\n{}", broken.join("\n"));
}

/// `unsafe_code` is denied, not forbidden, for one foreign call
/// (`src/memory.rs`, glibc's `malloc_trim`): an `allow` anywhere else would
/// pass the compiler, so it is caught here.
#[test]
fn unsafe_code_is_allowed_in_one_file() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let allowed = src.join("memory.rs");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| **f != allowed) {
        let text = fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if !code.starts_with("//") && (code.contains("unsafe ") || code.contains("unsafe_code")) {
                found.push(format!("{}:{}", file.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "unsafe outside src/memory.rs:\n{}", found.join("\n"));
    let memory = fs::read_to_string(&allowed).unwrap();
    assert_eq!(memory.matches("unsafe {").count(), 1, "src/memory.rs has its one unsafe block");
}
