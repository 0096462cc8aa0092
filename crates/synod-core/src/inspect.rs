//! A node's state as people read it (the REPL's `inspect`): named fields, tables of rows, and
//! the parts of a node that plays several roles, with nodes named as the narration names them.
//!
//! A process describes itself through [`Process::inspect`](crate::Process::inspect) (and what
//! a crashed node kept through [`Process::inspect_durable`](crate::Process::inspect_durable)),
//! naming fields as its paper does (`currentTerm`, `votedFor`, `commitIndex`) and writing logs
//! as `index:term:command` rows. A protocol that does not describe itself is shown through its
//! [`view`](crate::view) report: every protocol can be inspected, and none is printed as a Rust
//! structure.
//!
//! ```
//! use synod_core::NodeId;
//! use synod_core::inspect::Inspect;
//!
//! let names = ["n1".to_string(), "n2".to_string()];
//! let mut out = Inspect::new(&names);
//! out.field("currentTerm", 3);
//! out.node("votedFor", Some(NodeId(1)));
//! out.table("log", &["index", "term", "command"])
//!     .row(|r| { r.cell(1).cell(1).cell("NOOP"); });
//! let shown = out.finish().to_string();
//! assert_eq!(shown, "currentTerm  3\nvotedFor     n2\nlog (index:term:command), 1 row\n  1:1:NOOP\n");
//! ```

use crate::ids::NodeId;
use crate::view::{StateChange, StateView};
use std::fmt;

/// The most rows of a table shown: a longer one shows its first and last rows, and says how
/// many were left out (a log of a long run has thousands).
pub const MAX_ROWS: usize = 60;

/// One piece of an inspection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A part of a node that plays several roles (`proposer`, `acceptor`): the items after it
    /// belong to it.
    Part(String),
    /// A named value.
    Field {
        /// Its name, as the paper writes it (`currentTerm`).
        name: String,
        /// Its value, as printed.
        value: String,
    },
    /// Rows of cells (a log: index, term, command).
    Table {
        /// Its name (`log`).
        name: String,
        /// What each cell of a row is (`index`, `term`, `command`).
        columns: Vec<String>,
        /// The rows, in order.
        rows: Vec<Vec<String>>,
    },
}

/// A node's state, described for people: what [`Inspect`] built.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inspection {
    /// The pieces, in order.
    pub items: Vec<Item>,
}

impl Inspection {
    /// The value of the field `name` (in any part).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.items.iter().find_map(|i| match i {
            Item::Field { name: n, value } if n == name => Some(value.as_str()),
            _ => None,
        })
    }

    /// The rows of the table `name` (in any part).
    pub fn rows(&self, name: &str) -> Option<&[Vec<String>]> {
        self.items.iter().find_map(|i| match i {
            Item::Table { name: n, rows, .. } if n == name => Some(rows.as_slice()),
            _ => None,
        })
    }
}

impl fmt::Display for Inspection {
    /// Fields as `name  value` lines (names aligned within a part), tables as a title line and
    /// one `cell:cell:cell` line per row, parts as a heading with their items indented.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut indent = "";
        let mut i = 0;
        while i < self.items.len() {
            if let Item::Part(p) = &self.items[i] {
                writeln!(f, "{p}:")?;
                indent = "  ";
                i += 1;
                continue;
            }
            // The fields and tables up to the next part, names aligned.
            let end = (i..self.items.len())
                .find(|&k| matches!(self.items[k], Item::Part(_)))
                .unwrap_or(self.items.len());
            let width = self.items[i..end]
                .iter()
                .filter_map(|it| match it {
                    Item::Field { name, .. } => Some(name.chars().count()),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            for it in &self.items[i..end] {
                match it {
                    Item::Field { name, value } => {
                        writeln!(f, "{indent}{name:<width$}  {value}")?;
                    }
                    Item::Table {
                        name,
                        columns,
                        rows,
                    } => {
                        let n = rows.len();
                        let cols = if columns.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", columns.join(":"))
                        };
                        let count = match n {
                            0 => "empty".to_string(),
                            1 => "1 row".to_string(),
                            _ => format!("{n} rows"),
                        };
                        writeln!(f, "{indent}{name}{cols}, {count}")?;
                        let show = |f: &mut fmt::Formatter<'_>, r: &[String]| {
                            writeln!(f, "{indent}  {}", r.join(":"))
                        };
                        if n <= MAX_ROWS {
                            for r in rows {
                                show(f, r)?;
                            }
                        } else {
                            let head = 10;
                            let tail = MAX_ROWS - head;
                            for r in &rows[..head] {
                                show(f, r)?;
                            }
                            writeln!(f, "{indent}  ... ({} rows not shown)", n - head - tail)?;
                            for r in &rows[n - tail..] {
                                show(f, r)?;
                            }
                        }
                    }
                    Item::Part(_) => {}
                }
            }
            i = end;
        }
        Ok(())
    }
}

/// Builds an [`Inspection`]: what a process calls in its `inspect`.
pub struct Inspect<'a> {
    names: &'a [String],
    out: Inspection,
}

impl<'a> Inspect<'a> {
    /// An empty inspection of a node of a cluster whose nodes are named `names` (by id).
    pub fn new(names: &'a [String]) -> Self {
        Inspect {
            names,
            out: Inspection::default(),
        }
    }

    /// The name of node `id`, as the narration prints it (`n5`, `acceptor 2`, `Taziri`).
    pub fn name(&self, id: NodeId) -> String {
        self.names
            .get(id.index())
            .cloned()
            .unwrap_or_else(|| format!("node {}", id.0 + 1))
    }

