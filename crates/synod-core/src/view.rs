//! Protocol state for viewers: what `synod view` draws at its time cursor (a Raft log grid, a
//! Multi-Paxos slot table, a Paxos acceptor's promise, each node's store).
//!
//! A process reports its state through [`Process::view`](crate::Process::view) as named
//! **fields** (`term`, `role`, `commit`) and **tables** of rows (`log`, one row per index;
//! `store`, one row per key). The driver keeps one [`StateView`] per node, calls `view` after
//! every input the node handles, and gets back only what changed since the previous report:
//! the JSON trace writes those changes as `state` lines (docs/trace.md), and a viewer rebuilds
//! any node's state at any point of the run by replaying them.
//!
//! Reporting must stay cheap, because it runs after every event of a traced run: a row carries
//! a `stamp` that identifies its contents (for a Raft entry, its term and the request it
//! carries), and a row reported with the same key and stamp as last time is neither formatted
//! nor compared. An unchanged log of ten thousand entries costs ten thousand integer
//! comparisons. Nothing of this runs when no observer records states.
//!
//! ```
//! use synod_core::view::{StateChange, StateView};
//!
//! let mut v = StateView::default();
//! let first = v.report(|v| {
//!     v.field("term", 1);
//!     v.row("log", 1, 1, |c| { c.cell(1).cell("PUT a"); });
//! });
//! assert_eq!(first.len(), 2);
//! // The same state again: nothing to write.
//! let again = v.report(|v| {
//!     v.field("term", 1);
//!     v.row("log", 1, 1, |c| { c.cell(1).cell("PUT a"); });
//! });
//! assert!(again.is_empty());
//! // A new term, and the entry is gone: two changes.
//! let next = v.report(|v| v.field("term", 2)).to_vec();
//! assert_eq!(next[0], StateChange::Field { name: "term", value: Some("2".into()) });
//! assert!(matches!(next[1], StateChange::Row { table: "log", cells: None, .. }));
//! ```

use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

/// The key of a table row: a number (a log index, a slot) or a text (a store's key).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKey {
    /// A number: rows of a table keyed by numbers are reported in increasing order.
    Index(u64),
    /// A text: rows of a table keyed by texts are reported in increasing (byte) order.
    Text(String),
}

impl fmt::Display for RowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowKey::Index(i) => write!(f, "{i}"),
            RowKey::Text(t) => f.write_str(t),
        }
    }
}

impl Default for RowKey {
    fn default() -> Self {
        RowKey::Index(0)
    }
}

/// A key as a report names it, before it is kept.
#[derive(Clone, Copy)]
enum KeyRef<'a> {
    Index(u64),
    Text(&'a str),
}

impl KeyRef<'_> {
    fn cmp_key(self, k: &RowKey) -> Ordering {
        match (self, k) {
            (KeyRef::Index(a), RowKey::Index(b)) => a.cmp(b),
            (KeyRef::Text(a), RowKey::Text(b)) => a.cmp(b.as_str()),
            (KeyRef::Index(_), RowKey::Text(_)) => Ordering::Less,
            (KeyRef::Text(_), RowKey::Index(_)) => Ordering::Greater,
        }
    }
    fn to_owned(self) -> RowKey {
        match self {
            KeyRef::Index(i) => RowKey::Index(i),
            KeyRef::Text(t) => RowKey::Text(t.to_string()),
        }
    }
}

/// One change of a node's state between two reports: what a `state` trace line carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateChange {
    /// Field `name` now reads `value`; `None`: the field is no longer reported.
    Field {
        /// The field's name.
        name: &'static str,
        /// Its new value, as printed.
        value: Option<String>,
    },
    /// Row `key` of `table` now holds `cells`; `None`: the row is gone.
    Row {
        /// The table's name.
        table: &'static str,
        /// The row's key.
        key: RowKey,
        /// Its new cells, as printed.
        cells: Option<Vec<String>>,
    },
}

/// The cells of a row being reported.
pub struct Cells<'a> {
    out: &'a mut Vec<String>,
}

