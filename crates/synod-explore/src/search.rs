//! The search: breadth-first on every core (shortest counterexamples), or depth-first on one
//! (less memory).
//!
//! **Breadth-first, level by level.** The states at depth `d` are split into chunks that the
//! threads take in turn; each successor gets a discovery key (depth, index of its parent in
//! the level, index of the action) and goes into the shared [`Table`], where the smallest key
//! of a state wins. When the level is done, the new states are sorted by key and only the
//! winning copy of each is kept, so the next level, the counts and the counterexample (the
//! violating state with the smallest key) are the same whatever the number of threads and
//! however they were scheduled. A level's violations are looked at once the level is
//! complete, so the counterexample is one of minimal depth.
//!
//! **Depth-first** runs on one thread, so that the counterexample it returns is deterministic
//! too; it keeps only the current path and the table, and re-expands a state reached again at
//! a smaller depth when a depth bound is set (otherwise a deep first visit would hide states
//! reachable within the bound).

use crate::model::{Action, Explorer, Scratch, Spec, State, Track};
use crate::table::{Insert, Table};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use synod_core::Explorable;
use synod_sim::ScheduleStep;

/// Breadth-first or depth-first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Breadth-first: shortest counterexamples, all cores.
    Bfs,
    /// Depth-first: the current path only, one core.
    Dfs,
}

/// Live counters, for a progress display; the search updates them as it goes.
#[derive(Debug, Default)]
pub struct Progress {
    /// Successor states generated (a state reached twice counts twice).
    pub generated: AtomicU64,
    /// Distinct states found.
    pub unique: AtomicU64,
    /// The depth being explored.
    pub depth: AtomicU64,
    /// States waiting to be expanded.
    pub queue: AtomicU64,
    /// Bytes held by the table of visited states.
    pub table_bytes: AtomicU64,
}

/// How to search.
#[derive(Clone, Debug)]
pub struct Options {
    /// Breadth- or depth-first.
    pub strategy: Strategy,
    /// Threads for breadth-first search (depth-first uses one).
    pub threads: usize,
    /// Set to stop early (Ctrl-C, the memory bound): the search ends with what it covered.
    pub stop: Arc<AtomicBool>,
    /// Live counters.
    pub progress: Arc<Progress>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strategy: Strategy::Bfs,
            threads: 1,
            stop: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(Progress::default()),
        }
    }
}

/// One step of a counterexample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathStep {
    /// The step as the simulator's schedule takes it.
    pub step: ScheduleStep,
    /// The step for a person.
    pub text: String,
}

/// A path to a state that breaks a property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The property (`agreement`, `linearizability`, ...).
    pub property: String,
    /// What is wrong in the last state.
    pub detail: String,
    /// The steps from the initial state.
    pub path: Vec<PathStep>,
}

/// How a search ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Every state within the bounds was explored; no property failed.
    Exhausted,
    /// A property failed.
    Violation(Counterexample),
    /// Stopped before the end (Ctrl-C, the memory bound).
    Stopped,
    /// The scenario's schedule (the prefix) cannot be followed; nothing was explored.
    BadPrefix(String),
}

/// What a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub end: End,
    /// Distinct states.
    pub unique: u64,
    /// Successors generated.
    pub generated: u64,
    /// The deepest level reached.
    pub depth: u32,
    /// States not expanded because they were at the depth bound.
    pub at_bound: u64,
    /// Each sometimes-property, and the depth it was first reached at.
    pub sometimes: Vec<(String, Option<u32>)>,
}

/// States of a level, with their fingerprints, in the order of their keys.
type Chunk<P> = Vec<(u64, State<P>)>;

const ACTION_BITS: u32 = 16;
const INDEX_BITS: u32 = 32;

fn key(depth: u32, parent: u64, action: usize) -> u64 {
    (u64::from(depth) << (ACTION_BITS + INDEX_BITS)) | (parent << ACTION_BITS) | action as u64
}

/// Explore `spec`.
pub fn explore<P: Explorable>(spec: &Spec<P>, opts: &Options) -> Outcome {
    let ex = Explorer::new(spec);
    match opts.strategy {
        Strategy::Bfs => bfs(&ex, opts),
        Strategy::Dfs => dfs(&ex, opts),
    }
}

/// The property `next` breaks, given that it was just reached (`returned`: an operation
/// returned on the way there).
fn broken<P: Explorable>(
    ex: &Explorer<'_, P>,
    next: &State<P>,
    returned: bool,
    lin_cache: &Table,
) -> Option<(String, String)> {
    if let Some(v) = ex.violated(next) {
        return Some(v);
    }
    let model = ex.spec.lin?;
    if !returned {
        // Only a return can make a linearizable history stop being one: an invocation adds
        // an operation that may not have taken effect yet.
        return None;
    }
    let h = ex.view(next).history();
    let fp = h.fingerprint();
    match lin_cache.get(fp) {
        Some((1, _)) => None,
        Some(_) | None => match h.check(model) {
            Ok(()) => {
                lin_cache.insert(fp, 1, 0);
                None
            }
            Err(why) => {
                lin_cache.insert(fp, 2, 0);
                Some(("linearizability".to_string(), why))
            }
        },
    }
}

