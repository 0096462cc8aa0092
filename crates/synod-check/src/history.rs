//! Histories: the operations clients invoked, what they returned, and when.
//!
//! A [`History`] is a list of [`Operation`]s, each with the client that issued it, its input
//! (`f`, an optional `key`, a `value`), its [`Output`], and two points in the history's order of
//! events: `call` (invocation) and `ret` (return). Operation A precedes operation B in real time
//! when `A.ret < B.call`; equal points count as concurrent. An operation that never returned
//! (`ret` is `None`) or returned [`Output::Unknown`] may or may not have taken effect, at any
//! point after its invocation: the checker allows both.
//!
//! Three parsers build histories from text, and take a file name only for their messages (this
//! crate does no IO; the CLI reads the files):
//!
//! - [`parse_trace`]: synod's JSON-lines trace (`invoke` and `return` events);
//! - [`parse_jepsen_log`]: Jepsen's log lines, `INFO  jepsen.util - 3 :invoke :cas [1 2]`;
//! - [`parse_edn`]: Jepsen history maps, `{:process 0, :type :invoke, :f :read, :value nil}`,
//!   one per line, as Jepsen's `history.edn` and Porcupine's test data write them.
//!
//! In every parsed history, `call` and `ret` are 1-based line numbers of the file, so an
//! explanation points straight at the lines to read.

use crate::edn::{self, Edn};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use synod_core::{ClientOp, ClientResult, NodeId};

/// A value in an operation's input or output: Jepsen's EDN values and synod's strings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// No value: a read's input, a read of an empty register.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string (synod's keys and values are strings).
    Str(String),
    /// An EDN keyword or symbol, without its colon: `timed-out`.
    Keyword(String),
    /// A vector or list: a cas's `[from to]`, Jepsen's independent `[key value]` tuples.
    List(Vec<Value>),
}

impl fmt::Display for Value {
    /// EDN notation: `nil`, `3`, `"val_3"`, `:timed-out`, `[1 2]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The history value of an EDN value; maps and floats have none.
fn value_of(edn: &Edn) -> Result<Value, String> {
    Ok(match edn {
        Edn::Nil => Value::Nil,
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Int(i) => Value::Int(*i),
        Edn::Str(s) => Value::Str(s.clone()),
        Edn::Keyword(k) => Value::Keyword(k.clone()),
        Edn::Symbol(s) => Value::Keyword(s.clone()),
        Edn::Seq(items) => Value::List(items.iter().map(value_of).collect::<Result<Vec<_>, _>>()?),
        Edn::Float(f) => return Err(format!("floating-point value {f} is not supported")),
        Edn::Map(_) => return Err("a map is not supported as an operation value".into()),
    })
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Output {
    /// It returned successfully (Jepsen `:ok`); `value` is what it returned (a read's value),
    /// `Nil` if nothing.
    Ok {
        /// The returned value.
        value: Value,
    },
    /// It returned a definite failure (Jepsen `:fail`, a synod store's error). `error` is the
    /// store's error string where there is one (`key not found: a`). What a failure means is
    /// the model's business: synod's KV errors are observations; a Jepsen `:fail` of a cas is a
    /// cas whose compare failed, of a read or write an operation that did not happen.
    Fail {
        /// The error string, if the history records one.
        error: Option<String>,
    },
    /// Indefinite (Jepsen `:info`, a synod client's timeout): it may or may not have taken
    /// effect, at any time after its invocation.
    Unknown,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Ok { value: Value::Nil } => f.write_str("ok"),
            Output::Ok { value } => write!(f, "ok {value}"),
            Output::Fail { error: None } => f.write_str("fail"),
            Output::Fail { error: Some(e) } => write!(f, "error: {e}"),
            Output::Unknown => f.write_str("unknown"),
        }
    }
}

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The client (Jepsen's process, synod's client node) that issued it.
    pub client: u64,
    /// The function: `put`, `get`, `delete`, `read`, `write`, `cas`, ...
    pub f: String,
    /// The key it acts on, where the history names one.
    pub key: Option<String>,
    /// Its argument (`Nil` if none).
    pub value: Value,
    /// How it ended.
    pub output: Output,
    /// Where it was invoked, in the history's order of events (a line number in parsed files).
    pub call: u64,
    /// Where it returned; `None` if it never did.
    pub ret: Option<u64>,
}

