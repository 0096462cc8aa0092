//! `synod lin --html`: one self-contained page per history (no network, no server: it opens
//! from `file://`). The page shows each key's operations on client lanes, the linearization
//! the search found (or, for a key that is not linearizable, the longest linearizable prefix)
//! with the model's state after each step, and the operation that cannot be placed with the
//! candidates that were tried.
//!
//! The data goes into the page as one JSON document; `page/lin.js` draws it (SVG, only the
//! part in view, so keys with thousands of operations stay quick).

use serde_json::{Value as Json, json};
use std::time::Duration;
use synod_check::{CheckReport, History, KeyStatus, ModelKind, Operation, Verdict, show_bytes};

const TEMPLATE: &str = include_str!("page/lin.html");
const STYLE: &str = include_str!("page/lin.css");
const SCRIPT: &str = include_str!("page/lin.js");

/// The page for `history`, checked with `model` into `report` in `took`.
pub fn page(
    name: &str,
    history: &History,
    model: ModelKind,
    report: &CheckReport,
    took: Duration,
) -> String {
    let data = data(name, history, model, report, took);
    // The JSON sits in a <script> element: "</" must not close it.
    let json = serde_json::to_string(&data)
        .expect("JSON of plain values")
        .replace("</", "<\\/");
    TEMPLATE
        .replace("/*STYLE*/", STYLE)
        .replace("/*SCRIPT*/", SCRIPT)
        .replace(
            "{{TITLE}}",
            &escape(&format!("{name}: {}", report.verdict.label())),
        )
        .replace("{{DATA}}", &json)
}

/// HTML text escaping for the title.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One operation as the page draws it: [client, call, return or null, input, output,
/// pending].
fn op_json(op: &Operation) -> Json {
    json!([
        op.client,
        op.call,
        op.ret,
        op.input(),
        if op.ret.is_none() {
            "(no return)".to_string()
        } else {
            op.output.to_string()
        },
        op.is_pending()
    ])
}

fn data(
    name: &str,
    history: &History,
    model: ModelKind,
    report: &CheckReport,
    took: Duration,
) -> Json {
    let explanation = match &report.verdict {
        Verdict::NotLinearizable(why) => Some(why.as_ref()),
        _ => None,
    };
    let keys: Vec<Json> = report
        .keys
        .iter()
        .map(|k| {
            let local = |h: usize| k.operations.binary_search(&h).ok();
            let (status, status_text) = match &k.status {
                KeyStatus::Linearizable => ("linearizable", "linearizable".to_string()),
                KeyStatus::NotLinearizable => ("not", "NOT linearizable".to_string()),
                KeyStatus::GaveUp(why) => ("unknown", format!("unknown: {why}")),
                KeyStatus::Skipped => (
                    "skipped",
                    "not searched to the end: another key was refuted first".to_string(),
                ),
            };
            let mut blocked = Json::Null;
            let mut candidates = Vec::new();
            let mut state_after = Json::Null;
            let mut text = Json::Null;
            let mut never = Json::Null;
            if k.status == KeyStatus::NotLinearizable
                && let Some(why) = explanation
            {
                // Operations of the explanation are clones from the history: find them back
                // by their invocation point and client.
                let find = |op: &Operation| {
                    k.operations
                        .iter()
                        .position(|&h| {
                            let o = &history.operations[h];
                            o.call == op.call && o.client == op.client
                        })
                        .map_or(Json::Null, Json::from)
                };
                blocked = find(&why.blocked);
                candidates = why
                    .candidates
                    .iter()
                    .map(|c| json!([find(&c.op), c.possible]))
                    .collect();
                state_after = Json::from(why.state.clone());
                text = Json::from(why.render(usize::MAX));
                if let Some(n) = &why.never_possible {
                    never = json!({"reachable": n.reachable, "examples": n.examples});
                }
            }
            json!({
                "key": k.key,
                "status": status,
                "statusText": status_text,
                "steps": k.steps,
                "memory": show_bytes(k.peak_bytes),
                "ops": k.operations.iter().map(|&h| op_json(&history.operations[h])).collect::<Vec<_>>(),
                "order": k.order.iter().filter_map(|&h| local(h)).collect::<Vec<_>>(),
                "states": k.states,
                "initial": k.initial_state,
                "blocked": blocked,
                "candidates": candidates,
                "stateAfter": state_after,
                "explanation": text,
                "neverPossible": never,
            })
        })
        .collect();
    json!({
        "name": name,
        "model": model.name(),
        "verdict": report.verdict.label(),
        "summary": report.summary(),
        "operations": report.operations,
        "steps": report.steps,
        "memory": show_bytes(report.peak_bytes),
        "tookMs": took.as_secs_f64() * 1e3,
        "keys": keys,
    })
}
