//! `synod check`: campaigns are a function of the seed range, whatever the parallelism or
//! sharding, and bad arguments are refused with exit code 2.

#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

fn synod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("the synod binary runs")
}

fn per_seed(args: &[&str]) -> BTreeSet<String> {
    let o = synod(args);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with("seed "))
        .map(String::from)
        .collect()
}

#[test]
fn results_do_not_depend_on_jobs_or_shards() {
    let base = ["check", "kv", "--seeds", "40", "--from", "7", "--per-seed"];
    let one = per_seed(&[&base[..], &["--jobs", "1"]].concat());
    let two = per_seed(&[&base[..], &["--jobs", "2"]].concat());
    assert_eq!(one.len(), 40);
    assert_eq!(one, two);
    let mut merged = per_seed(&[&base[..], &["--shard", "1/2"]].concat());
    let second = per_seed(&[&base[..], &["--shard", "2/2"]].concat());
    assert_eq!(merged.len(), 20);
    assert!(merged.is_disjoint(&second));
    merged.extend(second);
    assert_eq!(merged, one);
}

#[test]
fn a_correct_protocol_survives_a_campaign() {
    use synod_protocols::scenario::{MODELS, PROTOCOLS};
    for protocol in PROTOCOLS.iter().filter(|p| !MODELS.contains(p)) {
        let o = synod(&["check", protocol, "--seeds", "200"]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{protocol}:\n{out}");
        assert!(out.contains("violations: none"), "{out}");
    }
}

#[test]
fn bad_campaign_arguments_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["check", "kv", "--seeds", "0"],
            "invalid value '0' for '--seeds <SEEDS>'",
        ),
        (
            &["check", "kv", "--faults", "crash,meteor"],
            "unknown fault `meteor`",
        ),
        (
            &["check", "kv", "--shard", "3/2"],
            "--shard `3/2`: expected K/N",
        ),
        (
            &["check", "kv", "--shard", "x"],
            "--shard `x`: expected K/N",
        ),
        (
            &["check", "kv", "--out", "/proc/synod-cannot-write"],
            "--out `/proc/synod-cannot-write` is not writable",
        ),
        (&["check", "kv", "--bug", "no-such-bug"], "no planted bugs"),
    ];
    for (args, want) in cases {
        let o = synod(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: expected `{want}` in {err}");
    }
}
