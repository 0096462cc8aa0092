//! The scenario format, one section at a time: the top-level keys, `[network]`, `[[fault]]`,
//! `[[request]]`, `[expect]`, and the keys the protocol owns (`[cluster]`, `[timing]`,
//! `[workload]` and sections of its own), read against its settings. Keys nobody takes are
//! errors; so are values out of range, with the file, the line and the key.

use super::source::{Entry, Source, Table, describe};
use super::{
    DEFAULT_PROTOCOL, Expect, FaultAction, FaultSpec, MAX_BYTES, Moment, NoteSpec, RequestSpec,
    Scenario, ScheduleSpec, StepSpec,
};
use crate::protocol::{Protocol, Registry};
use crate::settings::{Kind, MAX_MS, Setting, Settings, Value, ms_text};
use synod_core::{ClientOp, Time};
use synod_sim::{NetConfig, On};
use toml::de::DeValue;

/// Every key of the scenario format that is not a protocol's own, as `table.key` (the top level
/// without a table). docs/scenarios.md documents each (a test checks).
pub const CORE_KEYS: &[&str] = &[
    "name",
    "description",
    "protocol",
    "seed",
    "until_ms",
    "settle_ms",
    "bug",
    "schedule",
    "num_nodes",
    "num_clients",
    "network.latency_ms",
    "network.loss",
    "network.duplicate",
    "network.stagger_ms",
    "fault.at_ms",
    "fault.crash",
    "fault.restart",
    "fault.partition",
    "fault.one_way",
    "fault.heal",
    "fault.hold",
    "fault.release",
    "fault.slow",
    "fault.loss",
    "fault.duplicate",
    "fault.latency_ms",
    "fault.skew",
    "fault.ring",
    "fault.repair",
    "fault.for_ms",
    "fault.when",
    "fault.after_ms",
    "request.at_ms",
    "request.client",
    "request.op",
    "request.key",
    "request.value",
    "note.at_ms",
    "note.text",
    "expect.all_requests_complete",
    "expect.linearizable",
    "expect.converged",
    "expect.decided",
    "expect.violation",
];

/// The keys of `table` in [`CORE_KEYS`], for messages.
fn core_keys(table: &str) -> Vec<&'static str> {
    CORE_KEYS
        .iter()
        .filter_map(|k| match k.split_once('.') {
            Some((t, key)) if t == table => Some(key),
            None if table.is_empty() => Some(*k),
            _ => None,
        })
        .collect()
}

/// A unknown key of a core table: the message lists the keys the table takes.
fn unknown(src: &Source<'_>, table: &str, e: &Entry<'_, '_>) -> super::ScenarioError {
    src.error(
        Some(src.line(e.key_span.start)),
        format!(
            "unknown key `{}` (valid here: {})",
            e.path,
            core_keys(table).join(", ")
        ),
    )
}

/// A time in milliseconds, as `--until` and every `_ms` key take it: from 0 to the largest the
/// simulator's microsecond clock represents.
pub fn parse_ms(ms: f64) -> Result<Time, String> {
    if !ms.is_finite() || ms < 0.0 {
        Err(format!("must be a time >= 0 in milliseconds, got {ms}"))
    } else if ms > MAX_MS {
        Err(format!(
            "{ms:e} ms is past the end of the simulator's clock (microseconds in 64 bits: at most {} ms)",
            ms_text(MAX_MS.floor())
        ))
    } else {
        Ok(Time::ms_f64(ms))
    }
}