impl Operation {
    /// True if the operation may or may not have taken effect: it never returned, or returned
    /// an indefinite result.
    pub fn is_pending(&self) -> bool {
        self.ret.is_none() || self.output == Output::Unknown
    }

    /// The input alone: `cas [1 2]`, `put "a" "val_3"`, `read`.
    pub fn input(&self) -> String {
        let mut s = self.f.clone();
        if let Some(k) = &self.key {
            s.push_str(&format!(" {k:?}"));
        }
        if self.value != Value::Nil {
            s.push_str(&format!(" {}", self.value));
        }
        s
    }
}

impl fmt::Display for Operation {
    /// `client 3: cas [1 2] -> fail`, `client 5: get "a" -> ok "val_3"`,
    /// `client 7: write 4 -> (no return)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {}: {} -> ", self.client, self.input())?;
        if self.ret.is_none() {
            f.write_str("(no return)")
        } else {
            write!(f, "{}", self.output)
        }
    }
}

/// A client history: the operations of a file or a run, ordered by invocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Where it came from (a file name), for messages.
    pub name: String,
    /// The operations, in order of invocation.
    pub operations: Vec<Operation>,
}

/// Why a history could not be read. Every message names the file and, where there is one, the
/// line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// A line that does not have the format's shape.
    #[error("{file}:{line}: malformed line: {reason}")]
    Malformed {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A return, `:ok`, `:fail` or `:info` for a client with no outstanding operation.
    #[error("{file}:{line}: client {client} returns, but has no outstanding operation")]
    ReturnWithoutInvoke {
        /// The file.
        file: String,
        /// The line of the return.
        line: u64,
        /// The client.
        client: u64,
    },
    /// An invocation by a client whose previous operation has not returned.
    #[error(
        "{file}:{line}: client {client} invokes an operation while its operation from {file}:{previous} is still outstanding (a client has at most one at a time)"
    )]
    TwoOutstanding {
        /// The file.
        file: String,
        /// The line of the second invocation.
        line: u64,
        /// The client.
        client: u64,
        /// The line of the outstanding invocation.
        previous: u64,
    },
    /// A return that does not match the client's outstanding invocation.
    #[error("{file}:{line}: {reason}")]
    Mismatch {
        /// The file.
        file: String,
        /// The line of the return.
        line: u64,
        /// What does not match.
        reason: String,
    },
    /// The format could not be recognised.
    #[error(
        "{file}: unknown history format ({reason}); expected a synod trace, Jepsen log lines or Jepsen EDN maps (or pass --format)"
    )]
    UnknownFormat {
        /// The file.
        file: String,
        /// What was seen.
        reason: String,
    },
}

/// The input formats.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// synod's JSON-lines trace.
    Trace,
    /// Jepsen log lines (`INFO  jepsen.util - 0 :invoke :read nil`).
    JepsenLog,
    /// Jepsen EDN maps, one per line.
    Edn,
}

impl Format {
    /// All formats.
    pub const ALL: [Format; 3] = [Format::Trace, Format::JepsenLog, Format::Edn];

    /// The name used on the command line: `trace`, `jepsen-log`, `edn`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Trace => "trace",
            Format::JepsenLog => "jepsen-log",
            Format::Edn => "edn",
        }
    }

    /// Parses `text` (the contents of `name`) in this format.
    pub fn parse(self, name: &str, text: &str) -> Result<History, HistoryError> {
        match self {
            Format::Trace => parse_trace(name, text),
            Format::JepsenLog => parse_jepsen_log(name, text),
            Format::Edn => parse_edn(name, text),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|fmt| fmt.name() == s)
            .ok_or_else(|| format!("unknown format `{s}` (expected trace, jepsen-log or edn)"))
    }
}

