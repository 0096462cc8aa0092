//! `synod lin` as a user runs it: the models, the threads, the memory bound, per-key output and
//! pages for several files.

#![allow(clippy::disallowed_methods)]

mod lin_support;
#[path = "../../synod-check/tests/support/synth.rs"]
mod synth;

use lin_support::data;
use std::path::PathBuf;
use std::process::Command;

fn temp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lin-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write(name: &str, contents: &str) -> String {
    let path = temp(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// Runs `synod lin ARGS`: (exit code, stdout, stderr).
fn lin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synod"))
        .arg("lin")
        .args(args)
        .output()
        .expect("run synod lin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The output without the figures that depend on the machine (times).
fn without_times(out: &str) -> String {
    out.lines()
        .map(|l| match l.find(" ms") {
            Some(_) => l.split(',').next().unwrap_or(l).to_string(),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn porcupine_histories_get_their_verdicts_with_the_guessed_model() {
    let files: Vec<String> = [
        "c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad",
    ]
    .iter()
    .map(|f| data(&format!("porcupine-kv/{f}.txt")))
    .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, out, err) = lin(&args);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("6 files: 3 linearizable, 3 NOT linearizable, 0 unknown, 0 unusable"),
        "{out}"
    );
    assert!(out.contains("under the append-kv model"), "{out}");
    // The register model does not know appends: unusable input, exit 2, file and line named.
    let (code, _, err) = lin(&["--model", "cas-register", &files[0]]);
    assert_eq!(code, 2);
    assert!(
        err.contains("c01-ok.txt:1: the cas-register model cannot check"),
        "{err}"
    );
}

#[test]
fn a_planted_impossible_read_on_one_key_is_refuted_whatever_the_threads() {
    // 10,000 operations from 100 clients over 5 keys, one get on one key altered to a value
    // that no put writes.
    let shape = synth::Shape::hundred_clients(0);
    let h = synth::kv_history(11, shape);
    let target = h
        .operations
        .iter()
        .rposition(|op| op.f == "get" && op.key.as_deref() == Some("k2") && !op.is_pending())
        .expect("a get on k2");
    let planted = synth::with_impossible_read(&h, target);
    let trace = write("planted.jsonl", &synth::to_trace(&planted));
    let mut outputs = Vec::new();
    for threads in ["1", "2", "4"] {
        // The timeout only keeps a broken build from hanging the test; the figure under
        // `--timeout 0.05` is measured by the lin bench.
        let (code, out, err) = lin(&["--timeout", "60", "--threads", threads, "--keys", &trace]);
        assert_eq!(code, 1, "{err}");
        assert!(
            out.contains("planted.jsonl: NOT linearizable (10000 operations"),
            "{out}"
        );
        assert!(out.contains("key \"k2\" is not linearizable"), "{out}");
        assert!(out.contains("possible in no state"), "{out}");
        assert!(out.contains("-> ok \"never-written\""), "{out}");
        outputs.push(without_times(&out));
    }
    // The verdict, the explanation and the refuted key's search do not depend on the threads
    // (the other keys may be cut short at different points).
    let refuted = |out: &str| -> String {
        out.lines()
            .filter(|l| !l.starts_with("    key ") || l.contains("NOT linearizable"))
            .filter(|l| !l.contains("search structures peaked"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(refuted(&outputs[0]), refuted(&outputs[1]));
    assert_eq!(refuted(&outputs[0]), refuted(&outputs[2]));
}

#[test]
fn a_small_memory_bound_gives_a_clean_unknown_naming_the_keys() {
    let shape = synth::Shape::hundred_clients(2);
    let trace = write("hard.jsonl", &synth::to_trace(&synth::kv_history(3, shape)));
    let (code, out, err) = lin(&["--max-memory", "1M", "--keys", &trace]);
    assert_eq!(code, 1, "unknown is not a pass: {out}{err}");
    assert!(
        out.contains("hard.jsonl: unknown (10000 operations"),
        "{out}"
    );
    assert!(out.contains("reached the memory bound"), "{out}");
    assert!(
        out.contains("unknown: reached the memory bound"),
        "per key: {out}"
    );
    // Enough memory: a verdict.
    let (code, out, _) = lin(&["--max-memory", "1G", &trace]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("hard.jsonl: linearizable"), "{out}");
}

#[test]
fn bad_bounds_are_rejected_with_exit_2() {
    for (flag, value, message) in [
        ("--max-memory", "12Q", "unknown unit `q`"),
        ("--max-memory", "0", "out of range"),
        ("--max-memory", "lots", "is not a memory size"),
        ("--threads", "0", "threads must be a number from 1 to 1024"),
        ("--model", "queue", "unknown model `queue`"),
    ] {
        let (code, _, err) = lin(&[flag, value, &data("jepsen-etcd/etcd_002.log")]);
        assert_eq!(code, 2, "{flag} {value}");
        assert!(err.contains(message), "{flag} {value}: {err}");
    }
}

#[test]
fn set_list_append_and_register_histories() {
    // A set: both adds returned before the read began, which misses 2.
    let set = write(
        "set.edn",
        "{:process 0, :type :invoke, :f :add, :value 1}\n\
         {:process 0, :type :ok, :f :add, :value 1}\n\
         {:process 1, :type :invoke, :f :add, :value 2}\n\
         {:process 1, :type :ok, :f :add, :value 2}\n\
         {:process 2, :type :invoke, :f :read, :value nil}\n\
         {:process 2, :type :ok, :f :read, :value #{1}}\n",
    );
    let (code, out, _) = lin(&[&set]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("under the set model"), "{out}");
    assert!(out.contains("impossible in state #{1 2}"), "{out}");

    // Jepsen list-append: a transaction appends 1 and reads its own append; a later read
    // sees the list empty.
    let list = write(
        "list.edn",
        "{:process 0, :type :invoke, :f :txn, :value [[:append 5 1] [:r 5 nil]]}\n\
         {:process 0, :type :ok, :f :txn, :value [[:append 5 1] [:r 5 [1]]]}\n\
         {:process 1, :type :invoke, :f :txn, :value [[:r 5 nil]]}\n\
         {:process 1, :type :ok, :f :txn, :value [[:r 5 []]]}\n",
    );
    let (code, out, _) = lin(&["--keys", &list]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("key \"5\" is not linearizable under the list-append model"),
        "{out}"
    );
    assert!(out.contains("impossible in state [1]"), "{out}");
    let multi = write(
        "multi.edn",
        "{:process 0, :type :invoke, :f :txn, :value [[:append 5 1] [:append 6 1]]}\n\
         {:process 0, :type :ok, :f :txn, :value [[:append 5 1] [:append 6 1]]}\n",
    );
    let (code, _, err) = lin(&[&multi]);
    assert_eq!(code, 2);
    assert!(
        err.contains("multi.edn:1:") && err.contains("touches keys 5 and 6"),
        "{err}"
    );

    // The plain register: the etcd histories hold cas, which it refuses.
    let (code, _, err) = lin(&["--model", "register", &data("jepsen-etcd/etcd_000.log")]);
    assert_eq!(code, 2);
    assert!(err.contains("--model cas-register"), "{err}");
}

#[test]
fn html_pages_for_several_files_go_into_a_directory() {
    let dir = temp("pages");
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = lin(&[
        "--html",
        dir.to_str().unwrap(),
        &data("jepsen-etcd/etcd_000.log"),
        &data("jepsen-etcd/etcd_002.log"),
    ]);
    assert_eq!(code, 1, "{err}");
    for file in ["etcd_000.log.html", "etcd_002.log.html"] {
        let page = dir.join(file);
        assert!(
            out.contains(&format!("page written to {}", page.display())),
            "{out}"
        );
        let html = std::fs::read_to_string(&page).expect("page");
        assert!(html.contains("id=\"data\""));
    }
}
