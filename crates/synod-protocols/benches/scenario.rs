//! Scenario parsing is linear in the file's size: parse schedules of 10,000 to 80,000 faults
//! and print the time per fault, which should stay flat as the file grows.
//!
//! `cargo bench -p synod-protocols --bench scenario`
#![allow(clippy::disallowed_methods)] // a benchmark reads the wall clock

use std::fmt::Write as _;
use std::time::Instant;
use synod_protocols::PROTOCOLS;

/// A Raft scenario with `n` faults (crashes and restarts of every server, partitions) and as
/// many requests.
fn scenario(n: usize) -> String {
    let mut s = String::from("protocol = \"raft\"\nuntil_ms = 1000000\n");
    for i in 0..n {
        let node = i % 5 + 1;
        let _ = match i % 3 {
            0 => write!(s, "\n[[fault]]\nat_ms = {i}\ncrash = \"n{node}\"\n"),
            1 => write!(s, "\n[[fault]]\nat_ms = {i}\nrestart = \"n{node}\"\n"),
            _ => write!(
                s,
                "\n[[fault]]\nat_ms = {i}\npartition = \"n1,n2 | n3,n4,n5\"\n"
            ),
        };
        let _ = write!(
            s,
            "\n[[request]]\nat_ms = {i}.5\nclient = \"client 1\"\nop = \"get\"\nkey = \"k{i}\"\n"
        );
    }
    s
}

fn main() {
    for n in [10_000, 20_000, 40_000, 80_000] {
        let text = scenario(n);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let started = Instant::now();
            let s = PROTOCOLS.parse("<bench>", &text).expect("bench scenario");
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(s.faults.len(), n);
            best = best.min(secs);
        }
        println!(
            "parse {n} faults and {n} requests ({:.1} MB): {:.3} s (best of 3), {:.2} us per fault",
            text.len() as f64 / 1e6,
            best,
            best * 1e6 / n as f64
        );
    }
}
