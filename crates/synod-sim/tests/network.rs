//! The network model and crash semantics, observed from the outside.

mod common;

use common::{Links, sim};
use synod_core::{NodeId, Time};
use synod_sim::{Fault, NetConfig, ScheduledFault, Shared, SimConfig, Target};

fn config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        until: Time::ms(1_000),
        ..SimConfig::default()
    }
}

fn node(i: u32) -> Target {
    Target::Node(NodeId(i))
}

#[test]
fn a_partition_blocks_exactly_the_cut_links_and_heal_restores_them() {
    let mut s = sim(3, 20, config(1));
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    s.schedule(ScheduledFault {
        at: Time::ZERO,
        fault: Fault::Partition(vec![vec![node(0)], vec![node(1), node(2)]]),
    });
    // Stop at 30ms: every message sent so far (rounds 1..20 at 1..20ms) has arrived or dropped.
    s.schedule(ScheduledFault {
        at: Time::ms(30),
        fault: Fault::Heal,
    });
    s.run();
    let l = links.borrow();
    // Before the heal, 0 <-> {1,2} is cut both ways; 1 <-> 2 is untouched.
    let before = |f: u32, t: u32| {
        l.delivered
            .iter()
            .filter(|(a, b, _, at)| *a == f && *b == t && *at < Time::ms(30))
            .count()
    };
    assert_eq!(before(0, 1) + before(1, 0) + before(0, 2) + before(2, 0), 0);
    assert_eq!(before(1, 2), 20);
    assert_eq!(before(2, 1), 20);
    let cut = l.dropped.iter().filter(|d| d.2 == "partitioned").count();
    assert_eq!(cut, 4 * 20);
}

#[test]
fn heal_restores_every_link() {
    let mut s = sim(3, 40, config(2));
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    s.schedule(ScheduledFault {
        at: Time::ZERO,
        fault: Fault::Partition(vec![vec![node(0)], vec![node(1), node(2)]]),
    });
    s.schedule(ScheduledFault {
        at: Time::micros(20_500),
        fault: Fault::Heal,
    });
    s.run();
    let l = links.borrow();
    // Rounds 21..40 are sent after the heal and all arrive.
    assert_eq!(l.count(0, 1), 20);
    assert_eq!(l.count(2, 0), 20);
    assert_eq!(l.count(1, 2), 40);
}

#[test]
fn a_one_way_partition_blocks_one_direction_only() {
    let mut s = sim(2, 10, config(3));
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    s.schedule(ScheduledFault {
        at: Time::ZERO,
        fault: Fault::OneWay {
            from: vec![node(0)],
            to: vec![node(1)],
        },
    });
    s.run();
    let l = links.borrow();
    assert_eq!(l.count(0, 1), 0);
    assert_eq!(l.count(1, 0), 10);
}

#[test]
fn hold_delays_and_release_delivers_in_order() {
    let mut s = sim(2, 10, config(4));
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    s.schedule(ScheduledFault {
        at: Time::ZERO,
        fault: Fault::Hold(node(0)),
    });
    s.schedule(ScheduledFault {
        at: Time::ms(100),
        fault: Fault::Release(node(0)),
    });
    s.run();
    let l = links.borrow();
    let from0: Vec<(u64, Time)> = l
        .delivered
        .iter()
        .filter(|(f, _, _, _)| *f == 0)
        .map(|(_, _, id, at)| (*id, *at))
        .collect();
    assert_eq!(from0.len(), 10, "held messages are delayed, not lost");
    assert!(from0.iter().all(|(_, at)| *at >= Time::ms(100)));
    let ids: Vec<u64> = from0.iter().map(|(id, _)| *id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "released in the order they were sent");
    // The other direction was never held: random latency, all before the release.
    assert!(
        l.delivered
            .iter()
            .filter(|(f, _, _, _)| *f == 1)
            .all(|(_, _, _, at)| *at < Time::ms(100))
    );
}

#[test]
fn measured_loss_and_duplication_rates_match_the_configuration() {
    let rounds = 5_000;
    let mut s = sim(
        2,
        rounds,
        SimConfig {
            seed: 5,
            until: Time::ms(60_000),
            net: NetConfig {
                loss: 0.2,
                duplicate: 0.1,
                ..NetConfig::default()
            },
            ..SimConfig::default()
        },
    );
    s.run();
    let st = s.stats();
    let (sent, _, dropped, duplicated) = st.totals();
    assert_eq!(sent, 2 * rounds as u64);
    let loss = dropped as f64 / sent as f64;
    let dup = duplicated as f64 / (sent - dropped) as f64;
    assert!((loss - 0.2).abs() < 0.02, "loss rate {loss}");
    assert!((dup - 0.1).abs() < 0.02, "duplication rate {dup}");
}

