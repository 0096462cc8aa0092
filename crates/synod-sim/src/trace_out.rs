//! The two renderings of a run's events: JSON lines (the trace contract, docs/trace.md) and the
//! narrated human form. Both write to a writer they are given; the caller owns the file.

use std::fmt::Write as _;
use std::io::{self, Write};
use synod_core::view::StateChange;
use synod_core::{Event, EventKind, Level, Observer, TRACE_SCHEMA_VERSION, Violation};

use crate::sim::NodeSpec;

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The header line of a JSON trace: schema, version, seed and the nodes.
pub fn json_header(seed: u64, protocol: &str, nodes: &[NodeSpec]) -> String {
    let mut s = format!(
        "{{\"schema\":\"synod-trace\",\"version\":{TRACE_SCHEMA_VERSION},\"protocol\":{},\"seed\":{seed},\"nodes\":[",
        json_str(protocol)
    );
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            "{{\"id\":{i},\"name\":{},\"role\":{},\"client\":{}}}",
            json_str(&n.name),
            json_str(&n.role),
            n.client
        );
    }
    s.push_str("]}");
    s
}

/// One event as a JSON line (without the newline).
pub fn json_line(ev: &Event<'_>) -> String {
    let mut s = format!("{{\"seq\":{},\"time_us\":{},", ev.seq, ev.time.as_micros());
    if let Some(n) = ev.node {
        let _ = write!(s, "\"node\":{n},");
    }
    let _ = write!(s, "\"kind\":\"{}\"", ev.kind.name());
    match ev.kind {
        EventKind::Start | EventKind::Crash | EventKind::Restart => {}
        EventKind::Send { to, msg_id, msg } => {
            let _ = write!(
                s,
                ",\"to\":{to},\"msg_id\":{msg_id},\"msg_kind\":\"{}\",\"msg\":{}",
                msg.kind(),
                msg.to_json()
            );
        }
        EventKind::Deliver { from, msg_id, msg } => {
            let _ = write!(
                s,
                ",\"from\":{from},\"msg_id\":{msg_id},\"msg_kind\":\"{}\"",
                msg.kind()
            );
        }
        EventKind::Drop {
            to,
            msg_id,
            msg,
            reason,
        } => {
            let _ = write!(
                s,
                ",\"to\":{to},\"msg_id\":{msg_id},\"msg_kind\":\"{}\",\"reason\":\"{reason}\"",
                msg.kind()
            );
        }
        EventKind::Timer { id, timer } => {
            let _ = write!(
                s,
                ",\"timer_id\":{},\"timer\":{}",
                id.0,
                json_str(&format!("{timer:?}"))
            );
        }
        EventKind::Log { level, text } => {
            let _ = write!(
                s,
                ",\"level\":\"{level}\",\"text\":{}",
                json_str(&text.to_string())
            );
        }
        EventKind::Fault { fault } => {
            let _ = write!(s, ",\"fault\":{}", json_str(&fault.to_string()));
        }
        EventKind::Invoke { op_id, op } => {
            let _ = write!(
                s,
                ",\"op_id\":{op_id},\"op\":{}",
                serde_json::to_string(op).unwrap_or_default()
            );
        }
        EventKind::Return { op_id, result } => {
            let _ = write!(
                s,
                ",\"op_id\":{op_id},\"result\":{}",
                serde_json::to_string(result).unwrap_or_default()
            );
        }
        EventKind::Decide { instance, value } => {
            let _ = write!(
                s,
                ",\"instance\":{instance},\"value\":{}",
                json_str(&value.to_string())
            );
        }
        EventKind::Apply {
            index,
            command,
            result,
        } => {
            let _ = write!(
                s,
                ",\"index\":{index},\"command\":{},\"result\":{}",
                json_str(&command.to_string()),
                json_str(&result.to_string())
            );
        }
        EventKind::Role {
            role,
            epoch,
            leadership,
        } => {
            let _ = write!(
                s,
                ",\"role\":{},\"epoch\":{},\"leadership\":\"{}\"",
                json_str(role),
                json_str(&epoch.to_string()),
                leadership.name()
            );
        }
        EventKind::Commit { index } => {
            let _ = write!(s, ",\"index\":{index}");
        }
        EventKind::Truncate { from, count } => {
            // `from` and `to` name nodes in the trace schema: indices go by other names.
            let _ = write!(s, ",\"index\":{from},\"count\":{count}");
        }
        EventKind::CatchUp { from, to } => {
            let _ = write!(s, ",\"first\":{from},\"last\":{to}");
        }
        EventKind::Dedup { client, req_id } => {
            let _ = write!(s, ",\"client\":{},\"req_id\":{req_id}", client.0);
        }
        EventKind::State { changes } => write_state(&mut s, changes),
        EventKind::Note { text } => {
            let _ = write!(s, ",\"text\":{}", json_str(text));
        }
        EventKind::Violation { property, detail } => {
            let _ = write!(
                s,
                ",\"property\":{},\"detail\":{}",
                json_str(property),
                json_str(detail)
            );
        }
    }
    s.push('}');
    s
}

