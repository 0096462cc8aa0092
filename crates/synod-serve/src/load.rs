//! The load generator (`synod load`): N concurrent clients, each one operation at a time, for
//! a fixed time; throughput and latency percentiles for puts or gets. It drives synod's HTTP
//! API or etcd's v3 JSON gateway (`/v3/kv/put`, `/v3/kv/range`) the same way, so the two
//! stores are measured by the same code.
//!
//! Puts write fresh keys (synod's put fails on an existing key, etcd's overwrites: fresh keys
//! make both do the same work). Gets read keys written before the measurement starts.

use crate::client::{HttpConn, KvClient, Outcome, base64};
use crate::http::FIRST_CLIENT_ID;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Which store to drive.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// synod's HTTP API (clients find the leader).
    Synod,
    /// etcd's v3 JSON gateway (any member takes requests and forwards them to its leader).
    Etcd,
}

/// What to measure.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Puts of fresh keys.
    Put,
    /// Gets of existing keys.
    Get,
}

impl Op {
    /// `put` or `get`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::Get => "get",
        }
    }
}

/// A load run.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The store.
    pub target: Target,
    /// Its client endpoints (`host:port`).
    pub endpoints: Vec<String>,
    /// Concurrent clients.
    pub clients: usize,
    /// How long to measure.
    pub duration: Duration,
    /// How long to run before measuring.
    pub warmup: Duration,
    /// The operation.
    pub op: Op,
    /// Bytes per value.
    pub value_size: usize,
    /// Keys written before a get run, read at random.
    pub keys: usize,
    /// Seeds key names and client session ids.
    pub seed: u64,
}

/// A latency histogram with about 1.6% resolution: exact below 128 us, then 64 buckets per
/// power of two. Fixed size, whatever the number of samples.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

const SUB: u32 = 64;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; 128 + 58 * SUB as usize],
            total: 0,
        }
    }
}

impl Histogram {
    fn bucket(us: u64) -> usize {
        if us < 128 {
            return us as usize;
        }
        let e = 63 - us.leading_zeros(); // >= 7
        let mantissa = (us >> (e - 6)) & u64::from(SUB - 1);
        128 + (e as usize - 7) * SUB as usize + mantissa as usize
    }

    fn value(bucket: usize) -> u64 {
        if bucket < 128 {
            return bucket as u64;
        }
        let e = (bucket - 128) / SUB as usize + 7;
        let mantissa = ((bucket - 128) % SUB as usize) as u64;
        let lo = (u64::from(SUB) + mantissa) << (e - 6);
        let width = 1u64 << (e - 6);
        lo + width / 2
    }

    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let us = d.as_micros().min(u128::from(u64::MAX >> 8)) as u64;
        let b = Self::bucket(us).min(self.counts.len() - 1);
        self.counts[b] += 1;
        self.total += 1;
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency at quantile `q` (0..=1), in microseconds (0 if empty).
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i);
            }
        }
        Self::value(self.counts.len() - 1)
    }
}

/// What a load run measured.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    /// `synod` or `etcd`.
    pub target: String,
    /// `put` or `get`.
    pub op: String,
    /// Concurrent clients.
    pub clients: usize,
    /// Seconds measured.
    pub seconds: f64,
    /// Operations that succeeded in the measured window.
    pub ops: u64,
    /// Operations per second.
    pub throughput: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Operations that failed or timed out in the measured window.
    pub failed: u64,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}, {} clients, {:.1} s: {} ops, {:.0} ops/s, p50 {:.2} ms, p99 {:.2} ms, p999 {:.2} ms, {} failed",
            self.target,
            self.op,
            self.clients,
            self.seconds,
            self.ops,
            self.throughput,
            self.p50_ms,
            self.p99_ms,
            self.p999_ms,
            self.failed
        )
    }
}

/// One client of either store.
enum Driver {
    Synod(KvClient),
    Etcd {
        endpoint: String,
        conn: Option<HttpConn>,
    },
}

