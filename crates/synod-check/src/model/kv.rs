//! synod's KV store: put-if-absent, get, delete-if-present, with the contract's error strings.

use super::{Encoded, Interner, Model, UNREAD};
use crate::history::{Operation, Output, Value};
use std::collections::BTreeSet;

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
    /// Streaming: every value is its own state (no merging of unread values).
    exact: bool,
}

/// A KV operation's input.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput {
    /// Store a value (interned id) if the key is absent.
    Put(u32),
    /// Read the key.
    Get,
    /// Remove the key if present.
    Delete,
}

/// A KV operation's output.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
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

    fn streaming(&mut self) -> bool {
        self.exact = true;
        true
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
        // A value no get returns can only be told apart from another such value by a get,
        // and none does: every put of one (taking effect or not, definite or not) writes the
        // same state, which makes the puts interchangeable for the search.
        let unread = || {
            !self.exact
                && KvModel::value_text(&op.value)
                    .is_some_and(|t| !self.read.contains(&(key.clone(), t)))
        };
        let input = match input {
            KvInput::Put(_) if unread() => KvInput::Put(UNREAD),
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

    fn step(&self, state: &u32, input: &KvInput, output: Option<&KvOutput>) -> Option<u32> {
        let state = *state;
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

    fn show_state(&self, state: &u32) -> String {
        match *state {
            0 => "absent".to_string(),
            UNREAD => "(a value no get returns)".to_string(),
            state => self
                .values
                .get(state)
                .map_or_else(|| "?".to_string(), |v| format!("{v:?}")),
        }
    }

    fn show_state_written(&self, state: &u32, writer: &Operation) -> String {
        match (*state, KvModel::value_text(&writer.value)) {
            (UNREAD, Some(v)) if writer.f == "put" => format!("{v:?} (no get returns it)"),
            _ => self.show_state(state),
        }
    }

    /// A get, and a put or delete that failed, change nothing.
    fn is_read_only(&self, input: &KvInput, output: &KvOutput) -> bool {
        !matches!(
            (input, output),
            (KvInput::Put(_) | KvInput::Delete, KvOutput::Ok)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{err, op};

    #[test]
    fn kv_follows_the_contract_strings() {
        let mut m = KvModel::new();
        let put = op(
            "put",
            Some("a"),
            Value::Str("v".into()),
            Output::Ok { value: Value::Nil },
        );
        let read_v = Output::Ok {
            value: Value::Str("v".into()),
        };
        m.observe(&op("get", Some("a"), Value::Nil, read_v));
        let e = m.encode(&put).unwrap().unwrap();
        let s = m.step(&m.init(), &e.input, e.output.as_ref()).unwrap();
        assert_eq!(m.show_state(&s), "\"v\"");
        let mut unread = put.clone();
        unread.value = Value::Str("never read".into());
        let u = m.encode(&unread).unwrap().unwrap();
        assert_eq!(
            u.input,
            KvInput::Put(UNREAD),
            "a definite put of a value no get returns"
        );
        let exists = op(
            "put",
            Some("a"),
            Value::Str("w".into()),
            err("key already exists: a"),
        );
        let e = m.encode(&exists).unwrap().unwrap();
        assert_eq!(m.step(&s, &e.input, e.output.as_ref()), Some(s));
        assert_eq!(m.step(&m.init(), &e.input, e.output.as_ref()), None);
        let wrong_key = op("get", Some("a"), Value::Nil, err("key not found: b"));
        let e = m.encode(&wrong_key).unwrap().unwrap();
        assert_eq!(e.output, Some(KvOutput::Impossible));
        assert_eq!(m.step(&m.init(), &e.input, e.output.as_ref()), None);
        let del = op(
            "delete",
            Some("a"),
            Value::Nil,
            Output::Ok { value: Value::Nil },
        );
        let e = m.encode(&del).unwrap().unwrap();
        assert_eq!(m.step(&s, &e.input, e.output.as_ref()), Some(0));
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
        let s = m.step(&m.init(), &p.input, None).unwrap();
        assert_eq!(
            m.step(&s, &g.input, g.output.as_ref()),
            Some(s),
            "the read sees the put"
        );
        let mut other = op("put", Some("a"), Value::Str("4".into()), Output::Unknown);
        other.ret = None;
        let o = m.encode(&other).unwrap().unwrap();
        assert_eq!(o.input, KvInput::Put(UNREAD), "a value no get returns");
    }
}
