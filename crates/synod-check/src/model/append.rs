//! Models whose state grows by appending: Porcupine's key-value store (`append-kv`: strings
//! with put, get and append) and Jepsen's list-append (`list-append`: lists of elements,
//! appended to and read whole).
//!
//! Their states are strings or lists, which would make every memoized configuration carry a
//! copy. But a state only matters through what a later read can see, and a read sees the
//! whole value: so the only states worth telling apart are the *prefixes of what some read
//! returned*. Every other state is dead: no read can succeed until a put replaces it, and
//! appending to it keeps it dead. The models build a trie of everything reads returned, and a
//! state is a trie node (or [`DEAD`]): a `u32`, exact, and cheap to hash. Stepping an append
//! walks the appended symbols down the trie.

use super::{Encoded, Interner, Model};
use crate::history::{Operation, Output, Value};

/// A state that is no prefix of anything a read returned: every later read fails until a
/// put replaces it.
pub const DEAD: u32 = u32::MAX;

/// The empty string or list: the trie's root, every key's initial state.
const ROOT: u32 = 0;

/// A trie of symbol sequences; nodes are dense ids, 0 is the root.
#[derive(Clone, Debug)]
struct Trie {
    parent: Vec<u32>,
    symbol: Vec<u32>,
    /// Each node's children, sorted by symbol.
    children: Vec<Vec<(u32, u32)>>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            parent: vec![DEAD],
            symbol: vec![0],
            children: vec![Vec::new()],
        }
    }
}

impl Trie {
    fn child(&self, node: u32, symbol: u32) -> Option<u32> {
        let kids = &self.children[node as usize];
        kids.binary_search_by_key(&symbol, |&(s, _)| s)
            .ok()
            .map(|i| kids[i].1)
    }

    /// The node `symbols` lead to from the root, adding the nodes that are missing.
    fn insert(&mut self, symbols: impl IntoIterator<Item = u32>) -> u32 {
        let mut node = ROOT;
        for symbol in symbols {
            let kids = &self.children[node as usize];
            node = match kids.binary_search_by_key(&symbol, |&(s, _)| s) {
                Ok(i) => kids[i].1,
                Err(i) => {
                    let id = self.parent.len() as u32;
                    self.children[node as usize].insert(i, (symbol, id));
                    self.parent.push(node);
                    self.symbol.push(symbol);
                    self.children.push(Vec::new());
                    id
                }
            };
        }
        node
    }

    /// The node `symbols` lead to from `node`, or [`DEAD`] if they leave the trie.
    fn walk(&self, mut node: u32, symbols: impl IntoIterator<Item = u32>) -> u32 {
        for symbol in symbols {
            if node == DEAD {
                return DEAD;
            }
            node = self.child(node, symbol).unwrap_or(DEAD);
        }
        node
    }

    /// The symbols from the root to `node`.
    fn path(&self, mut node: u32) -> Vec<u32> {
        let mut out = Vec::new();
        while self.parent[node as usize] != DEAD {
            out.push(self.symbol[node as usize]);
            node = self.parent[node as usize];
        }
        out.reverse();
        out
    }
}

/// Porcupine's key-value store (its `kv` model): every key starts as the empty string; `put`
/// sets it, `append` appends to it, `get` returns it. Nothing fails. Partitioned by key.
///
/// The history format is Porcupine's (EDN maps):
/// `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`, then
/// `{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}`; a get's `:ok` carries
/// the value read. `:info` (or no return) is indefinite; `:fail` means it did not happen.
#[derive(Clone, Debug, Default)]
pub struct AppendKv {
    trie: Trie,
    values: Interner<String>,
}

/// An `append-kv` operation's input.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AppendKvInput {
    /// Read the key.
    Get,
    /// Set the key to a value (interned).
    Put(u32),
    /// Append a value (interned) to the key.
    Append(u32),
}

impl AppendKv {
    /// A model with nothing seen yet.
    pub fn new() -> Self {
        AppendKv::default()
    }