/// Recognises the format of `text` from its first non-blank line: a JSON object is a synod
/// trace, an EDN map (`{:`) is a Jepsen EDN history, a `jepsen.util` log line a Jepsen log.
pub fn detect_format(name: &str, text: &str) -> Result<Format, HistoryError> {
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Err(HistoryError::UnknownFormat {
            file: name.to_string(),
            reason: "the file is empty".into(),
        });
    };
    let after_brace = first
        .strip_prefix('{')
        .map(|rest| rest.trim_start_matches([' ', ',']));
    match after_brace {
        Some(rest) if rest.starts_with('"') || rest.starts_with('}') => Ok(Format::Trace),
        Some(rest) if rest.starts_with(':') => Ok(Format::Edn),
        _ if first.starts_with("#jepsen") => Ok(Format::Edn),
        _ if first.contains("jepsen.util") => Ok(Format::JepsenLog),
        _ => Err(HistoryError::UnknownFormat {
            file: name.to_string(),
            reason: format!(
                "its first line starts `{}`",
                first.chars().take(40).collect::<String>()
            ),
        }),
    }
}

/// Parses `text` in the format `detect_format` recognises.
pub fn parse_auto(name: &str, text: &str) -> Result<History, HistoryError> {
    detect_format(name, text)?.parse(name, text)
}

/// Builds a history from invocations and returns, as they happen, checking that each client
/// has at most one operation outstanding and that every return matches an invocation.
///
/// The parsers use it; so can a driver that records a run's history without writing a trace
/// (pass the trace's sequence numbers as points). The `at` of each call is the operation's
/// point in the order of events and also the "line" of error messages.
#[derive(Debug, Default)]
pub struct HistoryBuilder {
    history: History,
    /// Each client's outstanding operation: (index in `operations`, op id if any).
    outstanding: BTreeMap<u64, (usize, Option<u64>)>,
}

impl HistoryBuilder {
    /// An empty history called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        HistoryBuilder {
            history: History {
                name: name.into(),
                operations: Vec::new(),
            },
            outstanding: BTreeMap::new(),
        }
    }

    /// Client `client` invokes an operation at point `at`. `op_id`, if the history has them,
    /// must be given again on the return.
    pub fn invoke(
        &mut self,
        client: u64,
        op_id: Option<u64>,
        f: impl Into<String>,
        key: Option<String>,
        value: Value,
        at: u64,
    ) -> Result<(), HistoryError> {
        if let Some(&(prev, _)) = self.outstanding.get(&client) {
            return Err(HistoryError::TwoOutstanding {
                file: self.history.name.clone(),
                line: at,
                client,
                previous: self.history.operations[prev].call,
            });
        }
        self.outstanding
            .insert(client, (self.history.operations.len(), op_id));
        self.history.operations.push(Operation {
            client,
            f: f.into(),
            key,
            value,
            output: Output::Unknown,
            call: at,
            ret: None,
        });
        Ok(())
    }

    /// Client `client`'s outstanding operation returns `output` at point `at`. If `f` is given
    /// it must be the invoked function; if `op_id` is given, the invoked id.
    pub fn complete(
        &mut self,
        client: u64,
        op_id: Option<u64>,
        f: Option<&str>,
        output: Output,
        at: u64,
    ) -> Result<(), HistoryError> {
        let file = || self.history.name.clone();
        let Some(&(index, invoked_id)) = self.outstanding.get(&client) else {
            return Err(HistoryError::ReturnWithoutInvoke {
                file: file(),
                line: at,
                client,
            });
        };
        let op = &self.history.operations[index];
        if op_id.is_some() && op_id != invoked_id {
            return Err(HistoryError::Mismatch {
                file: file(),
                line: at,
                reason: format!(
                    "client {client} returns op {} but its outstanding operation is op {} (line {})",
                    op_id.unwrap_or_default(),
                    invoked_id.map_or_else(|| "without id".to_string(), |i| i.to_string()),
                    op.call
                ),
            });
        }
        if let Some(f) = f
            && f != op.f
        {
            return Err(HistoryError::Mismatch {
                file: file(),
                line: at,
                reason: format!(
                    "client {client} completes `{f}` but invoked `{}` at line {}",
                    op.f, op.call
                ),
            });
        }
        self.outstanding.remove(&client);
        let op = &mut self.history.operations[index];
        op.output = output;
        op.ret = Some(at);
        Ok(())
    }

    /// synod's client `invoke` event: operation `op_id` of `client`.
    pub fn invoke_client_op(
        &mut self,
        client: NodeId,
        op_id: u64,
        op: &ClientOp,
        at: u64,
    ) -> Result<(), HistoryError> {
        let (f, key, value) = client_op_fields(op);
        self.invoke(u64::from(client.0), Some(op_id), f, key, value, at)
    }

    /// synod's client `return` event: operation `op_id` of `client` ended with `result`.
    pub fn complete_client_op(
        &mut self,
        client: NodeId,
        op_id: u64,
        result: &ClientResult,
        at: u64,
    ) -> Result<(), HistoryError> {
        let output = client_output(result);
        self.complete(u64::from(client.0), Some(op_id), None, output, at)
    }

    /// The history. Operations still outstanding never returned.
    pub fn finish(self) -> History {
        self.history
    }
}

