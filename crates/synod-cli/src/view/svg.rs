//! `synod view --svg FROM..TO`: a static space-time diagram of one time window, for slides and
//! papers. The same picture as the page's diagram, without the interaction: one lane per node,
//! the role band with its term or ballot, down times hatched, partitions tinted by group,
//! every message an arrow coloured by kind (a cross where it was dropped), client operations
//! as bars coloured by result, faults and the violation as vertical lines, the scenario's notes
//! as numbered flags (their text listed under the legend), and a legend.

use super::model::{Fate, Kind, Model, OpClass};
use super::page::{PALETTE, html_escape};
use std::fmt::Write as _;

const WIDTH: f64 = 1200.0;
const GUTTER: f64 = 120.0;
const RIGHT: f64 = 36.0;
const TOP: f64 = 56.0;
const LANE: f64 = 34.0;
/// The notes' blue (the page uses the same, view.js `NOTE_BLUE`).
const NOTE_BLUE: &str = "#1f5fbf";
/// The widest line of a note's text under the picture, in characters.
const NOTE_CHARS: usize = 170;

/// The colour of a role band (the page uses the same, view.js `ROLE_COLOURS` and
/// `LEADERSHIP_COLOURS`): by the role's name when it is one of these, otherwise by what it
/// means (`leadership`: a role that leads is drawn as a leader, one that seeks to lead as a
/// candidate).
pub fn role_colour(role: &str, leadership: &str) -> &'static str {
    match (role, leadership) {
        ("leader", _) | (_, "leads") => "#f2b705",
        ("candidate", _) | (_, "seeks") => "#ef7d14",
        ("follower", _) => "#9cc3e6",
        ("standby", _) => "#c9c9c9",
        ("proposer", _) => "#b9a4d6",
        (_, "follows") => "#9cc3e6",
        _ => "#d9d9d9",
    }
}

