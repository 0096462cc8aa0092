//! A user's clone has only the repository: nothing in it may read files outside it. The data
//! that tests, benches and docs use is vendored under `crates/synod-check/tests/data/`.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file below `dir`, skipping build output and git's own files.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_file_under_crates_scripts_or_docs_refers_to_the_shared_folder() {
    let root = repo_root();
    // Spelled in two pieces so that this file does not match itself.
    let needle = format!("../{}", "shared");
    let mut offenders = Vec::new();
    let mut all = Vec::new();
    for dir in ["crates", "scripts", "docs"] {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 50, "walked only {} files", all.len());
    for path in all {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // binary files cannot name a path we would follow
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains(&needle) {
                offenders.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "files refer to a folder a clone does not have:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_vendored_corpora_are_complete() {
    let data = repo_root().join("crates/synod-check/tests/data");
    let etcd = std::fs::read_dir(data.join("jepsen-etcd")).expect("jepsen-etcd is vendored");
    let logs = etcd
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .count();
    assert_eq!(logs, 102, "the Jepsen etcd corpus has 102 histories");
    for f in ["LICENSE.md", "README.md", "verdicts.tsv"] {
        assert!(
            data.join("jepsen-etcd").join(f).is_file(),
            "jepsen-etcd/{f}"
        );
    }
    for f in [
        "LICENSE.md",
        "README.md",
        "c01-ok.txt",
        "c01-bad.txt",
        "c10-ok.txt",
        "c10-bad.txt",
        "c50-ok.txt",
        "c50-bad.txt",
    ] {
        assert!(
            data.join("porcupine-kv").join(f).is_file(),
            "porcupine-kv/{f}"
        );
    }
}
