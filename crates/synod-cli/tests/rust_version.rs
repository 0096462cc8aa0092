//! The minimum Rust version the workspace states is true of what it locks: no locked dependency
//! built on this platform declares a newer `rust-version`, and the README names the same one.
//! (Only one toolchain is tested here; this keeps the statement honest when `Cargo.lock`
//! moves.)

#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `1.88` or `1.85.0` as comparable numbers (a missing patch counts as 0).
fn version(v: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = v
        .split('.')
        .map(|p| {
            p.parse()
                .unwrap_or_else(|_| panic!("`{v}` is not a Rust version"))
        })
        .collect();
    parts.resize(3, 0);
    parts
}

/// The `rust-version` of `[workspace.package]`.
fn workspace_rust_version() -> String {
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    manifest
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once('=')?;
            (key.trim() == "rust-version").then(|| value.trim().trim_matches('"').to_string())
        })
        .expect("Cargo.toml states a workspace rust-version")
}

/// The host triple, from `rustc -vV`.
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().expect("rustc runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host")
}

#[test]
fn no_locked_dependency_needs_a_newer_rust_than_the_workspace_states() {
    let stated = workspace_rust_version();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Every package of the lockfile that a build on this platform compiles (normal, build and
    // dev dependencies), with the `rust-version` its manifest declares.
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host()])
        .current_dir(repo_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    assert!(packages.len() > 50, "only {} packages", packages.len());
    let too_new: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            let declared = p["rust_version"].as_str()?;
            (version(declared) > version(&stated)).then(|| {
                format!(
                    "{} {} declares rust-version {declared}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                )
            })
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "the workspace states rust-version {stated}, but:\n{}\n(raise it, in Cargo.toml and the README, or pin an older release of the dependency)",
        too_new.join("\n")
    );
}

#[test]
fn the_readme_states_the_workspace_rust_version() {
    let stated = workspace_rust_version();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("Rust {stated} or newer")),
        "README.md should say `Rust {stated} or newer`"
    );
}