    fn text(v: &Value) -> Option<String> {
        match v {
            Value::Str(s) | Value::Keyword(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Nil => Some(String::new()),
            _ => None,
        }
    }

    fn bytes(&self, value: u32) -> impl Iterator<Item = u32> + '_ {
        self.values
            .get(value)
            .map_or(&[][..], |s| s.as_bytes())
            .iter()
            .map(|&b| u32::from(b))
    }
}

impl Model for AppendKv {
    type Input = AppendKvInput;
    /// The trie node of the string a get returned (0 for puts and appends).
    type Output = u32;
    type State = u32;

    fn name(&self) -> &'static str {
        "append-kv"
    }

    fn partition(&self, op: &Operation) -> Option<String> {
        op.key.clone()
    }

    /// Strings no get returns are one dead state: the model needs every get first.
    fn streaming(&mut self) -> bool {
        false
    }

    fn observe(&mut self, op: &Operation) {
        if op.f == "get"
            && !op.is_pending()
            && let Output::Ok { value } = &op.output
            && let Some(text) = AppendKv::text(value)
        {
            self.trie.insert(text.bytes().map(u32::from));
        }
    }

    fn encode(&mut self, op: &Operation) -> Result<Option<Encoded<AppendKvInput, u32>>, String> {
        let definite = !op.is_pending();
        let value = |m: &mut AppendKv| {
            AppendKv::text(&op.value)
                .map(|t| m.values.intern(&t))
                .ok_or_else(|| format!("{} needs a string value, not {}", op.f, op.value))
        };
        let input = match op.f.as_str() {
            "get" => AppendKvInput::Get,
            "put" => AppendKvInput::Put(value(self)?),
            "append" => AppendKvInput::Append(value(self)?),
            other => {
                return Err(format!(
                    "unknown operation `{other}` (the append-kv model knows get, put and append)"
                ));
            }
        };
        if definite && matches!(op.output, Output::Fail { .. }) {
            return Ok(None); // it did not happen
        }
        let output = match (input, &op.output) {
            (AppendKvInput::Get, _) if !definite => return Ok(None), // constrains nothing
            (AppendKvInput::Get, Output::Ok { value }) => {
                let text = AppendKv::text(value)
                    .ok_or_else(|| format!("get returned {value}, not a string"))?;
                Some(self.trie.insert(text.bytes().map(u32::from)))
            }
            _ => definite.then_some(0),
        };
        Ok(Some(Encoded { input, output }))
    }

    fn init(&self) -> u32 {
        ROOT
    }

    fn step(&self, state: &u32, input: &AppendKvInput, output: Option<&u32>) -> Option<u32> {
        match *input {
            AppendKvInput::Get => output.is_none_or(|seen| seen == state).then_some(*state),
            AppendKvInput::Put(value) => Some(self.trie.walk(ROOT, self.bytes(value))),
            AppendKvInput::Append(value) => Some(self.trie.walk(*state, self.bytes(value))),
        }
    }

    fn show_state(&self, state: &u32) -> String {
        match *state {
            DEAD => "(a string no get returns)".to_string(),
            node => {
                let bytes: Vec<u8> = self.trie.path(node).iter().map(|&b| b as u8).collect();
                format!("{:?}", String::from_utf8_lossy(&bytes))
            }
        }
    }

    fn is_read_only(&self, input: &AppendKvInput, _: &u32) -> bool {
        *input == AppendKvInput::Get
    }
}

/// Jepsen's list-append (the workload Elle checks), where linearizability is the property:
/// one list per key, initially empty; `append` adds an element at the end, a read returns the
/// whole list. A transaction whose micro-operations all touch one key is one operation on that
/// key (its micro-operations run in order, atomically); a transaction over several keys is
/// refused, since linearizability per key cannot judge it (that is serializability: use Elle).
///
/// Formats: Jepsen's `{:f :txn, :value [[:append 3 1] [:r 3 nil]]}` (the `:ok` carries the
/// lists read, `[:r 3 [1 2]]`), or single operations `{:f :append, :key 3, :value 1}` and
/// `{:f :read, :key 3}` (or `:r`) whose `:ok` value is the list.
#[derive(Clone, Debug, Default)]
pub struct ListAppend {
    trie: Trie,
    elements: Interner<Value>,
}

