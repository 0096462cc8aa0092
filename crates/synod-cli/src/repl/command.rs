//! The REPL's commands: the table that `help` prints and completion offers, and the parser from
//! a typed line to a [`Command`]. Parsing needs the node names; it never touches the session.

use synod_core::{ClientOp, Level, NodeId, Time};
use synod_sim::{Fault, On, Target};

/// One command of the table: its name, short aliases, usage and what it does.
pub struct Spec {
    /// The name.
    pub name: &'static str,
    /// Short aliases.
    pub aliases: &'static [&'static str],
    /// Arguments, as `help` shows them.
    pub usage: &'static str,
    /// One line for the command list.
    pub summary: &'static str,
    /// More, for `help COMMAND`.
    pub detail: &'static str,
}

/// Every command, in the order `help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "step",
        aliases: &["s"],
        usage: "step [N]",
        summary: "process the next N events (default 1), each narrated",
        detail: "Each event is announced (#queue-id, time, what it is) and followed by the narration it causes.",
    },
    Spec {
        name: "run",
        aliases: &["r", "c"],
        usage: "run [MS] | run until decided|leader|done|MS",
        summary: "free-run (Ctrl-C pauses); MS more ms; or until a decision, a new leader, all clients done, or time MS",
        detail: "`run` goes on until the run ends (time limit, clients done, nothing left), a safety violation, or Ctrl-C.\n`run 200` runs 200 ms of virtual time. `run until 1500` runs until virtual time 1500 ms.\n`run until decided` stops after the next decide, commit or apply event; `run until leader` after the next node becomes leader; `run until done` once every client has finished.\nRunning past the scenario's time limit moves the limit.",
    },
    Spec {
        name: "back",
        aliases: &["b"],
        usage: "back [N]",
        summary: "undo the last N events (default 1), by deterministic replay",
        detail: "The system is rebuilt from the scenario and the session's inputs are replayed up to N events ago; inputs given after that point are forgotten.",
    },
    Spec {
        name: "goto",
        aliases: &["g"],
        usage: "goto MS",
        summary: "rewind to virtual time MS (or run forward to it)",
        detail: "Rewinds to just after the last event at or before MS, by deterministic replay. A time ahead of now runs forward like `run until MS`.",
    },
    Spec {
        name: "status",
        aliases: &["st"],
        usage: "status",
        summary: "every node (role, ballot or term, log, commit, store...), messages in flight, next timers",
        detail: "One line per node with what its protocol reports (role, epoch, and facts such as log, commit, applied, store, decided), then the messages in flight and the next timers.",
    },
    Spec {
        name: "inspect",
        aliases: &["i"],
        usage: "inspect NODE",
        summary: "a node's full state",
        detail: "Prints the node's state as its protocol describes it: fields named as in the protocol's paper (Raft's currentTerm, votedFor, commitIndex), nodes by name, logs as index:term:command rows. A crashed node has no state but its durable part, which returns on restart.",
    },
    Spec {
        name: "legend",
        aliases: &[],
        usage: "legend",
        summary: "what the narration's notations mean (t3, 9@t1, 1.4, [observer], ...)",
        detail: "The legend `synod run` prints at the start: the notations every run shares, then the protocol's own.",
    },
    Spec {
        name: "queue",
        aliases: &["q"],
        usage: "queue",
        summary: "pending deliveries, timers and faults, numbered",
        detail: "The queue in the order it will be processed. The numbers are what `deliver`, `drop` and `fire` take.",
    },
    Spec {
        name: "history",
        aliases: &["h"],
        usage: "history",
        summary: "client operations so far",
        detail: "Every client operation: when it was invoked and when and how it returned.",
    },
    Spec {
        name: "check",
        aliases: &["ck"],
        usage: "check",
        summary: "run every safety check and linearizability now",
        detail: "Shows the live safety checks (agreement, state machine safety, election safety and the protocol's own), whether the live servers' stores agree, and whether the client history so far is linearizable.",
    },
    Spec {
        name: "deliver",
        aliases: &["d"],
        usage: "deliver ID",
        summary: "deliver message ID of `queue` now, ahead of its turn",
        detail: "A hand-driven schedule: the message arrives now, whatever its latency was.",
    },
    Spec {
        name: "drop",
        aliases: &["x"],
        usage: "drop ID",
        summary: "drop message ID of `queue`",
        detail: "The message is lost (traced as dropped by hand).",
    },
    Spec {
        name: "fire",
        aliases: &["f"],
        usage: "fire TIMER-ID",
        summary: "fire timer TIMER-ID of `queue` now",
        detail: "The timer goes off now instead of at its time.",
    },
    Spec {
        name: "crash",
        aliases: &[],
        usage: "crash NODE",
        summary: "crash a node (it keeps only its durable state); NODE may be `leader`",
        detail: "Faults take effect just after the last event (1 us later), exactly as a scenario's [[fault]] at that time would, so `save` can replay them.",
    },
    Spec {
        name: "restart",
        aliases: &[],
        usage: "restart NODE",
        summary: "restart a crashed node from its durable state",
        detail: "The node is rebuilt from what it kept and starts again.",
    },
    Spec {
        name: "partition",
        aliases: &["p"],
        usage: "partition A,B | C,D,E",
        summary: "cut every link between the groups",
        detail: "Groups are separated by `|`, nodes by commas. Nodes in no group keep their links. Adds to the cuts in place; `heal` removes them all.",
    },
    Spec {
        name: "heal",
        aliases: &[],
        usage: "heal",
        summary: "restore every link",
        detail: "Removes every partition.",
    },
    Spec {
        name: "hold",
        aliases: &[],
        usage: "hold NODE",
        summary: "hold a node's outgoing messages (they wait)",
        detail: "Messages the node sends are kept until `release`.",
    },
    Spec {
        name: "release",
        aliases: &[],
        usage: "release NODE",
        summary: "release a held node's messages, in order",
        detail: "The held messages go out in the order they were sent.",
    },
    Spec {
        name: "slow",
        aliases: &[],
        usage: "slow NODE FACTOR",
        summary: "multiply the latency to and from a node (1 restores it)",
        detail: "FACTOR must be a number > 0.",
    },
    Spec {
        name: "loss",
        aliases: &[],
        usage: "loss P",
        summary: "set the probability that a message is lost (0..1)",
        detail: "P must be between 0 and 1.",
    },
    Spec {
        name: "duplicate",
        aliases: &["dup"],
        usage: "duplicate P",
        summary: "set the probability that a message is delivered twice (0..1)",
        detail: "P must be between 0 and 1.",
    },
    Spec {
        name: "when",
        aliases: &[],
        usage: "when leads|seeks|votes [after MS] [within MS] FAULT",
        summary: "arm a fault for a protocol's moment: the next leader, election or vote",
        detail: "FAULT is a fault command (`crash leader`, `crash voter`, `partition leader | n2`, ...). It strikes once, MS after (default 0) the next node takes the lead (`leads`), starts trying to (`seeks`: a candidate, a proposer's Phase 1, a view change) or gives its vote (`votes`: a Raft vote, a promise, a DoViewChange; `voter` names that node; under `seeks`, `seeker` names the node that started trying), as a scenario's `when` (docs/scenarios.md). With `within MS` it waits that long from now and no longer, as a scenario's `within_ms`.",
    },
    Spec {
        name: "request",
        aliases: &["req"],
        usage: "request CLIENT put|get|delete KEY [VALUE]",
        summary: "have a client perform an operation (after its current one)",
        detail: "CLIENT is a client's name (`client 1`) or number (`1`). put takes a VALUE; get and delete do not.",
    },
    Spec {
        name: "log",
        aliases: &["l"],
        usage: "log LEVEL",
        summary: "narration level: error, warn, info, debug (messages), trace (timers, protocol events)",
        detail: "Without a level, shows the current one.",
    },
    Spec {
        name: "trace",
        aliases: &[],
        usage: "trace FILE",
        summary: "write the JSON trace of the session so far (docs/trace.md)",
        detail: "The same JSON-lines trace `synod run --trace` writes.",
    },
    Spec {
        name: "save",
        aliases: &[],
        usage: "save FILE",
        summary: "write a scenario TOML that replays the session (seed, faults and requests with their times)",
        detail: "`synod run FILE` then reproduces the session's trace. Hand-driven deliveries, drops and fires cannot be expressed in a scenario: `save` lists the ones it had to leave out.",
    },
    Spec {
        name: "help",
        aliases: &["?"],
        usage: "help [COMMAND]",
        summary: "list the commands, or describe one",
        detail: "",
    },
    Spec {
        name: "quit",
        aliases: &["exit"],
        usage: "quit",
        summary: "leave",
        detail: "End of input (Ctrl-D) leaves too.",
    },
];

