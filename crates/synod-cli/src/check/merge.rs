//! `synod check --merge FILES...`: the summary of a campaign whose shards ran apart (on a
//! cluster), from their `--json` files. The seeds of the files are folded in seed order, as
//! one machine folds them, so the summary is the one that machine would print (only the speed
//! line differs). Files are read as streams, merged by seed: memory holds one seed per file.

use super::record::{self, IDENTITY};
use super::tally::{self, Ending, Tally};
use crate::UsageError;
use anyhow::Result;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use synod_protocols::campaign::SeedResult;

/// One shard's file, read a line at a time.
struct Shard {
    path: PathBuf,
    lines: io::Lines<BufReader<File>>,
    line: usize,
    header: serde_json::Map<String, Value>,
    /// Its next seed, read ahead.
    next: Option<(SeedResult, f64)>,
    last_seed: Option<u64>,
    shrunk: Vec<(u64, String, Vec<String>)>,
    wall: f64,
    ended: bool,
}

fn bad(path: &Path, line: usize, why: impl std::fmt::Display) -> UsageError {
    UsageError(format!("{}:{line}: {why}", path.display()))
}

impl Shard {
    fn open(path: &Path) -> Result<Shard, UsageError> {
        let file = File::open(path)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
        let mut s = Shard {
            path: path.to_path_buf(),
            lines: BufReader::new(file).lines(),
            line: 0,
            header: serde_json::Map::new(),
            next: None,
            last_seed: None,
            shrunk: Vec::new(),
            wall: 0.0,
            ended: false,
        };
        match s.read()? {
            Some(Value::Object(h)) if h.get("kind").and_then(Value::as_str) == Some("campaign") => {
                if h.get("version").and_then(Value::as_u64) != Some(record::VERSION) {
                    return Err(bad(
                        path,
                        1,
                        format!(
                            "written by another version of synod check (this one reads version {})",
                            record::VERSION
                        ),
                    ));
                }
                s.header = h;
            }
            _ => {
                return Err(bad(
                    path,
                    1,
                    "not a `synod check --json` file: its first line is not the campaign line",
                ));
            }
        }
        s.advance()?;
        Ok(s)
    }

