//! Sequential specifications: what a single copy of a data type, executing one operation at a
//! time, may answer.
//!
//! A [`Model`] says how to read a history's operations ([`Model::encode`]), which independent
//! object each acts on ([`Model::partition`]), the initial state, and a deterministic step that
//! checks an output and gives the next state. Two models ship:
//!
//! - [`KvModel`]: synod's KV store (put-if-absent, get, delete-if-present, with the exact error
//!   strings of the KV contract), partitioned by key;
//! - [`CasRegister`]: Jepsen's compare-and-set register (read, write, cas), the model of Jepsen's
//!   etcd test and Maelstrom's `lin-kv` workload, partitioned by key when operations have keys.
//!
//! Values are interned to small integers, so a state is a `u32` and hashing it is cheap.

use crate::history::{Operation, Output, Value};
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
/// #[derive(Clone, Debug, PartialEq, Eq)]
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
///     fn step(&self, state: i64, input: &Input, output: Option<&i64>) -> Option<i64> {
///         match input {
///             Input::Add(n) => Some(state + n),
///             Input::Read => (output.is_none_or(|v| *v == state)).then_some(state),
///         }
///     }
///     fn show_state(&self, state: i64) -> String { state.to_string() }
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
    type Input: Clone + Eq + fmt::Debug;
    /// An operation's output, as the model reads it.
    type Output: Clone + fmt::Debug;
    /// The state of one partition (one key, one register).
    type State: Copy + Eq + Hash + fmt::Debug;

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
        state: Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// The state as a person reads it: `nil`, `3`, `absent`, `"val_3"`.
    fn show_state(&self, state: Self::State) -> String;
}

/// Interns values as dense ids from 1 (0 stands for "no value").
#[derive(Clone, Debug)]
struct Interner<T: Ord + Clone> {
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
    fn intern(&mut self, v: &T) -> u32 {
        if let Some(&id) = self.ids.get(v) {
            return id;
        }
        self.values.push(v.clone());
        let id = self.values.len() as u32;
        self.ids.insert(v.clone(), id);
        id
    }

    fn get(&self, id: u32) -> Option<&T> {
        id.checked_sub(1).and_then(|i| self.values.get(i as usize))
    }
}

/// synod's KV store, one partition per key. The state of a key is absent (0) or an interned
/// value id.
///
/// - `put(k, v)`: `ok` and stores `v` if `k` is absent, else `key already exists: k`;
/// - `get(k)`: `ok v` if present, else `key not found: k`;
/// - `delete(k)`: `ok` and removes `k` if present, else `key not found: k`.
///
/// An error string other than these two (for this key) is an answer the store never gives, so
/// an operation returning one can never be linearized.
#[derive(Clone, Debug, Default)]
pub struct KvModel {
    values: Interner<String>,
    /// (key, value) pairs some definite `get` returned.
    read: BTreeSet<(String, String)>,
}

/// The state of a key holding a value that no `get` of the history returns (written by an
/// operation that may or may not have taken effect). All such values behave alike.
const UNREAD: u32 = u32::MAX;

/// A KV operation's input.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KvInput {
    /// Store a value (interned id) if the key is absent.
    Put(u32),
    /// Read the key.
    Get,
    /// Remove the key if present.
    Delete,
}

/// A KV operation's output.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KvOutput {
    /// `ok` without a value (put, delete).
    Ok,
    /// `ok` with a value (get), interned.
    Value(u32),
    /// `key already exists: <key>`.
    Exists,
    /// `key not found: <key>`.
    NotFound,
    /// Anything else: an answer the store never gives.
    Impossible,
}

impl KvModel {
    /// A model with no values seen yet.
    pub fn new() -> Self {
        KvModel::default()
    }

    /// The text a KV value is compared by: strings, and integers or keywords from EDN.
    fn value_text(v: &Value) -> Option<String> {
        match v {
            Value::Str(s) | Value::Keyword(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            _ => None,
        }
    }

    fn value_id(&mut self, v: &Value) -> Option<u32> {
        KvModel::value_text(v).map(|t| self.values.intern(&t))
    }
}

impl Model for KvModel {
    type Input = KvInput;
    type Output = KvOutput;
    type State = u32;

    fn name(&self) -> &'static str {
        "kv"
    }

    fn partition(&self, op: &Operation) -> Option<String> {
        op.key.clone()
    }

    fn observe(&mut self, op: &Operation) {
        if let (Some(key), Output::Ok { value }, "get") = (&op.key, &op.output, op.f.as_str())
            && let Some(text) = KvModel::value_text(value)
        {
            self.read.insert((key.clone(), text));
        }
    }