/// What `run until` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// Until the run ends, a violation or Ctrl-C.
    End,
    /// For this much more virtual time.
    For(Time),
    /// Until this virtual time.
    At(Time),
    /// The next decide, commit or apply event.
    Decided,
    /// The next node to become leader.
    Leader,
    /// Every client done.
    Done,
}

/// A parsed command.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Nothing (an empty line).
    Nothing,
    /// `step N`.
    Step(u64),
    /// `run ...`.
    Run(Until),
    /// `back N`.
    Back(u64),
    /// `goto MS`.
    Goto(Time),
    /// `status`.
    Status,
    /// `inspect NODE`.
    Inspect(NodeId),
    /// `legend`.
    Legend,
    /// `queue`.
    Queue,
    /// `history`.
    History,
    /// `check`.
    Check,
    /// `deliver ID`.
    Deliver(u64),
    /// `drop ID`.
    Drop(u64),
    /// `fire ID`.
    Fire(u64),
    /// A fault.
    Fault(Fault),
    /// `request CLIENT OP`.
    Request(NodeId, ClientOp),
    /// `log [LEVEL]`.
    Log(Option<Level>),
    /// `trace FILE`.
    Trace(String),
    /// `save FILE`.
    Save(String),
    /// `help [COMMAND]`.
    Help(Option<String>),
    /// `quit`.
    Quit,
}