    /// The next JSON line, or `None` at the end of the file.
    fn read(&mut self) -> Result<Option<Value>, UsageError> {
        loop {
            let Some(text) = self.lines.next() else {
                return Ok(None);
            };
            self.line += 1;
            let text = text.map_err(|e| bad(&self.path, self.line, e))?;
            if text.trim().is_empty() {
                continue;
            }
            return serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| bad(&self.path, self.line, format!("not JSON: {e}")));
        }
    }

    /// Read up to the next seed line (taking in `shrunk` and `end` lines on the way).
    fn advance(&mut self) -> Result<(), UsageError> {
        self.next = None;
        while let Some(v) = self.read()? {
            match v.get("kind").and_then(Value::as_str) {
                Some("seed") => {
                    let r = record::parse_seed(&v).map_err(|e| bad(&self.path, self.line, e))?;
                    if self.last_seed.is_some_and(|s| s >= r.0.seed) {
                        return Err(bad(
                            &self.path,
                            self.line,
                            "seeds are not in increasing order",
                        ));
                    }
                    self.last_seed = Some(r.0.seed);
                    self.next = Some(r);
                    return Ok(());
                }
                Some("shrunk") => {
                    let seed = v.get("seed").and_then(Value::as_u64);
                    let property = v.get("property").and_then(Value::as_str);
                    let lines: Option<Vec<String>> =
                        v.get("lines").and_then(Value::as_array).map(|a| {
                            a.iter()
                                .filter_map(|l| l.as_str().map(String::from))
                                .collect()
                        });
                    match (seed, property, lines) {
                        (Some(seed), Some(p), Some(lines)) => {
                            self.shrunk.push((seed, p.to_string(), lines))
                        }
                        _ => {
                            return Err(bad(
                                &self.path,
                                self.line,
                                "a shrunk line needs `seed`, `property` and `lines`",
                            ));
                        }
                    }
                }
                Some("end") => {
                    self.ended = true;
                    self.wall = v.get("wall_s").and_then(Value::as_f64).unwrap_or(0.0);
                }
                other => {
                    return Err(bad(
                        &self.path,
                        self.line,
                        format!("unknown line kind {other:?}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `synod check --merge FILES...`.
pub fn merge(files: &[PathBuf]) -> Result<ExitCode> {
    let mut shards = files
        .iter()
        .map(|p| Shard::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    // Files written before campaigns told stories have no `stories`: they told none.
    for s in &mut shards {
        s.header
            .entry("stories")
            .or_insert_with(|| Value::Array(Vec::new()));
    }
    let first = &shards[0];
    for s in &shards[1..] {
        for key in IDENTITY {
            if s.header.get(*key) != first.header.get(*key) {
                return Err(UsageError(format!(
                    "{} and {} are not shards of one campaign: their `{key}` differs ({} vs {})",
                    first.path.display(),
                    s.path.display(),
                    first.header.get(*key).unwrap_or(&Value::Null),
                    s.header.get(*key).unwrap_or(&Value::Null),
                ))
                .into());
            }
        }
    }
    // Which shards are there: each once, all of one split.
    let shard_of = |s: &Shard| -> (u64, u64) {
        let k = s.header.get("shard").and_then(Value::as_u64).unwrap_or(1);
        let n = s.header.get("shards").and_then(Value::as_u64).unwrap_or(1);
        (k, n)
    };
    let n = shard_of(&shards[0]).1;
    let mut present = BTreeMap::new();
    for s in &shards {
        let (k, sn) = shard_of(s);
        if sn != n {
            return Err(UsageError(format!(
                "{} is shard {k} of {sn}, but {} is one of {n}",
                s.path.display(),
                shards[0].path.display()
            ))
            .into());
        }
        if let Some(other) = present.insert(k, s.path.clone()) {
            return Err(UsageError(format!(
                "{} and {} are both shard {k} of {n}",
                other.display(),
                s.path.display()
            ))
            .into());
        }
    }
    let mut tally = Tally::default();
    // Fold seeds in seed order: the smallest next seed of all files, each time.
    while let Some(i) = (0..shards.len())
        .filter(|&i| shards[i].next.is_some())
        .min_by_key(|&i| shards[i].next.as_ref().map(|(r, _)| r.seed))
    {
        let Some((r, secs)) = shards[i].next.take() else {
            break;
        };
        tally.add(&r, secs);
        shards[i].advance()?;
    }
    // The shrink of each property's first failure: the shard that ran that seed shrank it.
    let firsts: Vec<(String, u64)> = tally
        .violations
        .iter()
        .filter_map(|(p, seen)| seen.seeds.first().map(|s| (p.clone(), *s)))
        .collect();
    for (property, seed) in firsts {
        let found = shards
            .iter()
            .flat_map(|s| &s.shrunk)
            .find(|(s, p, _)| *s == seed && *p == property);
        if let Some((_, _, lines)) = found {
            tally.shrunk(&property, lines);
        }
    }
    let mut out = io::stdout().lock();
    let header = &shards[0].header;
    let missing: Vec<String> = (1..=n)
        .filter(|k| !present.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    writeln!(
        out,
        "synod check --merge: {} (protocol {}{}), seeds {}..{}, {} of {n} shard(s){}",
        header.get("target").and_then(Value::as_str).unwrap_or("?"),
        header
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("?"),
        header
            .get("bug")
            .and_then(Value::as_str)
            .map(|b| format!(", bug {b}"))
            .unwrap_or_default(),
        header.get("from").and_then(Value::as_u64).unwrap_or(0),
        header.get("from").and_then(Value::as_u64).unwrap_or(0)
            + header.get("seeds").and_then(Value::as_u64).unwrap_or(1)
            - 1,
        present.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!(
                "; missing shard(s) {}: their seeds are not in this summary",
                missing.join(", ")
            )
        },
    )?;
    let unfinished: Vec<String> = shards
        .iter()
        .filter(|s| !s.ended)
        .map(|s| s.path.display().to_string())
        .collect();
    if !unfinished.is_empty() {
        writeln!(
            out,
            "unfinished (no end line: stopped, or still running): {}",
            unfinished.join(", ")
        )?;
    }
    let wall = shards.iter().map(|s| s.wall).fold(0.0, f64::max);
    let speed = format!(
        "speed: {:.0} seeds/s over {} shard(s) (the seeds over the slowest shard's wall time)",
        if wall > 0.0 {
            tally.run as f64 / wall
        } else {
            0.0
        },
        shards.len()
    );
    let planned = header.get("seeds").and_then(Value::as_u64).unwrap_or(0);
    tally::summary(
        &mut out,
        &tally,
        &speed,
        &Ending {
            interrupted: false,
            planned,
            bug: header.get("bug").and_then(Value::as_str).map(String::from),
        },
    )
}