/// The output a synod client's result records.
pub(crate) fn client_output(result: &ClientResult) -> Output {
    match result {
        ClientResult::Ok { value } => Output::Ok {
            value: value.clone().map_or(Value::Nil, Value::Str),
        },
        ClientResult::Error { error } => Output::Fail {
            error: Some(error.clone()),
        },
        ClientResult::Unknown => Output::Unknown,
    }
}

fn malformed(file: &str, line: u64, reason: impl Into<String>) -> HistoryError {
    HistoryError::Malformed {
        file: file.to_string(),
        line,
        reason: reason.into(),
    }
}

/// The fields of a trace line every event has (only `kind` and `node` are used).
#[derive(Deserialize)]
struct TraceLine<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
}

#[derive(Deserialize)]
struct TraceInvoke {
    node: u32,
    op_id: u64,
    op: ClientOp,
}

#[derive(Deserialize)]
struct TraceReturn {
    node: u32,
    op_id: u64,
    result: ClientResult,
}

#[derive(Deserialize)]
struct TraceHeader<'a> {
    #[serde(borrow)]
    schema: Option<Cow<'a, str>>,
    version: Option<u64>,
}

/// Parses synod's JSON-lines trace: a `{"schema":"synod-trace","version":1,...}` header, then
/// one event per line. Only `invoke` and `return` events are read; the client is the event's
/// `node`. Points are line numbers (the trace is in sequence-number order).
pub fn parse_trace(name: &str, text: &str) -> Result<History, HistoryError> {
    let mut builder = HistoryBuilder::new(name);
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let at = i as u64 + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !header_seen {
            let header: TraceHeader<'_> = serde_json::from_str(line)
                .map_err(|e| malformed(name, at, format!("not a synod trace header: {e}")))?;
            if header.schema.as_deref() != Some("synod-trace") {
                return Err(malformed(
                    name,
                    at,
                    "not a synod trace: the first line must be the header {\"schema\":\"synod-trace\",\"version\":1,...}",
                ));
            }
            if header.version != Some(1) {
                return Err(malformed(
                    name,
                    at,
                    format!(
                        "synod trace version {} is not supported (this checker reads version 1)",
                        header
                            .version
                            .map_or("(none)".to_string(), |v| v.to_string())
                    ),
                ));
            }
            header_seen = true;
            continue;
        }
        let event: TraceLine<'_> =
            serde_json::from_str(line).map_err(|e| malformed(name, at, e.to_string()))?;
        match &*event.kind {
            "invoke" => {
                let ev: TraceInvoke = serde_json::from_str(line)
                    .map_err(|e| malformed(name, at, format!("invoke event: {e}")))?;
                builder.invoke_client_op(NodeId(ev.node), ev.op_id, &ev.op, at)?;
            }
            "return" => {
                let ev: TraceReturn = serde_json::from_str(line)
                    .map_err(|e| malformed(name, at, format!("return event: {e}")))?;
                builder.complete_client_op(NodeId(ev.node), ev.op_id, &ev.result, at)?;
            }
            _ => {}
        }
    }
    if !header_seen {
        return Err(malformed(name, 1, "empty trace: no header line"));
    }
    Ok(builder.finish())
}

