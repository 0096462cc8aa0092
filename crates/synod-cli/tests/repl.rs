//! `synod repl`, driven as the issue asks: scripted sessions on standard input for every
//! protocol (step, crash the leader, run until a decision, check, back, save, and `synod run`
//! of the saved scenario reproducing the session's trace byte for byte), determinism of rewind,
//! bad input that never ends a session, and the real terminal interface under tmux.

#![allow(clippy::disallowed_methods)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use synod_protocols::PROTOCOLS;

fn synod() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_synod"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    c
}

/// Run `synod repl ARGS` with `script` on standard input.
fn repl(args: &[&str], script: &str) -> Output {
    let mut child = synod()
        .arg("repl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the synod binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch directory per test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synod-repl-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Which node to crash: "leader" if some node leads after the first decision, else the first
/// node; and whether the protocol has clients.
fn victim(proto: &str) -> (String, bool) {
    let script = "step 5\nrun until decided\nstatus\n";
    let probe = text(&repl(&[proto, "--seed", "3"], script).stdout);
    let banner = probe.lines().next().unwrap();
    let has_clients = banner.contains("client 1");
    let leads = probe.lines().any(|l| l.contains(", leads"));
    if leads {
        return ("leader".into(), has_clients);
    }
    let nodes = &banner[banner.find("nodes: ").expect("banner lists nodes") + 7..];
    (nodes.split(", ").next().unwrap().to_string(), has_clients)
}

#[test]
fn scripted_session_for_every_protocol_saves_a_scenario_that_replays_it_exactly() {
    for proto in PROTOCOLS
        .iter()
        .filter(|p| !p.reference_model)
        .map(|p| p.name)
    {
        let dir = scratch(&format!("session-{proto}"));
        let (saved, session_trace, run_trace) = (
            dir.join("saved.toml"),
            dir.join("session.jsonl"),
            dir.join("run.jsonl"),
        );
        let (victim, has_clients) = victim(proto);
        let request = if has_clients {
            "request 1 put zz v1"
        } else {
            "# no clients"
        };
        let script = format!(
            "step 5\n{request}\nstatus\nrun until decided\ncrash {victim}\nrun until decided\ncheck\nstep 3\nback 2\n\
             run 300\nsave {}\ntrace {}\nquit\n",
            saved.display(),
            session_trace.display()
        );
        let o = repl(&[proto, "--seed", "3"], &script);
        let out = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{proto}: {}", text(&o.stderr));
        assert!(!out.contains("error:"), "{proto}:\n{out}");
        assert!(
            out.contains("-- event 1 at 0.0ms: start"),
            "{proto}:\n{out}"
        );
        assert!(
            out.contains(&format!("*** crash {victim}")),
            "{proto}:\n{out}"
        );
        assert!(
            out.contains("safety: every live check held"),
            "{proto}:\n{out}"
        );
        assert!(out.contains("linearizability: "), "{proto}:\n{out}");
        assert!(out.contains("-- back at event"), "{proto}:\n{out}");
        assert!(
            out.contains("replays this session exactly"),
            "{proto}:\n{out}"
        );
        let toml = read(&saved);
        assert!(
            toml.contains(&format!("crash = \"{victim}\"")),
            "{proto}: {toml}"
        );

        let r = synod()
            .args(["run"])
            .arg(&saved)
            .arg("--trace")
            .arg(&run_trace)
            .output()
            .unwrap();
        assert!(
            r.status.code() == Some(0) || r.status.code() == Some(1),
            "{proto}: {}",
            text(&r.stderr)
        );
        let (a, b) = (read(&session_trace), read(&run_trace));
        assert!(a.lines().count() > 20, "{proto}: a real trace");
        assert!(
            a == b,
            "{proto}: `synod run` of the saved scenario differs from the session's trace"
        );
    }
}

#[test]
fn back_then_the_same_steps_gives_the_same_state() {
    for proto in PROTOCOLS
        .iter()
        .filter(|p| !p.reference_model)
        .map(|p| p.name)
    {
        let dir = scratch(&format!("back-{proto}"));
        let (t1, t2) = (dir.join("straight.jsonl"), dir.join("rewound.jsonl"));
        let look = "status\nqueue\nhistory\n";
        let straight = repl(
            &[proto],
            &format!(
                "step 20\ncrash leader\nstep 10\n{look}trace {}\n",
                t1.display()
            ),
        );
        let rewound = repl(
            &[proto],
            &format!(
                "step 20\ncrash leader\nstep 10\nback 8\nstep 8\nback 5\nstep 2\nstep 3\n{look}trace {}\n",
                t2.display()
            ),
        );
        // What `status`, `queue` and `history` show afterwards is the same.
        let tail = |o: &Output| {
            let s = text(&o.stdout);
            let at = s.rfind("time ").expect("status printed");
            s[at..]
                .lines()
                .filter(|l| !l.starts_with("trace of"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(tail(&straight), tail(&rewound), "{proto}");
        assert_eq!(read(&t1), read(&t2), "{proto}: traces differ after back");
        let out = text(&rewound.stdout);
        assert!(out.contains("-- back at event 22"), "{proto}:\n{out}");
        assert!(out.contains("-- back at event 25"), "{proto}:\n{out}");

        // Going back past a fault forgets it.
        let t3 = dir.join("no-crash.jsonl");
        let t4 = dir.join("crash-forgotten.jsonl");
        repl(&[proto], &format!("step 30\ntrace {}\n", t3.display()));
        repl(
            &[proto],
            &format!(
                "step 20\ncrash leader\nstep 10\nback 15\nstep 15\ntrace {}\n",
                t4.display()
            ),
        );
        assert_eq!(read(&t3), read(&t4), "{proto}: the crash was not forgotten");
    }
}

/// Every scenario that expects a safety violation (planted bugs), run in the REPL: the session
/// pauses on it, names the property and the event, and `back` rewinds to before it.
#[test]
fn a_safety_violation_pauses_the_session_and_names_the_property() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in files {
        let toml = read(&file);
        let Some(line) = toml
            .lines()
            .find(|l| l.trim_start().starts_with("violation"))
        else {
            continue;
        };
        let property = line.split('"').nth(1).expect("violation = \"Property\"");
        let o = repl(
            &[file.to_str().unwrap()],
            "run\nstep\ncrash leader\nback 1\ncheck\n",
        );
        let out = text(&o.stdout);
        let want = format!("*** SAFETY VIOLATION: {property} broke at event ");
        assert!(out.contains(&want), "{}:\n{out}", file.display());
        let after_back = &out[out.find("-- back at event").expect("back works")..];
        assert!(
            after_back.contains("safety: every live check held"),
            "{}:\n{out}",
            file.display()
        );
    }
}

#[test]
fn goto_rewinds_to_a_time() {
    let o = repl(&["kv"], "run until done\ngoto 5\nstatus\ngoto 20\n");
    let out = text(&o.stdout);
    assert!(out.contains("-- back at event"), "{out}");
    let status = &out[out.rfind("time ").unwrap()..];
    let t: f64 = status["time ".len()..status.find("ms").unwrap()]
        .parse()
        .unwrap();
    assert!(t <= 5.0, "{out}");
    assert!(out.contains("-- reached 20.0ms"), "{out}");
}

#[test]
fn bad_input_is_a_one_line_error_and_the_session_goes_on() {
    let script = "stpe\nstauts\ncrash n9\ninspect nobody\npartition server\npartition server |\n\
                  loss 1.5\nduplicate -1\nslow server 0\ndeliver 999\ndrop 999\nfire 999\n\
                  deliver x\nrequest client 1 put a\nrequest server get a\nrun until never\n\
                  log loud\nback x\ngoto -3\nsave\nhelp nosuch\nstep\nfire 2\nstatus\n";
    let o = repl(&["kv"], script);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for want in [
        "error: unknown command `stpe`; did you mean `step`?",
        "error: unknown command `stauts`; did you mean `status`?",
        "error: no node `n9` (nodes: server, client 1, client 2, client 3)",
        "error: no node `nobody`",
        "error: a partition needs at least two non-empty groups",
        "error: a probability must be between 0 and 1, got 1.5",
        "error: a probability must be between 0 and 1, got -1",
        "error: the factor must be > 0, got 0",
        "error: no entry #999 in the queue",
        "error: #999 is not a message in flight",
        "error: `x` is not a queue id",
        "error: put takes a KEY and a VALUE",
        "error: server is not a client that takes requests",
        "`run until` takes decided, leader, done or a time in ms",
        "error: unknown log level `loud`",
        "error: `x` is not a number of events",
        "error: `-3` is not a time in milliseconds",
        "error: usage: save FILE",
        "no command `nosuch`; did you mean",
        "error: #2 is not a timer",
        "time 0.0ms, event 1",
    ] {
        assert!(out.contains(want), "missing `{want}` in:\n{out}");
    }
    for l in out.lines().filter(|l| l.starts_with("error:")) {
        assert!(l.len() < 200, "one short line: {l}");
    }
}

#[test]
fn hand_driven_schedule_is_listed_as_not_saved_and_requests_are_saved() {
    let dir = scratch("hand");
    let saved = dir.join("hand.toml");
    let o = repl(
        &["kv"],
        &format!(
            "step 4\nqueue\ndeliver 6\nrequest 1 put zz v\nrun until done\nhistory\nsave {}\n",
            saved.display()
        ),
    );
    let out = text(&o.stdout);
    assert!(out.contains("(by hand)"), "{out}");
    assert!(out.contains("client 1 will PUT \"zz\" = \"v\""), "{out}");
    assert!(out.contains("PUT \"zz\" = \"v\"  -> OK"), "{out}");
    assert!(
        out.contains("not saved (a scenario cannot express them):"),
        "{out}"
    );
    let toml = read(&saved);
    assert!(
        toml.contains("# not saved: deliver/fire #6 by hand"),
        "{toml}"
    );
    assert!(
        toml.contains("[[request]]\nat_ms = 0.001\nclient = \"client 1\"\nop = \"put\"\nkey = \"zz\"\nvalue = \"v\"\n"),
        "{toml}"
    );
}

#[test]
fn help_describes_every_command() {
    let o = repl(&["kv"], "help\nhelp run\nhelp s\n");
    let out = text(&o.stdout);
    for c in [
        "step",
        "run",
        "back",
        "goto",
        "status",
        "inspect",
        "queue",
        "history",
        "check",
        "deliver",
        "drop",
        "fire",
        "crash",
        "restart",
        "partition",
        "heal",
        "hold",
        "release",
        "slow",
        "loss",
        "duplicate",
        "when",
        "request",
        "legend",
        "log",
        "trace",
        "save",
        "quit",
    ] {
        assert!(out.contains(&format!("\n  {c}")), "help lists {c}:\n{out}");
    }
    assert!(out.contains("`run until decided` stops after the next decide"));
    let doc = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/repl.md"));
    for c in [
        "step [N]",
        "run [MS]",
        "run until decided",
        "back [N]",
        "goto MS",
        "status",
        "inspect NODE",
        "queue",
        "history",
        "check",
        "deliver ID",
        "drop ID",
        "fire TIMER-ID",
        "crash NODE",
        "restart NODE",
        "partition A,B",
        "heal",
        "hold NODE",
        "release NODE",
        "slow NODE FACTOR",
        "loss P",
        "duplicate P",
        "when leads",
        "request CLIENT",
        "legend",
        "log LEVEL",
        "trace FILE",
        "save FILE",
        "help [COMMAND]",
        "quit",
    ] {
        assert!(
            doc.contains(&format!("| `{c}")),
            "docs/repl.md documents `{c}`"
        );
    }
    assert!(out.contains("step [N]\n  process the next N events"));
}

/// The terminal interface, as a person uses it: a tmux pane, keys sent, the screen read. The
/// tmux server is a private one (`-L`), apart from any the developer runs.
struct Tmux {
    session: String,
    socket: String,
}

impl Tmux {
    /// Start `cmd` in a fresh pane, with `$HOME` a scratch directory named `home`.
    fn start(test: &str, home: &str, cmd: &str) -> Tmux {
        let ok = Command::new("tmux").arg("-V").output();
        assert!(
            ok.is_ok_and(|o| o.status.success()),
            "tmux is required for this test (apt-get install -y tmux; .ci/run installs it)"
        );
        let session = format!("synod-{}-{test}", std::process::id());
        let home = scratch(home);
        let st = Command::new("tmux")
            .args(["-L", &session, "new-session", "-d", "-s", &session])
            .args(["-x", "160", "-y", "50"])
            .arg(format!("env HOME={} {cmd}", home.display()))
            .status()
            .unwrap();
        assert!(st.success());
        let socket = Command::new("tmux")
            .args(["-L", &session, "display-message", "-p", "#{socket_path}"])
            .output()
            .map(|o| text(&o.stdout).trim().to_string())
            .unwrap_or_default();
        Tmux { session, socket }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let st = Command::new("tmux")
                .args(["-L", &self.session, "send-keys", "-t", &self.session, k])
                .status()
                .unwrap();
            assert!(st.success());
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.session, "capture-pane", "-p", "-S", "-200"])
            .args(["-t", &self.session])
            .output()
            .unwrap();
        text(&o.stdout)
    }

    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "`{what}` never appeared:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.session, "kill-server"])
            .status();
        if !self.socket.is_empty() {
            let _ = std::fs::remove_file(&self.socket);
        }
    }
}

#[test]
fn the_terminal_interface_completes_and_ctrl_c_pauses_a_run() {
    let bin = env!("CARGO_BIN_EXE_synod");
    let t = Tmux::start("tty", "tty-home", &format!("{bin} repl kv"));
    t.wait_for("synod 0.0ms #0>");
    // Tab completes a command...
    t.keys(&["sta", "Tab", "Enter"]);
    t.wait_for("server    server, leads, store {} (0 keys)");
    // ... and a node name.
    t.keys(&["inspect ser", "Tab", "Enter"]);
    t.wait_for("server:\napplied  0\nstore    {}");
    t.keys(&["step 4", "Enter"]);
    t.wait_for("synod 0.0ms #4>");
    // With the server down, the clients retry forever: a run that never ends by itself.
    t.keys(&["crash server", "Enter", "log error", "Enter"]);
    t.wait_for("narration level: error");
    t.keys(&["run 100000000000", "Enter"]);
    std::thread::sleep(Duration::from_millis(800));
    t.keys(&["C-c"]);
    let s = t.wait_for("paused (Ctrl-C)");
    assert!(s.contains("events, now"), "{s}");
    // The session goes on after the pause, and Ctrl-C at the prompt does not end it.
    t.keys(&["C-c"]);
    t.wait_for("(Ctrl-C: `quit` or Ctrl-D leaves)");
    t.keys(&["back 1", "Enter"]);
    t.wait_for("-- back at event");
    t.keys(&["quit", "Enter"]);
    drop(t);

    // The history survives the session: Up brings back the last command.
    let t = Tmux::start("tty2", "tty-home", &format!("{bin} repl kv"));
    t.wait_for("synod 0.0ms #0>");
    t.keys(&["Up"]);
    t.wait_for("synod 0.0ms #0> quit");
}

/// Restarting a node that is up does nothing, and the REPL says so instead of recording it.
#[test]
fn restarting_a_node_that_is_up_warns_and_changes_nothing() {
    let o = repl(
        &["kv"],
        "step 5\nrestart server\ncrash server\nrestart server\n",
    );
    let out = text(&o.stdout);
    assert!(
        out.contains("warning: server is up; restart does nothing (it restarts a crashed node)"),
        "{out}"
    );
    assert_eq!(out.matches("*** restart server").count(), 1, "{out}");
}

#[test]
fn inspect_shows_the_full_state_or_what_a_crashed_node_kept() {
    let o = repl(
        &["kv"],
        "step 12\ninspect server\ninspect client 1\ncrash server\ninspect server\n",
    );
    let out = text(&o.stdout);
    assert!(out.contains("server:\napplied  "), "{out}");
    assert!(out.contains("\nstore    {"), "{out}");
    assert!(
        out.contains("sessions (client:last request:its result)"),
        "{out}"
    );
    assert!(out.contains("client 1:\nrequests  2 of 5 issued"), "{out}");
    assert!(out.contains("\nasks      server\n"), "{out}");
    assert!(
        out.contains("server is down; it kept only its durable state, which `restart server` rebuilds it from:\napplied  "),
        "{out}"
    );
}

/// A client whose workload runs through a window has no total of requests: `inspect` counts
/// what it issued, without the internal "no limit" number.
#[test]
fn inspect_of_a_windowed_client_counts_without_a_total() {
    let dir = std::env::temp_dir().join(format!("synod-repl-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("window.toml");
    std::fs::write(&file, "protocol = \"kv\"\n[workload]\nuntil_ms = 300\n").unwrap();
    let o = repl(&[file.to_str().unwrap()], "step 12\ninspect client 1\n");
    let out = text(&o.stdout);
    assert!(out.contains("client 1:\nrequests  2 issued, "), "{out}");
    assert!(!out.contains("4294967295"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `inspect` is for people, for every protocol: nodes by name (never `NodeId(4)`), fields
/// named as in the papers, logs as `index:term:command` rows, no Rust structures.
#[test]
fn inspect_speaks_the_papers_language_for_every_protocol() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "raft",
            "run 600\ninspect n4\ninspect n1\ncrash n1\ninspect n1\n",
            &[
                "n4:\nrole         leader\ncurrentTerm  1\nvotedFor     n4\nleader       n4\ncommitIndex  ",
                "log (index:term:command), 16 rows\n  1:1:NOOP\n  2:1:PUT \"d\" = \"val_87\"\n",
                "\nnextIndex    n1 17, n2 17, n3 17, n5 17\nmatchIndex   n1 16,",
                "n1:\nrole         follower\ncurrentTerm  1\nvotedFor     n4\nleader       n4\n",
                "n1 is down; it kept only its durable state, which `restart n1` rebuilds it from:\ncurrentTerm  1\nvotedFor     n4\nlog (index:term:command), 16 rows\n",
            ],
        ),
        (
            "paxos",
            "run 60\ninspect n4\ncrash n3\ninspect n3\n",
            &[
                "n4:\nproposer:\n  value     \"n4\"\n  ballot    1.4\n  maxRound  1\n  phase     2: proposing \"n4\", accepted by ",
                "acceptor:\n  promised  1.4\n  accepted  1.4 \"n4\"\nlearner:\n  decided  ",
                "n3 is down; it kept only its durable state, which `restart n3` rebuilds it from:\nacceptor:\n  promised  1.4\n",
            ],
        ),
        (
            "multipaxos",
            "run 40\ninspect acceptor 1\ninspect leader 1\ninspect replica 1\ncrash replica 1\ninspect replica 1\n",
            &[
                "acceptor 1:\npromised  1.1\naccepted (slot:ballot:command), ",
                "\n  1:1.1:GET \"d\"\n",
                "leader 1:\nmode      leader (Phase 2)\nballot    1.1\nmaxRound  1\nnextSlot  ",
                "replica 1:\nleader   leader 1\nchosen   every slot up to ",
                "log (slot:command)",
                "kept  nothing: a replica catches up from the leader",
            ],
        ),
        (
            "vr",
            "run 30\ninspect n1\ncrash n2\ninspect n2\nrestart n2\ninspect n2\n",
            &[
                "n1:\nstatus            normal\nview-number       0\nprimary           n1\nlast-normal-view  0\nop-number         6\ncommit-number     4\n",
                "log (op-number:request), 6 rows\n  1:GET \"d\" (client 2 #1)\n",
                "kept  nothing: VR keeps no state on disk; on restart the replica recovers it from the others (4.3)",
                "n2:\nstatus            recovering\nview-number       unknown until f + 1 answers",
            ],
        ),
    ];
    for (protocol, script, wants) in cases {
        let o = repl(&[protocol, "--log-level", "error"], script);
        let out = text(&o.stdout);
        for want in *wants {
            assert!(out.contains(want), "{protocol}: {want:?} in:\n{out}");
        }
        for debug in ["NodeId(", "Some(", "{\n", "Changed", "Durable {", "Entry("] {
            assert!(!out.contains(debug), "{protocol}: `{debug}` in:\n{out}");
        }
    }
}

#[test]
fn unusable_arguments_exit_2_before_the_session_opens() {
    let o = repl(&["nosuch"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("error: `nosuch` is neither a protocol"),
        "{}",
        text(&o.stderr)
    );
    let o = repl(&["kv", "--bug", "nope"], "");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn log_level_switches_the_narration() {
    let o = repl(
        &["kv"],
        "step 5\nlog debug\nstep 1\nlog\nlog warn\nstep 1\n",
    );
    let out = text(&o.stdout);
    let (before, after) = out.split_at(out.find("narration level: debug").unwrap());
    assert!(!before.contains("  <- "), "{out}");
    assert!(after.contains("[server]    <- client "), "{out}");
    assert!(out.contains("narration level: warn"), "{out}");
    let last = &out[out.rfind("narration level: warn").unwrap()..];
    assert!(!last.contains("[server]"), "{out}");
}

/// Every kind of fault typed at the prompt, mixed with a scenario's own faults, over several
/// seeds: the saved scenario replays the session byte for byte.
#[test]
fn every_fault_kind_typed_at_the_prompt_is_saved_exactly() {
    let dir = scratch("every-fault");
    for (target, seed) in [
        ("kv", "1"),
        ("kv", "2"),
        ("scenarios/kv-server-crash.toml", "3"),
        ("scenarios/kv-lossy.toml", "4"),
    ] {
        let (saved, t1, t2) = (
            dir.join(format!("{seed}.toml")),
            dir.join(format!("{seed}-session.jsonl")),
            dir.join(format!("{seed}-run.jsonl")),
        );
        let script = format!(
            "step 7\npartition server | client 1,client 2\nrun 40\nslow client 1 3\nloss 0.2\n\
             step 11\nheal\nduplicate 0.3\ncrash server\nrun 100\nrestart server\n\
             hold client 2\nrun 50\nrelease client 2\nloss 0\nrequest 3 get a\n\
             run until done\nrun 200\nsave {}\ntrace {}\n",
            saved.display(),
            t1.display()
        );
        let o = repl(&[target, "--seed", seed], &script);
        let out = text(&o.stdout);
        assert!(!out.contains("error:"), "{target}:\n{out}");
        assert!(
            out.contains("replays this session exactly"),
            "{target}:\n{out}"
        );
        let r = synod()
            .arg("run")
            .arg(&saved)
            .arg("--trace")
            .arg(&t2)
            .output()
            .unwrap();
        assert!(
            r.status.code().is_some_and(|c| c < 2),
            "{}",
            text(&r.stderr)
        );
        assert!(
            read(&t1) == read(&t2),
            "{target} seed {seed}: traces differ"
        );
    }
}

#[test]
fn raft_orders_are_commands_told_to_the_leader_and_saved_as_their_fault_keys() {
    let dir = scratch("orders");
    let saved = dir.join("orders.toml");
    let script = format!(
        "help\nrun until leader\nremove n9\nremove\ntransfer n3\nrun 300\nremove n3\nrun 300\nstatus\nsave {}\n",
        saved.display()
    );
    let o = repl(&["raft", "--seed", "2"], &script);
    let out = text(&o.stdout);
    // `help` lists the protocol's orders.
    assert!(
        out.contains("orders of raft (told to the leader):"),
        "{out}"
    );
    assert!(out.contains("  transfer NODE  "), "{out}");
    // A name that does not exist, and a missing argument: one-line errors.
    assert!(out.contains("error: no server `n9`"), "{out}");
    assert!(out.contains("usage: remove NODE"), "{out}");
    // The transfer happens: n3 is told TimeoutNow and leads; then it is told to remove
    // itself, and steps down once that commits.
    assert!(out.contains("TimeoutNow from"), "{out}");
    assert!(out.contains("[n3 leader"), "{out}");
    assert!(
        out.contains("without it is committed: steps down (4.2.2)"),
        "{out}"
    );
    let toml = read(&saved);
    assert!(toml.contains("transfer = \"n3\""), "{toml}");
    assert!(toml.contains("remove = \"n3\""), "{toml}");
}

/// A scenario's notes are printed when the clock passes them, before the events due then,
/// and again when a rewound session passes them again.
#[test]
fn notes_are_printed_when_the_clock_passes_them() {
    let o = repl(
        &["scenarios/raft-figure8.toml"],
        "log warn\nrun 243\nrun 7\ngoto 100\nrun 305\n",
    );
    let out = text(&o.stdout);
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s}:\n{out}"));
    assert_eq!(out.matches("[note]").count(), 1 + 2 + 1, "{out}");
    assert!(
        out.contains("    0.0ms  [note]      Figure 8 of the Raft paper"),
        "{out}"
    );
    // (a) comes only with the second `run`, which passes 244 ms, and before the partition.
    let reached = at("-- reached 243.0ms");
    let a = at("  244.0ms  [note]             (a) n1 leads term 1;");
    assert!(
        reached < a && a < at("  244.0ms  [fault]            *** partition"),
        "{out}"
    );
    // After the rewind to 100 ms the clock passes 244 ms again: (a) is told again.
    let after = at("-- back");
    let back = out[after..].find("(a) n1 leads term 1;").map(|i| i + after);
    assert!(back.is_some(), "{out}");
    assert!(out.contains("(b) n5 times out first"), "{out}");
}

/// `when votes crash voter` arms a crash for the next vote: the first election's voter
/// crashes, the narration names it, and `save` writes the fault as a scenario's `when`, which
/// replays.
/// Run `commands` in a REPL of Raft's seed 3, then `save` and `quit`: what the REPL printed,
/// the saved scenario, and what `synod run` of it printed. The REPL exits cleanly, with no
/// error.
fn arm_save_and_replay(name: &str, commands: &str) -> (String, String, String) {
    let dir = scratch(name);
    let saved = dir.join(format!("{name}.toml"));
    let script = format!("{commands}save {}\nquit\n", saved.display());
    let o = repl(&["raft", "--seed", "3"], &script);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!out.contains("error:"), "{out}");
    let toml = read(&saved);
    let r = synod().arg("run").arg(&saved).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (out, toml, text(&r.stdout))
}

#[test]
fn when_arms_a_fault_for_the_next_vote_and_saves_it() {
    let (out, toml, replay) =
        arm_save_and_replay("when", "when votes crash voter\nrun until leader\nrun 50\n");
    assert!(
        out.contains("armed: crash voter, when a node next votes"),
        "{out}"
    );
    // The crash names the node that voted.
    let struck = out
        .lines()
        .find_map(|l| l.split("*** crash n").nth(1))
        .unwrap_or_else(|| panic!("no crash:\n{out}"));
    assert!(struck.starts_with(char::is_numeric), "{struck}");
    assert!(
        toml.contains("when = \"votes\"\ncrash = \"voter\""),
        "{toml}"
    );
    assert!(replay.contains("*** crash n"), "{replay}");
}

/// `when seeks hold seeker` arms a hold for the next attempt to lead: the first candidate is
/// held, the narration names it, and `save` writes `when = "seeks"` with `hold = "seeker"`,
/// which replays to the same node at the same time.
#[test]
fn when_seeks_holds_the_seeker_and_saves_it() {
    let (out, toml, replay) =
        arm_save_and_replay("when-seeks", "when seeks after 5 hold seeker\nrun 400\n");
    let held = |out: &str| {
        out.lines()
            .find(|l| l.contains("*** hold n"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("no hold:\n{out}"))
    };
    assert!(
        toml.contains("when = \"seeks\"\nafter_ms = 5\nhold = \"seeker\""),
        "{toml}"
    );
    assert_eq!(held(&replay), held(&out));
}