/// Parse and validate a scenario of one of the protocols of `registry` (usually through
/// [`Registry::parse`]). `file` is used in messages only.
pub fn parse(
    registry: &Registry<'_>,
    file: &str,
    text: &str,
) -> Result<Scenario, super::ScenarioError> {
    let src = Source::new(file, text);
    if text.len() > MAX_BYTES {
        return Err(src.error(
            None,
            format!(
                "the file is {} bytes; a scenario may be at most {MAX_BYTES} bytes (16 MiB)",
                text.len()
            ),
        ));
    }
    let doc = src.document()?;
    let mut top = Table::new("", doc.get_ref(), 0..0);
    let protocol = protocol(&src, registry, &mut top)?;
    let mut s = Scenario::defaults(file, protocol);
    header(&src, &mut top, &mut s)?;
    if let Some(e) = top.take("network") {
        s.net = network(&src, &e)?;
    }
    if let Some(e) = top.take("fault") {
        s.faults = faults(&src, &e, protocol)?;
    }
    if let Some(e) = top.take("request") {
        s.requests = requests(&src, &e)?;
    }
    if let Some(e) = top.take("note") {
        s.notes = notes(&src, &e)?;
    }
    if let Some(e) = top.take("expect") {
        s.expect = expect(&src, &e, protocol)?;
    }
    s.settings = settings(&src, registry, protocol, &mut top)?;
    // An empty table says nothing: `[timing]` with no keys is harmless for any protocol.
    let empty = |e: &Entry<'_, '_>| e.table().is_ok_and(|t| t.is_empty());
    if let Some(e) = top.rest().into_iter().find(|e| !empty(e)) {
        return Err(unknown_top(&src, registry, protocol, &e));
    }
    Ok(s)
}

/// `protocol = "..."`, or the default.
fn protocol(
    src: &Source<'_>,
    registry: &Registry<'_>,
    top: &mut Table<'_, '_>,
) -> Result<&'static Protocol, super::ScenarioError> {
    match top.take("protocol") {
        Some(e) => {
            let name = e.string().map_err(|m| src.at(&e, m))?;
            registry.get(&name).ok_or_else(|| {
                src.at(
                    &e,
                    format!(
                        "unknown protocol `{name}` (valid: {})",
                        registry.names()
                    ),
                )
            })
        }
        None => registry.get(DEFAULT_PROTOCOL).ok_or_else(|| {
            src.error(
                None,
                format!(
                    "key `protocol` is missing, and the default protocol {DEFAULT_PROTOCOL} is not available (valid: {})",
                    registry.names()
                ),
            )
        }),
    }
}

/// The top-level keys: name, description, seed, times, bug.
fn header(
    src: &Source<'_>,
    top: &mut Table<'_, '_>,
    s: &mut Scenario,
) -> Result<(), super::ScenarioError> {
    if let Some(e) = top.take("name") {
        s.name = e.string().map_err(|m| src.at(&e, m))?;
    }
    if let Some(e) = top.take("description") {
        s.description = e.string().map_err(|m| src.at(&e, m))?;
    }
    if let Some(e) = top.take("seed") {
        let n = e.integer().map_err(|m| src.at(&e, m))?;
        s.seed = if n < 0 {
            return Err(src.at(&e, format!("must be >= 0, got {n}")));
        } else {
            u64::try_from(n).map_err(|_| {
                src.at(
                    &e,
                    format!("must be at most {} (64 bits), got {n}", u64::MAX),
                )
            })?
        };
    }
    if let Some(e) = top.take("until_ms") {
        s.until = ms(src, &e)?;
    }
    if let Some(e) = top.take("settle_ms") {
        s.settle = ms(src, &e)?;
    }
    if let Some(e) = top.take("bug") {
        let name = e.string().map_err(|m| src.at(&e, m))?;
        s.set_bug(&name).map_err(|m| src.at(&e, m))?;
    }
    if let Some(e) = top.take("schedule") {
        s.schedule = schedule(src, &e)?;
    }
    Ok(())
}

/// `schedule = ["deliver 3", "fire 1", ...]`: each step on the line it is written on.
fn schedule(
    src: &Source<'_>,
    e: &Entry<'_, '_>,
) -> Result<Vec<ScheduleSpec>, super::ScenarioError> {
    let items = e.list().map_err(|m| src.at(e, m))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let line = src.line(item.span().start);
        let at = |m: String| src.error(Some(line), format!("key `schedule`: {m}"));
        let text = match item.get_ref() {
            DeValue::String(t) => t,
            other => {
                return Err(at(format!(
                    "expected a list of steps (strings such as \"deliver 3\"), but one entry is {}",
                    describe(other)
                )));
            }
        };
        out.push(ScheduleSpec {
            step: StepSpec::parse(text).map_err(at)?,
            note: None,
            line,
        });
    }
    Ok(out)
}