impl Cells<'_> {
    /// Append a cell.
    pub fn cell(&mut self, value: impl fmt::Display) -> &mut Self {
        self.out.push(value.to_string());
        self
    }
}

#[derive(Default)]
struct Row {
    key: RowKey,
    stamp: u64,
    cells: Vec<String>,
}

struct Field {
    name: &'static str,
    value: String,
    seen: bool,
}

/// A table as last reported, and the merge of the report in progress.
struct Table {
    name: &'static str,
    /// The rows of the last report, in key order.
    rows: Vec<Row>,
    /// Rows before `cursor` were matched (or consumed) by the report in progress.
    cursor: usize,
    /// Where the report in progress first differed from the last one: rows from there on are
    /// rebuilt in `tail`. `None` while the report repeats the last one row for row.
    split: Option<usize>,
    tail: Vec<Row>,
    seen: bool,
}

impl Table {
    /// The key of the row placed last by the report in progress.
    fn last_placed(&self) -> Option<&RowKey> {
        match self.split {
            None => self.cursor.checked_sub(1).map(|i| &self.rows[i].key),
            Some(s) => self
                .tail
                .last()
                .map(|r| &r.key)
                .or_else(|| s.checked_sub(1).map(|i| &self.rows[i].key)),
        }
    }
}

/// The change that sets `row` of `table`.
fn set_row(table: &'static str, row: &Row) -> StateChange {
    StateChange::Row {
        table,
        key: row.key.clone(),
        cells: Some(row.cells.clone()),
    }
}

/// One node's protocol state as last reported, turned into changes by each new report.
///
/// A report lists fields in any order, and the rows of each table in increasing key order
/// (a row out of order is ignored, and is a bug in the reporting process). Whatever the last
/// report had and this one does not is reported as removed.
pub struct StateView {
    fields: Vec<Field>,
    next_field: usize,
    tables: Vec<Table>,
    next_table: usize,
    changes: Vec<StateChange>,
    scratch: String,
    /// Which view this is, and how many reports it took: a process that reports only what
    /// changed ([`Changed`]) checks that its previous report went here, just before.
    id: u64,
    reports: u64,
}

/// Numbers views apart (see [`Changed`]); never reaches any output.
static NEXT_VIEW: AtomicU64 = AtomicU64::new(1);

impl Default for StateView {
    fn default() -> Self {
        StateView {
            fields: Vec::new(),
            next_field: 0,
            tables: Vec::new(),
            next_table: 0,
            changes: Vec::new(),
            scratch: String::new(),
            id: NEXT_VIEW.fetch_add(1, AtomicOrdering::Relaxed),
            reports: 0,
        }
    }
}

/// What a process remembers to report a long table (a log) from its first changed row on,
/// instead of row by row: it marks each row it changes, and [`Changed::first`] says where the
/// next report must start. Kept in the process, behind `&self` (relaxed atomics rather than
/// `Cell`s, so that a process holding one stays `Sync` for the explorer, which shares states
/// between threads; a relaxed load or store costs what a `Cell`'s does).
///
/// Safe against any caller: when the process's previous report did not go to this same view
/// just before this one (the first report, a restarted process, another view), `first` is 0
/// and the whole table is reported.
#[derive(Default)]
pub struct Changed {
    from: AtomicU64,
    /// The view the last report went to (0: none; views are numbered from 1) and its number
    /// of reports then.
    last_view: AtomicU64,
    last_reports: AtomicU64,
}

impl Changed {
    /// Rows from `key` on changed (a truncation at `key`, an append at `key`).
    pub fn mark(&self, key: u64) {
        if key < self.from.load(AtomicOrdering::Relaxed) {
            self.from.store(key, AtomicOrdering::Relaxed);
        }
    }