/// One step of a list-append operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Micro {
    /// Append an element (interned).
    Append(u32),
    /// Read the list.
    Read,
}

/// The micro-operations of one operation: (f, key, value) each.
type Micros<'a> = Vec<(&'a str, Option<String>, &'a Value)>;

impl ListAppend {
    /// A model with nothing seen yet.
    pub fn new() -> Self {
        ListAppend::default()
    }

    fn key_text(v: &Value) -> String {
        match v {
            Value::Str(s) | Value::Keyword(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The micro-operations of `op`'s input, and those of its `:ok` value (with the lists
    /// read), if it has one.
    fn micros(op: &Operation) -> Result<(Micros<'_>, Option<Micros<'_>>), String> {
        fn txn(v: &Value) -> Result<Micros<'_>, String> {
            let Value::List(items) = v else {
                return Err(format!(
                    "a txn's value is a list of micro-operations, not {v}"
                ));
            };
            items
                .iter()
                .map(|m| match m {
                    Value::List(parts) if parts.len() == 3 => {
                        let f = match &parts[0] {
                            Value::Keyword(f) | Value::Str(f) => f.as_str(),
                            other => return Err(format!("micro-operation {other} is not a name")),
                        };
                        Ok((f, Some(ListAppend::key_text(&parts[1])), &parts[2]))
                    }
                    other => Err(format!(
                        "micro-operation {other} is not [f key value] (as [:append 3 1], [:r 3 nil])"
                    )),
                })
                .collect()
        }
        match op.f.as_str() {
            "txn" => {
                let input = txn(&op.value)?;
                let output = match &op.output {
                    Output::Ok { value } if !op.is_pending() => Some(txn(value)?),
                    _ => None,
                };
                Ok((input, output))
            }
            "append" | "r" | "read" => {
                let f = if op.f == "append" { "append" } else { "r" };
                let key = op.key.clone();
                let input = vec![(f, key.clone(), &op.value)];
                let output = match &op.output {
                    Output::Ok { value } if !op.is_pending() => Some(vec![(f, key, value)]),
                    _ => None,
                };
                Ok((input, output))
            }
            other => Err(format!(
                "unknown operation `{other}` (the list-append model knows txn, append and read)"
            )),
        }
    }

    fn read_list(v: &Value) -> Result<Vec<&Value>, String> {
        match v {
            Value::Nil => Ok(Vec::new()),
            Value::List(items) => Ok(items.iter().collect()),
            other => Err(format!("a read returns a list, not {other}")),
        }
    }
}

impl Model for ListAppend {
    type Input = Vec<Micro>;
    /// The trie node of each list read, in order.
    type Output = Vec<u32>;
    type State = u32;

    fn name(&self) -> &'static str {
        "list-append"
    }

    fn partition(&self, op: &Operation) -> Option<String> {
        ListAppend::micros(op)
            .ok()
            .and_then(|(m, _)| m.first().and_then(|(_, k, _)| k.clone()))
    }

    /// Strings no get returns are one dead state: the model needs every get first.
    fn streaming(&mut self) -> bool {
        false
    }

    fn observe(&mut self, op: &Operation) {
        if let Ok((_, Some(done))) = ListAppend::micros(op) {
            for (f, _, value) in done {
                if (f == "r" || f == "read")
                    && let Ok(list) = ListAppend::read_list(value)
                {
                    let symbols: Vec<u32> = list.iter().map(|v| self.elements.intern(v)).collect();
                    self.trie.insert(symbols);
                }
            }
        }
    }

    fn encode(&mut self, op: &Operation) -> Result<Option<Encoded<Vec<Micro>, Vec<u32>>>, String> {
        let (micros, done) = ListAppend::micros(op)?;
        if micros.is_empty() {
            return Ok(None);
        }
        let key = &micros[0].1;
        if let Some((_, other, _)) = micros.iter().find(|(_, k, _)| k != key) {
            return Err(format!(
                "this transaction touches keys {} and {}: linearizability is checked one key at \
                 a time, so only single-key transactions can be judged (check multi-key \
                 transactions for serializability with Elle)",
                key.as_deref().unwrap_or("nil"),
                other.as_deref().unwrap_or("nil")
            ));
        }
        if !op.is_pending() && matches!(op.output, Output::Fail { .. }) {
            return Ok(None); // it did not happen
        }
        let mut input = Vec::with_capacity(micros.len());
        for (f, _, value) in &micros {
            input.push(match *f {
                "append" => Micro::Append(self.elements.intern(value)),
                "r" | "read" => Micro::Read,
                other => {
                    return Err(format!(
                        "unknown micro-operation `{other}` (list-append knows append and r)"
                    ));
                }
            });
        }
        let output = match done {
            None => None,
            Some(done) => {
                if done.len() != micros.len() {
                    return Err(format!(
                        "the completed transaction has {} micro-operations, the invoked one {}",
                        done.len(),
                        micros.len()
                    ));
                }
                let mut reads = Vec::new();
                for (f, _, value) in done.iter().filter(|(f, _, _)| *f == "r" || *f == "read") {
                    let list = ListAppend::read_list(value).map_err(|e| format!("{f}: {e}"))?;
                    let symbols: Vec<u32> = list.iter().map(|v| self.elements.intern(v)).collect();
                    reads.push(self.trie.insert(symbols));
                }
                Some(reads)
            }
        };
        if output.is_none() && input.iter().all(|m| *m == Micro::Read) {
            return Ok(None); // reads with no answer constrain nothing
        }
        Ok(Some(Encoded { input, output }))
    }

    fn init(&self) -> u32 {
        ROOT
    }

    fn step(&self, state: &u32, input: &Vec<Micro>, output: Option<&Vec<u32>>) -> Option<u32> {
        let mut now = *state;
        let mut reads = output.map(|o| o.iter());
        for micro in input {
            match *micro {
                Micro::Append(e) => {
                    now = if now == DEAD {
                        DEAD
                    } else {
                        self.trie.child(now, e).unwrap_or(DEAD)
                    };
                }
                Micro::Read => {
                    if let Some(reads) = &mut reads
                        && reads.next() != Some(&now)
                    {
                        return None;
                    }
                }
            }
        }
        Some(now)
    }

    fn show_state(&self, state: &u32) -> String {
        match *state {
            DEAD => "(a list no read returns)".to_string(),
            node => {
                let items: Vec<String> = self
                    .trie
                    .path(node)
                    .iter()
                    .map(|&e| self.elements.get(e).map_or("?".into(), Value::to_string))
                    .collect();
                format!("[{}]", items.join(" "))
            }
        }
    }

    fn is_read_only(&self, input: &Vec<Micro>, _: &Vec<u32>) -> bool {
        input.iter().all(|m| *m == Micro::Read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::op;

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    fn apply<M: Model>(m: &mut M, state: &M::State, o: &Operation) -> Option<M::State> {
        let e = m.encode(o).unwrap().unwrap();
        m.step(state, &e.input, e.output.as_ref())
    }

    #[test]
    fn append_kv_states_are_the_prefixes_reads_return() {
        let mut m = AppendKv::new();
        let get_xy = op("get", Some("k"), Value::Nil, Output::Ok { value: s("xy") });
        let get_empty = op("get", Some("k"), Value::Nil, Output::Ok { value: s("") });
        m.observe(&get_xy);
        m.observe(&get_empty);
        let ok = Output::Ok { value: Value::Nil };
        let append_x = op("append", Some("k"), s("x"), ok.clone());
        let append_y = op("append", Some("k"), s("y"), ok.clone());
        let put_q = op("put", Some("k"), s("q"), ok.clone());
        let s0 = m.init();
        assert_eq!(apply(&mut m, &s0, &get_empty), Some(s0), "starts empty");
        let sx = apply(&mut m, &s0, &append_x).unwrap();
        assert_eq!(m.show_state(&sx), "\"x\"");
        let sxy = apply(&mut m, &sx, &append_y).unwrap();
        assert_eq!(apply(&mut m, &sxy, &get_xy), Some(sxy), "reads xy");
        assert_eq!(apply(&mut m, &sx, &get_xy), None, "x is not xy");
        let dead = apply(&mut m, &sxy, &append_x).unwrap();
        assert_eq!(dead, DEAD, "xyx is no prefix of a read");
        assert_eq!(apply(&mut m, &dead, &get_xy), None);
        assert_eq!(apply(&mut m, &dead, &append_y), Some(DEAD));
        assert_eq!(
            apply(&mut m, &dead, &put_q),
            Some(DEAD),
            "q is no prefix either"
        );
        let put_x = op("put", Some("k"), s("x"), ok);
        assert_eq!(
            apply(&mut m, &dead, &put_x),
            Some(sx),
            "a put replaces a dead string"
        );
        let e = m.encode(&get_xy).unwrap().unwrap();
        assert!(m.is_read_only(&e.input, e.output.as_ref().unwrap()));
        assert!(
            m.encode(&op("cas", Some("k"), Value::Nil, Output::Unknown))
                .unwrap_err()
                .contains("get, put and append")
        );
    }

    fn list(items: &[i64]) -> Value {
        Value::List(items.iter().map(|&i| Value::Int(i)).collect())
    }

    fn txn(micros: &[(&str, i64, Value)]) -> Value {
        Value::List(
            micros
                .iter()
                .map(|(f, k, v)| {
                    Value::List(vec![Value::Keyword((*f).into()), Value::Int(*k), v.clone()])
                })
                .collect(),
        )
    }

    #[test]
    fn list_append_runs_single_key_transactions_in_order() {
        let mut m = ListAppend::new();
        let mut t = op(
            "txn",
            None,
            txn(&[
                ("append", 3, Value::Int(1)),
                ("r", 3, Value::Nil),
                ("append", 3, Value::Int(2)),
            ]),
            Output::Ok {
                value: txn(&[
                    ("append", 3, Value::Int(1)),
                    ("r", 3, list(&[1])),
                    ("append", 3, Value::Int(2)),
                ]),
            },
        );
        let read = op(
            "txn",
            None,
            txn(&[("r", 3, Value::Nil)]),
            Output::Ok {
                value: txn(&[("r", 3, list(&[1, 2]))]),
            },
        );
        m.observe(&t);
        m.observe(&read);
        assert_eq!(m.partition(&t), Some("3".into()));
        let s0 = m.init();
        let s12 = apply(&mut m, &s0, &t).unwrap();
        assert_eq!(m.show_state(&s12), "[1 2]");
        assert_eq!(apply(&mut m, &s12, &read), Some(s12));
        assert_eq!(apply(&mut m, &s0, &read), None, "[] is not [1 2]");
        assert_eq!(
            apply(&mut m, &s12, &t),
            None,
            "its read would see [1 2 1], not [1]"
        );
        let mut blind = op(
            "txn",
            None,
            txn(&[("append", 3, Value::Int(5))]),
            Output::Ok {
                value: txn(&[("append", 3, Value::Int(5))]),
            },
        );
        assert_eq!(
            apply(&mut m, &s12, &blind),
            Some(DEAD),
            "[1 2 5] was never read"
        );
        blind.output = Output::Unknown;
        assert!(m.encode(&blind).unwrap().unwrap().output.is_none());
        let e = m.encode(&read).unwrap().unwrap();
        assert!(m.is_read_only(&e.input, e.output.as_ref().unwrap()));
        t.value = txn(&[("append", 3, Value::Int(1)), ("append", 4, Value::Int(1))]);
        t.output = Output::Unknown;
        assert!(m.encode(&t).unwrap_err().contains("touches keys 3 and 4"));
        let single = op(
            "append",
            Some("3"),
            Value::Int(1),
            Output::Ok { value: Value::Nil },
        );
        assert_eq!(
            apply(&mut m, &s0, &single).map(|s| m.show_state(&s)),
            Some("[1]".into())
        );
    }
}