/// A time in milliseconds.
fn ms(src: &Source<'_>, e: &Entry<'_, '_>) -> Result<Time, super::ScenarioError> {
    let x = e.number().map_err(|m| src.at(e, m))?;
    parse_ms(x).map_err(|m| src.at(e, m))
}

/// A time in milliseconds at which something happens (`at_ms`).
fn at_ms(src: &Source<'_>, e: &Entry<'_, '_>, what: &str) -> Result<Time, super::ScenarioError> {
    let x = e.number().map_err(|m| src.at(e, m))?;
    if x < 0.0 {
        return Err(src.at(e, format!("{what} cannot happen at a negative time ({x})")));
    }
    parse_ms(x).map_err(|m| src.at(e, m))
}

/// A probability.
fn probability(src: &Source<'_>, e: &Entry<'_, '_>) -> Result<f64, super::ScenarioError> {
    let p = e.number().map_err(|m| src.at(e, m))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(src.at(e, format!("a probability must be between 0 and 1, got {p}")))
    }
}

/// `{ min = .., max = .. }` in milliseconds.
fn range_ms(src: &Source<'_>, e: &Entry<'_, '_>) -> Result<(f64, f64), super::ScenarioError> {
    let mut t = e.table().map_err(|m| src.at(e, m))?;
    let mut get = |k: &str| -> Result<f64, super::ScenarioError> {
        match t.take(k) {
            Some(v) => v.number().map_err(|m| src.at(&v, m)),
            None => Err(src.at(e, "give both `min` and `max`: `{ min = 1, max = 10 }`")),
        }
    };
    let (min, max) = (get("min")?, get("max")?);
    if let Some(x) = t.rest().into_iter().next() {
        return Err(src.at(&x, "unknown key (a range takes `min` and `max`)"));
    }
    if min < 0.0 || max < 0.0 {
        return Err(src.at(
            e,
            format!(
                "times must be >= 0, got {{ min = {}, max = {} }}",
                ms_text(min),
                ms_text(max)
            ),
        ));
    }
    if min > max {
        return Err(src.at(
            e,
            format!(
                "min ({}) is greater than max ({})",
                ms_text(min),
                ms_text(max)
            ),
        ));
    }
    parse_ms(max).map_err(|m| src.at(e, m))?;
    Ok((min, max))
}

/// `[network]`.
fn network(src: &Source<'_>, e: &Entry<'_, '_>) -> Result<NetConfig, super::ScenarioError> {
    let mut t = e.table().map_err(|m| src.at(e, m))?;
    let mut net = NetConfig::default();
    if let Some(e) = t.take("latency_ms") {
        let (a, b) = range_ms(src, &e)?;
        (net.latency_min, net.latency_max) = (Time::ms_f64(a), Time::ms_f64(b));
    }
    if let Some(e) = t.take("loss") {
        net.loss = probability(src, &e)?;
    }
    if let Some(e) = t.take("duplicate") {
        net.duplicate = probability(src, &e)?;
    }
    if let Some(e) = t.take("stagger_ms") {
        net.stagger = ms(src, &e)?;
    }
    if let Some(x) = t.rest().into_iter().next() {
        return Err(unknown(src, "network", &x));
    }
    Ok(net)
}

/// The actions a `[[fault]]` may have, besides the protocol's own.
const FAULT_ACTIONS: &[&str] = &[
    "crash",
    "restart",
    "partition",
    "one_way",
    "heal",
    "hold",
    "release",
    "slow",
    "skew",
    "loss",
    "duplicate",
    "latency_ms",
    "ring",
    "repair",
];