    fn encode(&mut self, op: &Operation) -> Result<Option<Encoded<KvInput, KvOutput>>, String> {
        let Some(key) = &op.key else {
            return Err("a KV operation needs a key".into());
        };
        let input = match op.f.as_str() {
            "put" => KvInput::Put(
                self.value_id(&op.value)
                    .ok_or_else(|| format!("put needs a string value, not {}", op.value))?,
            ),
            "get" => KvInput::Get,
            "delete" => KvInput::Delete,
            other => {
                return Err(format!(
                    "unknown operation `{other}` (the KV model knows put, get and delete)"
                ));
            }
        };
        let pending = op.ret.is_none() || op.output == Output::Unknown;
        let unread = || {
            KvModel::value_text(&op.value).is_some_and(|t| !self.read.contains(&(key.clone(), t)))
        };
        let input = match input {
            KvInput::Put(_) if pending && unread() => KvInput::Put(UNREAD),
            _ => input,
        };
        let output = match (&op.output, input) {
            (Output::Unknown, _) => None,
            _ if op.ret.is_none() => None,
            (Output::Ok { value }, KvInput::Get) => Some(
                self.value_id(value)
                    .map_or(KvOutput::Impossible, KvOutput::Value),
            ),
            (Output::Ok { .. }, _) => Some(KvOutput::Ok),
            // A failure without the store's message says only that nothing happened.
            (Output::Fail { error: None }, _) => return Ok(None),
            (Output::Fail { error: Some(e) }, _) => Some(
                if e.strip_prefix("key already exists: ") == Some(key.as_str()) {
                    KvOutput::Exists
                } else if e.strip_prefix("key not found: ") == Some(key.as_str()) {
                    KvOutput::NotFound
                } else {
                    KvOutput::Impossible
                },
            ),
        };
        if output.is_none() && input == KvInput::Get {
            return Ok(None); // an indefinite read cannot constrain anything
        }
        Ok(Some(Encoded { input, output }))
    }

    fn init(&self) -> u32 {
        0
    }

    fn step(&self, state: u32, input: &KvInput, output: Option<&KvOutput>) -> Option<u32> {
        let present = state != 0;
        let (answer, next) = match *input {
            KvInput::Put(v) if !present => (KvOutput::Ok, v),
            KvInput::Put(_) => (KvOutput::Exists, state),
            KvInput::Get if present => (KvOutput::Value(state), state),
            KvInput::Delete if present => (KvOutput::Ok, 0),
            KvInput::Get | KvInput::Delete => (KvOutput::NotFound, state),
        };
        match output {
            Some(out) if *out != answer => None,
            _ => Some(next),
        }
    }

    fn show_state(&self, state: u32) -> String {
        match state {
            0 => "absent".to_string(),
            UNREAD => "(a value no get returns)".to_string(),
            _ => self
                .values
                .get(state)
                .map_or_else(|| "?".to_string(), |v| format!("{v:?}")),
        }
    }
}

/// Jepsen's compare-and-set register: `read` returns the value (initially `nil`), `write v`
/// sets it, `cas [from to]` sets it to `to` if it equals `from` and succeeds (`:ok`), or fails
/// (`:fail`) and leaves it unchanged.
///
/// A `:fail` of a read or a write is an operation that did not happen and is dropped; a read
/// that never returned is dropped too. Operations with a `:key`, or with Jepsen's independent
/// tuples as values (`[key value]`, `[key [from to]]`, as Maelstrom's `lin-kv` writes them),
/// are partitioned by key; otherwise the history is one register.
#[derive(Clone, Debug, Default)]
pub struct CasRegister {
    values: Interner<Value>,
    /// (key, value) pairs a definite read returned or a cas compared with.
    observed: BTreeSet<(Option<String>, Value)>,
}

/// A register operation's input (values interned, 0 is `nil`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CasInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(u32),
    /// Set to `.1` if the value is `.0`.
    Cas(u32, u32),
}

/// A register operation's output.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CasOutput {
    /// A read returned this value (0 is `nil`).
    Read(u32),
    /// A write or cas succeeded.
    Ok,
    /// A cas failed: the value was not `from`.
    Failed,
}

/// Splits an operation with Jepsen independent-tuple values into (key, input value, read
/// result), or returns `None` if its value is not such a tuple.
fn independent(op: &Operation) -> Option<(String, &Value, Option<&Value>)> {
    if op.key.is_some() {
        return None;
    }
    let Value::List(items) = &op.value else {
        return None;
    };
    let [k, v] = items.as_slice() else {
        return None;
    };
    let shaped = match op.f.as_str() {
        "read" => true,
        "write" => !matches!(v, Value::List(_)),
        "cas" => matches!(v, Value::List(pair) if pair.len() == 2),
        _ => false,
    };
    if !shaped {
        return None;
    }
    let result = match &op.output {
        Output::Ok {
            value: Value::List(r),
        } if r.len() == 2 => Some(&r[1]),
        _ => None,
    };
    let key = match k {
        Value::Str(s) | Value::Keyword(s) => s.clone(),
        other => other.to_string(),
    };
    Some((key, v, result))
}

