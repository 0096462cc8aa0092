//! The self-contained HTML page: the viewer's HTML, CSS and JavaScript (embedded in the binary
//! with `include_str!`) and the run's data, compacted into one JSON object of columns (times
//! delta-encoded, every text interned once), inlined into the page. No network, no server: the
//! file opens from `file://`.

use super::model::{Fate, Kind, Model, OpClass};
use serde_json::{Value, json};
use std::collections::HashMap;

const HTML: &str = include_str!("page/view.html");
const CSS: &str = include_str!("page/view.css");
const JS: &str = include_str!("page/view.js");

/// The colours of message kinds, in order of first appearance (the SVG export uses the same).
pub const PALETTE: &[&str] = &[
    "#2f7fe0", "#e0443a", "#24a35a", "#ef9314", "#8a46b8", "#0aa2a8", "#c2417e", "#6d7a1f",
    "#3d4fb8", "#a0522d", "#5b8c85", "#d4a017",
];

/// Texts, each stored once; events refer to them by index.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Strings {
    fn id(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.index.get(s) {
            return i as i64;
        }
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), self.list.len() - 1);
        (self.list.len() - 1) as i64
    }
}

/// Numbers as differences from the previous one (times grow: the differences are small).
fn deltas(xs: impl Iterator<Item = u64>) -> Vec<i64> {
    let mut prev = 0i64;
    xs.map(|x| {
        let d = x as i64 - prev;
        prev = x as i64;
        d
    })
    .collect()
}

/// Event kinds as the page numbers them (view.js `KINDS`).
fn kind_code(k: &Kind) -> u8 {
    match k {
        Kind::Start => 0,
        Kind::Crash => 1,
        Kind::Restart => 2,
        Kind::Send(_) => 3,
        Kind::Deliver(_) => 4,
        Kind::Drop(_) => 5,
        Kind::Timer(_) => 6,
        Kind::Fault(_) => 7,
        Kind::Invoke(_) => 8,
        Kind::Return(_) => 9,
        Kind::Decide(..) => 10,
        Kind::Apply(..) => 11,
        Kind::Role(..) => 12,
        Kind::Commit(_) => 13,
        Kind::Other(_) => 14,
        Kind::Note(_) => 15,
    }
}