/// `[[fault]]` tables.
fn faults(
    src: &Source<'_>,
    e: &Entry<'_, '_>,
    protocol: &'static Protocol,
) -> Result<Vec<FaultSpec>, super::ScenarioError> {
    let tables = e.tables().map_err(|m| src.at(e, m))?;
    let mut out = Vec::with_capacity(tables.len());
    let mut actions_named: Vec<&str> = FAULT_ACTIONS.to_vec();
    actions_named.extend(protocol.faults.iter().map(|v| v.key));
    for mut t in tables {
        let header = src.line(t.span.start);
        let at = match t.take("at_ms") {
            Some(a) => at_ms(src, &a, "a fault")?,
            None => {
                return Err(src.error(
                    Some(header),
                    "a [[fault]] needs `at_ms`, the time it strikes",
                ));
            }
        };
        let lasts = match t.take("for_ms") {
            Some(a) => {
                let d = ms(src, &a)?;
                if d == Time::ZERO {
                    return Err(src.at(&a, "must be above 0: the time the fault lasts"));
                }
                Some(d)
            }
            None => None,
        };
        let when = match t.take("when") {
            Some(w) => {
                let name = w.string().map_err(|m| src.at(&w, m))?;
                let Some(on) = On::named(&name) else {
                    return Err(src.at(
                        &w,
                        format!("unknown moment `{name}` (valid: leads, seeks, votes)"),
                    ));
                };
                let after = match t.take("after_ms") {
                    Some(a) => ms(src, &a)?,
                    None => Time::ZERO,
                };
                let within = match t.take("within_ms") {
                    Some(a) => {
                        let w = ms(src, &a)?;
                        if w == Time::ZERO {
                            return Err(src.at(
                                &a,
                                "must be above 0: how long the fault waits for its moment",
                            ));
                        }
                        Some(w)
                    }
                    None => None,
                };
                Some(Moment { on, after, within })
            }
            None => {
                for (key, what) in [
                    ("after_ms", "the delay after a `when` moment"),
                    ("within_ms", "how long a fault waits for its `when` moment"),
                ] {
                    if let Some(a) = t.take(key) {
                        return Err(src.at(&a, format!("`{key}` is {what}; give `when` too")));
                    }
                }
                None
            }
        };
        let mut actions = Vec::new();
        for key in FAULT_ACTIONS {
            if let Some(a) = t.take(key) {
                actions.push((fault_action(src, &a)?, src.line(a.key_span.start)));
            }
        }
        for verb in protocol.faults {
            if let Some(a) = t.take(verb.key) {
                let value = a.string().map_err(|m| src.at(&a, m))?;
                actions.push((
                    FaultAction::Protocol(verb.key, value),
                    src.line(a.key_span.start),
                ));
            }
        }
        if let Some(x) = t.rest().into_iter().next() {
            return Err(src.error(
                Some(src.line(x.key_span.start)),
                format!(
                    "unknown key `{}` (a [[fault]] takes `at_ms`, `for_ms`, `when`, `after_ms` and one of: {})",
                    x.path,
                    actions_named.join(", ")
                ),
            ));
        }
        if actions.len() != 1 {
            return Err(src.error(
                Some(header),
                format!(
                    "a [[fault]] needs exactly one action ({}); this one has {}",
                    actions_named.join(", "),
                    actions.len()
                ),
            ));
        }
        let (action, line) = actions.remove(0);
        if lasts.is_some()
            && matches!(
                action,
                FaultAction::Restart(_)
                    | FaultAction::Heal
                    | FaultAction::Release(_)
                    | FaultAction::Repair
            )
        {
            return Err(src.error(
                Some(line),
                "`for_ms` makes a fault undo itself; a restart, heal, release or repair undoes faults and has nothing to undo",
            ));
        }
        if when.is_some() && matches!(action, FaultAction::Repair) {
            return Err(src.error(
                Some(line),
                "`when` makes a fault wait for a protocol's moment; a repair ends the faults at its time",
            ));
        }
        out.push(FaultSpec {
            at,
            action,
            lasts,
            line,
            when,
        });
    }
    Ok(out)
}

