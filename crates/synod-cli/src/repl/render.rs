//! What the REPL prints about the simulation: node statuses, the queue, the client history.
//! Everything here reads the type-erased `Simulation` and `NodeStatus`, so it works for every
//! protocol.

use std::fmt::Write as _;
use synod_check::recorder::RecordedOp;
use synod_core::{ClientResult, NodeId, ShowStore};
use synod_sim::{PendingKind, Simulation};

fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", String::as_str)
}

/// One queue entry in words.
pub fn describe(what: &PendingKind, names: &[String]) -> String {
    match what {
        PendingKind::Start { node } => format!("start {}", name(names, *node)),
        PendingKind::Deliver { from, to, text, .. } => format!(
            "deliver {} -> {}: {text}",
            name(names, *from),
            name(names, *to)
        ),
        PendingKind::Timer { node, text } => format!("timer of {}: {text}", name(names, *node)),
        PendingKind::Fault { text } => format!("fault: {text}"),
        PendingKind::Request { node, text } => {
            format!("request: {} to {text}", name(names, *node))
        }
    }
}

/// `status`: one line per node, then messages in flight and the next timers.
pub fn status(sim: &dyn Simulation, names: &[String]) -> String {
    let mut o = String::new();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(4);
    let topo = sim.topology();
    let _ = writeln!(
        o,
        "time {}, event {}{}",
        sim.now(),
        sim.stats().events,
        match sim.ended() {
            Some(r) => format!(", run over: {r}"),
            None => String::new(),
        }
    );
    for (i, st) in sim.statuses().iter().enumerate() {
        let id = NodeId(i as u32);
        let mut line = format!("  {:<width$}  ", names[i]);
        match st {
            None => line.push_str("DOWN"),
            Some(s) => {
                let mut parts = Vec::new();
                if !s.role.is_empty() {
                    parts.push(s.role.clone());
                }
                if s.leader {
                    // Whatever the protocol calls its role: `crash leader` strikes this node.
                    parts.push("leads".into());
                }
                if !s.epoch.is_empty() {
                    parts.push(s.epoch.clone());
                }
                for (k, v) in &s.facts {
                    if format!("{k} {v}") == s.epoch {
                        continue; // the epoch, already shown
                    }
                    parts.push(format!("{k} {v}"));
                }
                if let Some(store) = &s.store {
                    let n = store.len();
                    parts.push(format!(
                        "store {} ({n} key{})",
                        ShowStore(store),
                        if n == 1 { "" } else { "s" }
                    ));
                }
                if let Some(d) = &s.decision {
                    parts.push(format!("decided {d}"));
                }
                line.push_str(&parts.join(", "));
            }
        }
        let mut marks = Vec::new();
        if topo.is_held(id) {
            marks.push("held".to_string());
        }
        if topo.slowness(id) != 1.0 {
            marks.push(format!("slow x{}", topo.slowness(id)));
        }
        if !marks.is_empty() {
            let _ = write!(line, "  [{}]", marks.join(", "));
        }
        let _ = writeln!(o, "{}", line.trim_end());
    }
    if topo.partitioned() {
        let cut: Vec<String> = (0..names.len())
            .flat_map(|a| (0..names.len()).map(move |b| (a, b)))
            .filter(|(a, b)| a < b)
            .filter(|(a, b)| {
                topo.is_cut(NodeId(*a as u32), NodeId(*b as u32))
                    || topo.is_cut(NodeId(*b as u32), NodeId(*a as u32))
            })
            .map(|(a, b)| format!("{}-{}", names[a], names[b]))
            .collect();
        let _ = writeln!(o, "  links cut: {}", cut.join(" "));
    }
    let pending = sim.pending();
    let flying: Vec<_> = pending
        .iter()
        .filter(|p| matches!(p.what, PendingKind::Deliver { .. }))
        .collect();
    let _ = write!(
        o,
        "  in flight: {} message{}",
        flying.len(),
        if flying.len() == 1 { "" } else { "s" }
    );
    if let Some(p) = flying.first() {
        let _ = write!(
            o,
            "; next #{} at {}: {}",
            p.id,
            p.time,
            describe(&p.what, names)
        );
    }
    let _ = writeln!(o);
    let timers: Vec<String> = pending
        .iter()
        .filter(|p| matches!(p.what, PendingKind::Timer { .. }))
        .take(5)
        .map(|p| format!("#{} at {} {}", p.id, p.time, describe(&p.what, names)))
        .collect();
    if timers.is_empty() {
        let _ = write!(o, "  next timers: none");
    } else {
        let _ = write!(o, "  next timers: {}", timers.join("; "));
    }
    o
}

/// `queue`: every pending entry, numbered.
pub fn queue(sim: &dyn Simulation, names: &[String]) -> String {
    const SHOWN: usize = 40;
    let pending = sim.pending();
    if pending.is_empty() {
        return "the queue is empty".into();
    }
    let mut o = format!(
        "{} entries, in the order they will happen:\n",
        pending.len()
    );
    for p in pending.iter().take(SHOWN) {
        let _ = writeln!(
            o,
            "  #{:<5} {:>10}  {}",
            p.id,
            p.time.to_string(),
            describe(&p.what, names)
        );
    }
    if pending.len() > SHOWN {
        let _ = writeln!(o, "  ... and {} more", pending.len() - SHOWN);
    }
    o.trim_end().to_string()
}

/// `history`: client operations so far.
pub fn history(ops: &[RecordedOp], names: &[String]) -> String {
    if ops.is_empty() {
        return "no client operations yet".into();
    }
    let mut o = String::new();
    for op in ops {
        let result = match &op.returned {
            Some((t, r @ ClientResult::Unknown)) => format!("{r} at {t}"),
            Some((t, r)) => format!("-> {r} at {t}"),
            None => "... pending".into(),
        };
        let _ = writeln!(
            o,
            "  {:>9}  {} #{} {}  {result}",
            op.invoked.to_string(),
            name(names, op.client),
            op.op_id,
            op.op
        );
    }
    o.trim_end().to_string()
}