/// The `set` and `unset` fields of a `state` line: a field is `"name":"value"`, a table row
/// `"table/key":["cell",...]`; what is gone is listed by the same keys in `unset`.
fn write_state(s: &mut String, changes: &[StateChange]) {
    let key = |c: &StateChange| match c {
        StateChange::Field { name, .. } => json_str(name),
        StateChange::Row { table, key, .. } => json_str(&format!("{table}/{key}")),
    };
    s.push_str(",\"set\":{");
    let mut first = true;
    for c in changes {
        let value = match c {
            StateChange::Field { value: Some(v), .. } => json_str(v),
            StateChange::Row {
                cells: Some(cells), ..
            } => serde_json::to_string(cells).unwrap_or_else(|_| "[]".into()),
            _ => continue,
        };
        if !first {
            s.push(',');
        }
        first = false;
        let _ = write!(s, "{}:{value}", key(c));
    }
    s.push_str("},\"unset\":[");
    let mut first = true;
    for c in changes {
        let gone = matches!(
            c,
            StateChange::Field { value: None, .. } | StateChange::Row { cells: None, .. }
        );
        if gone {
            if !first {
                s.push(',');
            }
            first = false;
            s.push_str(&key(c));
        }
    }
    s.push(']');
}

/// Streams every event as a JSON line to a writer. The first IO error is kept (and returned
/// by [`JsonTrace::finish`]) and later events are skipped; the run itself goes on.
pub struct JsonTrace<W: Write> {
    out: W,
    error: Option<io::Error>,
}

impl<W: Write> JsonTrace<W> {
    /// Write the header line now; events follow as they happen.
    pub fn new(mut out: W, header: &str) -> io::Result<Self> {
        writeln!(out, "{header}")?;
        Ok(JsonTrace { out, error: None })
    }

    /// Flush, and report the first error met while writing.
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }

    /// The writer (for a trace written to memory).
    pub fn writer(&self) -> &W {
        &self.out
    }
}

impl<W: Write> Observer for JsonTrace<W> {
    fn level(&self) -> Option<Level> {
        Some(Level::Trace)
    }
    fn wants_state(&self) -> bool {
        true
    }
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        if self.error.is_none() {
            let line = json_line(ev);
            if let Err(e) = writeln!(self.out, "{line}") {
                self.error = Some(e);
            }
        }
        Ok(())
    }
}

/// The notations of every narrated run, each with its meaning (see [`legend`]).
pub const LEGEND: &[(&str, &str)] = &[
    (
        "245.0ms [n1]",
        "when (virtual time), and who speaks: a node, as it labels itself",
    ),
    ("[note]", "the scenario's own commentary, at its time"),
    (
        "[observer]",
        "what the whole cluster shows before any node knows: a value chosen, an entry committed",
    ),
    (
        "[fault] ***",
        "a fault of the schedule strikes; *** also marks crashes and restarts",
    ),
    (
        "WARN",
        "something to notice: a timeout, a step-down, a planted BUG at work",
    ),
];

/// The notations a run shows from `debug` on.
pub const LEGEND_DEBUG: &[(&str, &str)] = &[
    ("-> n2: ...", "a message sent to n2"),
    ("<- n2: ...", "a message from n2 arrives"),
    ("-x n2: ...", "a message to n2 is dropped, and why"),
];

/// The legend printed once at the start of a narrated run: the notations every run shares
/// (with the message arrows from `debug` on), then the protocol's own.
pub fn legend(protocol: &[(&str, &str)], level: Level) -> String {
    let debug: &[(&str, &str)] = if level >= Level::Debug {
        LEGEND_DEBUG
    } else {
        &[]
    };
    let all: Vec<&(&str, &str)> = LEGEND.iter().chain(debug).chain(protocol).collect();
    let width = all
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::from("legend:\n");
    for (notation, meaning) in all {
        let _ = writeln!(out, "  {notation:<width$}  {meaning}");
    }
    out
}

/// The widest line of a note's text in the narration.
pub const NOTE_WIDTH: usize = 80;

