//! `synod check`: campaigns are a function of the seed range, whatever the parallelism or
//! sharding, and bad arguments are refused with exit code 2.

#![allow(clippy::disallowed_methods)]

mod bug_table;

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

/// Every correct protocol stays clean over 1,000 seeds of its default campaign (the note of
/// each change that touches campaigns runs 20,000).
#[test]
fn a_correct_protocol_survives_a_campaign() {
    for protocol in synod_protocols::PROTOCOLS
        .iter()
        .filter(|p| !p.reference_model)
        .map(|p| p.name)
    {
        let o = synod(&["check", protocol, "--seeds", "1000"]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{protocol}:\n{out}");
        assert!(out.contains("violations: none"), "{out}");
    }
    // Raft's default is a narrow mix chosen to find its bugs; the broad swarm is run too.
    let o = synod(&["check", "raft", "--nemesis", "swarm", "--seeds", "1000"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "raft --nemesis swarm:\n{out}");
    assert!(out.contains("violations: none"), "{out}");
}

/// A reference model (the register: a client waits forever by design) is refused, with the
/// command that does search it.
#[test]
fn a_reference_model_is_refused() {
    let models: Vec<&str> = synod_protocols::PROTOCOLS
        .iter()
        .filter(|p| p.reference_model)
        .map(|p| p.name)
        .collect();
    assert_eq!(models, ["register"]);
    let o = synod(&["check", "register", "--seeds", "5"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "protocol register is a reference model: its clients may wait forever by design"
        ) && err.contains("`synod explore register`"),
        "{err}"
    );
}

/// A planted bug the campaign did not catch is not reported as a plain PASS: the output says
/// where the campaign that finds it is written down. The seeds run are those before the first
/// failing one of a default campaign that needs more than one (docs/checking.md's bug table,
/// re-pinned by scripts/bug-table.py). A correct run has no such note.
#[test]
fn an_uncaught_planted_bug_points_to_the_campaign_that_finds_it() {
    let row = bug_table::table()
        .into_iter()
        .find(|r| r.campaign == [r.protocol.clone()] && r.seed.is_some_and(|s| s > 1))
        .expect("a default campaign whose first failure is past seed 1");
    let before = (row.seed.unwrap() - 1).to_string();
    let o = synod(&[
        "check",
        &row.protocol,
        "--bug",
        &row.bug,
        "--seeds",
        &before,
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "note: the planted bug `{}` was not caught",
            row.bug
        )) && out.contains("docs/checking.md"),
        "{out}"
    );
    let o = synod(&["check", "raft", "--seeds", "3"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("note:"), "{out}");
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
        (
            &["check", "kv", "--bug", "no-such-bug"],
            "--bug: protocol kv has no planted bugs",
        ),
        (
            &["check", "kv", "--faults", ""],
            "--faults: give at least one fault kind (valid: crash, partition, loss, duplicate, delay, slow, hold, skew, membership, transfer, restart)",
        ),
        (
            &["check", "paxos", "--faults", "crash,membership"],
            "--faults: `membership`: protocol paxos takes no add/remove orders",
        ),
        (
            &[
                "check",
                "kv",
                "--from",
                "18446744073709551615",
                "--seeds",
                "2",
            ],
            "--from 18446744073709551615 with --seeds 2: the last seed would be past 18446744073709551615, the largest seed",
        ),
        (
            &["check", "kv", "--seeds", "3", "--shard", "5/8"],
            "--shard 5/8 of 3 seed(s) has no seeds",
        ),
        (
            &["check", "kv", "--intensity", "1000001"],
            "invalid value '1000001' for '--intensity <INTENSITY>'",
        ),
        (
            &["check", "kv", "--shrink-time", "x"],
            "invalid value 'x' for '--shrink-time <SECS>'",
        ),
    ];
    for (args, want) in cases {
        let o = synod(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: expected `{want}` in {err}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert!(o.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}

#[test]
fn the_largest_seed_is_a_seed() {
    let o = synod(&[
        "check",
        "kv",
        "--from",
        "18446744073709551614",
        "--seeds",
        "2",
        "--per-seed",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("seed 18446744073709551615: pass"), "{out}");
    assert!(out.contains("seeds run: 2"), "{out}");
}

/// `--intensity 1000000` schedules more faults than the simulator holds: every run is stopped
/// by its capacity, which is no fault of the protocol. Reported apart, not as a violation; and
/// since nothing was judged, not as a pass either.
#[test]
fn an_absurd_fault_load_is_aborted_not_a_violation() {
    let o = synod(&[
        "check",
        "kv",
        "--seeds",
        "1",
        "--intensity",
        "1000000",
        // A fixed mix draws exactly that many (swarm testing draws a random number).
        "--nemesis",
        "crash",
        "--jobs",
        "1",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(out.contains("violations: none"), "{out}");
    assert!(
        out.contains("aborted (stopped by a limit of the simulator, not judged): 1 seed(s): 1\n"),
        "{out}"
    );
    assert!(
        out.contains("first: seed 1: simulator capacity violated at 0.0ms"),
        "{out}"
    );
    assert!(out.contains("result: NOT CHECKED"), "{out}");
    assert!(
        err.contains("every seed was aborted: the fault load is more than the simulator holds; lower --intensity"),
        "{err}"
    );
}

/// The summary (from `seeds run:` on) without its speed line (wall time differs between
/// machines and runs).
fn summary_of(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .skip_while(|l| !l.starts_with("seeds run:"))
        .filter(|l| !l.starts_with("speed:"))
        .map(String::from)
        .collect()
}

/// Shards that ran apart (a Slurm array, a Kubernetes Indexed Job) write `--json`; `--merge`
/// folds them into the summary one machine prints for the whole campaign, exit code included.
/// The shard comes from the batch system's environment when `--shard` is not given.
#[test]
fn merged_shards_print_the_summary_of_one_machine() {
    let dir = std::env::temp_dir().join(format!("synod-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = [
        "check",
        "raft",
        "--bug",
        "vote-without-up-to-date-check",
        "--seeds",
        "12",
    ];
    let whole = synod(&base);
    let mut files = Vec::new();
    for k in 0..3 {
        let file = dir.join(format!("shard-{k}.jsonl"));
        let o = Command::new(env!("CARGO_BIN_EXE_synod"))
            .args(base)
            .args(["--shards", "3", "--json", file.to_str().unwrap()])
            .env("JOB_COMPLETION_INDEX", k.to_string())
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
        files.push(file);
    }
    let mut args = vec!["check", "--merge"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let merged = synod(&args);
    assert_eq!(merged.status.code(), whole.status.code(), "{merged:?}");
    assert!(summary_of(&whole).len() > 5, "{whole:?}");
    assert_eq!(summary_of(&merged), summary_of(&whole));
    // A file from another campaign is refused, naming it.
    let other = dir.join("other.jsonl");
    let o = synod(&[
        "check",
        "kv",
        "--seeds",
        "2",
        "--json",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let bad = synod(&[
        "check",
        "--merge",
        files[0].to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("other.jsonl"),
        "{bad:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A campaign of a protocol's defaults draws each seed's configuration; a campaign of a
/// scenario file keeps the file's, and `--fixed-config` keeps the defaults: the `campaign`
/// line of `--json` says which, and files that differ in it do not merge.
#[test]
fn only_a_protocols_defaults_draw_their_configuration() {
    let vary = |args: &[&str]| -> bool {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        all.extend(["--seeds", "2", "--json", "-"]);
        let o = synod(&all);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let first: serde_json::Value =
            serde_json::from_str(text.lines().next().expect("a campaign line")).unwrap();
        first["vary"].as_bool().expect("vary is a boolean")
    };
    assert!(vary(&["raft"]));
    assert!(!vary(&["raft", "--fixed-config"]));
    assert!(!vary(&["scenarios/raft-vote-storm.toml"]));
}

/// Raft's default campaign tells its two stories, and so does `--nemesis default`; a mix given
/// (even the default's own nemeses, by name), `--faults`, `--fixed-config`, `--intensity 0` (no
/// faults) and a scenario file tell none, nor a window too short for a story: the `campaign` line's `stories` says which. A file written before campaigns told
/// stories (no `stories`) merges with one of the same campaign that tells none.
#[test]
fn only_the_default_campaign_tells_stories() {
    let campaign = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        all.extend(["--seeds", "2", "--json", "-"]);
        let o = synod(&all);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        serde_json::from_str(text.lines().next().expect("a campaign line")).unwrap()
    };
    let stories = |args: &[&str]| campaign(args)["stories"].as_array().unwrap().len();
    assert_eq!(stories(&["raft"]), 2);
    assert_eq!(stories(&["raft", "--nemesis", "default"]), 2);
    let own = synod_protocols::PROTOCOLS
        .get("raft")
        .unwrap()
        .campaign
        .nemesis;
    assert_eq!(stories(&["raft", "--nemesis", own]), 0);
    assert_eq!(stories(&["raft", "--faults", "crash"]), 0);
    assert_eq!(stories(&["raft", "--fixed-config"]), 0);
    assert_eq!(stories(&["raft", "--intensity", "0"]), 0);
    // A window too short for a story's schedule (Figure 8's takes 2.8 s, the overlap's 2 s)
    // does not tell it.
    assert_eq!(stories(&["raft", "--until", "2500"]), 1);
    assert_eq!(stories(&["raft", "--until", "1000"]), 0);
    assert_eq!(stories(&["scenarios/raft-section5.toml"]), 0);
    assert_eq!(stories(&["paxos"]), 0);

    let dir = std::env::temp_dir().join(format!("synod-stories-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for k in 1..=2 {
        let file = dir.join(format!("shard-{k}.jsonl"));
        let shard = format!("{k}/2");
        let o = synod(&[
            "check",
            "paxos",
            "--seeds",
            "4",
            "--shard",
            &shard,
            "--json",
            file.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        files.push(file);
    }
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(first).unwrap();
    header.as_object_mut().unwrap().remove("stories").unwrap();
    std::fs::write(&files[0], format!("{header}\n{rest}")).unwrap();
    let merged = synod(&[
        "check",
        "--merge",
        files[0].to_str().unwrap(),
        files[1].to_str().unwrap(),
    ]);
    assert_eq!(merged.status.code(), Some(0), "{merged:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--help` names every protocol's default mix that is not the swarm, as its descriptor has it.
#[test]
fn the_help_names_each_protocols_default_mix() {
    let o = synod(&["check", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout).replace('\n', " ");
    for p in synod_protocols::PROTOCOLS
        .iter()
        .filter(|p| !p.reference_model && p.campaign.nemesis != "swarm")
    {
        let named = format!("{} `{}`", capitalized(p.name), p.campaign.nemesis);
        assert!(
            help.contains(&named),
            "--help does not say {named}:\n{help}"
        );
    }
    // And every window, intensity and request rate that is not the usual one.
    use synod_protocols::protocol::Campaign;
    let usual = Campaign::DEFAULT;
    for p in synod_protocols::PROTOCOLS
        .iter()
        .filter(|p| !p.reference_model)
    {
        let c = &p.campaign;
        let name = capitalized(p.name);
        for (what, value, default) in [
            (
                "window",
                c.window.as_micros() / 1_000,
                usual.window.as_micros() / 1_000,
            ),
            (
                "intensity",
                u64::from(c.intensity),
                u64::from(usual.intensity),
            ),
            ("rate", u64::from(c.rate), u64::from(usual.rate)),
        ] {
            if value != default {
                let named = format!("{name} {value}");
                // The whole number: "Raft 20" is not said by "Raft 2000".
                let said = help.match_indices(&named).any(|(i, _)| {
                    !help[i + named.len()..].starts_with(|c: char| c.is_ascii_digit())
                });
                assert!(
                    said,
                    "--help does not give {name}'s {what}, {value}:\n{help}"
                );
            }
        }
    }
}

/// A protocol's name as prose writes it (`Multi-Paxos`, `VR`, `Raft`).
fn capitalized(name: &str) -> String {
    match name {
        "multipaxos" => return "Multi-Paxos".into(),
        "vr" => return "VR".into(),
        _ => {}
    }
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `--nemesis list` ends with the protocol's own mix and its stories, and `--nemesis default`
/// runs it (`only_the_default_campaign_tells_stories` has who tells the stories).
#[test]
fn the_nemesis_list_names_the_protocols_default_and_default_runs_it() {
    for p in synod_protocols::PROTOCOLS
        .iter()
        .filter(|p| !p.reference_model)
    {
        let listed =
            String::from_utf8_lossy(&synod(&["check", p.name, "--nemesis", "list"]).stdout)
                .to_string();
        let last = listed.lines().last().unwrap_or_default().to_string();
        let stories: String = p
            .campaign
            .stories
            .iter()
            .map(|s| format!(", with {}'s story on {} seeds in 100", s.nemesis, s.percent))
            .collect();
        assert!(
            last.starts_with("default")
                && last.ends_with(&format!("{}{stories}", p.campaign.nemesis)),
            "{}: {last}",
            p.name
        );
    }
    let o = synod(&[
        "check",
        "vr",
        "--nemesis",
        "default",
        "--seeds",
        "2",
        "--jobs",
        "1",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    let vr = synod_protocols::PROTOCOLS
        .iter()
        .find(|p| p.name == "vr")
        .unwrap();
    assert!(
        out.contains(&format!("nemesis {},", vr.campaign.nemesis)),
        "{out}"
    );
    assert_eq!(o.status.code(), Some(0), "{out}");
}

/// `overlap` adds two spares: named alone on a cluster without them it would strike nothing,
/// and is refused with exit 2; in a group (`all`) the others still draw, and a note says it
/// draws nothing; on a cluster with two spares it runs.
#[test]
fn a_nemesis_that_needs_spares_is_refused_where_there_are_none() {
    let alone = synod(&["check", "raft", "--nemesis", "overlap", "--seeds", "2"]);
    assert_eq!(alone.status.code(), Some(2), "{alone:?}");
    let err = String::from_utf8_lossy(&alone.stderr);
    assert!(
        err.contains("`overlap` needs 2 spares (`cluster.spares = 2`"),
        "{err}"
    );
    let all = synod(&["check", "raft", "--nemesis", "all", "--seeds", "2"]);
    assert_eq!(all.status.code(), Some(0), "{all:?}");
    assert!(
        String::from_utf8_lossy(&all.stderr)
            .contains("note: --nemesis: `overlap` draws nothing on this cluster (too few spares"),
        "{all:?}"
    );
    let dir = std::env::temp_dir().join(format!("synod-spares-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("spares.toml");
    std::fs::write(
        &file,
        "protocol = \"raft\"\n[cluster]\nnodes = 4\nspares = 2\n",
    )
    .unwrap();
    let spared = synod(&[
        "check",
        file.to_str().unwrap(),
        "--nemesis",
        "overlap",
        "--intensity",
        "1",
        "--seeds",
        "2",
    ]);
    assert_eq!(spared.status.code(), Some(0), "{spared:?}");
    assert!(spared.stderr.is_empty(), "{spared:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