/// Find a command by name or alias.
pub fn lookup(word: &str) -> Option<&'static Spec> {
    let w = word.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|c| c.name == w || c.aliases.contains(&w.as_str()))
}

/// Edit distance counting a swap of two neighbours as one edit (`stpe` is one from `step`),
/// for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The command closest to a mistyped word.
pub fn closest(word: &str) -> &'static str {
    let w = word.to_ascii_lowercase();
    COMMANDS
        .iter()
        .map(|c| {
            let prefix = if c.name.starts_with(&w) || w.starts_with(c.name) {
                0
            } else {
                1
            };
            (distance(&w, c.name) * 2 + prefix, c.name)
        })
        .min()
        .map_or("help", |(_, n)| n)
}

/// Resolve a node name: exact (case-insensitive) name, `n3` style, or a 1-based number for
/// clients (`request 2 ...`) when `clients_by_number`.
pub fn node(word: &str, names: &[String]) -> Result<NodeId, String> {
    let w = word.trim();
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(w)) {
        return Ok(NodeId(i as u32));
    }
    Err(format!(
        "no node `{w}` (nodes: {})",
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `KEY MS` at the start of `fault` (`after 2`, `within 600`): the time and the rest, or `None`
/// and all of `fault` when it does not start with `KEY`.
fn when_option<'a>(
    fault: &'a str,
    key: &str,
    usage: &str,
) -> Result<(Option<Time>, &'a str), String> {
    let fault = fault.trim_start();
    match fault.split_once(char::is_whitespace).unwrap_or((fault, "")) {
        (word, more) if word.eq_ignore_ascii_case(key) => {
            let (ms, fault) = more
                .trim_start()
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("usage: {usage}"))?;
            Ok((Some(millis(ms)?), fault))
        }
        _ => Ok((None, fault)),
    }
}

fn target(word: &str, names: &[String]) -> Result<Target, String> {
    if let Some(role) = Target::role(&word.to_ascii_lowercase()) {
        return Ok(role);
    }
    node(word, names).map(Target::Node)
}

/// Node arguments may contain spaces (`client 1`), so commands taking one node take the rest
/// of the line.
fn rest<'a>(args: &'a str, usage: &str) -> Result<&'a str, String> {
    let a = args.trim();
    if a.is_empty() {
        Err(format!("usage: {usage}"))
    } else {
        Ok(a)
    }
}

fn number<T: std::str::FromStr>(word: &str, what: &str) -> Result<T, String> {
    word.trim()
        .parse()
        .map_err(|_| format!("`{}` is not {what}", word.trim()))
}

fn millis(word: &str) -> Result<Time, String> {
    let w = word.trim().trim_end_matches("ms");
    match w.parse::<f64>() {
        Ok(ms) if ms >= 0.0 && ms.is_finite() => Ok(Time::ms_f64(ms)),
        _ => Err(format!(
            "`{}` is not a time in milliseconds (>= 0)",
            word.trim()
        )),
    }
}

fn probability(word: &str) -> Result<f64, String> {
    match word.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        Ok(p) => Err(format!("a probability must be between 0 and 1, got {p}")),
        Err(_) => Err(format!(
            "`{}` is not a probability (a number from 0 to 1)",
            word.trim()
        )),
    }
}