/// Parses Jepsen log lines: `INFO  jepsen.util - <process> <type> <f> <value>` (fields separated
/// by tabs or spaces; anything before `jepsen.util - ` is ignored). `:nemesis` lines are
/// skipped. On `:ok`, the value is the operation's result; on `:info` (indefinite) and `:fail`
/// it is not kept. Points are line numbers.
pub fn parse_jepsen_log(name: &str, text: &str) -> Result<History, HistoryError> {
    const MARK: &str = "jepsen.util - ";
    let mut builder = HistoryBuilder::new(name);
    for (i, line) in text.lines().enumerate() {
        let at = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some(pos) = line.find(MARK) else {
            return Err(malformed(
                name,
                at,
                "expected `INFO  jepsen.util - <process> <type> <f> <value>` (from a full jepsen.log, keep only the `jepsen.util - ` lines)",
            ));
        };
        let rest = &line[pos + MARK.len()..];
        let Some((process, kind, f, rest)) = split_token(rest).and_then(|(process, rest)| {
            let (kind, rest) = split_token(rest)?;
            let (f, rest) = split_token(rest)?;
            Some((process, kind, f, rest.trim()))
        }) else {
            return Err(malformed(
                name,
                at,
                "expected `<process> <type> <f> <value>` after `jepsen.util - `",
            ));
        };
        if process == ":nemesis" {
            continue;
        }
        let client: u64 = process
            .parse()
            .map_err(|_| malformed(name, at, format!("process `{process}` is not a number")))?;
        let f = f
            .strip_prefix(':')
            .ok_or_else(|| malformed(name, at, format!("function `{f}` is not a keyword")))?;
        let value = if rest.is_empty() {
            Value::Nil
        } else {
            edn::parse_one(rest)
                .and_then(|v| value_of(&v))
                .map_err(|e| malformed(name, at, format!("value `{rest}`: {e}")))?
        };
        apply_jepsen_event(&mut builder, name, at, client, kind, f, None, value, None)?;
    }
    Ok(builder.finish())
}

/// The first whitespace-separated token of `s`, and the rest after it.
fn split_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

/// Records one Jepsen event (`:invoke`, `:ok`, `:fail`, `:info`).
#[allow(clippy::too_many_arguments)]
fn apply_jepsen_event(
    builder: &mut HistoryBuilder,
    name: &str,
    at: u64,
    client: u64,
    kind: &str,
    f: &str,
    key: Option<String>,
    value: Value,
    error: Option<String>,
) -> Result<(), HistoryError> {
    match kind {
        ":invoke" => builder.invoke(client, None, f, key, value, at),
        ":ok" => builder.complete(client, None, Some(f), Output::Ok { value }, at),
        ":fail" => builder.complete(client, None, Some(f), Output::Fail { error }, at),
        ":info" => builder.complete(client, None, Some(f), Output::Unknown, at),
        other => Err(malformed(
            name,
            at,
            format!("type `{other}` is not one of :invoke, :ok, :fail, :info"),
        )),
    }
}

