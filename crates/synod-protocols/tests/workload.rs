//! The workload through a window of time (docs/scenarios.md, `[workload]`): requests stop at
//! `until_ms`, a paced closed loop waits between requests, and an open loop never lets more
//! than `requests_per_client` requests arrive, however slow the cluster.

use synod_core::Time;
use synod_protocols::PROTOCOLS;
use synod_protocols::campaign::run_judged;

fn run(toml: &str) -> synod_protocols::judge::Report {
    let s = PROTOCOLS.parse("workload.toml", toml).unwrap();
    let r = run_judged(&s).unwrap();
    assert!(r.passed(), "{:?} ({})", r.verdicts, r.end);
    r
}

#[test]
fn a_closed_loop_issues_nothing_after_its_window() {
    let r = run("protocol = \"raft\"\nseed = 3\nuntil_ms = 3000\n\
         [workload]\nrequests_per_client = 1000\nuntil_ms = 600\n");
    assert!(r.history.len() > 30, "{} operations", r.history.len());
    let last = r.history.iter().map(|o| o.invoked).max().unwrap();
    assert!(last < Time::ms(600), "an operation invoked at {last}");
}

#[test]
fn a_paced_closed_loop_keeps_to_its_rate() {
    // 20 requests a second for 1 s: about 20 each (think times uniform in [0, 100 ms)).
    let r = run("protocol = \"raft\"\nseed = 3\nuntil_ms = 3000\n\
         [cluster]\nclients = 2\n\
         [workload]\nrequests_per_client = 1000\nuntil_ms = 1000\nrate = 20\n");
    let n = r.history.len();
    assert!(
        (20..=60).contains(&n),
        "{n} operations from 2 clients at 20/s for 1 s"
    );
}

#[test]
fn an_open_loop_never_lets_more_than_its_requests_arrive() {
    // 200 arrivals a second, at most 10 per client, while a partition holds the leader away
    // from the others for 400 ms: arrivals wait, and the cap holds all the same.
    let r = run("protocol = \"raft\"\nseed = 5\nuntil_ms = 4000\n\
         [cluster]\nclients = 3\n\
         [workload]\nrequests_per_client = 10\nuntil_ms = 1500\nrate = 200\nloop = \"open\"\n\
         [[fault]]\nat_ms = 100\nfor_ms = 400\ncrash = \"leader\"\n");
    let mut per_client = std::collections::BTreeMap::new();
    for o in &r.history {
        *per_client.entry(o.client).or_insert(0) += 1;
    }
    assert_eq!(per_client.len(), 3);
    for (client, n) in per_client {
        assert_eq!(n, 10, "client {client}: {n} requests");
    }
}