    /// The first row the report being taken by `view` must list (rows below it are as
    /// reported last time; declare them with [`StateView::rows_from`]); resets the marks.
    pub fn first(&self, view: &StateView) -> u64 {
        let continues = self.last_view.load(AtomicOrdering::Relaxed) == view.id
            && self.last_reports.load(AtomicOrdering::Relaxed) == view.reports.wrapping_sub(1);
        self.last_view.store(view.id, AtomicOrdering::Relaxed);
        self.last_reports
            .store(view.reports, AtomicOrdering::Relaxed);
        let from = if continues {
            self.from.load(AtomicOrdering::Relaxed)
        } else {
            0
        };
        self.from.store(u64::MAX, AtomicOrdering::Relaxed);
        from
    }
}

impl Clone for Changed {
    /// A copy knows nothing of the reports its original made: it reports whole tables first.
    fn clone(&self) -> Self {
        Changed::default()
    }
}

impl fmt::Debug for Changed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Changed")
    }
}

impl StateView {
    /// Report a field: `term`, `role`, `commit`, ... (no `/` in the name).
    pub fn field(&mut self, name: &'static str, value: impl fmt::Display) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value}");
        let i = match self.fields.get(self.next_field) {
            Some(f) if f.name == name => self.next_field,
            _ => match self.fields.iter().position(|f| f.name == name) {
                Some(i) => i,
                None => {
                    self.fields.push(Field {
                        name,
                        value: String::new(),
                        seen: false,
                    });
                    self.changes.push(StateChange::Field {
                        name,
                        value: Some(self.scratch.clone()),
                    });
                    let f = self.fields.last_mut().expect("just pushed");
                    f.value.push_str(&self.scratch);
                    f.seen = true;
                    self.next_field = self.fields.len();
                    return;
                }
            },
        };
        let f = &mut self.fields[i];
        f.seen = true;
        if f.value != self.scratch {
            f.value.clear();
            f.value.push_str(&self.scratch);
            self.changes.push(StateChange::Field {
                name,
                value: Some(self.scratch.clone()),
            });
        }
        self.next_field = i + 1;
    }

