//! `--json FILE`: a campaign's results as JSON lines, one object per line, for machines and for
//! `synod check --merge`. Lines, in order: one `campaign` (what was run), one `seed` per seed in
//! seed order, a `shrunk` for the first failure of each property (right after the seed that
//! found it), and an `end`. docs/checking.md documents the fields.

use serde_json::{Value, json};
use synod_protocols::campaign::{Coverage, Outcome, SeedResult};

/// The schema version written in the `campaign` line.
pub const VERSION: u64 = 1;

/// The fields of the `campaign` line that say which campaign it is: files merge only if these
/// are equal (the shard, the jobs and the times differ).
pub const IDENTITY: &[&str] = &[
    "target",
    "protocol",
    "bug",
    "nemesis",
    "stories",
    "from",
    "seeds",
    "intensity",
    "window_ms",
    "max_fault_ms",
    "liveness_ms",
    "rate",
    "vary",
];

/// A `seed` line.
pub fn seed(r: &SeedResult, secs: f64) -> Value {
    let mut coverage = serde_json::Map::new();
    for ((name, _), v) in Coverage::COUNTERS.iter().zip(r.coverage.values()) {
        coverage.insert((*name).into(), v.into());
    }
    let mut o = json!({
        "kind": "seed",
        "seed": r.seed,
        "events": r.events,
        "coverage": coverage,
        "wall_ms": (secs * 1e6).round() / 1e3,
    });
    let m = o.as_object_mut().expect("an object");
    match &r.outcome {
        Outcome::Pass => {
            m.insert("outcome".into(), "pass".into());
        }
        Outcome::Fail { property, detail } => {
            m.insert("outcome".into(), "fail".into());
            m.insert("property".into(), property.as_str().into());
            m.insert("detail".into(), detail.as_str().into());
        }
        Outcome::Aborted { reason } => {
            m.insert("outcome".into(), "aborted".into());
            m.insert("detail".into(), reason.as_str().into());
        }
    }
    o
}

/// Read a `seed` line back: the result and its wall time. `Err` says which field is wrong.
pub fn parse_seed(v: &Value) -> Result<(SeedResult, f64), String> {
    let num = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("a seed line needs `{k}`, a whole number"))
    };
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| format!("a failed or aborted seed needs `{k}`, a string"))
    };
    let outcome = match v.get("outcome").and_then(Value::as_str) {
        Some("pass") => Outcome::Pass,
        Some("fail") => Outcome::Fail {
            property: text("property")?,
            detail: text("detail")?,
        },
        Some("aborted") => Outcome::Aborted {
            reason: text("detail")?,
        },
        _ => return Err("`outcome` must be \"pass\", \"fail\" or \"aborted\"".into()),
    };
    let mut values = [0u64; 6];
    let c = v.get("coverage");
    for ((name, _), slot) in Coverage::COUNTERS.iter().zip(values.iter_mut()) {
        *slot = c
            .and_then(|c| c.get(*name))
            .and_then(Value::as_u64)
            .unwrap_or(0);
    }
    let secs = v.get("wall_ms").and_then(Value::as_f64).unwrap_or(0.0) / 1e3;
    Ok((
        SeedResult {
            seed: num("seed")?,
            outcome,
            events: num("events")?,
            coverage: Coverage::from_values(values),
        },
        secs,
    ))
}

/// A `shrunk` line: what the summary says about the first failure of `property`.
pub fn shrunk(seed: u64, property: &str, lines: &[String]) -> Value {
    json!({"kind": "shrunk", "seed": seed, "property": property, "lines": lines})
}