fn no_args(args: &str, usage: &str) -> Result<(), String> {
    if args.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("usage: {usage} (no arguments)"))
    }
}

/// Split `request`'s arguments: the client name may contain a space (`client 1 put a v`), so
/// find the operation word.
fn request(args: &str, names: &[String]) -> Result<Command, String> {
    const USAGE: &str = "usage: request CLIENT put|get|delete KEY [VALUE]";
    let words: Vec<&str> = args.split_whitespace().collect();
    let Some(op_at) = words
        .iter()
        .position(|w| ["put", "get", "delete"].contains(&w.to_ascii_lowercase().as_str()))
    else {
        return Err(USAGE.into());
    };
    if op_at == 0 {
        return Err(USAGE.into());
    }
    let who = words[..op_at].join(" ");
    let client = match node(&who, names) {
        Ok(id) => id,
        Err(e) => match who.parse::<usize>() {
            Ok(n) => node(&format!("client {n}"), names).map_err(|_| e)?,
            Err(_) => return Err(e),
        },
    };
    let f = words[op_at].to_ascii_lowercase();
    let operands = &words[op_at + 1..];
    let op = match (f.as_str(), operands) {
        ("put", [key, value]) => ClientOp {
            f,
            key: key.to_string(),
            value: Some(value.to_string()),
        },
        ("get" | "delete", [key]) => ClientOp {
            f,
            key: key.to_string(),
            value: None,
        },
        ("put", _) => return Err("put takes a KEY and a VALUE".into()),
        _ => return Err(format!("{f} takes a KEY only")),
    };
    Ok(Command::Request(client, op))
}

