//! Reading a scenario's TOML document with its spans, so that every message names the line of
//! the key it is about, and says what was expected in the user's words ("a whole number", not
//! "i64").
//!
//! The document is parsed once into a tree that keeps the byte span of every key and value; a
//! table of line starts turns a span into a line number by binary search, so reading a file is
//! linear in its size however many faults it lists.

use super::ScenarioError;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A scenario's text, its name (for messages) and where its lines start.
pub struct Source<'a> {
    file: &'a str,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    /// `text`, read from `file`.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            file,
            text,
            line_starts,
        }
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|s| *s <= offset)
    }

    /// An error at `line`.
    pub fn error(&self, line: Option<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_string(),
            line,
            message: message.into(),
        }
    }

    /// An error about `entry`, at the line of its key: `key `{path}`: {message}`.
    pub fn at(&self, entry: &Entry<'_, '_>, message: impl std::fmt::Display) -> ScenarioError {
        self.error(
            Some(self.line(entry.key_span.start)),
            format!("key `{}`: {message}", entry.path),
        )
    }

    /// Parse the document; a syntax error names its line and shows it.
    pub fn document(&self) -> Result<Spanned<DeTable<'a>>, ScenarioError> {
        DeTable::parse(self.text).map_err(|e| {
            let line = e.span().map(|s| self.line(s.start));
            let msg = e.message().trim().to_string();
            let shown = line
                .and_then(|l| self.text.lines().nth(l - 1))
                .map(|src| format!("{msg}\n    | {}", src.trim_end()))
                .unwrap_or(msg);
            self.error(line, shown)
        })
    }
}

/// One key of a table and its value.
pub struct Entry<'d, 'a> {
    /// The key's full name: `seed`, `cluster.nodes`, `fault.crash`.
    pub path: String,
    /// Where the key is.
    pub key_span: Range<usize>,
    /// Its value.
    pub value: &'d Spanned<DeValue<'a>>,
}

/// A table whose keys are taken one at a time; what is left at the end is unknown.
pub struct Table<'d, 'a> {
    /// The table's name: `` for the top level, `cluster`, `fault`.
    pub path: String,
    /// Where it starts (its header, for a table of an array).
    pub span: Range<usize>,
    entries: Vec<(&'d str, Range<usize>, &'d Spanned<DeValue<'a>>)>,
}

impl<'d, 'a> Table<'d, 'a> {
    /// The table `t`, called `path`, starting at `span`.
    pub fn new(path: &str, t: &'d DeTable<'a>, span: Range<usize>) -> Self {
        Table {
            path: path.to_string(),
            span,
            entries: t
                .iter()
                .map(|(k, v)| (k.get_ref().as_ref(), k.span(), v))
                .collect(),
        }
    }

    fn full(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Take the key `key`, if the table has it.
    pub fn take(&mut self, key: &str) -> Option<Entry<'d, 'a>> {
        let i = self.entries.iter().position(|(k, _, _)| *k == key)?;
        let (k, key_span, value) = self.entries.remove(i);
        Some(Entry {
            path: self.full(k),
            key_span,
            value,
        })
    }

    /// The keys not taken, in file order.
    pub fn rest(mut self) -> Vec<Entry<'d, 'a>> {
        self.entries.sort_by_key(|(_, span, _)| span.start);
        let path = self.path.clone();
        self.entries
            .into_iter()
            .map(|(k, key_span, value)| Entry {
                path: if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                },
                key_span,
                value,
            })
            .collect()
    }

    /// Whether every key was taken.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What a value is, in words: `a string ("abc")`, `a whole number (3)`.
pub fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("a string ({s:?})"),
        DeValue::Integer(i) => format!("a whole number ({i})"),
        DeValue::Float(f) => format!("a number ({f})"),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("a date ({d})"),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

impl<'d, 'a> Entry<'d, 'a> {
    fn expected(&self, what: &str) -> String {
        format!("expected {what}, got {}", describe(self.value.get_ref()))
    }

    /// A whole number (any size a 64-bit count or seed can have, and negative ones, which the
    /// caller refuses in its own words).
    pub fn integer(&self) -> Result<i128, String> {
        match self.value.get_ref() {
            DeValue::Integer(i) => {
                i128::from_str_radix(i.as_str(), i.radix()).map_err(|_| format!("{i} is too large"))
            }
            _ => Err(self.expected("a whole number")),
        }
    }

    /// A number: a whole number or one with a fraction, finite.
    pub fn number(&self) -> Result<f64, String> {
        let x = match self.value.get_ref() {
            DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix())
                .map(|n| n as f64)
                .map_err(|_| format!("{i} is too large"))?,
            DeValue::Float(f) => f
                .as_str()
                .parse::<f64>()
                .map_err(|_| format!("{f} is not a number"))?,
            _ => return Err(self.expected("a number")),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(format!("expected a finite number, got {x}"))
        }
    }

    /// A string.
    pub fn string(&self) -> Result<String, String> {
        match self.value.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            _ => Err(self.expected("a string")),
        }
    }

    /// `true` or `false`.
    pub fn boolean(&self) -> Result<bool, String> {
        match self.value.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            _ => Err(self.expected("true or false")),
        }
    }

    /// A list of strings.
    pub fn strings(&self) -> Result<Vec<String>, String> {
        match self.value.get_ref() {
            DeValue::Array(a) => a
                .iter()
                .map(|item| match item.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    other => Err(format!(
                        "expected a list of strings, but one entry is {}",
                        describe(other)
                    )),
                })
                .collect(),
            _ => Err(self.expected("a list of strings")),
        }
    }

    /// The items of a list.
    pub fn list(&self) -> Result<&'d [Spanned<DeValue<'a>>], String> {
        match self.value.get_ref() {
            DeValue::Array(a) => Ok(a),
            _ => Err(self.expected("a list")),
        }
    }

    /// A table (inline `{ .. }` or a `[section]`), its keys named `PATH.key`.
    pub fn table(&self) -> Result<Table<'d, 'a>, String> {
        match self.value.get_ref() {
            DeValue::Table(t) => Ok(Table::new(&self.path, t, self.value.span())),
            _ => Err(self.expected("a table")),
        }
    }

    /// The tables of an array of tables (`[[fault]]`), each named `PATH`.
    pub fn tables(&self) -> Result<Vec<Table<'d, 'a>>, String> {
        let items = match self.value.get_ref() {
            DeValue::Array(a) => a,
            _ => return Err(self.expected("[[tables]]")),
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::Table(t) => Ok(Table::new(&self.path, t, item.span())),
                other => Err(format!(
                    "expected a list of tables ([[{}]]), but one entry is {}",
                    self.path,
                    describe(other)
                )),
            })
            .collect()
    }
}