/// One action of a `[[fault]]`.
fn fault_action(src: &Source<'_>, a: &Entry<'_, '_>) -> Result<FaultAction, super::ScenarioError> {
    let name = |a: &Entry<'_, '_>| a.string().map_err(|m| src.at(a, m));
    let key = a.path.trim_start_matches("fault.");
    Ok(match key {
        "crash" => FaultAction::Crash(name(a)?),
        "restart" => FaultAction::Restart(name(a)?),
        "hold" => FaultAction::Hold(name(a)?),
        "release" => FaultAction::Release(name(a)?),
        "partition" => FaultAction::Partition(partition(src, a)?),
        "one_way" => {
            let mut t = a.table().map_err(|m| src.at(a, m))?;
            let mut side = |k: &str| match t.take(k) {
                Some(v) => v.strings().map_err(|m| src.at(&v, m)),
                None => Err(src.at(
                    a,
                    "give `from` and `to`: `{ from = [\"n1\"], to = [\"n2\"] }`",
                )),
            };
            let (from, to) = (side("from")?, side("to")?);
            if let Some(x) = t.rest().into_iter().next() {
                return Err(src.at(&x, "unknown key (one_way takes `from` and `to`)"));
            }
            FaultAction::OneWay(from, to)
        }
        "heal" => match a.boolean().map_err(|m| src.at(a, m))? {
            true => FaultAction::Heal,
            false => return Err(src.at(a, "write `heal = true`")),
        },
        "slow" => {
            let (node, factor) = node_factor(src, a, "slow")?;
            FaultAction::Slow(node, factor)
        }
        "skew" => {
            let (node, factor) = node_factor(src, a, "skew")?;
            FaultAction::Skew(node, factor)
        }
        "repair" => match a.boolean().map_err(|m| src.at(a, m))? {
            true => FaultAction::Repair,
            false => return Err(src.at(a, "write `repair = true`")),
        },
        "ring" => {
            let ring = match a.string() {
                Ok(text) => text
                    .split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect(),
                Err(_) => a.strings().map_err(|_| {
                    src.at(
                        a,
                        format!(
                            "expected \"n1,n2,n3\" or [\"n1\", \"n2\", \"n3\"], got {}",
                            describe(a.value.get_ref())
                        ),
                    )
                })?,
            };
            let ring: Vec<String> = ring;
            if ring.len() < 3 {
                return Err(src.at(
                    a,
                    "a ring needs at least three nodes, as \"n1,n2,n3,n4,n5\"",
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            if let Some(twice) = ring.iter().find(|n| !seen.insert(n.as_str())) {
                return Err(src.at(a, format!("`{twice}` is in the ring twice")));
            }
            FaultAction::Ring(ring)
        }
        "loss" => FaultAction::Loss(probability(src, a)?),
        "duplicate" => FaultAction::Duplicate(probability(src, a)?),
        "latency_ms" => {
            let (lo, hi) = range_ms(src, a)?;
            FaultAction::Latency(Time::ms_f64(lo), Time::ms_f64(hi))
        }
        other => return Err(src.at(a, format!("no fault action `{other}`"))),
    })
}

/// `{ node = "n1", factor = 5 }` (of `slow` and `skew`): a node and a factor above 0.
fn node_factor(
    src: &Source<'_>,
    a: &Entry<'_, '_>,
    action: &str,
) -> Result<(String, f64), super::ScenarioError> {
    let usage = || {
        src.at(
            a,
            "give `node` and `factor`: `{ node = \"n1\", factor = 5 }`",
        )
    };
    let mut t = a.table().map_err(|m| src.at(a, m))?;
    let node = match t.take("node") {
        Some(v) => v.string().map_err(|m| src.at(&v, m))?,
        None => return Err(usage()),
    };
    let factor = match t.take("factor") {
        Some(v) => {
            let x = v.number().map_err(|m| src.at(&v, m))?;
            if !(x > 0.0 && x.is_finite()) {
                return Err(src.at(&v, format!("must be > 0, got {x}")));
            }
            x
        }
        None => return Err(usage()),
    };
    if let Some(x) = t.rest().into_iter().next() {
        return Err(src.at(
            &x,
            format!("unknown key ({action} takes `node` and `factor`)"),
        ));
    }
    Ok((node, factor))
}

/// `partition = "n1,n2 | n3"` or `[["n1","n2"],["n3"]]`: two groups at least, none empty, and
/// no node in two of them.
fn partition(
    src: &Source<'_>,
    a: &Entry<'_, '_>,
) -> Result<Vec<Vec<String>>, super::ScenarioError> {
    let groups: Vec<Vec<String>> = match a.string() {
        Ok(text) => text
            .split('|')
            .map(|grp| {
                grp.split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .collect(),
        Err(_) => {
            let items = a.list().map_err(|_| {
                src.at(
                    a,
                    format!(
                        "expected \"n1,n2 | n3\" or [[\"n1\", \"n2\"], [\"n3\"]], got {}",
                        describe(a.value.get_ref())
                    ),
                )
            })?;
            let mut groups = Vec::with_capacity(items.len());
            for item in items {
                let names = match item.get_ref() {
                    toml::de::DeValue::Array(names) => names
                        .iter()
                        .map(|n| match n.get_ref() {
                            toml::de::DeValue::String(s) => Ok(s.to_string()),
                            other => Err(src.at(
                                a,
                                format!("a group lists node names, not {}", describe(other)),
                            )),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    other => {
                        return Err(src.at(
                            a,
                            format!(
                                "each group is a list of node names, not {}",
                                describe(other)
                            ),
                        ));
                    }
                };
                groups.push(names);
            }
            groups
        }
    };
    if groups.len() < 2 || groups.iter().any(|g| g.is_empty()) {
        return Err(src.at(
            a,
            "give at least two non-empty groups, as \"n1,n2 | n3,n4,n5\"",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for name in groups.iter().flatten() {
        if !seen.insert(name.as_str()) {
            return Err(src.at(
                a,
                format!("`{name}` is in two groups; a node is on one side of a partition"),
            ));
        }
    }
    Ok(groups)
}

/// `[[request]]` tables.
fn requests(src: &Source<'_>, e: &Entry<'_, '_>) -> Result<Vec<RequestSpec>, super::ScenarioError> {
    let tables = e.tables().map_err(|m| src.at(e, m))?;
    let mut out = Vec::with_capacity(tables.len());
    for mut t in tables {
        let header = src.line(t.span.start);
        let missing = |k: &str| {
            src.error(
                Some(header),
                format!("a [[request]] needs `{k}` (it takes at_ms, client, op, key and value)"),
            )
        };
        let at = match t.take("at_ms") {
            Some(a) => at_ms(src, &a, "a request")?,
            None => return Err(missing("at_ms")),
        };
        let client = t.take("client").ok_or_else(|| missing("client"))?;
        let line = src.line(client.key_span.start);
        let client = client.string().map_err(|m| src.at(&client, m))?;
        let op = t.take("op").ok_or_else(|| missing("op"))?;
        let f = op.string().map_err(|m| src.at(&op, m))?;
        let key = t.take("key").ok_or_else(|| missing("key"))?;
        let key = key.string().map_err(|m| src.at(&key, m))?;
        let value = match t.take("value") {
            Some(v) => Some((v.string().map_err(|m| src.at(&v, m))?, v)),
            None => None,
        };
        if let Some(x) = t.rest().into_iter().next() {
            return Err(unknown(src, "request", &x));
        }
        let op = match (f.as_str(), value) {
            ("put", Some((v, _))) => ClientOp {
                f,
                key,
                value: Some(v),
            },
            ("get" | "delete", None) => ClientOp {
                f,
                key,
                value: None,
            },
            ("put", None) => {
                return Err(src.error(Some(header), "key `request.value`: a put needs a value"));
            }
            ("get" | "delete", Some((_, v))) => {
                return Err(src.at(&v, format!("a {f} takes no value")));
            }
            (other, _) => {
                return Err(src.at(
                    &op,
                    format!("unknown operation `{other}` (put, get or delete)"),
                ));
            }
        };
        out.push(RequestSpec {
            at,
            client,
            op,
            line,
        });
    }
    Ok(out)
}

/// `[[note]]` tables: `at_ms` and `text`.
fn notes(src: &Source<'_>, e: &Entry<'_, '_>) -> Result<Vec<NoteSpec>, super::ScenarioError> {
    let tables = e.tables().map_err(|m| src.at(e, m))?;
    let mut out = Vec::with_capacity(tables.len());
    for mut t in tables {
        let header = src.line(t.span.start);
        let missing = |k: &str| {
            src.error(
                Some(header),
                format!("a [[note]] needs `{k}` (it takes at_ms and text)"),
            )
        };
        let (at, line) = match t.take("at_ms") {
            Some(a) => (at_ms(src, &a, "a note")?, src.line(a.key_span.start)),
            None => return Err(missing("at_ms")),
        };
        let text = t.take("text").ok_or_else(|| missing("text"))?;
        let raw = text.string().map_err(|m| src.at(&text, m))?;
        let words: Vec<&str> = raw.split_whitespace().collect();
        if words.is_empty() {
            return Err(src.at(&text, "a note says something: the text is empty"));
        }
        if let Some(x) = t.rest().into_iter().next() {
            return Err(unknown(src, "note", &x));
        }
        out.push(NoteSpec {
            at,
            text: words.join(" "),
            line,
        });
    }
    Ok(out)
}

/// `[expect]`.
fn expect(
    src: &Source<'_>,
    e: &Entry<'_, '_>,
    protocol: &'static Protocol,
) -> Result<Expect, super::ScenarioError> {
    let mut t = e.table().map_err(|m| src.at(e, m))?;
    let mut x = Expect::default();
    for (key, slot) in [
        ("all_requests_complete", &mut x.all_requests_complete),
        ("linearizable", &mut x.linearizable),
        ("converged", &mut x.converged),
        ("decided", &mut x.decided),
    ] {
        if let Some(v) = t.take(key) {
            *slot = Some(v.boolean().map_err(|m| src.at(&v, m))?);
        }
    }
    if let Some(v) = t.take("violation") {
        let property = v.string().map_err(|m| src.at(&v, m))?;
        let valid = protocol.properties();
        if !valid.contains(&property.as_str()) {
            return Err(src.at(
                &v,
                format!(
                    "unknown property `{property}` (protocol {protocol} is checked for: {})",
                    valid.join(", ")
                ),
            ));
        }
        x.violation = Some(property);
    }
    if let Some(k) = t.rest().into_iter().next() {
        return Err(unknown(src, "expect", &k));
    }
    Ok(x)
}

/// The protocol's own keys: every table it declares keys in, and the Gleam emulations'
/// `num_nodes` and `num_clients`. Then its rules across keys.
fn settings(
    src: &Source<'_>,
    registry: &Registry<'_>,
    protocol: &'static Protocol,
    top: &mut Table<'_, '_>,
) -> Result<Settings, super::ScenarioError> {
    let mut out = Settings::default();
    for table in protocol.tables() {
        let Some(e) = top.take(table) else { continue };
        let mut t = e.table().map_err(|m| src.at(&e, m))?;
        for setting in protocol.all_settings().filter(|s| s.table() == table) {
            if let Some(k) = t.take(setting.name()) {
                let v = value(src, &k, setting)?;
                out.set(setting, v, Some(src.line(k.key_span.start)));
            }
        }
        if let Some(k) = t.rest().into_iter().next() {
            return Err(not_taken(src, registry, protocol, &k));
        }
    }
    // The Gleam emulations' keys, kept working: they stand for `cluster.nodes` and
    // `cluster.clients`.
    for (old, key) in [
        ("num_nodes", "cluster.nodes"),
        ("num_clients", "cluster.clients"),
    ] {
        let Some(e) = top.take(old) else { continue };
        let Some(setting) = protocol.setting(key) else {
            return Err(src.at(
                &e,
                format!("stands for `{key}`, which does not apply to protocol {protocol}"),
            ));
        };
        if let Some(line) = out.line(setting) {
            return Err(src.at(
                &e,
                format!("`{key}` is given too (line {line}); give one of them"),
            ));
        }
        let v = value(src, &e, setting)?;
        out.set(setting, v, Some(src.line(e.key_span.start)));
    }
    (protocol.validate)(&out).map_err(|invalid| {
        let line = protocol.setting(invalid.key).and_then(|s| out.line(s));
        src.error(line, format!("key `{}`: {}", invalid.key, invalid.message))
    })?;
    Ok(out)
}

/// One setting's value, checked against its kind.
fn value(
    src: &Source<'_>,
    e: &Entry<'_, '_>,
    setting: &Setting,
) -> Result<Value, super::ScenarioError> {
    let v = match &setting.kind {
        Kind::Count { min, max, .. } => {
            let n = e.integer().map_err(|m| src.at(e, m))?;
            match u64::try_from(n) {
                Ok(n) => Value::Count(n),
                Err(_) => {
                    return Err(src.at(e, format!("must be between {min} and {max}, got {n}")));
                }
            }
        }
        Kind::Ms { .. } => {
            let x = e.number().map_err(|m| src.at(e, m))?;
            if x > 0.0 {
                parse_ms(x).map_err(|m| src.at(e, m))?;
            }
            Value::Ms(x)
        }
        Kind::RangeMs { .. } => {
            let (a, b) = range_ms(src, e)?;
            Value::RangeMs(a, b)
        }
        Kind::Names | Kind::Strings { .. } => Value::List(e.strings().map_err(|m| src.at(e, m))?),
        Kind::Flag { .. } => Value::Flag(e.boolean().map_err(|m| src.at(e, m))?),
        Kind::Choice { .. } => Value::Word(e.string().map_err(|m| src.at(e, m))?),
        Kind::Weights { names, .. } => {
            let mut t = e.table().map_err(|m| src.at(e, m))?;
            let mut weights = Vec::with_capacity(names.len());
            for name in *names {
                weights.push(match t.take(name) {
                    Some(w) => {
                        let n = w.integer().map_err(|m| src.at(&w, m))?;
                        u64::try_from(n)
                            .ok()
                            .filter(|n| *n <= u64::from(u32::MAX))
                            .ok_or_else(|| {
                                src.at(&w, format!("a weight is a whole number >= 0, got {n}"))
                            })?
                    }
                    None => 0,
                });
            }
            if let Some(x) = t.rest().into_iter().next() {
                return Err(src.at(
                    &x,
                    format!("unknown weight (it takes: {})", names.join(", ")),
                ));
            }
            Value::Weights(weights)
        }
    };
    setting.check(&v).map_err(|m| src.at(e, m))?;
    Ok(v)
}

/// A key in a protocol's table that the protocol does not take: a key another protocol takes
/// is named as such, anything else is unknown.
fn not_taken(
    src: &Source<'_>,
    registry: &Registry<'_>,
    protocol: &'static Protocol,
    e: &Entry<'_, '_>,
) -> super::ScenarioError {
    let table = e.path.split_once('.').map_or("", |(t, _)| t);
    let taken: Vec<&str> = protocol
        .all_settings()
        .filter(|s| s.table() == table)
        .map(|s| s.name())
        .collect();
    let elsewhere = registry.iter().any(|p| p.setting(&e.path).is_some());
    let what = if elsewhere {
        format!("key `{}` does not apply to protocol {protocol}", e.path)
    } else {
        format!("unknown key `{}`", e.path)
    };
    src.error(
        Some(src.line(e.key_span.start)),
        format!("{what} (in [{table}] it takes: {})", taken.join(", ")),
    )
}

/// A top-level key or table nothing took.
fn unknown_top(
    src: &Source<'_>,
    registry: &Registry<'_>,
    protocol: &'static Protocol,
    e: &Entry<'_, '_>,
) -> super::ScenarioError {
    let line = Some(src.line(e.key_span.start));
    let other = registry
        .iter()
        .any(|p| p.all_settings().any(|s| s.table() == e.path));
    if other {
        return src.error(
            line,
            format!(
                "table `[{}]` does not apply to protocol {protocol} (it takes no `{}.` keys)",
                e.path, e.path
            ),
        );
    }
    let mut tables: Vec<&str> = vec!["network", "fault", "request", "note", "expect"];
    tables.extend(protocol.tables());
    src.error(
        line,
        format!(
            "unknown key `{}` (valid here: {}; tables: {})",
            e.path,
            core_keys("").join(", "),
            tables.join(", ")
        ),
    )
}
