//! Validity ("Paxos Made Simple", 2.1: "only a value that has been proposed may be chosen"),
//! as a state check over the live nodes. Agreement and stability are the generic `Agreement`
//! observer's job (on `decide` events).

use super::msg::Value;
use super::node::PaxosNode;

/// A state check: every learner's decided value is one a proposer may propose.
pub fn validity(
    candidates: Vec<Value>,
    names: Vec<String>,
) -> impl FnMut(&[Option<&PaxosNode>]) -> Option<(String, String)> {
    move |nodes| {
        nodes.iter().enumerate().find_map(|(i, n)| {
            let v = (*n)?.decided.as_ref()?;
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
