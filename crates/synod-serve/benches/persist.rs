//! What persistence costs, for docs/serve.md's choices.
//!
//! 1. **Journal vs `durable()`**: a Raft follower with a log of N entries takes one more entry
//!    per turn; per turn, the journal writes only that entry, where taking `durable()` (as the
//!    simulator does at a crash) clones the whole log.
//! 2. **WAL vs redb**: appending Raft entries in groups of B, durable after each group (the
//!    WAL's `fdatasync`; redb's default `Durability::Immediate` commit), in `target/`.
//!
//! `cargo bench -p synod-serve --bench persist`
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::time::{Duration, Instant};
use synod_core::testing::Harness;
use synod_core::{NodeId, Process};
use synod_protocols::kv::Command;
use synod_protocols::raft::{Durable, Entry, RaftConfig, RaftMsg, RaftNode};
use synod_serve::protocol::Protocol;
use synod_serve::raft::RaftProtocol;
use synod_serve::wal::{Wal, encode_frame};

fn entry(i: u64) -> Entry {
    Entry::command(
        1,
        Some((NodeId(2000), i)),
        Command::Put {
            key: format!("load-0000/c7/{i}"),
            value: "vvvvvvvvvvvvvvvv".into(),
        },
    )
}

fn follower(n: u64) -> (RaftProtocol, Harness<RaftNode>) {
    let mut d = Durable {
        current_term: 1,
        voted_for: Some(NodeId(1)),
        ..Durable::default()
    };
    for i in 1..=n {
        d.log.push(entry(i));
    }
    // No snapshots: the bench measures the journal of a log of `n` entries.
    let mut p = RaftProtocol::new(RaftConfig {
        snapshot_every: 0,
        ..RaftConfig::with_servers(3)
    });
    let node = p.build(NodeId(0), d);
    (p, Harness::new(NodeId(0), node, 1))
}

fn append(h: &mut Harness<RaftNode>, i: u64) {
    h.deliver(
        NodeId(1),
        RaftMsg::AppendEntries {
            term: 1,
            prev_log_index: i - 1,
            prev_log_term: 1,
            entries: vec![std::sync::Arc::new(entry(i))],
            leader_commit: 0,
            round: 0,
        },
    );
    h.clear();
}

/// The median and the mean time per turn (the mean includes the shadow vector's occasional
/// doubling, amortized O(1) per entry).
fn per_turn(
    n: u64,
    turns: u64,
    mut f: impl FnMut(&mut RaftProtocol, &RaftNode),
) -> (Duration, Duration) {
    let (mut p, mut h) = follower(n);
    let mut times = Vec::new();
    for i in n + 1..=n + turns {
        append(&mut h, i);
        let t = Instant::now();
        f(&mut p, &h.process);
        times.push(t.elapsed());
    }
    let mean = times.iter().sum::<Duration>() / turns as u32;
    times.sort();
    (times[times.len() / 2], mean)
}

fn journal_vs_durable() {
    println!("== per turn: one entry appended to a log of N entries (median; mean)");
    println!("{:>9}  {:>20}  {:>22}", "N", "journal", "durable() clone");
    for n in [1_000u64, 10_000, 100_000, 1_000_000] {
        let mut out = Vec::new();
        let (j, jm) = per_turn(n, 200, |p, node| {
            out.clear();
            p.journal(node, &mut out);
            assert!(!out.is_empty());
        });
        let (d, dm) = per_turn(n, 20, |_, node| {
            let d = node.durable();
            std::hint::black_box(&d);
        });
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{n:>9}  {:>8.2} us; {:>6.2} us  {:>10.0} us; {:>7.0} us",
            us(j),
            us(jm),
            us(d),
            us(dm)
        );
    }
}

fn records(batch: u64, first: u64) -> Vec<Vec<u8>> {
    (first..first + batch)
        .map(|i| postcard::to_allocvec(&entry(i)).unwrap_or_default())
        .collect()
}

fn wal_groups(dir: &Path, batch: u64, groups: u64, sync: bool) -> Duration {
    let path = dir.join(format!("wal-{batch}"));
    let _ = std::fs::remove_file(&path);
    let (mut wal, _) = Wal::open(&path).expect("wal");
    let mut buf = Vec::new();
    let t = Instant::now();
    for g in 0..groups {
        buf.clear();
        let mut payload = Vec::new();
        for r in records(batch, g * batch) {
            payload.extend_from_slice(&r);
        }
        encode_frame(&mut buf, &payload);
        wal.write(&buf).expect("write");
        if sync {
            wal.sync().expect("sync");
        }
    }
    t.elapsed()
}

const LOG: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("log");

fn redb_groups(dir: &Path, batch: u64, groups: u64, sync: bool) -> Duration {
    let path = dir.join(format!("redb-{batch}"));
    let _ = std::fs::remove_file(&path);
    let db = redb::Database::create(&path).expect("redb");
    let t = Instant::now();
    for g in 0..groups {
        let mut tx = db.begin_write().expect("begin");
        if !sync {
            tx.set_durability(redb::Durability::None);
        }
        {
            let mut table = tx.open_table(LOG).expect("table");
            for (k, r) in records(batch, g * batch).iter().enumerate() {
                table
                    .insert(g * batch + k as u64, r.as_slice())
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    t.elapsed()
}

fn min_median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

fn wal_vs_redb() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/persist-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let rounds = 5;
    let groups = 200;
    for sync in [true, false] {
        println!(
            "== appends of Raft entries in groups of B, {}; entries/s, min / median of {rounds} rounds of {groups} groups, WAL and redb alternating",
            if sync {
                "durable after each group (WAL: fdatasync; redb: Durability::Immediate)"
            } else {
                "not synced (the CPU and write cost alone; redb: Durability::None)"
            }
        );
        println!("{:>5}  {:>22}  {:>22}", "B", "WAL", "redb");
        for batch in [1u64, 16, 128] {
            let (mut w, mut r) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let wt = wal_groups(&dir, batch, groups, sync).as_secs_f64();
                w.push((groups * batch) as f64 / wt);
                let rt = redb_groups(&dir, batch, groups, sync).as_secs_f64();
                r.push((groups * batch) as f64 / rt);
            }
            let (w0, w1) = min_median(w);
            let (r0, r1) = min_median(r);
            println!("{batch:>5}  {w0:>9.0} / {w1:<10.0}  {r0:>9.0} / {r1:<10.0}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    journal_vs_durable();
    wal_vs_redb();
}