    /// Report row `key` of `table` (a log index, a slot). `stamp` identifies the row's
    /// contents: when the last report had this key with this stamp, `cells` is not called and
    /// the row counts as unchanged. (Use [`stamp`] to make one from the fields that decide
    /// what the cells print.)
    pub fn row(
        &mut self,
        table: &'static str,
        key: u64,
        stamp: u64,
        cells: impl FnOnce(&mut Cells<'_>),
    ) {
        self.place(
            table,
            KeyRef::Index(key),
            |r| r.stamp == stamp,
            |key| {
                let mut out = Vec::new();
                cells(&mut Cells { out: &mut out });
                Row {
                    key,
                    stamp,
                    cells: out,
                }
            },
        );
    }

    /// Declare that the rows of `table` keyed below `from` are as in the last report, and that
    /// this report lists the table's rows from `from` on (rows of the last report from there
    /// on that it does not list are removed). Call before any row of the table; see
    /// [`Changed`] for how a process knows `from`.
    pub fn rows_from(&mut self, table: &'static str, from: u64) {
        let t = self.table(table);
        let tab = &mut self.tables[t];
        debug_assert!(
            tab.cursor == 0 && tab.split.is_none(),
            "rows_from(`{table}`) after rows of the table"
        );
        tab.seen = true;
        tab.cursor = tab
            .rows
            .partition_point(|r| KeyRef::Index(from).cmp_key(&r.key) == Ordering::Greater);
    }

    /// Report a row of `table` keyed by text, holding one text cell (a store's key and value).
    pub fn text_row(&mut self, table: &'static str, key: &str, value: &str) {
        self.place(
            table,
            KeyRef::Text(key),
            |r| r.cells.len() == 1 && r.cells[0] == value,
            |key| Row {
                key,
                stamp: 0,
                cells: vec![value.to_string()],
            },
        );
    }

    fn table(&mut self, name: &'static str) -> usize {
        if let Some(t) = self.tables.get(self.next_table) {
            if t.name == name {
                return self.next_table;
            }
        }
        let i = match self.tables.iter().position(|t| t.name == name) {
            Some(i) => i,
            None => {
                self.tables.push(Table {
                    name,
                    rows: Vec::new(),
                    cursor: 0,
                    split: None,
                    tail: Vec::new(),
                    seen: false,
                });
                self.tables.len() - 1
            }
        };
        self.next_table = i;
        i
    }

    /// Merge one reported row into the table: the last report's rows are walked in step, so
    /// that a report equal to the last one costs one comparison per row.
    fn place(
        &mut self,
        table: &'static str,
        key: KeyRef<'_>,
        same: impl Fn(&Row) -> bool,
        make: impl FnOnce(RowKey) -> Row,
    ) {
        let t = self.table(table);
        let changes = &mut self.changes;
        let tab = &mut self.tables[t];
        tab.seen = true;
        if let Some(last) = tab.last_placed() {
            if key.cmp_key(last) != Ordering::Greater {
                debug_assert!(
                    false,
                    "rows of table `{table}` must be reported in increasing key order"
                );
                return;
            }
        }
        if tab.split.is_none() {
            if let Some(r) = tab.rows.get(tab.cursor) {
                if key.cmp_key(&r.key) == Ordering::Equal && same(r) {
                    tab.cursor += 1;
                    return;
                }
            }
            tab.split = Some(tab.cursor);
        }
        loop {
            let c = tab.cursor;
            match tab.rows.get(c).map(|r| key.cmp_key(&r.key)) {
                Some(Ordering::Greater) => {
                    // A row of the last report that this one skipped: gone.
                    let old = std::mem::take(&mut tab.rows[c]);
                    tab.cursor += 1;
                    changes.push(StateChange::Row {
                        table,
                        key: old.key,
                        cells: None,
                    });
                }
                Some(Ordering::Equal) => {
                    let old = std::mem::take(&mut tab.rows[c]);
                    tab.cursor += 1;
                    if same(&old) {
                        tab.tail.push(old);
                    } else {
                        let new = make(old.key);
                        if new.cells != old.cells {
                            changes.push(set_row(table, &new));
                        }
                        tab.tail.push(new);
                    }
                    return;
                }
                _ => {
                    let new = make(key.to_owned());
                    changes.push(set_row(table, &new));
                    tab.tail.push(new);
                    return;
                }
            }
        }
    }

    /// Take one report: `f` reports the whole state (calling [`StateView::field`],
    /// [`StateView::row`], [`StateView::text_row`]); the result is what changed since the
    /// previous report (empty if nothing did). Drivers call this; processes implement
    /// [`Process::view`](crate::Process::view).
    pub fn report(&mut self, f: impl FnOnce(&mut StateView)) -> &[StateChange] {
        self.changes.clear();
        self.next_field = 0;
        self.next_table = 0;
        f(self);
        self.reports += 1;
        // Fields not reported this time are gone.
        let changes = &mut self.changes;
        self.fields.retain_mut(|f| {
            let keep = f.seen;
            f.seen = false;
            if !keep {
                changes.push(StateChange::Field {
                    name: f.name,
                    value: None,
                });
            }
            keep
        });
        // Rows not reported this time are gone; rebuilt tails replace what they differ from.
        self.tables.retain_mut(|t| {
            let gone_from = if t.seen { t.cursor } else { 0 };
            for r in &mut t.rows[gone_from..] {
                changes.push(StateChange::Row {
                    table: t.name,
                    key: std::mem::take(&mut r.key),
                    cells: None,
                });
            }
            if !t.seen {
                return false;
            }
            match t.split.take() {
                Some(s) => {
                    t.rows.truncate(s);
                    t.rows.append(&mut t.tail);
                }
                None => t.rows.truncate(t.cursor),
            }
            t.cursor = 0;
            t.seen = false;
            true
        });
        &self.changes
    }
}

/// A stamp for [`StateView::row`] from the numbers that decide a row's contents (a term and a
/// request id, a ballot and a client): equal inputs give equal stamps, and different inputs
/// different ones with overwhelming probability (a 64-bit mix, deterministic across runs).
pub fn stamp(parts: &[u64]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for &p in parts {
        h ^= p.wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 31;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 29;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &mut StateView, entries: &[(u64, u64, &str)]) -> Vec<StateChange> {
        v.report(|v| {
            for &(k, s, text) in entries {
                v.row("log", k, s, |c| {
                    c.cell(s).cell(text);
                });
            }
        })
        .to_vec()
    }

    fn set(k: u64, s: u64, text: &str) -> StateChange {
        StateChange::Row {
            table: "log",
            key: RowKey::Index(k),
            cells: Some(vec![s.to_string(), text.to_string()]),
        }
    }

    fn unset(k: u64) -> StateChange {
        StateChange::Row {
            table: "log",
            key: RowKey::Index(k),
            cells: None,
        }
    }

    #[test]
    fn an_unchanged_report_writes_nothing_and_formats_nothing() {
        let mut v = StateView::default();
        rows(&mut v, &[(1, 1, "a"), (2, 1, "b")]);
        let changes = v
            .report(|v| {
                v.row("log", 1, 1, |_| panic!("row 1 is unchanged: not formatted"));
                v.row("log", 2, 1, |_| panic!("row 2 is unchanged: not formatted"));
            })
            .to_vec();
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn appends_truncations_and_rewrites_are_reported_row_by_row() {
        let mut v = StateView::default();
        assert_eq!(
            rows(&mut v, &[(1, 1, "a"), (2, 1, "b")]),
            vec![set(1, 1, "a"), set(2, 1, "b")]
        );
        // Append.
        assert_eq!(
            rows(&mut v, &[(1, 1, "a"), (2, 1, "b"), (3, 2, "c")]),
            vec![set(3, 2, "c")]
        );
        // Truncate from 2 and append another entry at 2 (Raft's conflict resolution).
        assert_eq!(
            rows(&mut v, &[(1, 1, "a"), (2, 3, "x")]),
            vec![set(2, 3, "x"), unset(3)]
        );
        // A change in the middle (a Multi-Paxos acceptor accepting an earlier slot) keeps the
        // rows after it.
        assert_eq!(
            rows(&mut v, &[(1, 4, "y"), (2, 3, "x")]),
            vec![set(1, 4, "y")]
        );
        // A gap filled, and the rows around it kept.
        assert_eq!(
            rows(&mut v, &[(1, 4, "y"), (2, 3, "x"), (5, 1, "z")]),
            vec![set(5, 1, "z")]
        );
        assert_eq!(
            rows(
                &mut v,
                &[(1, 4, "y"), (2, 3, "x"), (4, 1, "w"), (5, 1, "z")]
            ),
            vec![set(4, 1, "w")]
        );
        // Rows skipped in the middle are removed.
        assert_eq!(
            rows(&mut v, &[(1, 4, "y"), (5, 1, "z")]),
            vec![unset(2), unset(4)]
        );
        // Everything gone.
        assert_eq!(rows(&mut v, &[]), vec![unset(1), unset(5)]);
        assert!(rows(&mut v, &[]).is_empty());
    }

    #[test]
    fn a_new_stamp_with_the_same_cells_is_no_change() {
        let mut v = StateView::default();
        rows(&mut v, &[(1, 1, "a")]);
        let changes = v
            .report(|v| {
                v.row("log", 1, 99, |c| {
                    c.cell(1).cell("a");
                });
            })
            .to_vec();
        assert!(changes.is_empty());
        // The new stamp is kept: the row is not formatted again next time.
        assert!(
            v.report(|v| v.row("log", 1, 99, |_| panic!("formatted again")))
                .is_empty()
        );
    }

    #[test]
    fn fields_and_text_rows_compare_by_value() {
        let mut v = StateView::default();
        let first = v
            .report(|v| {
                v.field("role", "leader");
                v.field("term", 3);
                v.text_row("store", "a", "1");
                v.text_row("store", "b", "2");
            })
            .to_vec();
        assert_eq!(first.len(), 4);
        let next = v
            .report(|v| {
                // Fields in another order are still the same fields.
                v.field("term", 3);
                v.field("role", "follower");
                v.text_row("store", "a", "1");
                v.text_row("store", "b", "3");
            })
            .to_vec();
        assert_eq!(
            next,
            vec![
                StateChange::Field {
                    name: "role",
                    value: Some("follower".into())
                },
                StateChange::Row {
                    table: "store",
                    key: RowKey::Text("b".into()),
                    cells: Some(vec!["3".into()])
                }
            ]
        );
        let last = v.report(|v| v.field("term", 3)).to_vec();
        assert_eq!(
            last,
            vec![
                StateChange::Field {
                    name: "role",
                    value: None
                },
                StateChange::Row {
                    table: "store",
                    key: RowKey::Text("a".into()),
                    cells: None
                },
                StateChange::Row {
                    table: "store",
                    key: RowKey::Text("b".into()),
                    cells: None
                }
            ]
        );
    }

    #[test]
    fn two_tables_are_merged_independently() {
        let mut v = StateView::default();
        let report = |v: &mut StateView, log: &[u64], store: &[(&str, &str)]| {
            v.report(|v| {
                for &i in log {
                    v.row("log", i, i, |c| {
                        c.cell(i);
                    });
                }
                for (k, val) in store {
                    v.text_row("store", k, val);
                }
            })
            .len()
        };
        assert_eq!(report(&mut v, &[1, 2], &[("a", "x")]), 3);
        assert_eq!(report(&mut v, &[1, 2], &[("a", "x")]), 0);
        assert_eq!(report(&mut v, &[1, 2, 3], &[("a", "x"), ("b", "y")]), 2);
        assert_eq!(report(&mut v, &[1, 2, 3], &[("a", "x"), ("b", "y")]), 0);
    }

    /// A log reported from its first changed row, as Raft's view does.
    struct Log {
        entries: Vec<u64>,
        changed: Changed,
    }

    impl Log {
        fn view(&self, v: &mut StateView) {
            let from = self.changed.first(v);
            v.rows_from("log", from);
            for (i, e) in self
                .entries
                .iter()
                .enumerate()
                .skip(from.saturating_sub(1) as usize)
            {
                v.row("log", i as u64 + 1, *e, |c| {
                    c.cell(e);
                });
            }
        }
        fn truncate_and_push(&mut self, from: usize, e: u64) {
            self.entries.truncate(from - 1);
            self.entries.push(e);
            self.changed.mark(from as u64);
        }
    }

    #[test]
    fn a_log_reported_from_its_first_change_gives_the_same_changes() {
        let mut log = Log {
            entries: vec![1, 1, 1],
            changed: Changed::default(),
        };
        let mut v = StateView::default();
        assert_eq!(
            v.report(|v| log.view(v)).len(),
            3,
            "the first report is whole"
        );
        assert!(v.report(|v| log.view(v)).is_empty());
        log.truncate_and_push(4, 2);
        assert_eq!(
            v.report(|v| log.view(v)).to_vec(),
            vec![StateChange::Row {
                table: "log",
                key: RowKey::Index(4),
                cells: Some(vec!["2".into()])
            }]
        );
        log.truncate_and_push(2, 3);
        assert_eq!(
            v.report(|v| log.view(v)).to_vec(),
            vec![
                StateChange::Row {
                    table: "log",
                    key: RowKey::Index(2),
                    cells: Some(vec!["3".into()])
                },
                StateChange::Row {
                    table: "log",
                    key: RowKey::Index(3),
                    cells: None
                },
                StateChange::Row {
                    table: "log",
                    key: RowKey::Index(4),
                    cells: None
                },
            ]
        );
        // Another view (a new observer, a restarted process) gets the whole log.
        let mut other = StateView::default();
        assert_eq!(other.report(|v| log.view(v)).len(), 2);
        // And the first view, whose sequence was interrupted, gets it whole again: no change.
        assert!(v.report(|v| log.view(v)).is_empty());
    }

    #[test]
    fn stamps_differ_for_different_inputs() {
        assert_eq!(stamp(&[1, 2]), stamp(&[1, 2]));
        assert_ne!(stamp(&[1, 2]), stamp(&[2, 1]));
        assert_ne!(stamp(&[0]), stamp(&[0, 0]));
    }
}