impl CasRegister {
    /// A register model with no values seen yet.
    pub fn new() -> Self {
        CasRegister::default()
    }

    fn id(&mut self, v: &Value) -> u32 {
        if *v == Value::Nil {
            0
        } else {
            self.values.intern(v)
        }
    }

    /// The id a pending operation writes `v` as: `UNREAD` if no read returns it and no cas
    /// compares with it.
    fn written_id(&mut self, key: &Option<String>, v: &Value, pending: bool) -> u32 {
        if pending && *v != Value::Nil && !self.observed.contains(&(key.clone(), v.clone())) {
            UNREAD
        } else {
            self.id(v)
        }
    }
}

impl Model for CasRegister {
    type Input = CasInput;
    type Output = CasOutput;
    type State = u32;

    fn name(&self) -> &'static str {
        "cas-register"
    }

    fn partition(&self, op: &Operation) -> Option<String> {
        op.key
            .clone()
            .or_else(|| independent(op).map(|(key, _, _)| key))
    }

    fn observe(&mut self, op: &Operation) {
        let key = self.partition(op);
        let (value, result) = match independent(op) {
            Some((_, v, r)) => (v, r),
            None => (
                &op.value,
                match &op.output {
                    Output::Ok { value } => Some(value),
                    _ => None,
                },
            ),
        };
        match op.f.as_str() {
            "read" => {
                if let Some(r) = result {
                    self.observed.insert((key, r.clone()));
                }
            }
            "cas" => {
                if let Value::List(pair) = value
                    && let Some(from) = pair.first()
                {
                    self.observed.insert((key, from.clone()));
                }
            }
            _ => {}
        }
    }

    fn encode(&mut self, op: &Operation) -> Result<Option<Encoded<CasInput, CasOutput>>, String> {
        let (value, result) = match independent(op) {
            Some((_, v, r)) => (v, r),
            None => (
                &op.value,
                match &op.output {
                    Output::Ok { value } => Some(value),
                    _ => None,
                },
            ),
        };
        let key = self.partition(op);
        let definite = op.ret.is_some() && op.output != Output::Unknown;
        let failed = definite && matches!(op.output, Output::Fail { .. });
        let input = match op.f.as_str() {
            "read" => {
                if !definite || failed {
                    return Ok(None);
                }
                let read = result.map_or(0, |r| self.id(r));
                return Ok(Some(Encoded {
                    input: CasInput::Read,
                    output: Some(CasOutput::Read(read)),
                }));
            }
            "write" => {
                if failed {
                    return Ok(None);
                }
                CasInput::Write(self.written_id(&key, value, !definite))
            }
            "cas" => match value {
                Value::List(pair) if pair.len() == 2 => CasInput::Cas(
                    self.id(&pair[0]),
                    self.written_id(&key, &pair[1], !definite),
                ),
                other => return Err(format!("cas needs a value [from to], not {other}")),
            },
            other => {
                return Err(format!(
                    "unknown operation `{other}` (the cas-register model knows read, write and cas)"
                ));
            }
        };
        let output = match (definite, failed) {
            (false, _) => None,
            (true, false) => Some(CasOutput::Ok),
            (true, true) => Some(CasOutput::Failed),
        };
        Ok(Some(Encoded { input, output }))
    }

    fn init(&self) -> u32 {
        0
    }

    fn step(&self, state: u32, input: &CasInput, output: Option<&CasOutput>) -> Option<u32> {
        match (*input, output) {
            (CasInput::Read, Some(CasOutput::Read(v))) => (state == *v).then_some(state),
            (CasInput::Read, _) => Some(state),
            (CasInput::Write(v), _) => Some(v),
            (CasInput::Cas(from, to), Some(CasOutput::Ok)) => (state == from).then_some(to),
            (CasInput::Cas(from, _), Some(CasOutput::Failed)) => (state != from).then_some(state),
            (CasInput::Cas(from, to), _) => Some(if state == from { to } else { state }),
        }
    }

    fn show_state(&self, state: u32) -> String {
        match state {
            0 => "nil".to_string(),
            UNREAD => "(a value no read returns)".to_string(),
            _ => self
                .values
                .get(state)
                .map_or_else(|| "?".to_string(), |v| v.to_string()),
        }
    }
}

/// The models the command line offers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelKind {
    /// [`KvModel`].
    Kv,
    /// [`CasRegister`].
    CasRegister,
}

impl ModelKind {
    /// All models.
    pub const ALL: [ModelKind; 2] = [ModelKind::Kv, ModelKind::CasRegister];