/// The run as the page reads it (view.js `load` decodes it).
pub fn data(m: &Model, title: &str, about: &str) -> Value {
    let mut s = Strings::default();
    let kinds = m.message_kinds();
    let kind_ix: HashMap<&str, usize> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();

    let (mut ek, mut en, mut ea, mut eb) = (vec![], vec![], vec![], vec![]);
    for e in &m.events {
        ek.push(kind_code(&e.kind));
        en.push(e.node.map_or(-1, i64::from));
        let (a, b) = match &e.kind {
            Kind::Send(x) | Kind::Deliver(x) | Kind::Drop(x) => (*x as i64, 0),
            Kind::Invoke(x) | Kind::Return(x) => (*x as i64, 0),
            Kind::Timer(t) | Kind::Fault(t) | Kind::Other(t) | Kind::Note(t) => (s.id(t), 0),
            Kind::Decide(i, v) => (*i as i64, s.id(v)),
            Kind::Apply(i, v) => (*i as i64, s.id(v)),
            Kind::Role(r, ep, _) => (s.id(r), s.id(ep)),
            Kind::Commit(i) => (*i as i64, 0),
            Kind::Start | Kind::Crash | Kind::Restart => (0, 0),
        };
        ea.push(a);
        eb.push(b);
    }
    let events = json!({
        "t": deltas(m.events.iter().map(|e| e.time)),
        "seq": deltas(m.events.iter().map(|e| e.seq)),
        "k": ek, "n": en, "a": ea, "b": eb,
    });

    let logs = json!({
        "e": deltas(m.logs.iter().map(|l| l.event as u64)),
        "l": m.logs.iter().map(|l| l.level).collect::<Vec<_>>(),
        "n": m.logs.iter().map(|l| l.node.map_or(-1, i64::from)).collect::<Vec<_>>(),
        "s": m.logs.iter().map(|l| s.id(&l.text)).collect::<Vec<_>>(),
    });

    let arrows = json!({
        "f": m.arrows.iter().map(|a| a.from).collect::<Vec<_>>(),
        "to": m.arrows.iter().map(|a| a.to).collect::<Vec<_>>(),
        "t0": m.arrows.iter().map(|a| a.sent as i64).collect::<Vec<_>>(),
        "t1": m.arrows.iter().map(|a| a.end.map_or(-1, |t| t as i64)).collect::<Vec<_>>(),
        "k": m.arrows.iter().map(|a| kind_ix[a.kind.as_str()]).collect::<Vec<_>>(),
        "fate": m.arrows.iter().map(|a| match a.fate {
            Fate::Delivered => 0,
            Fate::Dropped(_) => 1,
            Fate::InFlight => 2,
        }).collect::<Vec<_>>(),
        "why": m.arrows.iter().map(|a| match &a.fate {
            Fate::Dropped(r) => s.id(r),
            _ => -1,
        }).collect::<Vec<_>>(),
        "se": m.arrows.iter().map(|a| a.send_ev).collect::<Vec<_>>(),
        "ee": m.arrows.iter().map(|a| a.end_ev.map_or(-1, |e| e as i64)).collect::<Vec<_>>(),
        "b": m.arrows.iter().map(|a| s.id(&a.body)).collect::<Vec<_>>(),
    });

    let ops = json!({
        "c": m.ops.iter().map(|o| o.client).collect::<Vec<_>>(),
        "t0": m.ops.iter().map(|o| o.invoked).collect::<Vec<_>>(),
        "t1": m.ops.iter().map(|o| o.returned.as_ref().map_or(-1, |r| r.0 as i64)).collect::<Vec<_>>(),
        "e0": m.ops.iter().map(|o| o.invoke_ev).collect::<Vec<_>>(),
        "e1": m.ops.iter().map(|o| o.returned.as_ref().map_or(-1, |r| r.1 as i64)).collect::<Vec<_>>(),
        "s": m.ops.iter().map(|o| s.id(&o.text)).collect::<Vec<_>>(),
        "r": m.ops.iter().map(|o| o.returned.as_ref().map_or(-1, |r| s.id(&r.2))).collect::<Vec<_>>(),
        "cls": m.ops.iter().map(|o| match o.class {
            OpClass::Ok => 0,
            OpClass::Error => 1,
            OpClass::Unknown => 2,
            OpClass::Pending => 3,
        }).collect::<Vec<_>>(),
    });

    let states = json!({
        "e": m.states.iter().map(|c| c.event).collect::<Vec<_>>(),
        "n": m.states.iter().map(|c| c.node).collect::<Vec<_>>(),
        "k": m.states.iter().map(|c| s.id(&c.key)).collect::<Vec<_>>(),
        "v": m.states.iter().map(|c| c.value.as_deref().map_or(-1, |v| s.id(v))).collect::<Vec<_>>(),
    });

    let roles: Vec<Vec<Value>> = m
        .role_segments()
        .iter()
        .map(|segs| {
            segs.iter()
                .map(|g| json!([g.from, s.id(&g.role), s.id(&g.epoch), s.id(&g.leadership)]))
                .collect()
        })
        .collect();
    let down: Vec<Vec<Value>> = m
        .down_spans()
        .iter()
        .map(|spans| {
            spans
                .iter()
                .map(|(a, b)| json!([a, b.map_or(-1, |t| t as i64)]))
                .collect()
        })
        .collect();
    let bands: Vec<Value> = m
        .bands
        .iter()
        .map(|b| json!({"t0": b.from, "t1": b.to.map_or(-1, |t| t as i64), "groups": b.groups, "label": b.label}))
        .collect();
    let violation = m
        .violation
        .as_ref()
        .map(|v| json!({"e": v.event, "property": v.property, "detail": v.detail}));
    let lin = m.lin.as_ref().map(|l| {
        json!({"verdict": l.verdict, "summary": l.summary, "why": l.why,
               "blocked": l.blocked, "candidates": l.candidates})
    });
    json!({
        "version": 1,
        "title": title,
        "about": about,
        "protocol": m.protocol,
        "seed": m.seed,
        "end": m.end,
        "nodes": m.nodes,
        "kinds": kinds,
        "palette": PALETTE,
        "ev": events,
        "logs": logs,
        "arrows": arrows,
        "ops": ops,
        "st": states,
        "bands": bands,
        "roles": roles,
        "down": down,
        "violation": violation,
        "lin": lin,
        "strings": s.list,
    })
}

/// JSON safe inside `<script>`: `</` cannot end the element early.
fn script_safe(json: &str) -> String {
    json.replace("</", "<\\/")
}

/// Escape text for HTML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fill the template's markers, each found in the template itself (so that nothing inserted
/// can be mistaken for a later marker).
fn fill(template: &str, parts: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + parts.iter().map(|p| p.1.len()).sum::<usize>());
    let mut rest = template;
    for (marker, value) in parts {
        let (before, after) = rest
            .split_once(marker)
            .unwrap_or_else(|| panic!("view.html has no {marker}"));
        out.push_str(before);
        out.push_str(value);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The whole page; `about` says what the run shows (a scenario's description), or is empty.
pub fn html(m: &Model, title: &str, about: &str) -> String {
    let data = script_safe(&data(m, title, about).to_string());
    let js = JS.replace("</script", "<\\/script");
    fill(
        HTML,
        &[
            ("{{TITLE}}", &html_escape(title)),
            ("/*{{CSS}}*/", CSS),
            ("{{DATA}}", &data),
            ("/*{{JS}}*/", &js),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_round_trip() {
        let xs = [0u64, 5, 5, 12, 100];
        let d = deltas(xs.iter().copied());
        assert_eq!(d, vec![0, 5, 0, 7, 88]);
        let mut acc = 0;
        let back: Vec<u64> = d
            .iter()
            .map(|x| {
                acc += x;
                acc as u64
            })
            .collect();
        assert_eq!(back, xs);
    }

    #[test]
    fn script_text_cannot_close_the_element() {
        assert_eq!(script_safe(r#"{"a":"</script>"}"#), r#"{"a":"<\/script>"}"#);
        assert!(!html_escape("<b>\"x\" & y</b>").contains('<'));
    }
}
