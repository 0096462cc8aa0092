//! The register protocol against Stateright's Paxos example: same model, same state counts.

use synod_explore::{Bounds, End, Options, Strategy};
use synod_protocols::PROTOCOLS;
use synod_protocols::explore::explore as explore_scenario;
use synod_protocols::scenario::Scenario;

fn register(clients: u32) -> Scenario {
    let mut s = PROTOCOLS.scenario("register").unwrap();
    s.set_count("cluster.clients", u64::from(clients), "test")
        .unwrap();
    s
}

fn count(clients: u32, strategy: Strategy, threads: usize) -> synod_explore::Outcome {
    let opts = Options {
        strategy,
        threads,
        ..Options::default()
    };
    explore_scenario(&register(clients), Bounds::default(), &opts)
        .unwrap()
        .outcome
}

/// Stateright's `examples/paxos.rs` asserts 16,668 unique states for two clients (its test
/// `can_model_paxos`, breadth- and depth-first): the same model here finds the same number.
#[test]
fn two_clients_have_the_16668_states_stateright_counts() {
    let o = count(2, Strategy::Bfs, 2);
    assert_eq!(o.end, End::Exhausted);
    assert_eq!(o.unique, 16_668);
    assert_eq!(o.depth, 21, "Stateright reports depth 21");
    let d = count(2, Strategy::Dfs, 1);
    assert_eq!(d.unique, 16_668);
    assert!(
        o.sometimes.iter().all(|(_, at)| at.is_some()),
        "{:?}",
        o.sometimes
    );
}