#[test]
fn a_slow_node_multiplies_its_latency() {
    let mut s = sim(
        2,
        50,
        SimConfig {
            seed: 6,
            net: NetConfig {
                latency_min: Time::ms(2),
                latency_max: Time::ms(2),
                ..NetConfig::default()
            },
            ..config(6)
        },
    );
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    s.schedule(ScheduledFault {
        at: Time::ZERO,
        fault: Fault::Slow(node(1), 5.0),
    });
    s.run();
    let l = links.borrow();
    // Round k is sent at k ms; with latency 2ms x5 it arrives at k + 10 ms.
    let first = l.delivered.iter().map(|d| d.3).min().unwrap();
    assert_eq!(first, Time::ms(11));
}

#[test]
fn a_crash_keeps_durable_state_and_discards_volatile_state() {
    let mut s = sim(2, 50, config(7));
    s.schedule(ScheduledFault {
        at: Time::micros(30_500),
        fault: Fault::Crash(node(1)),
    });
    s.schedule(ScheduledFault {
        at: Time::micros(30_600),
        fault: Fault::Restart(node(1)),
    });
    s.run();
    let p = s.process(NodeId(1)).unwrap();
    assert!(p.received_since_start < p.durable.received_ever);
    assert!(
        p.received_since_start > 0,
        "it keeps receiving after the restart"
    );
    assert!(
        p.durable.received_ever > 20,
        "the durable count survived the crash"
    );
    // The node that never crashed saw everything from both lives of node 1.
    let q = s.process(NodeId(0)).unwrap();
    assert_eq!(q.received_since_start, q.durable.received_ever);
}

#[test]
fn messages_to_a_down_node_are_dropped_and_its_timers_never_fire() {
    let mut s = sim(2, 50, config(8));
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    s.schedule(ScheduledFault {
        at: Time::micros(10_500),
        fault: Fault::Crash(node(1)),
    });
    s.run();
    let l = links.borrow();
    assert!(l.dropped.iter().any(|d| d.1 == 1 && d.2 == "node down"));
    // Node 1 sent at most 10 rounds (and some still in flight when it crashed arrive).
    assert!(l.count(1, 0) <= 10);
    assert!(s.process(NodeId(1)).is_none());
}

#[test]
fn a_hand_driven_schedule_delivers_or_drops_the_chosen_message() {
    use synod_sim::PendingKind;
    let mut s = sim(3, 1, config(9));
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    // Start the three nodes and fire their first timers: six messages in flight.
    while s
        .pending()
        .iter()
        .any(|p| !matches!(p.what, PendingKind::Deliver { .. }))
    {
        s.step();
    }
    let pending = s.pending();
    assert_eq!(pending.len(), 6);
    let last = pending.last().unwrap().clone();
    let first = pending[0].clone();
    assert!(s.drop_pending(first.id));
    assert!(!s.drop_pending(first.id), "it is gone");
    let before = s.now();
    assert!(s.process_now(last.id));
    assert_eq!(s.now(), before, "delivering by hand does not move time");
    let l = links.borrow();
    let PendingKind::Deliver {
        from, to, msg_id, ..
    } = last.what
    else {
        panic!("{last:?}")
    };
    assert_eq!(l.delivered, vec![(from.0, to.0, msg_id, before)]);
    assert_eq!(l.dropped.len(), 1);
    assert_eq!(l.dropped[0].2, "dropped by hand");
    assert_eq!(s.pending().len(), 4);
}

#[test]
fn sends_at_one_instant_leave_one_stagger_apart() {
    let mut s = sim(
        3,
        1,
        SimConfig {
            seed: 10,
            net: NetConfig {
                latency_min: Time::ms(2),
                latency_max: Time::ms(2),
                stagger: Time::ms(5),
                ..NetConfig::default()
            },
            ..config(10)
        },
    );
    let links = Shared::new(Links::default());
    s.add_observer(Box::new(links.clone()));
    s.run();
    let l = links.borrow();
    // Each node broadcasts once at 1 ms: its first message leaves at once, its second 5 ms
    // later; 2 ms of latency each.
    let from0: Vec<Time> = l
        .delivered
        .iter()
        .filter(|d| d.0 == 0)
        .map(|d| d.3)
        .collect();
    assert_eq!(from0, vec![Time::ms(3), Time::ms(8)]);
}