fn reached<P: Explorable>(ex: &Explorer<'_, P>, s: &State<P>) -> u64 {
    let v = ex.view(s);
    ex.spec
        .sometimes
        .iter()
        .enumerate()
        .filter(|(_, p)| (p.reached)(&v))
        .fold(0, |m, (i, _)| m | (1 << i))
}

/// Replay `actions` from the initial state, tracking the simulator's ids, and write the path.
fn path_of<P: Explorable>(ex: &Explorer<'_, P>, actions: &[usize]) -> Vec<PathStep> {
    let mut track = Track::default();
    let Ok(mut state) = ex.start(Some(&mut track)) else {
        return Vec::new();
    };
    let mut scratch = Scratch::default();
    let mut choices = Vec::new();
    let mut out = Vec::new();
    for &a in actions {
        ex.actions(&state, &mut choices);
        let Some(&action) = choices.get(a) else { break };
        let (step, text) = ex.describe(&state, action, &track);
        let Some(next) = ex.step(&state, action, &mut scratch, Some(&mut track)) else {
            break;
        };
        out.push(PathStep { step, text });
        state = next.state;
    }
    out
}

/// The outcome when the prefix cannot be followed.
fn unusable<P: Explorable>(spec: &Spec<P>, why: String) -> Outcome {
    Outcome {
        end: End::BadPrefix(why),
        unique: 0,
        generated: 0,
        depth: 0,
        at_bound: 0,
        sometimes: spec
            .sometimes
            .iter()
            .map(|s| (s.name.clone(), None))
            .collect(),
    }
}

impl Outcome {
    /// Before the first step: the initial state, found and generated.
    fn start() -> Outcome {
        Outcome {
            end: End::Exhausted,
            unique: 1,
            generated: 1,
            depth: 0,
            at_bound: 0,
            sometimes: Vec::new(),
        }
    }
}

/// Record that the sometimes-properties in `bits` were reached at `depth` (keeping the
/// smallest depth each was reached at).
fn mark(sometimes: &mut [Option<u32>], bits: u64, depth: u32) {
    for (i, s) in sometimes.iter_mut().enumerate() {
        if bits & (1 << i) != 0 && s.is_none_or(|d| depth < d) {
            *s = Some(depth);
        }
    }
}

struct Found {
    key: u64,
    fp: u64,
    property: String,
    detail: String,
}

