//! Sequential specifications: what a single copy of a data type, executing one operation at a
//! time, may answer.
//!
//! A [`Model`] says how to read a history's operations ([`Model::encode`]), which independent
//! object each acts on ([`Model::partition`]), the initial state, and a deterministic step that
//! checks an output and gives the next state. Six models ship ([`ModelKind`] names them):
//!
//! - [`KvModel`] (`kv`): synod's KV store (put-if-absent, get, delete-if-present, with the
//!   exact error strings of the KV contract), partitioned by key;
//! - [`CasRegister`] (`cas-register`): Jepsen's compare-and-set register (read, write, cas),
//!   the model of Jepsen's etcd test and Maelstrom's `lin-kv` workload, partitioned by key
//!   when operations have keys;
//! - [`CasRegister::plain`] (`register`): the same without cas;
//! - [`AppendKv`] (`append-kv`): Porcupine's key-value store, strings with put, get, append;
//! - [`ListAppend`] (`list-append`): Jepsen's list-append, single-key transactions;
//! - [`SetModel`] (`set`): Jepsen's set, add and read.
//!
//! Values are interned to small integers, so most states are a `u32` and hashing them is
//! cheap; growing values (strings, lists) are trie nodes (see `append`).

mod append;
mod kv;
mod register;
mod set;

pub use append::{AppendKv, AppendKvInput, DEAD, ListAppend, Micro};
pub use kv::{KvInput, KvModel, KvOutput};
pub use register::{CasInput, CasOutput, CasRegister};
pub use set::{SetInput, SetModel};

use crate::history::{History, Operation};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

/// An operation translated for a model: its input and, unless it is indefinite, its output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded<I, O> {
    /// What was asked.
    pub input: I,
    /// What was answered; `None` if the operation may or may not have taken effect.
    pub output: Option<O>,
}

/// A sequential specification of a data type.
///
/// The checker calls [`encode`](Model::encode) once per operation, then only
/// [`step`](Model::step) during the search, so `step` should be cheap and `State` small.
/// `step` must be deterministic: the same state, input and output always give the same answer.
///
/// A new data type is a few dozen lines. A counter with `add n` and `read`:
///
/// ```
/// use synod_check::{Budget, Encoded, HistoryBuilder, Model, Operation, Output, Value, check};
///
/// struct Counter;
///
/// #[derive(Clone, Debug, PartialEq, Eq, Hash)]
/// enum Input { Add(i64), Read }
///
/// impl Model for Counter {
///     type Input = Input;
///     type Output = i64; // what a read returned
///     type State = i64;
///
///     fn name(&self) -> &'static str { "counter" }
///     fn partition(&self, op: &Operation) -> Option<String> { op.key.clone() }
///     fn encode(&mut self, op: &Operation) -> Result<Option<Encoded<Input, i64>>, String> {
///         let definite = !op.is_pending();
///         match (op.f.as_str(), &op.value, &op.output) {
///             ("add", Value::Int(n), _) => Ok(Some(Encoded { input: Input::Add(*n), output: None })),
///             ("read", _, Output::Ok { value: Value::Int(v) }) if definite => {
///                 Ok(Some(Encoded { input: Input::Read, output: Some(*v) }))
///             }
///             ("read", _, _) => Ok(None), // a read with no answer constrains nothing
///             (f, _, _) => Err(format!("unknown operation `{f}`")),
///         }
///     }
///     fn init(&self) -> i64 { 0 }
///     fn step(&self, state: &i64, input: &Input, output: Option<&i64>) -> Option<i64> {
///         match input {
///             Input::Add(n) => Some(state + n),
///             Input::Read => (output.is_none_or(|v| v == state)).then_some(*state),
///         }
///     }
///     fn show_state(&self, state: &i64) -> String { state.to_string() }
///     fn is_read_only(&self, input: &Input, _: &i64) -> bool { *input == Input::Read }
/// }
///
/// // Client 1 adds 2 and never hears back; client 2 then reads 2: the add took effect.
/// let mut h = HistoryBuilder::new("counter");
/// h.invoke(1, None, "add", None, Value::Int(2), 1).unwrap();
/// h.invoke(2, None, "read", None, Value::Nil, 2).unwrap();
/// h.complete(2, None, Some("read"), Output::Ok { value: Value::Int(2) }, 3).unwrap();
/// let report = check(&mut Counter, &h.finish(), &mut Budget::unlimited()).unwrap();
/// assert!(report.verdict.is_linearizable());
/// ```
pub trait Model {
    /// An operation's input, as the model reads it.
    type Input: Clone + Eq + Hash + fmt::Debug;
    /// An operation's output, as the model reads it.
    type Output: Clone + Eq + Hash + fmt::Debug;
    /// The state of one partition (one key, one register). Small and cheap to clone is
    /// best (the search stores one per configuration it explores); a state that holds heap
    /// memory says how much in [`state_heap_bytes`](Model::state_heap_bytes).
    type State: Clone + Eq + Hash + fmt::Debug;

