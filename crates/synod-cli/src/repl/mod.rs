//! `synod repl`: a terminal debugger for any synod protocol. It opens a session on a paused
//! simulation and reads commands: step, run, rewind, look, choose the schedule by hand, inject
//! faults, drive clients, and save the session as a scenario. docs/repl.md documents every
//! command.
//!
//! One concern per file: [`command`] parses a line, [`session`] holds the simulation and the
//! record of inputs that rewind replays, [`render`] prints statuses and queues, [`lin`] checks
//! the history so far, [`save`] writes the session as a scenario, [`frontend`] reads lines from a
//! terminal or a pipe.

mod command;
mod frontend;
mod render;
mod save;
mod session;

use crate::run::load;
use anyhow::Result;
use clap::Args;
use command::{COMMANDS, Command};
use frontend::{Input, Line};
use session::Session;
use std::cell::RefCell;
use std::io::{self, Write};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use synod_core::Level;

/// Arguments of `synod repl`.
#[derive(Args, Debug)]
pub struct ReplArgs {
    /// A protocol name or a scenario file (.toml). Default: the richest protocol synod has.
    pub target: Option<String>,
    /// Seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run with a planted bug (`synod check --bug list` lists them).
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
    /// Narration level to start with (`log LEVEL` changes it).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log_level: Level,
}

fn help(topic: Option<&str>) -> String {
    match topic {
        None => {
            let mut o = String::from("commands (`help COMMAND` for more):\n");
            for c in COMMANDS {
                let aliases = if c.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.aliases.join(", "))
                };
                o.push_str(&format!("  {:<44} {}{aliases}\n", c.usage, c.summary));
            }
            o.push_str("NODE is a node's name as `status` shows it; crash, restart, hold, release and slow also take `leader`.");
            o
        }
        Some(word) => match command::lookup(word) {
            Some(c) => {
                let mut o = format!("{}\n  {}", c.usage, c.summary);
                if !c.detail.is_empty() {
                    for l in c.detail.lines() {
                        o.push_str(&format!("\n  {l}"));
                    }
                }
                if !c.aliases.is_empty() {
                    o.push_str(&format!("\n  aliases: {}", c.aliases.join(", ")));
                }
                o
            }
            None => format!(
                "no command `{word}`; did you mean `{}`?",
                command::closest(word)
            ),
        },
    }
}

/// `synod repl`.
pub fn repl(args: &ReplArgs) -> Result<ExitCode> {
    let mut scenario = load(args.target.as_deref())?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(bug) = &args.bug {
        scenario
            .set_bug(bug)
            .map_err(|e| crate::UsageError(format!("--bug: {e}")))?;
    }
    let stdout: Rc<RefCell<dyn Write>> = Rc::new(RefCell::new(io::stdout()));
    let mut session = Session::new(scenario, args.log_level, stdout.clone())?;
    crate::run::warn(session.warnings());
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // Without a handler (already set, unsupported), Ctrl-C simply ends the process.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let mut input = Input::open(session.names());
    let interactive = input.interactive();
    {
        let s = session.scenario();
        let mut out = stdout.borrow_mut();
        let _ = writeln!(
            out,
            "synod repl: {} (protocol {}, seed {}, until {}), {} nodes: {}",
            s.name,
            s.protocol,
            s.seed,
            s.until,
            session.names().len(),
            session.names().join(", ")
        );
        if interactive {
            let _ = writeln!(
                out,
                "paused before the first event; `help` lists the commands, Tab completes, Ctrl-C pauses `run`"
            );
        }
        let _ = out.flush();
    }
    loop {
        let prompt = format!("synod {} #{}> ", session.sim().now(), session.events());
        let line = match input.read(&prompt) {
            Line::Eof => break,
            Line::Interrupted => {
                let _ = writeln!(stdout.borrow_mut(), "(Ctrl-C: `quit` or Ctrl-D leaves)");
                continue;
            }
            Line::Text(l) => l,
        };
        stop.store(false, Ordering::SeqCst);
        let done = execute(&mut session, &line, &stop);
        let _ = stdout.borrow_mut().flush();
        if done {
            break;
        }
    }
    input.close();
    Ok(ExitCode::SUCCESS)
}

/// Run one line; true on `quit`.
fn execute(session: &mut Session, line: &str, stop: &AtomicBool) -> bool {
    let out = |s: &str| {
        let mut o = io::stdout().lock();
        let _ = writeln!(o, "{s}");
    };
    // A protocol's own orders (Raft's `add n6`, `remove n2`, `transfer n3`) are its fault
    // verbs, told to the leader like the `[[fault]]` keys of the same names.
    let (word, arg) = (line.trim().split_once(char::is_whitespace)).unwrap_or((line.trim(), ""));
    let verbs = session.scenario().protocol.faults;
    if let Some(verb) = verbs.iter().find(|v| v.key == word) {
        match (verb.expand)(arg.trim(), session.names()) {
            _ if arg.trim().is_empty() => out(&format!("usage: {} NODE: {}", verb.key, verb.doc)),
            Ok(faults) => faults.into_iter().for_each(|f| session.fault(f)),
            Err(e) => out(&format!("error: {e}")),
        }
        return false;
    }
    let cmd = match command::parse(line, session.names()) {
        Ok(c) => c,
        Err(e) => {
            out(&format!("error: {e}"));
            return false;
        }
    };
    match cmd {
        Command::Nothing => {}
        Command::Quit => return true,
        Command::Help(topic) => {
            out(&help(topic.as_deref()));
            let verbs = session.scenario().protocol.faults;
            if topic.is_none() && !verbs.is_empty() {
                out(&format!(
                    "orders of {} (told to the leader):",
                    session.scenario().protocol
                ));
                for v in verbs {
                    out(&format!("  {} NODE  {}", v.key, v.doc));
                }
            }
        }
        Command::Step(n) => session.step(n, stop),
        Command::Run(until) => session.run(until, stop),
        Command::Back(n) => session.back(n),
        Command::Goto(t) => session.goto(t, stop),
        Command::Status => session.status(),
        Command::Inspect(id) => session.inspect(id),
        Command::Legend => session.legend(),
        Command::Queue => session.queue(),
        Command::History => session.history(),
        Command::Check => session.check(),
        Command::Deliver(id) => session.process_now(id, false),
        Command::Fire(id) => session.process_now(id, true),
        Command::Drop(id) => session.drop_pending(id),
        Command::Fault(f) => session.fault(f),
        Command::Request(c, op) => session.request(c, op),
        Command::Log(l) => session.set_level(l),
        Command::Trace(path) => session.write_trace(&path),
        Command::Save(path) => session.save(&path),
    }
    false
}
