//! Simulator throughput and memory: a message-heavy workload in which every delivery causes one
//! more send, so the number of messages in flight stays constant however long the run.
//!
//! Prints delivered messages per second with tracing off and with the JSON trace written to a
//! sink, and the peak heap of a run and of a run ten times longer.
//!
//! `cargo bench -p synod-sim --bench throughput`

// The counting allocator is the only unsafe code in synod, and it lives in a benchmark.
#![allow(clippy::disallowed_methods, missing_docs, unsafe_code)]

use serde::Serialize;
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use synod_core::{Ctx, Message, NodeId, Process, Time};
use synod_sim::trace_out::{JsonTrace, json_header};
use synod_sim::{NodeSpec, Sim, SimConfig};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        CURRENT.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[derive(Clone, Debug, Serialize)]
struct Token(u64);

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.0)
    }
}

impl Message for Token {
    fn kind(&self) -> &'static str {
        "Token"
    }
}

struct Flood {
    n: u32,
    window: u32,
}

impl Process for Flood {
    type Msg = Token;
    type Timer = ();
    type Durable = ();
    fn on_start(&mut self, ctx: &mut Ctx<'_, Token, ()>) {
        for i in 0..self.window {
            let to = NodeId(ctx.rng().below(self.n as u64) as u32);
            ctx.send(to, Token(i as u64));
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, Token, ()>, _from: NodeId, msg: Token) {
        let to = NodeId(ctx.rng().below(self.n as u64) as u32);
        ctx.send(to, Token(msg.0 + 1));
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Token, ()>, _t: ()) {}
    fn durable(&self) {}
}

fn sim(until_ms: u64) -> Sim<Flood> {
    let n = 5;
    let specs = (1..=n)
        .map(|i| NodeSpec {
            name: format!("n{i}"),
            role: "server".into(),
            client: false,
        })
        .collect();
    Sim::new(
        SimConfig {
            seed: 1,
            until: Time::ms(until_ms),
            ..SimConfig::default()
        },
        specs,
        Box::new(move |_, _| Flood { n, window: 200 }),
    )
}

fn run(until_ms: u64, traced: bool) -> (u64, f64, usize) {
    let mut s = sim(until_ms);
    if traced {
        let header = json_header(1, "flood", s.specs());
        s.add_observer(Box::new(JsonTrace::new(std::io::sink(), &header).unwrap()));
    }
    PEAK.store(CURRENT.load(Ordering::Relaxed), Ordering::Relaxed);
    let base = CURRENT.load(Ordering::Relaxed);
    let t = Instant::now();
    s.run();
    let secs = t.elapsed().as_secs_f64();
    let delivered = s.stats().totals().1;
    (delivered, secs, PEAK.load(Ordering::Relaxed) - base)
}

fn main() {
    // Warm up.
    run(200, false);
    let (d, secs, _) = run(4_000, false);
    println!(
        "tracing off:        {d} messages delivered in {secs:.3} s = {:.2} M delivered/s",
        d as f64 / secs / 1e6
    );
    let (d, secs, _) = run(1_000, true);
    println!(
        "JSON trace to sink: {d} messages delivered in {secs:.3} s = {:.2} M delivered/s",
        d as f64 / secs / 1e6
    );
    let (d1, _, peak1) = run(1_000, false);
    let (d10, _, peak10) = run(10_000, false);
    println!(
        "peak heap, no trace: {:.1} KiB for {d1} deliveries; {:.1} KiB for {d10} deliveries (10x longer)",
        peak1 as f64 / 1024.0,
        peak10 as f64 / 1024.0
    );
}