    /// Nodes by name, `n1, n3` (or `none`): a quorum, the promises a proposer holds.
    pub fn names(&self, ids: &[NodeId]) -> String {
        if ids.is_empty() {
            return "none".into();
        }
        ids.iter()
            .map(|id| self.name(*id))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Start a part of the node (`proposer`, `acceptor`): the items after it belong to it.
    pub fn part(&mut self, name: impl fmt::Display) -> &mut Self {
        self.out.items.push(Item::Part(name.to_string()));
        self
    }

    /// A field.
    pub fn field(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        self.out.items.push(Item::Field {
            name: name.to_string(),
            value: value.to_string(),
        });
        self
    }

    /// A field naming a node, or `nobody`.
    pub fn node(&mut self, name: &str, id: Option<NodeId>) -> &mut Self {
        let value = id.map_or_else(|| "nobody".to_string(), |id| self.name(id));
        self.field(name, value)
    }

    /// A table with these columns; add its rows to what this returns.
    pub fn table(&mut self, name: &str, columns: &[&str]) -> Rows<'_> {
        self.out.items.push(Item::Table {
            name: name.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        });
        let Some(Item::Table { rows, .. }) = self.out.items.last_mut() else {
            unreachable!("a table was just pushed")
        };
        Rows { rows }
    }

    /// Everything `view` reports of a process (see [`crate::view`]): fields as fields, each
    /// table as rows of its key and cells. What [`Process::inspect`](crate::Process::inspect)
    /// shows of a protocol that does not describe itself.
    pub fn from_view(&mut self, report: impl FnOnce(&mut StateView)) -> &mut Self {
        let mut v = StateView::default();
        let changes = v.report(report);
        for c in changes {
            match c {
                StateChange::Field {
                    name,
                    value: Some(value),
                } => {
                    self.field(name, value);
                }
                StateChange::Row {
                    table,
                    key,
                    cells: Some(cells),
                } => {
                    let last = self.out.items.last_mut();
                    let row = std::iter::once(key.to_string())
                        .chain(cells.iter().cloned())
                        .collect();
                    match last {
                        Some(Item::Table { name, rows, .. }) if name == table => rows.push(row),
                        _ => self.out.items.push(Item::Table {
                            name: table.to_string(),
                            columns: Vec::new(),
                            rows: vec![row],
                        }),
                    }
                }
                _ => {}
            }
        }
        self
    }

    /// The inspection.
    pub fn finish(self) -> Inspection {
        self.out
    }
}

/// The rows of a table being built.
pub struct Rows<'a> {
    rows: &'a mut Vec<Vec<String>>,
}

impl Rows<'_> {
    /// Add a row; `cells` adds its cells.
    pub fn row(&mut self, cells: impl FnOnce(&mut Row<'_>)) -> &mut Self {
        let mut out = Vec::new();
        cells(&mut Row { cells: &mut out });
        self.rows.push(out);
        self
    }
}

/// The cells of a row being built.
pub struct Row<'a> {
    cells: &'a mut Vec<String>,
}

impl Row<'_> {
    /// Add a cell.
    pub fn cell(&mut self, value: impl fmt::Display) -> &mut Self {
        self.cells.push(value.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_indent_their_items_and_long_tables_are_cut() {
        let names: Vec<String> = vec!["a".into()];
        let mut out = Inspect::new(&names);
        out.part("acceptor").field("promised", "1.2");
        out.field("accepted", "nothing");
        let mut t = out.table("log", &["index", "term"]);
        for i in 1..=100 {
            t.row(|r| {
                r.cell(i).cell(1);
            });
        }
        let shown = out.finish().to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "acceptor:");
        assert_eq!(lines[1], "  promised  1.2");
        assert_eq!(lines[2], "  accepted  nothing");
        assert_eq!(lines[3], "  log (index:term), 100 rows");
        assert_eq!(lines[4], "    1:1");
        assert!(
            shown.contains("    ... (40 rows not shown)\n    51:1\n"),
            "{shown}"
        );
        assert!(shown.ends_with("    100:1\n"));
    }

    #[test]
    fn nodes_are_named_as_the_narration_names_them() {
        let names: Vec<String> = vec!["n1".into(), "acceptor 2".into()];
        let out = Inspect::new(&names);
        assert_eq!(out.names(&[NodeId(1), NodeId(0)]), "acceptor 2, n1");
        assert_eq!(out.names(&[]), "none");
        assert_eq!(out.name(NodeId(6)), "node 7");
    }

    #[test]
    fn a_view_report_is_shown_as_fields_and_rows() {
        let names: Vec<String> = vec![];
        let mut out = Inspect::new(&names);
        out.from_view(|v| {
            v.field("term", 2);
            v.row("log", 1, 1, |c| {
                c.cell(2).cell("NOOP");
            });
            v.row("log", 2, 2, |c| {
                c.cell(2).cell("PUT a");
            });
            v.text_row("store", "a", "1");
        });
        let i = out.finish();
        assert_eq!(i.field("term"), Some("2"));
        assert_eq!(i.rows("log").unwrap()[1], vec!["2", "2", "PUT a"]);
        assert_eq!(
            i.to_string(),
            "term  2\nlog, 2 rows\n  1:2:NOOP\n  2:2:PUT a\nstore, 1 row\n  a:1\n"
        );
    }
}