impl Driver {
    async fn run(&mut self, op: Op, key: &str, value: &str) -> Result<(), String> {
        match self {
            Driver::Synod(c) => match c
                .call(op.name(), key, (op == Op::Put).then_some(value))
                .await
            {
                Outcome::Ok(_) => Ok(()),
                Outcome::Error(e) if op == Op::Get => Err(e),
                Outcome::Error(e) => Err(e),
                Outcome::Unknown(e) | Outcome::Rejected(e) => Err(e),
            },
            Driver::Etcd { endpoint, conn } => {
                let (path, body) = match op {
                    Op::Put => (
                        "/v3/kv/put",
                        format!(
                            "{{\"key\":\"{}\",\"value\":\"{}\"}}",
                            base64(key.as_bytes()),
                            base64(value.as_bytes())
                        ),
                    ),
                    Op::Get => (
                        "/v3/kv/range",
                        format!("{{\"key\":\"{}\"}}", base64(key.as_bytes())),
                    ),
                };
                let result = tokio::time::timeout(Duration::from_secs(5), async {
                    if conn.is_none() {
                        *conn = Some(HttpConn::connect(endpoint, Duration::from_secs(1)).await?);
                    }
                    match conn.as_mut() {
                        Some(c) => c.request("POST", path, body.as_bytes()).await,
                        None => Err(std::io::Error::other("no connection")),
                    }
                })
                .await;
                match result {
                    Ok(Ok((200, body))) => {
                        if op == Op::Get && !body.windows(5).any(|w| w == b"\"kvs\"") {
                            return Err("etcd: key not found".into());
                        }
                        Ok(())
                    }
                    Ok(Ok((status, body))) => {
                        *conn = None;
                        Err(format!(
                            "etcd: HTTP {status}: {}",
                            String::from_utf8_lossy(&body)
                        ))
                    }
                    Ok(Err(e)) => {
                        *conn = None;
                        Err(format!("etcd: {e}"))
                    }
                    Err(_) => {
                        *conn = None;
                        Err("etcd: no answer in 5 s".into())
                    }
                }
            }
        }
    }
}

fn driver(opts: &LoadOptions, i: usize) -> Driver {
    match opts.target {
        Target::Synod => {
            let id = FIRST_CLIENT_ID
                .wrapping_add(((opts.seed as u32) & 0x3fff_ffff).wrapping_mul(7))
                .wrapping_add(i as u32)
                .max(FIRST_CLIENT_ID);
            Driver::Synod(KvClient::new(opts.endpoints.clone(), id).start_at(i))
        }
        Target::Etcd => Driver::Etcd {
            endpoint: opts.endpoints[i % opts.endpoints.len()].clone(),
            conn: None,
        },
    }
}