/// Parse one line.
pub fn parse(line: &str, names: &[String]) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    // The OCaml simulator's prompt took `/help`; accept the slash.
    let line = line.strip_prefix('/').unwrap_or(line);
    let (word, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let Some(spec) = lookup(word) else {
        return Err(format!(
            "unknown command `{word}`; did you mean `{}`? (`help` lists them)",
            closest(word)
        ));
    };
    let usage = spec.usage;
    let count = |args: &str| -> Result<u64, String> {
        if args.trim().is_empty() {
            Ok(1)
        } else {
            number::<u64>(args, "a number of events")
        }
    };
    let words: Vec<&str> = args.split_whitespace().collect();
    let cmd = match spec.name {
        "step" => Command::Step(count(args)?),
        "back" => Command::Back(count(args)?),
        "run" => Command::Run(match words.as_slice() {
            [] => Until::End,
            ["until", what] => match what.to_ascii_lowercase().as_str() {
                "decided" | "decision" => Until::Decided,
                "leader" => Until::Leader,
                "done" => Until::Done,
                _ => Until::At(millis(what).map_err(|e| {
                    format!("{e}; `run until` takes decided, leader, done or a time in ms")
                })?),
            },
            [ms] => Until::For(millis(ms)?),
            _ => return Err(format!("usage: {usage}")),
        }),
        "goto" => match words.as_slice() {
            [ms] => Command::Goto(millis(ms)?),
            _ => return Err(format!("usage: {usage}")),
        },
        "status" => no_args(args, usage).map(|_| Command::Status)?,
        "queue" => no_args(args, usage).map(|_| Command::Queue)?,
        "history" => no_args(args, usage).map(|_| Command::History)?,
        "check" => no_args(args, usage).map(|_| Command::Check)?,
        "legend" => no_args(args, usage).map(|_| Command::Legend)?,
        "heal" => no_args(args, usage).map(|_| Command::Fault(Fault::Heal))?,
        "quit" => Command::Quit,
        "inspect" => Command::Inspect(node(rest(args, usage)?, names)?),
        "deliver" | "drop" | "fire" => {
            let id = match words.as_slice() {
                [id] => number::<u64>(id.trim_start_matches('#'), "a queue id")?,
                _ => return Err(format!("usage: {usage}")),
            };
            match spec.name {
                "deliver" => Command::Deliver(id),
                "drop" => Command::Drop(id),
                _ => Command::Fire(id),
            }
        }
        "crash" => Command::Fault(Fault::Crash(target(rest(args, usage)?, names)?)),
        "restart" => Command::Fault(Fault::Restart(target(rest(args, usage)?, names)?)),
        "hold" => Command::Fault(Fault::Hold(target(rest(args, usage)?, names)?)),
        "release" => Command::Fault(Fault::Release(target(rest(args, usage)?, names)?)),
        "slow" => {
            let a = rest(args, usage)?;
            let Some((who, factor)) = a.rsplit_once(char::is_whitespace) else {
                return Err(format!("usage: {usage}"));
            };
            let factor: f64 = number(factor, "a factor")?;
            if !(factor > 0.0 && factor.is_finite()) {
                return Err(format!("the factor must be > 0, got {factor}"));
            }
            Command::Fault(Fault::Slow(target(who, names)?, factor))
        }
        "partition" => {
            let groups: Vec<Vec<Target>> = rest(args, usage)?
                .split('|')
                .map(|g| {
                    g.split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(|n| target(n, names))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<_, _>>()?;
            if groups.len() < 2 || groups.iter().any(Vec::is_empty) {
                return Err(
                    "a partition needs at least two non-empty groups: partition n1,n2 | n3,n4,n5"
                        .into(),
                );
            }
            Command::Fault(Fault::Partition(groups))
        }
        "loss" => match words.as_slice() {
            [p] => Command::Fault(Fault::Loss(probability(p)?)),
            _ => return Err(format!("usage: {usage}")),
        },
        "duplicate" => match words.as_slice() {
            [p] => Command::Fault(Fault::Duplicate(probability(p)?)),
            _ => return Err(format!("usage: {usage}")),
        },
        "request" => request(args, names)?,
        "when" => {
            let (moment, fault) = rest(args, usage)?
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("usage: {usage}"))?;
            let Some(on) = On::named(&moment.to_ascii_lowercase()) else {
                return Err(format!(
                    "unknown moment `{moment}` (valid: leads, seeks, votes)"
                ));
            };
            // `after MS` and `within MS`, in that order, each optional.
            let (after, fault) = when_option(fault, "after", usage)?;
            let (within, fault) = when_option(fault, "within", usage)?;
            let after = after.unwrap_or(Time::ZERO);
            let not_a_fault = || {
                format!(
                    "`when` arms one fault (crash, restart, partition, heal, hold, release, slow, loss, duplicate), not `{}`",
                    fault.trim()
                )
            };
            match parse(fault, names) {
                // A scenario's fault waits for one moment: a nested `when` could not be saved.
                Ok(Command::Fault(Fault::When { .. })) => {
                    return Err("`when` cannot be nested: a fault waits for one moment".into());
                }
                Ok(Command::Fault(f)) => Command::Fault(Fault::When {
                    on,
                    after,
                    within,
                    fault: Box::new(f),
                }),
                Ok(_) => return Err(not_a_fault()),
                Err(e) if e.starts_with("unknown command") => return Err(not_a_fault()),
                Err(e) => return Err(e),
            }
        }
        "log" => match words.as_slice() {
            [] => Command::Log(None),
            [l] => Command::Log(Some(l.parse::<Level>()?)),
            _ => return Err(format!("usage: {usage}")),
        },
        "trace" => Command::Trace(rest(args, usage)?.to_string()),
        "save" => Command::Save(rest(args, usage)?.to_string()),
        "help" => Command::Help(words.first().map(|w| w.to_string())),
        other => return Err(format!("`{other}` is not implemented")),
    };
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["n1", "n2", "n3", "client 1", "client 2"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn commands_and_aliases_parse() {
        let n = names();
        assert_eq!(parse("step", &n), Ok(Command::Step(1)));
        assert_eq!(parse("s 5", &n), Ok(Command::Step(5)));
        assert_eq!(parse("run", &n), Ok(Command::Run(Until::End)));
        assert_eq!(
            parse("run until decided", &n),
            Ok(Command::Run(Until::Decided))
        );
        assert_eq!(
            parse("run until 1500", &n),
            Ok(Command::Run(Until::At(Time::ms(1500))))
        );
        assert_eq!(
            parse("run 20ms", &n),
            Ok(Command::Run(Until::For(Time::ms(20))))
        );
        assert_eq!(
            parse("crash leader", &n),
            Ok(Command::Fault(Fault::Crash(Target::Leader)))
        );
        assert_eq!(
            parse("partition n1,n2 | n3", &n),
            Ok(Command::Fault(Fault::Partition(vec![
                vec![Target::Node(NodeId(0)), Target::Node(NodeId(1))],
                vec![Target::Node(NodeId(2))]
            ])))
        );
        assert_eq!(
            parse("request 2 put a v", &n),
            Ok(Command::Request(
                NodeId(4),
                ClientOp {
                    f: "put".into(),
                    key: "a".into(),
                    value: Some("v".into())
                }
            ))
        );
        assert_eq!(
            parse("req client 1 get a", &n).map(|c| matches!(c, Command::Request(NodeId(3), _))),
            Ok(true)
        );
        assert_eq!(
            parse("slow client 2 3", &n),
            Ok(Command::Fault(Fault::Slow(Target::Node(NodeId(4)), 3.0)))
        );
        assert_eq!(
            parse("when votes crash voter", &n),
            Ok(Command::Fault(Fault::When {
                on: On::Votes,
                after: Time::ZERO,
                within: None,
                fault: Box::new(Fault::Crash(Target::Voter)),
            }))
        );
        assert_eq!(
            parse("when leads after 2.5 partition leader | n2", &n),
            Ok(Command::Fault(Fault::When {
                on: On::Leads,
                after: Time::micros(2_500),
                within: None,
                fault: Box::new(Fault::Partition(vec![
                    vec![Target::Leader],
                    vec![Target::Node(NodeId(1))]
                ])),
            }))
        );
        assert_eq!(
            parse("when VOTES  After\t2ms crash client 1", &n),
            Ok(Command::Fault(Fault::When {
                on: On::Votes,
                after: Time::ms(2),
                within: None,
                fault: Box::new(Fault::Crash(Target::Node(NodeId(3)))),
            }))
        );
        assert_eq!(
            parse("when seeks after 3 within 600 hold seeker", &n),
            Ok(Command::Fault(Fault::When {
                on: On::Seeks,
                after: Time::ms(3),
                within: Some(Time::ms(600)),
                fault: Box::new(Fault::Hold(Target::Seeker)),
            }))
        );
        assert_eq!(
            parse("when votes within 50 crash voter", &n),
            Ok(Command::Fault(Fault::When {
                on: On::Votes,
                after: Time::ZERO,
                within: Some(Time::ms(50)),
                fault: Box::new(Fault::Crash(Target::Voter)),
            }))
        );
        assert_eq!(parse("  # a comment", &n), Ok(Command::Nothing));
        assert_eq!(parse("/help", &n), Ok(Command::Help(None)));
    }

    #[test]
    fn bad_input_is_a_one_line_error() {
        let n = names();
        for (line, want) in [
            ("stpe", "unknown command `stpe`; did you mean `step`?"),
            ("stauts", "did you mean `status`?"),
            (
                "crash n9",
                "no node `n9` (nodes: n1, n2, n3, client 1, client 2)",
            ),
            ("partition n1,n2", "at least two non-empty groups"),
            ("partition n1 | ", "at least two non-empty groups"),
            ("loss 1.5", "a probability must be between 0 and 1, got 1.5"),
            ("duplicate -0.1", "between 0 and 1"),
            ("loss x", "is not a probability"),
            ("deliver", "usage: deliver ID"),
            ("deliver abc", "`abc` is not a queue id"),
            ("step -2", "`-2` is not a number of events"),
            ("slow n1 0", "the factor must be > 0"),
            ("request client 1 put a", "put takes a KEY and a VALUE"),
            ("request n7 get a", "no node `n7`"),
            ("run until never", "`run until` takes decided, leader, done"),
            ("log loud", "unknown log level `loud`"),
            ("status now", "no arguments"),
            ("when", "usage: when leads|seeks|votes"),
            ("when leads", "usage: when leads|seeks|votes"),
            (
                "when wins crash n1",
                "unknown moment `wins` (valid: leads, seeks, votes)",
            ),
            ("when seeks after x crash n1", "`x` is not a time"),
            ("when seeks within soon crash n1", "`soon` is not a time"),
            ("when seeks within 5", "usage: when leads|seeks|votes"),
            ("when seeks step 3", "`when` arms one fault"),
            ("when leads transfer n2", "`when` arms one fault"),
            (
                "when leads when votes crash voter",
                "`when` cannot be nested",
            ),
            ("when leads after", "usage: when leads|seeks|votes"),
            ("when votes crash n9", "no node `n9`"),
        ] {
            let got = parse(line, &n).unwrap_err();
            assert!(got.contains(want), "{line}: {got}");
            assert!(!got.contains('\n'), "{line}: one line");
        }
    }

    #[test]
    fn every_command_has_help() {
        for c in COMMANDS {
            assert!(
                !c.summary.is_empty() && c.usage.starts_with(c.name),
                "{}",
                c.name
            );
        }
    }
}