    /// The model's name, as `--model` spells it.
    fn name(&self) -> &'static str;

    /// The independent object `op` acts on (its key); operations on different objects are
    /// checked separately (P-compositionality). `None` for a single object.
    fn partition(&self, op: &Operation) -> Option<String>;

    /// Shown every operation of the history before the first [`encode`](Model::encode).
    /// A model may learn here which values the history ever observes, so that it can give
    /// the same input to pending operations nobody can tell apart (for example writes of
    /// values that no read returns): the search then treats them as interchangeable.
    fn observe(&mut self, op: &Operation) {
        let _ = op;
    }

    /// Called once before a streaming check ([`Stream`](crate::Stream)), which shows the
    /// model each operation as it completes and never the whole history: a model that uses
    /// [`observe`](Model::observe) to merge values nobody reads must stop merging (later
    /// operations may read them). True if the model can then check a stream; false if it
    /// needs to observe the whole history first. The default, for models that do not
    /// observe: true.
    fn streaming(&mut self) -> bool {
        true
    }

    /// Translates `op` for this model. `Ok(None)` drops an operation that cannot constrain
    /// the search (a read that never returned, an operation that definitely did not happen);
    /// `Err` names what the model does not understand.
    #[allow(clippy::type_complexity)]
    fn encode(
        &mut self,
        op: &Operation,
    ) -> Result<Option<Encoded<Self::Input, Self::Output>>, String>;

    /// The state of every partition before any operation.
    fn init(&self) -> Self::State;

    /// Applies `input` in `state`. With `Some(output)`, returns the next state if the model
    /// can answer `output` in `state`, `None` if it cannot. With `None` (an indefinite
    /// operation), returns the state after the operation takes effect, or `None` if it cannot
    /// take effect in `state`.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// The state as a person reads it: `nil`, `3`, `absent`, `"val_3"`.
    fn show_state(&self, state: &Self::State) -> String;

    /// The state as a person reads it, knowing `writer`, the operation that put the
    /// partition in this state. Models that merge values nobody can tell apart into one state
    /// use it to name the value anyway: `"val_3" (no get returns it)`.
    fn show_state_written(&self, state: &Self::State, writer: &Operation) -> String {
        let _ = writer;
        self.show_state(state)
    }

    /// True if an operation with this input and definite output leaves the state unchanged
    /// in every state where it is possible (a read, a failed compare-and-set). The search
    /// linearizes such an operation as soon as it can, without trying alternatives, which
    /// is exact and makes concurrent reads cheap. Answering false is always safe.
    fn is_read_only(&self, input: &Self::Input, output: &Self::Output) -> bool {
        let _ = (input, output);
        false
    }

    /// Heap memory a state holds beyond its own size, in bytes, for the memory bound
    /// (0 for states that hold none).
    fn state_heap_bytes(&self, state: &Self::State) -> usize {
        let _ = state;
        0
    }
}

