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
/// commands, or the same command with different answers.
///
/// The answers are the replicated state machine's own promise: deterministic replicas that
/// apply the same commands in the same order pass through the same states, so each answers a
/// command as every other does (TigerBeetle's simulator checks replicas' state checksums op by
/// op for the same reason). A replica whose answer differs holds another state: for instance,
/// one restored from a snapshot without the client sessions applies a retried `put` again and
/// answers "key already exists" where the others answered from their sessions. Its store may
/// agree with the others' again after the next write, long before anyone reads it.
///
/// A run of a million requests applies a million indexes, each on every replica, so the check
/// keeps little per index: a 64-bit fingerprint of the command first applied there, with its
/// answer, and who applied it (12 bytes), and their text only for the last [`RECENT`]
/// indexes, for the message. Two different commands whose fingerprints collide would go unnoticed: a
/// chance of about 2^-64 per pair.
#[derive(Debug, Default)]
pub struct StateMachineSafety {
    /// The fingerprint of the command first applied at each index, by index (0: none yet).
    fingerprints: Vec<u64>,
    /// Who applied it: a position in `names`.
    first_by: Vec<u32>,
    names: Vec<String>,
    /// Indexes far beyond the others: fingerprint and who.
    sparse: BTreeMap<u64, (u64, u32)>,
    /// The text of the command first applied at each of the most recent indexes.
    recent: BTreeMap<u64, String>,
}

/// Indexes whose first command [`StateMachineSafety`] keeps as text.
pub const RECENT: usize = 4096;

/// Indexes more than this beyond the highest so far are kept apart (a vector indexed by them
/// would be mostly empty).
const DENSE_GAP: u64 = 1 << 20;

/// Feeds what a value displays into a hasher, without building the string.
struct HashWriter(crate::memo::FxHasher);

impl std::fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        std::hash::Hasher::write(&mut self.0, s.as_bytes());
        Ok(())
    }
}

impl StateMachineSafety {
    /// The command and its answer, as two fields: a byte no text holds (0xFF is never in
    /// UTF-8) keeps a command that prints " -> " from passing for another with its answer.
    fn fingerprint(command: &dyn std::fmt::Display, result: &dyn std::fmt::Display) -> u64 {
        use std::fmt::Write as _;
        let mut w = HashWriter(crate::memo::FxHasher::default());
        // Writing to a hasher cannot fail.
        let _ = write!(w, "{command}");
        std::hash::Hasher::write_u8(&mut w.0, 0xFF);
        let _ = write!(w, "{result}");
        crate::memo::mix(std::hash::Hasher::finish(&w.0)).max(1)
    }

    /// The fingerprint and applier recorded at `index`, if any.
    fn get(&self, index: u64) -> Option<(u64, u32)> {
        match usize::try_from(index)
            .ok()
            .filter(|&i| i < self.fingerprints.len())
        {
            Some(i) => {
                (self.fingerprints[i] != 0).then(|| (self.fingerprints[i], self.first_by[i]))
            }
            None => self.sparse.get(&index).copied(),
        }
    }

    fn record(&mut self, index: u64, fingerprint: u64, by: u32) {
        let len = self.fingerprints.len() as u64;
        if index < len.saturating_add(DENSE_GAP) {
            let i = index as usize;
            if i >= self.fingerprints.len() {
                self.fingerprints.resize(i + 1, 0);
                self.first_by.resize(i + 1, 0);
            }
            self.fingerprints[i] = fingerprint;
            self.first_by[i] = by;
        } else {
            self.sparse.insert(index, (fingerprint, by));
        }
    }

    fn name(&mut self, label: &str) -> u32 {
        match self.names.iter().position(|n| n == label) {
            Some(i) => i as u32,
            None => {
                self.names.push(label.to_string());
                (self.names.len() - 1) as u32
            }
        }
    }
}

impl Observer for StateMachineSafety {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        if let EventKind::Apply {
            index,
            command,
            result,
        } = ev.kind
        {
            let applied = format_args!("{command} -> {result}");
            let fingerprint = StateMachineSafety::fingerprint(command, result);
            match self.get(index) {
                None => {
                    let by = self.name(ev.label);
                    self.record(index, fingerprint, by);
                    self.recent.insert(index, applied.to_string());
                    if self.recent.len() > RECENT {
                        self.recent.pop_first();
                    }
                }
                Some((first, by)) if first != fingerprint => {
                    let by = &self.names[by as usize];
                    let first = match self.recent.get(&index) {
                        Some(text) => text.clone(),
                        None => "a command (too long ago to show)".to_string(),
                    };
                    return Err(violation(
                        ev,
                        STATE_MACHINE_SAFETY,
                        format!(
                            "index {index}: {by} applied {first} but {} applied {applied}",
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
    fn state_machine_safety_catches_one_command_answered_differently() {
        let mut s = StateMachineSafety::default();
        static PUT: &str = "put a = v1";
        static OK: &str = "ok";
        static EXISTS: &str = "key already exists: a";
        let apply = |r: &'static &'static str| EventKind::Apply {
            index: 9,
            command: &PUT,
            result: r,
        };
        // The same command with the same answer, on every replica, is what should happen.
        s.event(&ev(1, 0, "n1", apply(&OK))).unwrap();
        s.event(&ev(2, 1, "n2", apply(&OK))).unwrap();
        // A replica that applies a retry again answers otherwise: its state is not theirs.
        let v = s.event(&ev(3, 2, "n3", apply(&EXISTS))).unwrap_err();
        assert_eq!(v.property, "state machine safety");
        assert_eq!(
            v.detail,
            "index 9: n1 applied put a = v1 -> ok but n3 applied put a = v1 -> key already exists: a"
        );
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
