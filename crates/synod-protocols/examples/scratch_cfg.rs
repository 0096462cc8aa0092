//! Scratch: per-seed configuration and outcome of a campaign (not committed).
use synod_protocols::PROTOCOLS;
use synod_protocols::campaign::{self, Outcome, Plan};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (proto, bug, n) = (&args[1], &args[2], args[3].parse::<u64>().unwrap());
    let nemesis = args.get(4);
    let mut base = PROTOCOLS.scenario(proto).unwrap();
    base.bug = Some(bug.clone());
    let mut plan = Plan::for_protocol(base.protocol);
    if let Some(m) = nemesis {
        plan.mix = synod_protocols::nemesis::parse(m, base.protocol.campaign.nemeses).unwrap();
    }
    for seed in 1..=n {
        let s = campaign::scenario_for(&base, &plan, seed).unwrap();
        let r = campaign::judge_scenario(&s).unwrap();
        let fail = matches!(r.outcome, Outcome::Fail { .. });
        let t = s.to_toml();
        let keys: Vec<&str> = t
            .lines()
            .filter(|l| {
                [
                    "nodes",
                    "pre_vote",
                    "check_quorum",
                    "reads",
                    "election_timeout",
                    "max_append",
                    "snapshot_every",
                    "keys",
                    "until_ms",
                    "client_timeout",
                    "clients",
                ]
                .iter()
                .any(|k| l.starts_with(k))
            })
            .collect();
        println!(
            "{} {} {}",
            seed,
            if fail { "FAIL" } else { "pass" },
            keys.join(" ; ")
        );
    }
}