/// Runs a load and reports what it measured. Bounded: every client stops at the deadline,
/// and every operation has its own timeout.
pub async fn run(opts: &LoadOptions) -> Result<LoadReport, String> {
    if opts.endpoints.is_empty() || opts.clients == 0 {
        return Err("need at least one endpoint and one client".into());
    }
    let prefix = format!("load-{:08x}", opts.seed as u32);
    let value = "v".repeat(opts.value_size.max(1));

    // Gets read keys that exist: write them first.
    if opts.op == Op::Get {
        let writers = opts.clients.min(64);
        let mut tasks = Vec::new();
        for w in 0..writers {
            let mut d = driver(opts, w);
            let keys: Vec<usize> = (0..opts.keys).filter(|k| k % writers == w).collect();
            let prefix = prefix.clone();
            let value = value.clone();
            tasks.push(tokio::spawn(async move {
                for k in keys {
                    d.run(Op::Put, &format!("{prefix}/k{k}"), &value).await?;
                }
                Ok::<(), String>(())
            }));
        }
        for t in tasks {
            t.await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("writing the keys to read: {e}"))?;
        }
    }

    let start = Instant::now();
    let measure_from = start + opts.warmup;
    let end = measure_from + opts.duration;
    let mut tasks = Vec::new();
    for c in 0..opts.clients {
        let mut d = driver(opts, opts.clients + c);
        let prefix = prefix.clone();
        let value = value.clone();
        let op = opts.op;
        let keys = opts.keys.max(1) as u64;
        let mut x = opts.seed ^ (c as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::default();
            let mut failed = 0u64;
            let mut n = 0u64;
            while Instant::now() < end {
                // xorshift: which key to read.
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let key = match op {
                    Op::Put => format!("{prefix}/c{c}/{n}"),
                    Op::Get => format!("{prefix}/k{}", x % keys),
                };
                n += 1;
                let t0 = Instant::now();
                let r = d.run(op, &key, &value).await;
                let t1 = Instant::now();
                if t0 >= measure_from && t1 <= end {
                    match r {
                        Ok(()) => h.record(t1 - t0),
                        Err(_) => failed += 1,
                    }
                }
            }
            (h, failed)
        }));
    }
    let mut h = Histogram::default();
    let mut failed = 0;
    for t in tasks {
        let (th, f) = t.await.map_err(|e| e.to_string())?;
        h.merge(&th);
        failed += f;
    }
    let seconds = opts.duration.as_secs_f64();
    let ms = |us: u64| us as f64 / 1000.0;
    Ok(LoadReport {
        target: match opts.target {
            Target::Synod => "synod".into(),
            Target::Etcd => "etcd".into(),
        },
        op: opts.op.name().into(),
        clients: opts.clients,
        seconds,
        ops: h.count(),
        throughput: h.count() as f64 / seconds,
        p50_ms: ms(h.quantile_us(0.5)),
        p99_ms: ms(h.quantile_us(0.99)),
        p999_ms: ms(h.quantile_us(0.999)),
        failed,
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One line for several runs of one configuration: throughput min/median, p50 median, p99
/// median with its range, p999 median, failures in all.
pub fn summarize(reports: &[LoadReport]) -> String {
    let Some(first) = reports.first() else {
        return String::new();
    };
    let col = |f: fn(&LoadReport) -> f64| reports.iter().map(f).collect::<Vec<f64>>();
    let mut tput = col(|r| r.throughput);
    let tmin = tput.iter().copied().fold(f64::INFINITY, f64::min);
    let mut p99 = col(|r| r.p99_ms);
    let (p99min, p99max) = (
        p99.iter().copied().fold(f64::INFINITY, f64::min),
        p99.iter().copied().fold(0.0, f64::max),
    );
    format!(
        "{:<6} {:<4} {:>7}  {:>10.0} / {:<10.0}  {:>7.2}  {:>7.2} ({:.2}..{:.2})  {:>8.2}  {}",
        first.target,
        first.op,
        first.clients,
        tmin,
        median(&mut tput),
        median(&mut col(|r| r.p50_ms)),
        median(&mut p99),
        p99min,
        p99max,
        median(&mut col(|r| r.p999_ms)),
        reports.iter().map(|r| r.failed).sum::<u64>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_two_percent() {
        let mut h = Histogram::default();
        for us in 1..=100_000u64 {
            h.record(Duration::from_micros(us));
        }
        for (q, want) in [(0.5, 50_000.0), (0.99, 99_000.0), (0.999, 99_900.0)] {
            let got = h.quantile_us(q) as f64;
            assert!((got - want).abs() / want < 0.02, "q{q}: {got} vs {want}");
        }
        assert_eq!(h.count(), 100_000);
        let mut small = Histogram::default();
        small.record(Duration::from_micros(42));
        assert_eq!(small.quantile_us(0.5), 42);
        assert_eq!(Histogram::default().quantile_us(0.5), 0);
    }

    #[test]
    fn a_summary_gives_min_and_median_throughput() {
        let r = |t: f64, p99: f64| LoadReport {
            target: "synod".into(),
            op: "put".into(),
            clients: 16,
            seconds: 1.0,
            ops: t as u64,
            throughput: t,
            p50_ms: 1.0,
            p99_ms: p99,
            p999_ms: 9.0,
            failed: 1,
        };
        let line = summarize(&[r(300.0, 5.0), r(100.0, 4.0), r(200.0, 6.0)]);
        assert!(line.contains(" 100 / 200 "), "{line}");
        assert!(line.contains("5.00 (4.00..6.00)"), "{line}");
        assert!(line.ends_with(" 3"), "{line}");
    }

    #[test]
    fn histogram_buckets_round_trip_over_the_whole_range() {
        for us in [127u64, 128, 129, 1000, 65_535, 1 << 30, 1 << 40] {
            let v = Histogram::value(Histogram::bucket(us)) as f64;
            assert!((v - us as f64).abs() / (us as f64) < 0.02, "{us} -> {v}");
        }
    }
}
