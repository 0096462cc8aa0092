//! A protocol registered from outside synod (the core tutorial's pinger, in `pinger.rs`) is
//! picked up everywhere the registry reaches: the command line runs it, checks it and lists it
//! in its help, `--bug list` lists its planted bug, the docs tables list it, its own keys,
//! live check and fault action work; `synod explore` refuses it, as it has no explore hook.
//!
//! This test binary is its own `synod`: run with `--as-synod ARGS...`, it is the command line
//! with the pinger added (as a program that extends synod would be); without, it runs the
//! tests below against itself. (`harness = false` in Cargo.toml.)

#![allow(clippy::disallowed_methods)] // the test runs processes and reads files

mod pinger;

use std::ffi::{OsStr, OsString};
use std::process::{Command, ExitCode, Output};
use synod_protocols::PROTOCOLS;
use synod_protocols::protocol::{Protocol, Registry};

/// synod's protocols and the pinger.
fn registry() -> Registry<'static> {
    let mut list: Vec<&'static Protocol> = PROTOCOLS.iter().collect();
    list.push(&pinger::PROTOCOL);
    Registry::new(list.leak())
}

/// This binary as `synod ARGS`.
fn synod(args: &[&str]) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .arg("--as-synod")
        .args(args)
        .output()
        .expect("the test binary runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("synod-registry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

type Check = Result<(), String>;

/// A test: its name and its body.
type Test = (&'static str, fn() -> Check);

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Check {
    if ok { Ok(()) } else { Err(what()) }
}

/// `synod run pinger` runs it, narrated, and judges it.
fn the_command_line_runs_it() -> Check {
    let o = synod(&["run", "pinger", "--until", "100", "--log-level", "debug"]);
    let text = out(&o);
    ensure(o.status.code() == Some(0), || {
        format!("exit {:?}: {}{text}", o.status, err(&o))
    })?;
    ensure(
        text.starts_with("synod run: pinger (protocol pinger, seed 1, until 100.0ms)"),
        || text.clone(),
    )?;
    ensure(text.contains("[p1]  -> p2: Ping(0)"), || text.clone())?;
    ensure(text.contains("  p3  pongs "), || text.clone())?;
    ensure(text.contains("result: PASS"), || text.clone())
}

/// `--help` lists it with its summary, and its name is a target like any other.
fn the_help_lists_it() -> Check {
    let help = out(&synod(&["run", "--help"]));
    // synod's own protocols, whichever they are, then the pinger.
    let names = format!("A protocol ({}, pinger)", PROTOCOLS.names());
    ensure(help.contains(&names), || {
        format!("no `{names}` in:\n{help}")
    })?;
    ensure(
        help.contains("  pinger      the core tutorial's pinger"),
        || help.clone(),
    )
}

/// `--bug list` lists its bug, alone when asked for the pinger's.
fn bug_list_lists_its_bug() -> Check {
    let all = out(&synod(&["check", "--bug", "list"]));
    ensure(all.contains("pinger      forget-pongs "), || all.clone())?;
    ensure(all.contains("raft        commit-old-term "), || all.clone())?;
    let own = out(&synod(&["check", "pinger", "--bug", "list"]));
    ensure(
        own.lines().count() == 1 && own.starts_with("pinger      forget-pongs"),
        || own.clone(),
    )
}

/// The docs tables generated from a registry list it and its keys.
fn the_docs_tables_list_it() -> Check {
    let r = registry();
    let table = r.markdown_table();
    ensure(table.contains("| `pinger` | the core tutorial's pinger: a ring of nodes that ping the next and count the pongs | `forget-pongs` |  |"), || table.clone())?;
    let keys = r.settings_tables();
    ensure(keys.contains("### `pinger`"), || keys.clone())?;
    ensure(
        keys.contains("| `timing.interval_ms` | `10` | how often a node pings the next |"),
        || keys.clone(),
    )?;
    ensure(
        keys.contains("| `fault.isolate` | | cut one node off"),
        || keys.clone(),
    )
}

/// Its keys are checked like synod's own: out of range, not its own.
fn its_settings_are_checked() -> Check {
    let bad = scratch("bad.toml", "protocol = \"pinger\"\n[cluster]\nnodes = 1\n");
    let e = err(&synod(&["run", &bad]));
    ensure(
        e.contains("bad.toml:3: key `cluster.nodes`: must be between 2 and 100, got 1"),
        || e.clone(),
    )?;
    let other = scratch(
        "other.toml",
        "protocol = \"pinger\"\n[timing]\nheartbeat_ms = 5\n",
    );
    let e = err(&synod(&["run", &other]));
    ensure(e.contains("other.toml:3: key `timing.heartbeat_ms` does not apply to protocol pinger (in [timing] it takes: interval_ms)"), || e.clone())
}

/// Its planted bug is caught by its own live check after a crash; the correct pinger is not.
fn its_planted_bug_is_caught() -> Check {
    let text = "protocol = \"pinger\"\nuntil_ms = 200\n[[fault]]\nat_ms = 50\ncrash = \"p2\"\n[[fault]]\nat_ms = 60\nrestart = \"p2\"\n";
    let path = scratch("crash.toml", text);
    let ok = synod(&["run", &path, "--log-level", "error"]);
    ensure(ok.status.code() == Some(0), || out(&ok))?;
    let buggy = synod(&[
        "run",
        &path,
        "--bug",
        "forget-pongs",
        "--log-level",
        "error",
    ]);
    let o = out(&buggy);
    ensure(buggy.status.code() == Some(1), || o.clone())?;
    ensure(
        o.contains("SAFETY VIOLATION: pongs only grow violated at 60.0ms"),
        || o.clone(),
    )?;
    let expecting = scratch(
        "expect.toml",
        &format!("bug = \"forget-pongs\"\n{text}[expect]\nviolation = \"pongs only grow\"\n"),
    );
    let e = synod(&["run", &expecting, "--log-level", "error"]);
    ensure(e.status.code() == Some(0), || {
        format!("{}{}", out(&e), err(&e))
    })
}

/// Its own fault action works in a scenario.
fn its_fault_action_works() -> Check {
    let path = scratch(
        "isolate.toml",
        "protocol = \"pinger\"\nuntil_ms = 100\n[[fault]]\nat_ms = 20\nisolate = \"p2\"\n",
    );
    let o = synod(&["run", &path, "--log-level", "warn"]);
    let text = out(&o);
    ensure(o.status.code() == Some(0), || format!("{text}{}", err(&o)))?;
    ensure(text.contains("*** partition p2 | p1,p3"), || text.clone())?;
    let bad = scratch(
        "isolate-bad.toml",
        "protocol = \"pinger\"\n[[fault]]\nat_ms = 20\nisolate = \"p9\"\n",
    );
    let e = err(&synod(&["run", &bad]));
    ensure(
        e.contains("isolate-bad.toml:4: key `fault.isolate`: no node `p9` (nodes: p1, p2, p3)"),
        || e.clone(),
    )
}

/// A campaign and the REPL work on it as on any protocol.
fn check_and_repl_work() -> Check {
    let o = synod(&["check", "pinger", "--seeds", "20", "--jobs", "1"]);
    ensure(o.status.code() == Some(0), || {
        format!("{}{}", out(&o), err(&o))
    })?;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--as-synod", "repl", "pinger"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"run 50\nstatus\ncrash p1\ncheck\nquit\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let text = out(&o);
    ensure(text.contains("p2  pinger, pongs "), || text.clone())?;
    ensure(text.contains("*** crash p1"), || text.clone())?;
    ensure(text.contains("safety: every live check held"), || {
        text.clone()
    })
}

/// Its descriptor has no explore hook: `synod explore pinger` refuses it (exit 2) and names
/// the protocols of this registry that have one; the help of `synod explore` lists those.
fn explore_refuses_it_and_names_the_explorable() -> Check {
    let o = synod(&["explore", "pinger"]);
    let e = err(&o);
    ensure(o.status.code() == Some(2), || {
        format!("exit {:?}: {}{e}", o.status, out(&o))
    })?;
    ensure(
        e.contains("protocol pinger is not explorable (explorable: paxos, raft, register)"),
        || e.clone(),
    )?;
    let help = out(&synod(&["explore", "--help"]));
    ensure(
        help.contains("A protocol that can be explored (paxos, raft, register)"),
        || help.clone(),
    )
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.peek().map(OsString::as_os_str) == Some(OsStr::new("--as-synod")) {
        args.next();
        let argv = std::iter::once(OsString::from("synod")).chain(args);
        return synod_cli::main_with(registry(), argv);
    }
    let tests: &[Test] = &[
        ("the_command_line_runs_it", the_command_line_runs_it),
        ("the_help_lists_it", the_help_lists_it),
        ("bug_list_lists_its_bug", bug_list_lists_its_bug),
        ("the_docs_tables_list_it", the_docs_tables_list_it),
        ("its_settings_are_checked", its_settings_are_checked),
        ("its_planted_bug_is_caught", its_planted_bug_is_caught),
        ("its_fault_action_works", its_fault_action_works),
        ("check_and_repl_work", check_and_repl_work),
        (
            "explore_refuses_it_and_names_the_explorable",
            explore_refuses_it_and_names_the_explorable,
        ),
    ];
    let mut failed = 0;
    for (name, test) in tests {
        match test() {
            Ok(()) => println!("test {name} ... ok"),
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED\n{why}");
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {failed} failed",
        if failed == 0 { "ok" } else { "FAILED" },
        tests.len() - failed
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