fn fmt_ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms.fract() == 0.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A tick step of 1, 2 or 5 times a power of ten giving about `target` ticks.
fn tick_step(span_us: f64, target: f64) -> f64 {
    let raw = (span_us / target).max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// The SVG of the window `[from, to]` (microseconds).
pub fn render(m: &Model, title: &str, from: u64, to: u64) -> String {
    let n = m.nodes.len();
    let kinds = m.message_kinds();
    let colour = |k: &str| {
        let i = kinds.iter().position(|x| x == k).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let plot = WIDTH - GUTTER - RIGHT;
    let span = (to - from) as f64;
    let x = |t: u64| GUTTER + (t as f64 - from as f64) / span * plot;
    let lane_top = |node: u32| TOP + node as f64 * LANE;
    let lane_mid = |node: u32| lane_top(node) + LANE * 0.6;
    let legend_rows = kinds.len().div_ceil(6).max(1);
    // The notes shown in the window, numbered as in the whole run, their text wrapped.
    let notes: Vec<(usize, u64, Vec<String>)> = m
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Note(text) => Some((e.time, text)),
            _ => None,
        })
        .enumerate()
        .filter(|(_, (t, _))| (from..=to).contains(t))
        .map(|(i, (t, text))| (i + 1, t, synod_sim::trace_out::wrap(text, NOTE_CHARS)))
        .collect();
    let note_lines: usize = notes.iter().map(|(_, _, l)| l.len()).sum();
    let notes_height = if notes.is_empty() {
        0.0
    } else {
        10.0 + note_lines as f64 * 15.0 + notes.len() as f64 * 3.0
    };
    let height = TOP + n as f64 * LANE + 30.0 + legend_rows as f64 * 18.0 + notes_height;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="system-ui, sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r##"<defs><clipPath id="plot"><rect x="{GUTTER}" y="0" width="{plot}" height="{height}"/></clipPath><pattern id="down" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#55595f"/><line x1="0" y1="0" x2="0" y2="6" stroke="#2b2e33" stroke-width="3"/></pattern>"##
    );
    for (i, _) in kinds.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let _ = writeln!(
            s,
            r#"<marker id="head{i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>"#
        );
    }
    s.push_str("</defs>\n");
    let _ = writeln!(
        s,
        r##"<rect width="{WIDTH}" height="{height}" fill="#fbfbf9"/><text x="10" y="20" font-size="15" font-weight="700">{}</text><text x="10" y="38" fill="#555">{} .. {}</text>"##,
        html_escape(title),
        fmt_ms(from),
        fmt_ms(to)
    );

    // Lanes and names.
    for (i, node) in m.nodes.iter().enumerate() {
        let y = lane_top(i as u32);
        let fill = if i % 2 == 0 { "#ffffff" } else { "#f3f3ef" };
        let _ = writeln!(
            s,
            r##"<rect x="{GUTTER}" y="{y}" width="{plot}" height="{LANE}" fill="{fill}"/><text x="{}" y="{}" text-anchor="end" font-weight="600">{}</text>"##,
            GUTTER - 8.0,
            y + LANE * 0.65,
            html_escape(&node.name)
        );
    }
    s.push_str(r#"<g clip-path="url(#plot)">"#);
    s.push('\n');
    let clip = |a: u64, b: u64| (a.max(from), b.min(to));

    // Partitions: each group its own tint.
    let tints = ["#dbe9ff", "#ffe1dc", "#e0f5e4", "#fff0cc"];
    for b in &m.bands {
        let (a, e) = clip(b.from, b.to.unwrap_or(m.end.max(to)));
        if a >= e {
            continue;
        }
        for (gi, g) in b.groups.iter().enumerate() {
            for &node in g {
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{}" width="{:.1}" height="{LANE}" fill="{}" opacity="0.8"/>"#,
                    x(a),
                    lane_top(node),
                    x(e) - x(a),
                    tints[gi % tints.len()]
                );
            }
        }
    }
    // Role bands with the epoch (a label only where it does not run into the previous one).
    for (node, segs) in m.role_segments().iter().enumerate() {
        let mut free_from = f64::MIN;
        for (i, g) in segs.iter().enumerate() {
            let end = segs.get(i + 1).map_or(m.end.max(to), |n| n.from);
            let (a, e) = clip(g.from, end);
            if a >= e {
                continue;
            }
            let y = lane_top(node as u32) + 2.0;
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{y}" width="{:.1}" height="7" fill="{}"/>"#,
                x(a),
                x(e) - x(a),
                role_colour(&g.role, &g.leadership)
            );
            let label = format!("{} {}", g.role, g.epoch);
            if x(e) - x(a) > 40.0 && x(a) >= free_from {
                free_from = x(a) + 6.0 * label.len() as f64 + 8.0;
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#333">{}</text>"##,
                    x(a) + 3.0,
                    y + 17.0,
                    html_escape(&label)
                );
            }
        }
    }
    // Down times.
    for (node, spans) in m.down_spans().iter().enumerate() {
        for (a, b) in spans {
            let (a, e) = clip(*a, b.unwrap_or(m.end.max(to)));
            if a >= e {
                continue;
            }
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{}" width="{:.1}" height="{LANE}" fill="url(#down)" opacity="0.75"/>"#,
                x(a),
                lane_top(node as u32),
                x(e) - x(a)
            );
        }
    }
    // Client operations.
    for o in &m.ops {
        let end = o.returned.as_ref().map_or(m.end.max(to), |r| r.0);
        let (a, e) = clip(o.invoked, end);
        if a > e {
            continue;
        }
        let fill = match o.class {
            OpClass::Ok => "#24a35a",
            OpClass::Error => "#ef9314",
            OpClass::Unknown => "#8a8f98",
            OpClass::Pending => "#c7cad0",
        };
        let y = lane_mid(o.client) - 6.0;
        let w = (x(e) - x(a)).max(2.0);
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{y:.1}" width="{w:.1}" height="12" rx="3" fill="{fill}"/>"#,
            x(a)
        );
        if w > 60.0 {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#fff">{}</text>"##,
                x(a) + 3.0,
                y + 9.5,
                html_escape(&o.text)
            );
        }
    }
    // Messages.
    for a in &m.arrows {
        let end = a.end.unwrap_or(m.end.max(to));
        if a.sent > to || end < from {
            continue;
        }
        let c = colour(&a.kind);
        let k = kinds.iter().position(|x| *x == a.kind).unwrap_or(0);
        let (x0, y0) = (x(a.sent), lane_mid(a.from));
        let (mut x1, mut y1) = (x(end), lane_mid(a.to));
        let lost_at_send = matches!(a.fate, Fate::Dropped(_)) && a.end == Some(a.sent);
        if lost_at_send {
            // Lost or cut off as it left: a short stub towards the receiver.
            x1 = x0 + 14.0;
            y1 = y0 + (y1 - y0).clamp(-14.0, 14.0);
        }
        let dash = if a.fate == Fate::InFlight {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let head = if a.fate == Fate::Delivered {
            format!(r#" marker-end="url(#head{k})""#)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            r#"<line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}" stroke="{c}" stroke-width="1.3"{dash}{head}/>"#
        );
        if let Fate::Dropped(_) = a.fate {
            let _ = writeln!(
                s,
                r#"<path d="M{:.1},{:.1} l8,8 m0,-8 l-8,8" stroke="{c}" stroke-width="2"/>"#,
                x1 - 4.0,
                y1 - 4.0
            );
        }
    }
    // Faults (those at one instant on one line) and the violation.
    let mut faults: Vec<(u64, String)> = Vec::new();
    for e in &m.events[m.window(from, to)] {
        if let Kind::Fault(text) = &e.kind {
            match faults.last_mut() {
                Some((t, all)) if *t == e.time => {
                    all.push_str(", ");
                    all.push_str(text);
                }
                _ => faults.push((e.time, text.clone())),
            }
        }
    }
    for (time, text) in &faults {
        let _ = writeln!(
            s,
            r##"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2}" stroke="#444" stroke-dasharray="3 3"/><text x="{3:.1}" y="{4}" font-size="10" fill="#444">{5}</text>"##,
            x(*time),
            TOP,
            TOP + n as f64 * LANE,
            x(*time) + 2.0,
            TOP - 4.0,
            html_escape(text)
        );
    }
    for (k, time, lines) in &notes {
        let nx = x(*time);
        let _ = writeln!(
            s,
            r##"<g><title>{text}</title><line x1="{nx:.1}" y1="{top}" x2="{nx:.1}" y2="{bottom}" stroke="{NOTE_BLUE}" stroke-dasharray="1 3"/><path d="M{l:.1},{y0} h14 v9 h-6 l-1,4 l-1,-4 h-6 z" fill="{NOTE_BLUE}"/><text x="{nx:.1}" y="{ty}" font-size="9" font-weight="700" fill="#fff" text-anchor="middle">{k}</text></g>"##,
            text = html_escape(&lines.join(" ")),
            // Above the faults' labels, which the lines start under.
            top = TOP - 17.0,
            bottom = TOP + n as f64 * LANE,
            l = nx - 7.0,
            y0 = TOP - 30.0,
            ty = TOP - 22.5,
        );
    }
    if let Some(v) = &m.violation {
        let t = m.events[v.event].time;
        if (from..=to).contains(&t) {
            let _ = writeln!(
                s,
                r##"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2}" stroke="#c62828" stroke-width="3"/><text x="{3:.1}" y="{4}" font-weight="700" fill="#c62828" text-anchor="end">violation: {5}</text>"##,
                x(t),
                TOP - 14.0,
                TOP + n as f64 * LANE,
                x(t) - 4.0,
                TOP - 16.0,
                html_escape(&v.property)
            );
        }
    }
    s.push_str("</g>\n");

    // Time axis.
    let axis_y = TOP + n as f64 * LANE;
    let step = tick_step(span, 8.0);
    let mut t = ((from as f64) / step).ceil() * step;
    while t <= to as f64 {
        let tx = x(t as u64);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{axis_y}" x2="{tx:.1}" y2="{:.1}" stroke="#333"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"##,
            axis_y + 5.0,
            axis_y + 16.0,
            fmt_ms(t as u64)
        );
        t += step;
    }
    // Legend.
    for (i, k) in kinds.iter().enumerate() {
        let lx = GUTTER + (i % 6) as f64 * 170.0;
        let ly = axis_y + 34.0 + (i / 6) as f64 * 18.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{0}" x2="{1}" y2="{0}" stroke="{2}" stroke-width="3"/><text x="{3}" y="{4}">{5}</text>"#,
            ly - 4.0,
            lx + 22.0,
            colour(k),
            lx + 28.0,
            ly,
            html_escape(k)
        );
    }
    // The notes' text, for a reader of the picture.
    let mut ny = axis_y + 34.0 + legend_rows as f64 * 18.0 + 4.0;
    for (k, time, lines) in &notes {
        for (j, line) in lines.iter().enumerate() {
            let head = if j == 0 {
                format!(
                    r##"<tspan font-weight="700" fill="{NOTE_BLUE}">{k} ({})</tspan> "##,
                    fmt_ms(*time)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{ny:.1}" font-size="11" fill="#333">{head}{}</text>"##,
                if j == 0 { 10.0 } else { 30.0 },
                html_escape(line)
            );
            ny += 15.0;
        }
        ny += 3.0;
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(1000.0, 8.0), 200.0);
        assert_eq!(tick_step(250_000.0, 8.0), 50_000.0);
        assert_eq!(tick_step(3.0, 8.0), 1.0);
    }

    #[test]
    fn a_window_draws_its_lanes_messages_and_the_violation() {
        let header = r#"{"schema":"synod-trace","version":1,"protocol":"t","seed":1,"nodes":[{"id":0,"name":"n1","role":"server","client":false},{"id":1,"name":"n2","role":"server","client":false}]}"#;
        let lines = [
            header,
            r#"{"seq":0,"time_us":0,"kind":"note","text":"first"}"#,
            r#"{"seq":1,"time_us":1000,"node":0,"kind":"send","to":1,"msg_id":1,"msg_kind":"Ping","msg":{}}"#,
            r#"{"seq":2,"time_us":3000,"node":1,"kind":"deliver","from":0,"msg_id":1,"msg_kind":"Ping"}"#,
            r#"{"seq":3,"time_us":4000,"node":1,"kind":"send","to":0,"msg_id":2,"msg_kind":"Pong","msg":{}}"#,
            r#"{"seq":4,"time_us":4000,"node":1,"kind":"drop","to":0,"msg_id":2,"msg_kind":"Pong","reason":"lost"}"#,
            r#"{"seq":5,"time_us":9000,"node":0,"kind":"send","to":1,"msg_id":3,"msg_kind":"Ping","msg":{}}"#,
            r#"{"seq":6,"time_us":9500,"node":1,"kind":"deliver","from":0,"msg_id":3,"msg_kind":"Ping"}"#,
            r#"{"seq":6,"time_us":9500,"kind":"violation","property":"agreement","detail":"x"}"#,
            r#"{"seq":7,"time_us":9800,"kind":"note","text":"the <second> note"}"#,
        ];
        let m = Model::parse("t", &lines.join("\n")).unwrap();
        let svg = render(&m, "a <title>", 0, 5000);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(">n1<") && svg.contains(">n2<"));
        assert!(svg.contains("a &lt;title&gt;"));
        // Two messages in the window (the third is after it), one with a head, one crossed.
        assert_eq!(svg.matches(r#"stroke-width="1.3""#).count(), 2, "{svg}");
        assert_eq!(svg.matches("marker-end").count(), 1);
        assert_eq!(svg.matches("l8,8").count(), 1);
        assert!(!svg.contains("violation: agreement"), "outside the window");
        let later = render(&m, "t", 5000, 10000);
        assert!(later.contains("violation: agreement"));
        // The notes of the window: a numbered flag (2: the run's second), their text below.
        assert!(!later.contains("first"));
        assert!(
            later.contains("<title>the &lt;second&gt; note</title>"),
            "{later}"
        );
        assert!(
            later.contains(">2 (9.8 ms)</tspan> the &lt;second&gt; note</text>"),
            "{later}"
        );
        assert!(svg.contains(">1 (0 ms)</tspan> first</text>"), "{svg}");
    }
}