fn bfs<P: Explorable>(ex: &Explorer<'_, P>, opts: &Options) -> Outcome {
    let spec = ex.spec;
    let table = Table::new();
    let lin_cache = Table::new();
    let init = match ex.start(None) {
        Ok(s) => s,
        Err(e) => return unusable(spec, e),
    };
    let fp0 = ex.fingerprint(&init);
    table.insert(fp0, 0, 0);
    let progress = &opts.progress;
    progress.unique.store(1, Ordering::Relaxed);
    let mut sometimes: Vec<Option<u32>> = vec![None; spec.sometimes.len()];
    mark(&mut sometimes, reached(ex, &init), 0);
    let mut outcome = Outcome::start();
    let finish = |mut o: Outcome, sometimes: Vec<Option<u32>>| {
        o.unique = table.len();
        o.sometimes = spec
            .sometimes
            .iter()
            .map(|s| s.name.clone())
            .zip(sometimes)
            .collect();
        progress.table_bytes.store(table.bytes(), Ordering::Relaxed);
        o
    };
    if let Some((property, detail)) = broken(ex, &init, false, &lin_cache) {
        outcome.end = End::Violation(Counterexample {
            property,
            detail,
            path: Vec::new(),
        });
        return finish(outcome, sometimes);
    }
    const CHUNK: usize = 512;
    let mut level: Vec<Vec<(u64, State<P>)>> = vec![vec![(fp0, init)]];
    let mut depth: u32 = 0;
    let threads = opts.threads.max(1);
    loop {
        let count: usize = level.iter().map(Vec::len).sum();
        if count == 0 {
            return finish(outcome, sometimes);
        }
        if spec.bounds.max_depth.is_some_and(|m| depth >= m) {
            outcome.at_bound = count as u64;
            return finish(outcome, sometimes);
        }
        if depth + 1 >= (1 << (64 - ACTION_BITS - INDEX_BITS)) || count as u64 >= (1 << INDEX_BITS)
        {
            // Keys would overflow: far beyond what fits in memory anyway.
            outcome.end = End::Stopped;
            return finish(outcome, sometimes);
        }
        progress.depth.store(u64::from(depth), Ordering::Relaxed);
        progress.queue.store(count as u64, Ordering::Relaxed);
        let starts: Vec<usize> = level
            .iter()
            .scan(0, |acc, c| {
                let s = *acc;
                *acc += c.len();
                Some(s)
            })
            .collect();
        let chunks: Vec<Mutex<Chunk<P>>> = level.into_iter().map(Mutex::new).collect();
        let next_chunk = AtomicU64::new(0);
        let next_depth = depth + 1;
        // States at the depth bound are never expanded: keep their fingerprints only.
        let keep = spec.bounds.max_depth.is_none_or(|m| next_depth < m);
        let work = || {
            let mut scratch = Scratch::<P>::default();
            let mut choices = Vec::new();
            // (key, fingerprint, index in `kept`): the states themselves only when they will
            // be expanded.
            let mut out: Vec<(u64, u64, u32)> = Vec::new();
            let mut kept: Vec<Option<State<P>>> = Vec::new();
            let mut push = |k: u64, nfp: u64, state: State<P>| {
                let slot = if keep {
                    kept.push(Some(state));
                    kept.len() as u32 - 1
                } else {
                    u32::MAX
                };
                out.push((k, nfp, slot));
            };
            let mut found: Vec<Found> = Vec::new();
            let mut bits = 0u64;
            let mut generated = 0u64;
            let mut too_many = false;
            loop {
                if opts.stop.load(Ordering::Relaxed) {
                    break;
                }
                let c = next_chunk.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(chunk) = chunks.get(c) else { break };
                let states = std::mem::take(&mut *chunk.lock().unwrap_or_else(|e| e.into_inner()));
                for (off, (fp, s)) in states.into_iter().enumerate() {
                    let index = (starts[c] + off) as u64;
                    ex.actions(&s, &mut choices);
                    if choices.len() >= 1 << ACTION_BITS {
                        too_many = true;
                        continue;
                    }
                    for (a, &action) in choices.iter().enumerate() {
                        let Some(next) = ex.step(&s, action, &mut scratch, None) else {
                            continue;
                        };
                        generated += 1;
                        let nfp = ex.fingerprint(&next.state);
                        let k = key(next_depth, index, a);
                        match table.insert(nfp, fp, k) {
                            Insert::Known => {}
                            Insert::Improved => push(k, nfp, next.state),
                            Insert::New => {
                                if let Some((property, detail)) =
                                    broken(ex, &next.state, next.returned, &lin_cache)
                                {
                                    found.push(Found {
                                        key: k,
                                        fp: nfp,
                                        property,
                                        detail,
                                    });
                                }
                                bits |= reached(ex, &next.state);
                                push(k, nfp, next.state);
                                progress.unique.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    progress
                        .generated
                        .fetch_add(std::mem::take(&mut generated), Ordering::Relaxed);
                }
                progress.table_bytes.store(table.bytes(), Ordering::Relaxed);
            }
            (out, kept, found, bits, too_many)
        };
        let results: Vec<_> = if threads == 1 {
            vec![work()]
        } else {
            std::thread::scope(|sc| {
                let handles: Vec<_> = (0..threads).map(|_| sc.spawn(work)).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        // (key, fingerprint, thread, index in that thread's states)
        let mut all: Vec<(u64, u64, u32, u32)> = Vec::new();
        let mut stores: Vec<Vec<Option<State<P>>>> = Vec::new();
        let mut found: Vec<Found> = Vec::new();
        let mut bits = 0;
        let mut too_many = false;
        for (t, (o, kept, f, b, many)) in results.into_iter().enumerate() {
            all.extend(o.into_iter().map(|(k, fp, slot)| (k, fp, t as u32, slot)));
            stores.push(kept);
            found.extend(f);
            bits |= b;
            too_many |= many;
        }
        outcome.generated = 1 + progress.generated.load(Ordering::Relaxed);
        if opts.stop.load(Ordering::Relaxed) || too_many {
            outcome.end = End::Stopped;
            outcome.depth = depth;
            return finish(outcome, sometimes);
        }
        depth = next_depth;
        outcome.depth = depth;
        mark(&mut sometimes, bits, depth);
        // Keep the winning copy of each state, in key order.
        all.sort_unstable_by_key(|e| e.0);
        all.retain(|(k, fp, _, _)| table.get(*fp).is_some_and(|(_, best)| best == *k));
        // The counterexample: the violating state with the smallest key.
        let best = found
            .into_iter()
            .filter_map(|f| table.get(f.fp).map(|(_, k)| (k, f)))
            .min_by_key(|(k, _)| *k);
        if let Some((_, f)) = best {
            let _ = f.key;
            let mut actions = Vec::new();
            let mut at = f.fp;
            while let Some((parent, k)) = table.get(at) {
                if k == 0 {
                    break;
                }
                actions.push((k & ((1 << ACTION_BITS) - 1)) as usize);
                at = parent;
            }
            actions.reverse();
            outcome.end = End::Violation(Counterexample {
                property: f.property,
                detail: f.detail,
                path: path_of(ex, &actions),
            });
            return finish(outcome, sometimes);
        }
        level = Vec::with_capacity(all.len() / CHUNK + 1);
        let mut chunk = Vec::with_capacity(CHUNK);
        if spec.bounds.max_depth.is_some_and(|m| depth >= m) {
            // States at the depth bound were counted and checked; none is expanded.
            outcome.at_bound = all.len() as u64;
            return finish(outcome, sometimes);
        }
        for (_, fp, t, slot) in all {
            let Some(s) = stores[t as usize]
                .get_mut(slot as usize)
                .and_then(Option::take)
            else {
                continue;
            };
            chunk.push((fp, s));
            if chunk.len() == CHUNK {
                level.push(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
            }
        }
        if !chunk.is_empty() {
            level.push(chunk);
        }
    }
}

struct Frame<P: Explorable> {
    state: State<P>,
    depth: u32,
    choices: Vec<Action>,
    next: usize,
    /// The action index that led here from the frame below.
    via: usize,
}

fn dfs<P: Explorable>(ex: &Explorer<'_, P>, opts: &Options) -> Outcome {
    let spec = ex.spec;
    let table = Table::new();
    let lin_cache = Table::new();
    let progress = &opts.progress;
    let mut scratch = Scratch::<P>::default();
    let init = match ex.start(None) {
        Ok(s) => s,
        Err(e) => return unusable(spec, e),
    };
    table.insert(ex.fingerprint(&init), 0, 0);
    let mut sometimes: Vec<Option<u32>> = vec![None; spec.sometimes.len()];
    let mut outcome = Outcome::start();
    mark(&mut sometimes, reached(ex, &init), 0);
    let violation = broken(ex, &init, false, &lin_cache);
    let mut stack: Vec<Frame<P>> = Vec::new();
    if let Some((property, detail)) = violation {
        outcome.end = End::Violation(Counterexample {
            property,
            detail,
            path: Vec::new(),
        });
    } else {
        let mut choices = Vec::new();
        ex.actions(&init, &mut choices);
        stack.push(Frame {
            state: init,
            depth: 0,
            choices,
            next: 0,
            via: 0,
        });
    }
    let bounded = spec.bounds.max_depth.is_some();
    let mut steps = 0u64;
    loop {
        let height = stack.len();
        let Some(top) = stack.last_mut() else { break };
        steps += 1;
        if steps % 1024 == 0 {
            if opts.stop.load(Ordering::Relaxed) {
                outcome.end = End::Stopped;
                break;
            }
            progress.unique.store(table.len(), Ordering::Relaxed);
            progress.queue.store(height as u64, Ordering::Relaxed);
            progress.table_bytes.store(table.bytes(), Ordering::Relaxed);
        }
        let Some(&action) = top.choices.get(top.next) else {
            stack.pop();
            continue;
        };
        let via = top.next;
        top.next += 1;
        let depth = top.depth + 1;
        let Some(next) = ex.step(&top.state, action, &mut scratch, None) else {
            continue;
        };
        outcome.generated += 1;
        progress.generated.fetch_add(1, Ordering::Relaxed);
        let fp = ex.fingerprint(&next.state);
        let fresh = match table.insert(fp, 0, u64::from(depth)) {
            Insert::New => true,
            Insert::Improved => bounded,
            Insert::Known => false,
        };
        if !fresh {
            continue;
        }
        outcome.depth = outcome.depth.max(depth);
        progress
            .depth
            .store(u64::from(outcome.depth), Ordering::Relaxed);
        mark(&mut sometimes, reached(ex, &next.state), depth);
        if let Some((property, detail)) = broken(ex, &next.state, next.returned, &lin_cache) {
            let mut actions: Vec<usize> = stack.iter().skip(1).map(|f| f.via).collect();
            actions.push(via);
            outcome.end = End::Violation(Counterexample {
                property,
                detail,
                path: path_of(ex, &actions),
            });
            break;
        }
        if spec.bounds.max_depth.is_some_and(|m| depth >= m) {
            outcome.at_bound += 1;
            continue;
        }
        let mut choices = Vec::new();
        ex.actions(&next.state, &mut choices);
        stack.push(Frame {
            state: next.state,
            depth,
            choices,
            next: 0,
            via,
        });
    }
    outcome.unique = table.len();
    outcome.sometimes = spec
        .sometimes
        .iter()
        .map(|s| s.name.clone())
        .zip(sometimes)
        .collect();
    progress.table_bytes.store(table.bytes(), Ordering::Relaxed);
    outcome
}