/// `text` in lines of at most `width` characters, broken at spaces (a longer word stands alone).
/// The narration wraps notes with it; `synod view --svg` the notes it lists under the picture.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Renders one event in the narrated human form, or `None` if it is not shown at `level`.
///
/// `warn` shows the scenario's notes, faults, crashes and restarts and the warnings; `info`
/// adds the narration; `debug` adds every message sent, delivered and dropped; `trace` adds
/// timers and the protocol events.
pub fn human_line(
    ev: &Event<'_>,
    level: Level,
    label_width: usize,
    names: &[String],
) -> Option<String> {
    let name = |n: synod_core::NodeId| {
        names
            .get(n.index())
            .cloned()
            .unwrap_or_else(|| format!("#{n}"))
    };
    let who = match ev.kind {
        EventKind::Note { .. } => "[note]".to_string(),
        _ if ev.node.is_some() || !ev.label.is_empty() => format!("[{}]", ev.label),
        _ => "[fault]".to_string(),
    };
    let text = match ev.kind {
        EventKind::Log { level: l, text } if l <= level => match l {
            Level::Error => format!("ERROR {text}"),
            Level::Warn => format!("WARN {text}"),
            _ => text.to_string(),
        },
        EventKind::Fault { fault } if level >= Level::Warn => format!("*** {fault}"),
        EventKind::Note { text } if level >= Level::Warn => {
            // A note is prose: wrapped, its lines aligned under its first.
            let indent = 9 + 2 + label_width + 2 + 2;
            wrap(text, NOTE_WIDTH).join(&format!("\n{:indent$}", ""))
        }
        EventKind::Crash if level >= Level::Warn => "*** crashed: volatile state lost".into(),
        EventKind::Restart if level >= Level::Warn => "*** restarted from durable state".into(),
        EventKind::Send { to, msg, .. } if level >= Level::Debug => {
            format!("-> {}: {msg}", name(to))
        }
        EventKind::Deliver { from, msg, .. } if level >= Level::Debug => {
            format!("<- {}: {msg}", name(from))
        }
        EventKind::Drop {
            to, msg, reason, ..
        } if level >= Level::Debug => format!("-x {}: {msg} dropped ({reason})", name(to)),
        EventKind::Timer { timer, .. } if level >= Level::Trace => format!("timer {timer:?}"),
        EventKind::Start if level >= Level::Trace => "start".into(),
        EventKind::Decide { instance, value } if level >= Level::Trace => {
            format!("decide #{instance} = {value}")
        }
        EventKind::Apply {
            index,
            command,
            result,
        } if level >= Level::Trace => format!("apply #{index} {command} -> {result}"),
        EventKind::Role { role, epoch, .. } if level >= Level::Trace => {
            format!("role {role} ({epoch})")
        }
        EventKind::Commit { index } if level >= Level::Trace => format!("commit index {index}"),
        EventKind::Truncate { from, count } if level >= Level::Trace => {
            format!("truncate {count} entries from index {from}")
        }
        EventKind::CatchUp { from, to } if level >= Level::Trace => {
            format!("catch up on entries {from}..{to}")
        }
        EventKind::Dedup { client, req_id } if level >= Level::Trace => {
            format!("dedup request #{req_id} of {}", name(client))
        }
        _ => return None,
    };
    Some(format!(
        "{:>9}  {:<width$}  {text}",
        ev.time.to_string(),
        who,
        width = label_width + 2
    ))
}

/// Prints the narrated run to a writer at a level.
pub struct HumanPrinter<W: Write> {
    out: W,
    level: Level,
    label_width: usize,
    names: Vec<String>,
    error: Option<io::Error>,
}

impl<W: Write> HumanPrinter<W> {
    /// Print at `level`, aligning labels as wide as the longest of `names`.
    pub fn new(out: W, level: Level, names: &[String]) -> Self {
        let label_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(5);
        HumanPrinter {
            out,
            level,
            label_width,
            names: names.to_vec(),
            error: None,
        }
    }

    /// Flush, and report the first error met while writing.
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }

    /// Whether a write failed (the reader of a pipe went away, a full disk): the narration
    /// is lost from there on, and [`HumanPrinter::finish`] reports why.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Change the level shown from now on (the REPL's `log LEVEL`). The simulator produces
    /// narration up to the highest level any observer had when it was added, so add this
    /// printer at `Level::Trace` (or beside a JSON trace) to be able to raise it later.
    pub fn set_level(&mut self, level: Level) {
        self.level = level;
    }

    /// The writer, to print more after the run.
    pub fn writer(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write> Observer for HumanPrinter<W> {
    fn level(&self) -> Option<Level> {
        Some(self.level)
    }
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        if self.error.is_none() {
            // Labels a protocol sets (`acceptor Tassadit`) may be wider than any name: widen
            // the column as they appear, so later lines line up.
            self.label_width = self.label_width.max(ev.label.chars().count());
            if let Some(line) = human_line(ev, self.level, self.label_width, &self.names) {
                if let Err(e) = writeln!(self.out, "{line}") {
                    self.error = Some(e);
                }
            }
        }
        Ok(())
    }
}