/// Parses Jepsen EDN history maps, one per line:
/// `{:process 0, :type :invoke, :f :read, :value nil}`, with an optional `:key` (Porcupine's
/// KV data) and `:error`; other keys (`:time`, `:index`, ...) are ignored. Maps whose process is
/// not an integer (`:nemesis`) are skipped, as are `;` comments. Points are line numbers.
pub fn parse_edn(name: &str, text: &str) -> Result<History, HistoryError> {
    let mut builder = HistoryBuilder::new(name);
    for (i, line) in text.lines().enumerate() {
        let at = i as u64 + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') {
            continue;
        }
        let map = edn::parse_one(trimmed).map_err(|e| malformed(name, at, e))?;
        if !matches!(map, Edn::Map(_)) {
            return Err(malformed(
                name,
                at,
                "expected a map such as {:process 0, :type :invoke, :f :read, :value nil}",
            ));
        }
        let client = match map.get("process") {
            Some(Edn::Int(p)) if *p >= 0 => *p as u64,
            Some(Edn::Int(p)) => {
                return Err(malformed(name, at, format!(":process {p} is negative")));
            }
            Some(_) => continue, // :nemesis and other non-client processes
            None => return Err(malformed(name, at, "missing :process")),
        };
        let kind = match map.get("type") {
            Some(Edn::Keyword(k)) => format!(":{k}"),
            Some(other) => {
                return Err(malformed(
                    name,
                    at,
                    format!(":type {other:?} is not a keyword"),
                ));
            }
            None => return Err(malformed(name, at, "missing :type")),
        };
        let f = match map.get("f") {
            Some(Edn::Keyword(k) | Edn::Symbol(k) | Edn::Str(k)) => k.clone(),
            Some(other) => return Err(malformed(name, at, format!(":f {other:?} is not a name"))),
            None => return Err(malformed(name, at, "missing :f")),
        };
        let key = match map.get("key") {
            None | Some(Edn::Nil) => None,
            Some(Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s)) => Some(s.clone()),
            Some(Edn::Int(i)) => Some(i.to_string()),
            Some(other) => {
                return Err(malformed(name, at, format!(":key {other:?} is not a key")));
            }
        };
        let value = map
            .get("value")
            .map_or(Ok(Value::Nil), value_of)
            .map_err(|e| malformed(name, at, format!(":value: {e}")))?;
        let error = match map.get("error") {
            None | Some(Edn::Nil) => None,
            Some(Edn::Str(s)) => Some(s.clone()),
            Some(other) => {
                Some(value_of(other).map_or_else(|_| format!("{other:?}"), |v| v.to_string()))
            }
        };
        apply_jepsen_event(&mut builder, name, at, client, &kind, &f, key, value, error)?;
    }
    Ok(builder.finish())
}