    /// The name `--model` takes: `kv`, `cas-register`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Kv => "kv",
            ModelKind::CasRegister => "cas-register",
        }
    }

    /// The model a format's histories usually need: `kv` for synod traces, `cas-register`
    /// for Jepsen's formats.
    pub fn default_for(format: crate::Format) -> ModelKind {
        match format {
            crate::Format::Trace => ModelKind::Kv,
            crate::Format::JepsenLog | crate::Format::Edn => ModelKind::CasRegister,
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
            .ok_or_else(|| format!("unknown model `{s}` (expected kv or cas-register)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(f: &str, key: Option<&str>, value: Value, output: Output) -> Operation {
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

    fn err(e: &str) -> Output {
        Output::Fail {
            error: Some(e.into()),
        }
    }

    #[test]
    fn kv_follows_the_contract_strings() {
        let mut m = KvModel::new();
        let put = op(
            "put",
            Some("a"),
            Value::Str("v".into()),
            Output::Ok { value: Value::Nil },
        );
        let e = m.encode(&put).unwrap().unwrap();
        let s = m.step(m.init(), &e.input, e.output.as_ref()).unwrap();
        assert_eq!(m.show_state(s), "\"v\"");
        let exists = op(
            "put",
            Some("a"),
            Value::Str("w".into()),
            err("key already exists: a"),
        );
        let e = m.encode(&exists).unwrap().unwrap();
        assert_eq!(m.step(s, &e.input, e.output.as_ref()), Some(s));
        assert_eq!(m.step(m.init(), &e.input, e.output.as_ref()), None);
        let wrong_key = op("get", Some("a"), Value::Nil, err("key not found: b"));
        let e = m.encode(&wrong_key).unwrap().unwrap();
        assert_eq!(e.output, Some(KvOutput::Impossible));
        assert_eq!(m.step(m.init(), &e.input, e.output.as_ref()), None);
        let del = op(
            "delete",
            Some("a"),
            Value::Nil,
            Output::Ok { value: Value::Nil },
        );
        let e = m.encode(&del).unwrap().unwrap();
        assert_eq!(m.step(s, &e.input, e.output.as_ref()), Some(0));
        assert!(
            m.encode(&op("append", Some("a"), Value::Nil, Output::Unknown))
                .unwrap_err()
                .contains("unknown operation `append`")
        );
        assert!(
            m.encode(&op("get", None, Value::Nil, Output::Unknown))
                .is_err()
        );
    }

    #[test]
    fn kv_values_compare_by_text_whatever_their_edn_type() {
        let mut m = KvModel::new();
        let get = op(
            "get",
            Some("a"),
            Value::Nil,
            Output::Ok {
                value: Value::Int(3),
            },
        );
        let mut put = op("put", Some("a"), Value::Str("3".into()), Output::Unknown);
        put.ret = None;
        m.observe(&get);
        m.observe(&put);
        let p = m.encode(&put).unwrap().unwrap();
        let g = m.encode(&get).unwrap().unwrap();
        let s = m.step(m.init(), &p.input, None).unwrap();
        assert_eq!(
            m.step(s, &g.input, g.output.as_ref()),
            Some(s),
            "the read sees the put"
        );
        let mut other = op("put", Some("a"), Value::Str("4".into()), Output::Unknown);
        other.ret = None;
        let o = m.encode(&other).unwrap().unwrap();
        assert_eq!(o.input, KvInput::Put(UNREAD), "a value no get returns");
    }

    #[test]
    fn cas_register_reads_jepsen_semantics() {
        let mut m = CasRegister::new();
        let cas = op(
            "cas",
            None,
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Output::Fail { error: None },
        );
        let e = m.encode(&cas).unwrap().unwrap();
        assert_eq!(e.output, Some(CasOutput::Failed));
        assert_eq!(m.step(0, &e.input, e.output.as_ref()), Some(0));
        let failed_write = op("write", None, Value::Int(3), Output::Fail { error: None });
        assert_eq!(m.encode(&failed_write), Ok(None));
        let mut pending_read = op("read", None, Value::Nil, Output::Unknown);
        pending_read.ret = None;
        assert_eq!(m.encode(&pending_read), Ok(None));
        assert!(
            m.encode(&op("cas", None, Value::Int(1), Output::Unknown))
                .unwrap_err()
                .contains("[from to]")
        );
    }

    #[test]
    fn cas_register_splits_independent_tuples() {
        let m = CasRegister::new();
        let w = op(
            "write",
            None,
            Value::List(vec![Value::Int(7), Value::Int(3)]),
            Output::Ok { value: Value::Nil },
        );
        assert_eq!(m.partition(&w), Some("7".to_string()));
        let plain = op(
            "write",
            None,
            Value::Int(3),
            Output::Ok { value: Value::Nil },
        );
        assert_eq!(m.partition(&plain), None);
    }
}
