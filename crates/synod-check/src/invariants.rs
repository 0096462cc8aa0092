//! Safety invariants evaluated live, on every protocol event. Each is an [`Observer`]: a
//! violation stops the run at the event that broke it.

use std::collections::BTreeMap;
use synod_core::{Event, EventKind, Leadership, NodeId, Observer, Violation};

/// [`Agreement`]'s property: two learners decided differently.
pub const AGREEMENT: &str = "agreement";
/// [`Agreement`]'s property: one learner changed its decision.
pub const STABILITY: &str = "stability";
/// [`StateMachineSafety`]'s property.
pub const STATE_MACHINE_SAFETY: &str = "state machine safety";
/// [`ElectionSafety`]'s property.
pub const ELECTION_SAFETY: &str = "election safety";

fn violation(ev: &Event<'_>, property: &str, detail: String) -> Violation {
    Violation {
        property: property.to_string(),
        seq: ev.seq,
        time: ev.time,
        detail,
    }
}

/// Agreement and stability (Paxos Made Simple, 2.1: "only a single value is chosen"): no two
/// `decide` events for one instance carry different values, whether from two learners
/// (agreement) or from one learner changing its mind (stability).
#[derive(Debug, Default)]
pub struct Agreement {
    decided: BTreeMap<u64, (String, NodeId, String)>,
}

impl Observer for Agreement {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        if let (EventKind::Decide { instance, value }, Some(node)) = (ev.kind, ev.node) {
            let value = value.to_string();
            match self.decided.get(&instance) {
                None => {
                    self.decided
                        .insert(instance, (value, node, ev.label.to_string()));
                }
                Some((first, by, by_label)) if *first != value => {
                    let (property, who) = if *by == node {
                        (STABILITY, format!("{} changed its decision", ev.label))
                    } else {
                        (
                            AGREEMENT,
                            format!("{} and {} decided differently", by_label, ev.label),
                        )
                    };
                    return Err(violation(
                        ev,
                        property,
                        format!("instance {instance}: {who}: {first} vs {value}"),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// State machine safety (Raft, Figure 3; Multi-Paxos: every slot holds the same command at
/// every replica that applied it): no two `apply` events for one index carry different
/// commands.
#[derive(Debug, Default)]
pub struct StateMachineSafety {
    applied: BTreeMap<u64, (String, String)>,
}

impl Observer for StateMachineSafety {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        if let EventKind::Apply { index, command, .. } = ev.kind {
            let command = command.to_string();
            match self.applied.get(&index) {
                None => {
                    self.applied.insert(index, (command, ev.label.to_string()));
                }
                Some((first, by)) if *first != command => {
                    return Err(violation(
                        ev,
                        STATE_MACHINE_SAFETY,
                        format!(
                            "index {index}: {by} applied {first} but {} applied {command}",
                            ev.label
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Election safety (Raft, Figure 3: "at most one leader can be elected in a given term"): no
/// two nodes announce that they lead ([`Leadership::Leads`]) in the same epoch, whatever their
/// protocol calls the role.
#[derive(Debug, Default)]
pub struct ElectionSafety {
    leaders: BTreeMap<String, (NodeId, String)>,
}

impl Observer for ElectionSafety {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        if let (
            EventKind::Role {
                epoch,
                leadership: Leadership::Leads,
                ..
            },
            Some(node),
        ) = (ev.kind, ev.node)
        {
            let epoch = epoch.to_string();
            match self.leaders.get(&epoch) {
                None => {
                    self.leaders.insert(epoch, (node, ev.label.to_string()));
                }
                Some((first, label)) if *first != node => {
                    return Err(violation(
                        ev,
                        ELECTION_SAFETY,
                        format!("two leaders in {epoch}: {label} and {}", ev.label),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_core::Time;

    fn ev<'a>(seq: u64, node: u32, label: &'a str, kind: EventKind<'a>) -> Event<'a> {
        Event {
            seq,
            time: Time::ms(seq),
            node: Some(NodeId(node)),
            label,
            kind,
        }
    }

    #[test]
    fn agreement_catches_two_learners_deciding_differently() {
        let mut a = Agreement::default();
        let (x, y) = ("red", "blue");
        assert!(
            a.event(&ev(
                1,
                0,
                "n1",
                EventKind::Decide {
                    instance: 0,
                    value: &x
                }
            ))
            .is_ok()
        );
        assert!(
            a.event(&ev(
                2,
                1,
                "n2",
                EventKind::Decide {
                    instance: 0,
                    value: &x
                }
            ))
            .is_ok()
        );
        assert!(
            a.event(&ev(
                3,
                1,
                "n2",
                EventKind::Decide {
                    instance: 1,
                    value: &y
                }
            ))
            .is_ok()
        );
        let v = a
            .event(&ev(
                4,
                2,
                "n3",
                EventKind::Decide {
                    instance: 0,
                    value: &y,
                },
            ))
            .unwrap_err();
        assert_eq!(v.property, "agreement");
        assert_eq!(v.seq, 4);
        assert_eq!(
            v.detail,
            "instance 0: n1 and n3 decided differently: red vs blue"
        );
    }

    #[test]
    fn stability_catches_a_learner_changing_its_mind() {
        let mut a = Agreement::default();
        let (x, y) = ("red", "blue");
        a.event(&ev(
            1,
            0,
            "n1",
            EventKind::Decide {
                instance: 0,
                value: &x,
            },
        ))
        .unwrap();
        let v = a
            .event(&ev(
                2,
                0,
                "n1",
                EventKind::Decide {
                    instance: 0,
                    value: &y,
                },
            ))
            .unwrap_err();
        assert_eq!(v.property, "stability");
    }

    #[test]
    fn state_machine_safety_catches_different_commands_at_one_index() {
        let mut s = StateMachineSafety::default();
        static P: &str = "PUT a";
        static Q: &str = "PUT b";
        static OK: &str = "OK";
        let apply = |c: &'static &'static str| EventKind::Apply {
            index: 7,
            command: c,
            result: &OK,
        };
        s.event(&ev(1, 0, "n1", apply(&P))).unwrap();
        s.event(&ev(2, 1, "n2", apply(&P))).unwrap();
        let v = s.event(&ev(3, 2, "n3", apply(&Q))).unwrap_err();
        assert_eq!(v.property, "state machine safety");
        assert!(v.detail.contains("index 7"), "{}", v.detail);
    }

    #[test]
    fn election_safety_catches_two_leaders_in_one_term() {
        let mut e = ElectionSafety::default();
        static T2: &str = "term 2";
        static T3: &str = "term 3";
        // The role's name does not matter, only what it says about leadership: a protocol
        // whose leader is called "primary" is held to the same rule.
        let leader = |t: &'static &'static str| EventKind::Role {
            role: "primary",
            epoch: t,
            leadership: Leadership::Leads,
        };
        e.event(&ev(1, 0, "n1", leader(&T2))).unwrap();
        e.event(&ev(2, 0, "n1", leader(&T2))).unwrap();
        e.event(&ev(3, 1, "n2", leader(&T3))).unwrap();
        let follower = EventKind::Role {
            role: "leader",
            epoch: &T3,
            leadership: Leadership::Follows,
        };
        e.event(&ev(4, 2, "n3", follower)).unwrap();
        let v = e.event(&ev(5, 2, "n3", leader(&T2))).unwrap_err();
        assert_eq!(v.property, "election safety");
        assert_eq!(v.detail, "two leaders in term 2: n1 and n3");
    }
}