/// A synod client operation as the history's fields: its function, its key and its value
/// (`nil` when it has none).
pub(crate) fn client_op_fields(op: &ClientOp) -> (String, Option<String>, Value) {
    let value = op.value.clone().map_or(Value::Nil, Value::Str);
    (op.f.clone(), Some(op.key.clone()), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = r#"{"schema":"synod-trace","version":1,"protocol":"raft","seed":7}
{"seq":1,"time_us":0,"node":0,"kind":"start"}
{"seq":2,"time_us":1500,"node":5,"kind":"invoke","op_id":1,"op":{"f":"put","key":"a","value":"val_3"}}
{"seq":3,"time_us":1600,"node":6,"kind":"invoke","op_id":1,"op":{"f":"get","key":"a"}}
{"seq":4,"time_us":1700,"node":1,"kind":"apply","index":1,"command":"x","result":"ok"}
{"seq":5,"time_us":4100,"node":5,"kind":"return","op_id":1,"result":{"type":"ok"}}
{"seq":6,"time_us":4200,"node":6,"kind":"return","op_id":1,"result":{"type":"ok","value":"val_3"}}
{"seq":7,"time_us":4300,"node":5,"kind":"invoke","op_id":2,"op":{"f":"delete","key":"b"}}
{"seq":8,"time_us":4400,"node":5,"kind":"return","op_id":2,"result":{"type":"error","error":"key not found: b"}}
{"seq":9,"time_us":4500,"node":6,"kind":"invoke","op_id":2,"op":{"f":"get","key":"b"}}
{"seq":10,"time_us":9000,"node":6,"kind":"return","op_id":2,"result":{"type":"unknown"}}
{"seq":11,"time_us":9100,"node":5,"kind":"invoke","op_id":3,"op":{"f":"put","key":"b","value":"v"}}
"#;

    #[test]
    fn trace_gives_client_operations_with_line_points() {
        let h = parse_trace("run.jsonl", TRACE).unwrap();
        assert_eq!(h.operations.len(), 5);
        let put = &h.operations[0];
        assert_eq!(put.to_string(), r#"client 5: put "a" "val_3" -> ok"#);
        assert_eq!((put.call, put.ret), (3, Some(6)));
        assert_eq!(
            h.operations[1].to_string(),
            r#"client 6: get "a" -> ok "val_3""#
        );
        assert_eq!(
            h.operations[2].output,
            Output::Fail {
                error: Some("key not found: b".into())
            }
        );
        assert!(h.operations[3].is_pending());
        assert_eq!(h.operations[3].ret, Some(11));
        assert_eq!(h.operations[4].ret, None);
        assert!(h.operations[4].is_pending());
    }

    #[test]
    fn trace_errors_name_file_and_line() {
        let bad_header = "{\"schema\":\"other\"}\n";
        assert!(
            parse_trace("t.jsonl", bad_header)
                .unwrap_err()
                .to_string()
                .starts_with("t.jsonl:1: malformed line: not a synod trace")
        );
        let no_invoke = "{\"schema\":\"synod-trace\",\"version\":1}\n\
            {\"seq\":1,\"time_us\":1,\"node\":5,\"kind\":\"return\",\"op_id\":1,\"result\":{\"type\":\"ok\"}}\n";
        assert_eq!(
            parse_trace("t.jsonl", no_invoke).unwrap_err().to_string(),
            "t.jsonl:2: client 5 returns, but has no outstanding operation"
        );
        let twice = "{\"schema\":\"synod-trace\",\"version\":1}\n\
            {\"seq\":1,\"time_us\":1,\"node\":5,\"kind\":\"invoke\",\"op_id\":1,\"op\":{\"f\":\"get\",\"key\":\"a\"}}\n\
            {\"seq\":2,\"time_us\":1,\"node\":5,\"kind\":\"invoke\",\"op_id\":2,\"op\":{\"f\":\"get\",\"key\":\"a\"}}\n";
        assert!(matches!(
            parse_trace("t.jsonl", twice),
            Err(HistoryError::TwoOutstanding {
                line: 3,
                previous: 2,
                ..
            })
        ));
        let garbage = "{\"schema\":\"synod-trace\",\"version\":1}\n{not json\n";
        assert!(
            parse_trace("t.jsonl", garbage)
                .unwrap_err()
                .to_string()
                .starts_with("t.jsonl:2: malformed line:")
        );
        let wrong_id = "{\"schema\":\"synod-trace\",\"version\":1}\n\
            {\"seq\":1,\"time_us\":1,\"node\":5,\"kind\":\"invoke\",\"op_id\":1,\"op\":{\"f\":\"get\",\"key\":\"a\"}}\n\
            {\"seq\":2,\"time_us\":1,\"node\":5,\"kind\":\"return\",\"op_id\":2,\"result\":{\"type\":\"ok\"}}\n";
        assert!(
            parse_trace("t.jsonl", wrong_id)
                .unwrap_err()
                .to_string()
                .contains("returns op 2 but its outstanding operation is op 1")
        );
    }

    #[test]
    fn jepsen_log_lines_with_tabs_or_spaces() {
        let text = "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\n\
                    INFO  jepsen.util - 1   :invoke :read   nil\n\
                    INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]\n\
                    INFO  jepsen.util - 1   :ok     :read   3\n\
                    INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n\
                    INFO  jepsen.util - 2\t:invoke\t:write\t4\n\
                    INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n";
        let h = parse_jepsen_log("etcd.log", text).unwrap();
        assert_eq!(h.operations.len(), 3);
        assert_eq!(h.operations[0].to_string(), "client 0: cas [1 2] -> fail");
        assert_eq!(h.operations[1].to_string(), "client 1: read -> ok 3");
        assert_eq!((h.operations[1].call, h.operations[1].ret), (2, Some(4)));
        assert_eq!(h.operations[2].to_string(), "client 2: write 4 -> unknown");
        assert!(h.operations[2].is_pending());
    }

    #[test]
    fn jepsen_log_errors_name_file_and_line() {
        let err = parse_jepsen_log(
            "e.log",
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nhello\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("e.log:2: malformed line:"));
        let err = parse_jepsen_log("e.log", "INFO  jepsen.util - 0\t:ok\t:read\t1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.log:1: client 0 returns, but has no outstanding operation"
        );
        let err = parse_jepsen_log(
            "e.log",
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t1\n",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("completes `write` but invoked `read`")
        );
        let err =
            parse_jepsen_log("e.log", "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("e.log:1: malformed line: value")
        );
        let err =
            parse_jepsen_log("e.log", "INFO  jepsen.util - 0\t:begin\t:read\tnil\n").unwrap_err();
        assert!(err.to_string().contains("`:begin` is not one of"));
    }

    #[test]
    fn edn_maps_with_and_without_keys() {
        let text = "{:process 0, :type :invoke, :f :read, :value nil}\n\
                    {:process :nemesis, :type :info, :f :start, :value nil}\n\
                    {:process 0, :type :ok, :f :read, :value 3, :time 12}\n\
                    ; a comment\n\
                    {:process 1, :type :invoke, :f :get, :key \"6\", :value nil}\n\
                    {:process 1, :type :fail, :f :get, :key \"6\", :error \"key not found: 6\"}\n";
        let h = parse_edn("h.edn", text).unwrap();
        assert_eq!(h.operations.len(), 2);
        assert_eq!(h.operations[0].to_string(), "client 0: read -> ok 3");
        assert_eq!(
            h.operations[1].to_string(),
            "client 1: get \"6\" -> error: key not found: 6"
        );
        let err = parse_edn("h.edn", "{:process 0, :type :invoke, :f :read\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("h.edn:1: malformed line: missing closing")
        );
        let err = parse_edn("h.edn", "{:type :invoke, :f :read}\n").unwrap_err();
        assert_eq!(err.to_string(), "h.edn:1: malformed line: missing :process");
    }

    #[test]
    fn formats_are_detected_from_the_first_line() {
        assert_eq!(detect_format("x", TRACE), Ok(Format::Trace));
        assert_eq!(
            detect_format("x", "\n{:process 0, :type :invoke}"),
            Ok(Format::Edn)
        );
        assert_eq!(
            detect_format("x", "INFO  jepsen.util - 0\t:invoke\t:read\tnil"),
            Ok(Format::JepsenLog)
        );
        assert!(matches!(
            detect_format("x", "hello"),
            Err(HistoryError::UnknownFormat { .. })
        ));
        assert!(matches!(
            detect_format("x", "  \n"),
            Err(HistoryError::UnknownFormat { .. })
        ));
        assert_eq!("jepsen-log".parse::<Format>(), Ok(Format::JepsenLog));
        assert!("csv".parse::<Format>().is_err());
    }
}
