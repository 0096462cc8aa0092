//! # synod-check: histories and linearizability
//!
//! **Contract: this crate does no IO.** It reads no file, no clock and no OS randomness: the
//! parsers take a file's contents and its name (for messages), and a check is bounded by a
//! [`Budget`] whose clock, if any, the caller supplies. The same history always gets the same
//! verdict and the same explanation.
//!
//! The pieces:
//!
//! - [`history`]: [`History`] and [`Operation`], and the parsers for synod's JSON trace, Jepsen
//!   log lines and Jepsen EDN maps ([`parse_trace`], [`parse_jepsen_log`], [`parse_edn`],
//!   [`detect_format`]).
//! - [`model`]: the [`Model`] trait (initial state, a step that checks an output, a
//!   partition function) and six models: [`KvModel`] (synod's KV contract), [`CasRegister`]
//!   (Jepsen's registers, with and without cas), [`AppendKv`] (Porcupine's key-value store),
//!   [`ListAppend`] and [`SetModel`] (Jepsen's list-append and set).
//! - [`lin`]: the checker ([`check`] on the caller's thread, [`check_with`] on the caller's
//!   threads), its [`Budget`] and [`Limits`], [`Verdict`] and [`Explanation`].
//! - [`invariants`]: live safety checks over protocol events: agreement, state machine
//!   safety, election safety.
//! - [`recorder`]: collects the client history (invocations and returns) of a run.
//!
//! ```
//! use synod_check::{Budget, ModelKind, Verdict, check_history, parse_jepsen_log};
//!
//! // Client 0 writes 1; afterwards client 1 reads nil: a stale read.
//! let log = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n\
//!            INFO  jepsen.util - 0\t:ok\t:write\t1\n\
//!            INFO  jepsen.util - 1\t:invoke\t:read\tnil\n\
//!            INFO  jepsen.util - 1\t:ok\t:read\tnil\n";
//! let history = parse_jepsen_log("stale.log", log).unwrap();
//! let report = check_history(&history, ModelKind::CasRegister, &mut Budget::unlimited()).unwrap();
//! let Verdict::NotLinearizable(why) = report.verdict else { panic!("stale read accepted") };
//! assert_eq!(why.blocked.to_string(), "client 1: read -> ok");
//! assert_eq!(why.state, "1 (no read returns it)");
//! ```

mod edn;
pub mod history;
pub mod invariants;
pub mod lin;
mod memo;
pub mod model;
pub mod recorder;

pub use history::{
    Format, History, HistoryBuilder, HistoryError, Operation, Output, Value, detect_format,
    parse_auto, parse_edn, parse_jepsen_log, parse_trace,
};
pub use lin::stream::{Stream, StreamLimits, StreamStats, check_streamed};
pub use lin::{
    Budget, Candidate, CheckReport, Detail, Explanation, GaveUp, Incomplete, KeyReport, KeyStatus,
    Limits, ModelError, PrefixStep, Verdict, Work, check, check_with, show_bytes,
};
pub use model::{AppendKv, CasRegister, Encoded, KvModel, ListAppend, Model, ModelKind, SetModel};

/// A fast, deterministic 64-bit hash of a small value (the multiply-rotate of rustc's
/// FxHasher): what the linearizability search memoizes model states by, and what a live check
/// compares replica states by. The same on every run; equal values hash alike, and a collision
/// can only make two different values look equal.
pub fn fingerprint<T: std::hash::Hash>(x: &T) -> u64 {
    memo::hash_state(x)
}

/// Checks `history` with the model `kind` names, on the caller's thread: the entry point for
/// `synod run`'s `linearizable` expectation, the REPL and `synod check`.
pub fn check_history(
    history: &History,
    kind: ModelKind,
    budget: &mut Budget<'_>,
) -> Result<CheckReport, ModelError> {
    match kind {
        ModelKind::Kv => check(&mut KvModel::new(), history, budget),
        ModelKind::CasRegister => check(&mut CasRegister::new(), history, budget),
        ModelKind::Register => check(&mut CasRegister::plain(), history, budget),
        ModelKind::AppendKv => check(&mut AppendKv::new(), history, budget),
        ModelKind::ListAppend => check(&mut ListAppend::new(), history, budget),
        ModelKind::Set => check(&mut SetModel::new(), history, budget),
    }
}

/// Checks `history` with the model `kind` names on threads the caller starts (see
/// [`check_with`]): the entry point for `synod lin`.
pub fn check_history_with(
    history: &History,
    kind: ModelKind,
    limits: Limits,
    workers: usize,
    detail: Detail,
    drive: &mut dyn FnMut(&dyn Work),
) -> Result<CheckReport, ModelError> {
    let (h, l, w, d) = (history, limits, workers, detail);
    match kind {
        ModelKind::Kv => check_with(&mut KvModel::new(), h, l, w, d, drive),
        ModelKind::CasRegister => check_with(&mut CasRegister::new(), h, l, w, d, drive),
        ModelKind::Register => check_with(&mut CasRegister::plain(), h, l, w, d, drive),
        ModelKind::AppendKv => check_with(&mut AppendKv::new(), h, l, w, d, drive),
        ModelKind::ListAppend => check_with(&mut ListAppend::new(), h, l, w, d, drive),
        ModelKind::Set => check_with(&mut SetModel::new(), h, l, w, d, drive),
    }
}
