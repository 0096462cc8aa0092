//! Narration the simulator adds: a protocol's cluster observer (asked only when narration at
//! `info` is wanted, so it costs nothing otherwise) and a scenario's notes (shown when the clock
//! reaches them, changing nothing in the run).

mod common;

use common::sim;
use std::cell::Cell;
use std::rc::Rc;
use synod_core::{Level, Time};
use synod_sim::trace_out::{HumanPrinter, JsonTrace, json_header};
use synod_sim::{EndReason, Shared, SimConfig};

fn config() -> SimConfig {
    SimConfig {
        until: Time::ms(100),
        ..SimConfig::default()
    }
}

/// A narrator that counts its calls and says something on node 0's first input.
fn counting(s: &mut synod_sim::Sim<common::Chatter>) -> Rc<Cell<u32>> {
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    s.set_narrator(Box::new(move |node, nodes, out| {
        seen.set(seen.get() + 1);
        assert_eq!(nodes.count(), 3, "every node, up or down");
        if seen.get() == 1 {
            out.push(format!("node {} moved first", node.0 + 1));
        }
    }));
    calls
}

#[test]
fn the_cluster_observer_is_asked_only_when_narration_at_info_is_wanted() {
    // No observer, or one that wants warnings only: never asked.
    for level in [None, Some(Level::Warn)] {
        let mut s = sim(3, 5, config());
        let calls = counting(&mut s);
        let names = s.names();
        if let Some(l) = level {
            s.add_observer(Box::new(HumanPrinter::new(Vec::new(), l, &names)));
        }
        s.run();
        assert_eq!(calls.get(), 0, "{level:?}");
    }
    // At info: after every input a node handles, and its lines are narrated by the observer.
    let mut s = sim(3, 5, config());
    let calls = counting(&mut s);
    let names = s.names();
    let printer = Shared::new(HumanPrinter::new(Vec::new(), Level::Info, &names));
    s.add_observer(Box::new(printer.clone()));
    s.run();
    assert_eq!(u64::from(calls.get()), s.stats().events);
    let text = String::from_utf8(printer.borrow_mut().writer().clone()).unwrap();
    assert_eq!(text, "    0.0ms  [observer]  node 1 moved first\n");
}

#[test]
fn notes_are_shown_when_the_clock_reaches_them_and_change_nothing() {
    let run = |notes: &[(u64, &str)]| {
        let mut s = sim(3, 5, config());
        for (at, text) in notes {
            s.schedule_note(Time::ms(*at), text.to_string());
        }
        let header = json_header(1, "chatter", s.specs());
        let trace = Shared::new(JsonTrace::new(Vec::new(), &header).unwrap());
        s.add_observer(Box::new(trace.clone()));
        let end = s.run();
        let text = String::from_utf8(trace.borrow().writer().clone()).unwrap();
        (end, s.now(), text)
    };
    let (end, now, bare) = run(&[]);
    assert_eq!(end, EndReason::Quiescent);
    // Two notes at one time keep their order; one after the end is never shown, and does not
    // keep the run going.
    let (end2, now2, told) = run(&[(3, "third"), (3, "fourth"), (1, "first"), (500, "late")]);
    assert_eq!((end2, now2), (end, now));
    let notes: Vec<&str> = told.lines().filter(|l| l.contains("\"note\"")).collect();
    assert_eq!(notes.len(), 3, "{told}");
    assert!(notes[0].contains("\"time_us\":1000,\"kind\":\"note\",\"text\":\"first\""));
    assert!(notes[1].ends_with("\"text\":\"third\"}"));
    assert!(notes[2].ends_with("\"text\":\"fourth\"}"));
    // Each before the first event due at its time.
    let lines: Vec<&str> = told.lines().collect();
    let at = lines.iter().position(|l| l.contains("\"first\"")).unwrap();
    assert!(
        lines[at + 1].contains("\"time_us\":1000"),
        "{}",
        lines[at + 1]
    );
    assert!(
        lines[at - 1].contains("\"time_us\":0,"),
        "{}",
        lines[at - 1]
    );
    // Apart from the notes (and the sequence numbers they take), the same run.
    let strip = |t: &str| -> Vec<String> {
        t.lines()
            .skip(1)
            .filter(|l| !l.contains("\"note\""))
            .map(|l| l.split_once(",\"time_us\"").unwrap().1.to_string())
            .collect()
    };
    assert_eq!(strip(&told), strip(&bare));
}
