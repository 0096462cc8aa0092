//! The vocabulary of what happens in a run: narration levels, client operations and their
//! results, and the structured protocol events that checkers and viewers rely on.
//!
//! These are the pieces of the trace contract that processes produce. The simulator adds the
//! rest (start, crash, send, deliver, drop, timer, fault) and writes the whole as JSON lines;
//! docs/trace.md documents the format.

use crate::ids::NodeId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How much a line of narration matters. A run prints the lines at or above its `--log-level`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something is wrong (a safety violation, an impossible input).
    Error,
    /// Something unusual that a reader should notice (a timeout, a step-down).
    Warn,
    /// The story of the run: what each actor decides and why, and client results.
    Info,
    /// Adds every message sent and delivered.
    Debug,
    /// Adds timers and the simulator's own bookkeeping.
    Trace,
}

impl Level {
    /// All levels, most severe first.
    pub const ALL: [Level; 5] = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// The lowercase name used on the command line and in the trace.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        Level::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown log level `{s}` (expected error, warn, info, debug or trace)")
            })
    }
}

/// A client operation as it appears in the history: a function name and its arguments.
///
/// synod's stores use `put` (key, value), `get` (key) and `delete` (key); the linearizability
/// checker interprets them with the model it is given.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientOp {
    /// The operation: `put`, `get`, `delete`.
    pub f: String,
    /// The key it acts on.
    pub key: String,
    /// The value written, for operations that write one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl fmt::Display for ClientOp {
    /// `PUT "a" = "val_3"`, `GET "b"`, as the emulations print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.f.to_uppercase(), self.key)?;
        if let Some(v) = &self.value {
            write!(f, " = {v:?}")?;
        }
        Ok(())
    }
}

/// How a client operation ended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClientResult {
    /// It took effect; `value` is what a read returned.
    Ok {
        /// The value read, for reads.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// It took effect as a failure the store defines (for example `key not found: a`).
    Error {
        /// The store's exact error string.
        error: String,
    },
    /// The client gave up (timeout): the operation may or may not have taken effect.
    Unknown,
}

impl fmt::Display for ClientResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientResult::Ok { value: Some(v) } => write!(f, "{v:?}"),
            ClientResult::Ok { value: None } => f.write_str("OK"),
            ClientResult::Error { error } => write!(f, "ERROR {error}"),
            ClientResult::Unknown => f.write_str("UNKNOWN (timed out)"),
        }
    }
}

/// What a role change says about leadership: the one part of a role that the checkers, the
/// simulator (a fault aimed at `leader`), the REPL and the games read. Role names are the
/// protocol's own (`leader`, `primary`, `candidate`, `standby`) and nothing matches on them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leadership {
    /// The node now leads in the epoch. Election safety: at most one node leads per epoch.
    Leads,
    /// The node tries to become leader in the epoch (a candidate, a proposer in Phase 1).
    Seeks,
    /// The node neither leads nor tries to (a follower, a leader that stepped down).
    Follows,
}

impl Leadership {
    /// `leads`, `seeks`, `follows`: as the JSON trace writes it.
    pub fn name(self) -> &'static str {
        match self {
            Leadership::Leads => "leads",
            Leadership::Seeks => "seeks",
            Leadership::Follows => "follows",
        }
    }
}

/// A structured event a protocol emits for checkers and viewers (the trace contract).
///
/// Values are borrowed and rendered only if someone listens, so emitting them costs nothing
/// when tracing and checking are off.
#[derive(Clone, Copy)]
pub enum ProtocolEvent<'a> {
    /// A learner learns the chosen value of `instance` (single-decree Paxos: instance 0;
    /// Multi-Paxos: the slot).
    Decide {
        /// The slot or instance.
        instance: u64,
        /// The chosen value or command.
        value: &'a dyn fmt::Display,
    },
    /// A replica applies a command to its state machine at a slot or log index.
    Apply {
        /// The slot or log index.
        index: u64,
        /// The command applied.
        command: &'a dyn fmt::Display,
        /// What the state machine answered.
        result: &'a dyn fmt::Display,
    },
    /// A node takes a role (`leader`, `follower`, `candidate`, `proposer`, ...) in an epoch
    /// (a ballot or a term).
    Role {
        /// The role's name, the protocol's own.
        role: &'static str,
        /// The ballot or term, as printed.
        epoch: &'a dyn fmt::Display,
        /// What the role means for leadership.
        leadership: Leadership,
    },
    /// Raft's commit index advances to `index`.
    Commit {
        /// The new commit index.
        index: u64,
    },
    /// A node discards `count` log entries it had not committed, from index `from` on: a
    /// leader's log overrode them (Raft's conflicting suffix, a view change's truncation).
    Truncate {
        /// The first index discarded.
        from: u64,
        /// How many.
        count: u64,
    },
    /// A node that was behind catches up on entries `from..=to` that were committed without it
    /// (a Raft follower back from a crash or a partition receives them, a Multi-Paxos replica
    /// asks for the gap).
    CatchUp {
        /// The first entry received.
        from: u64,
        /// The last.
        to: u64,
    },
    /// A node gives its vote to `candidate`, which seeks to lead in `epoch`: a Raft vote
    /// granted, a Paxos acceptor's promise (p1b), a VR replica's `DoViewChange` to the new
    /// primary. A vote is what a node must remember across a crash (Raft's `votedFor`, an
    /// acceptor's promise), so faults may wait for it (`when = "votes"`); it is not written
    /// to traces.
    Vote {
        /// The node voted for.
        candidate: NodeId,
        /// The ballot, term or view, as printed.
        epoch: &'a dyn fmt::Display,
    },
    /// A retried client request is recognized and not executed again (exactly-once).
    Dedup {
        /// The client.
        client: NodeId,
        /// Its request id.
        req_id: u64,
    },
}

/// A client's record of an operation, which makes the history the linearizability checker reads.
#[derive(Clone, Copy, Debug)]
pub enum ClientEvent<'a> {
    /// The client issues operation `op_id`.
    Invoke {
        /// Unique per client.
        op_id: u64,
        /// The operation.
        op: &'a ClientOp,
    },
    /// Operation `op_id` ends.
    Return {
        /// The id given at invocation.
        op_id: u64,
        /// How it ended.
        result: &'a ClientResult,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!("DEBUG".parse::<Level>(), Ok(Level::Debug));
        assert!(Level::Error < Level::Info);
        assert!(
            "loud"
                .parse::<Level>()
                .unwrap_err()
                .contains("expected error, warn")
        );
    }

    #[test]
    fn ops_print_like_the_emulations() {
        let op = ClientOp {
            f: "put".into(),
            key: "a".into(),
            value: Some("val_3".into()),
        };
        assert_eq!(op.to_string(), r#"PUT "a" = "val_3""#);
        let r = ClientResult::Error {
            error: "key not found: a".into(),
        };
        assert_eq!(r.to_string(), "ERROR key not found: a");
    }
}
