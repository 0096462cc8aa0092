//! Validity ("Paxos Made Simple", 2.1: "only a value that has been proposed may be chosen"),
//! as a state check over the live nodes. Agreement and stability are the generic `Agreement`
//! observer's job (on `decide` events).

use super::msg::Value;
use super::node::PaxosNode;

/// A state check: every learner's decided value is one a proposer may propose.
pub fn validity(
    candidates: Vec<Value>,
    names: Vec<String>,
) -> impl FnMut(&mut dyn Iterator<Item = Option<&PaxosNode>>) -> Option<(String, String)> {
    move |nodes| {
        nodes.enumerate().find_map(|(i, n)| {
            let v = n?.decided.as_ref()?;
            (!candidates.contains(v)).then(|| {
                (
                    "validity".to_string(),
                    format!(
                        "{} decided {v:?}, which no proposer proposed (candidates: {})",
                        names[i],
                        candidates.join(", ")
                    ),
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paxos::Config;
    use std::sync::Arc;
    use synod_core::NodeId;

    /// Paxos Made Simple, 2.1 (validity): only a value that has been proposed may be chosen.
    /// The check passes on proposed values and names the learner that decided anything else.
    #[test]
    fn validity_rejects_a_value_no_proposer_proposed() {
        let cfg = Arc::new(Config::symmetric(3));
        let mut check = validity(cfg.candidates(), cfg.names.clone());
        let mut a = PaxosNode::new(cfg.clone(), NodeId(0), None);
        let mut b = PaxosNode::new(cfg.clone(), NodeId(1), None);
        a.decided = Some("n3".into());
        assert_eq!(check(&mut [Some(&a), Some(&b), None].into_iter()), None);
        b.decided = Some("purple".into());
        let (property, detail) = check(&mut [Some(&a), Some(&b), None].into_iter()).unwrap();
        assert_eq!(property, "validity");
        assert!(detail.starts_with("n2 decided \"purple\""), "{detail}");
    }
}