/// The state of a key or register holding a value that no read of the history returns
/// (written by an operation that may or may not have taken effect). All such values behave
/// alike, so they are one state.
pub(crate) const UNREAD: u32 = u32::MAX;

/// Interns values as dense ids from 1 (0 stands for "no value").
#[derive(Clone, Debug)]
pub(crate) struct Interner<T: Ord + Clone> {
    ids: BTreeMap<T, u32>,
    values: Vec<T>,
}

impl<T: Ord + Clone> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            ids: BTreeMap::new(),
            values: Vec::new(),
        }
    }
}

impl<T: Ord + Clone> Interner<T> {
    pub(crate) fn intern(&mut self, v: &T) -> u32 {
        if let Some(&id) = self.ids.get(v) {
            return id;
        }
        self.values.push(v.clone());
        let id = self.values.len() as u32;
        self.ids.insert(v.clone(), id);
        id
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        id.checked_sub(1).and_then(|i| self.values.get(i as usize))
    }
}

/// The models the command line offers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelKind {
    /// [`KvModel`].
    Kv,
    /// [`CasRegister`].
    CasRegister,
    /// [`CasRegister::plain`].
    Register,
    /// [`AppendKv`].
    AppendKv,
    /// [`ListAppend`].
    ListAppend,
    /// [`SetModel`].
    Set,
}

impl ModelKind {
    /// All models.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Kv,
        ModelKind::CasRegister,
        ModelKind::Register,
        ModelKind::AppendKv,
        ModelKind::ListAppend,
        ModelKind::Set,
    ];

    /// The name `--model` takes: `kv`, `cas-register`, `register`, `append-kv`,
    /// `list-append`, `set`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Kv => "kv",
            ModelKind::CasRegister => "cas-register",
            ModelKind::Register => "register",
            ModelKind::AppendKv => "append-kv",
            ModelKind::ListAppend => "list-append",
            ModelKind::Set => "set",
        }
    }

    /// The model a history most likely needs: `kv` for synod traces; for Jepsen's formats,
    /// by the operations it holds: `txn` is list-append, `add` a set, `append` (with `get`
    /// or `put`) Porcupine's key-value store, `get`/`put`/`delete` synod's KV store, and
    /// otherwise (`read`, `write`, `cas`) the compare-and-set register.
    pub fn guess(format: crate::Format, history: &History) -> ModelKind {
        if format == crate::Format::Trace {
            return ModelKind::Kv;
        }
        let fs: BTreeSet<&str> = history.operations.iter().map(|op| op.f.as_str()).collect();
        if fs.contains("txn") {
            ModelKind::ListAppend
        } else if fs.contains("add") {
            ModelKind::Set
        } else if fs.contains("append") && (fs.contains("get") || fs.contains("put")) {
            ModelKind::AppendKv
        } else if fs.contains("append") {
            ModelKind::ListAppend
        } else if fs.contains("get") || fs.contains("put") || fs.contains("delete") {
            ModelKind::Kv
        } else {
            ModelKind::CasRegister
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ModelKind, String> {
        ModelKind::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ModelKind::ALL.iter().map(|m| m.name()).collect();
                format!("unknown model `{s}` (expected {})", names.join(", "))
            })
    }
}

/// Operations for the models' tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::history::{Operation, Output, Value};

    /// An operation of client 0 called at 1 and returned at 2.
    pub(crate) fn op(f: &str, key: Option<&str>, value: Value, output: Output) -> Operation {
        Operation {
            client: 0,
            f: f.into(),
            key: key.map(str::to_string),
            value,
            output,
            call: 1,
            ret: Some(2),
        }
    }

    /// A failure with the store's message.
    pub(crate) fn err(e: &str) -> Output {
        Output::Fail {
            error: Some(e.into()),
        }
    }
}
