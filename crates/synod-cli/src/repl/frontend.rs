//! Where commands come from: a terminal (rustyline: line editing, history in
//! `$HOME/.synod_history`, completion of commands and node names) or, when standard input is
//! not a terminal, plain lines without a prompt (`synod repl raft < script.txt`).

use super::command::COMMANDS;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use std::io::BufRead;
use std::path::PathBuf;

/// A line, or the end of input.
pub enum Line {
    /// A line typed.
    Text(String),
    /// Ctrl-C at the prompt.
    Interrupted,
    /// End of input.
    Eof,
}

/// Completes command names, then node names and keywords.
pub struct Completion {
    names: Vec<String>,
}

/// Keywords besides the role names (`leader`, `voter`, `seeker`: [`synod_sim::Target::ROLES`])
/// and the moments (`leads`, `seeks`, `votes`: [`synod_sim::On::ALL`]).
const KEYWORDS: &[&str] = &[
    "until", "decided", "done", "error", "warn", "info", "debug", "trace", "put", "get", "delete",
    "after", "within",
];

impl Completion {
    fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let Some(space) = before.find(char::is_whitespace) else {
            let mut names: Vec<String> = COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(before))
                .map(|c| c.name.to_string())
                .collect();
            names.dedup();
            return (0, names);
        };
        let _ = space;
        // The word being typed starts after the last space, comma or bar; but node names may
        // hold a space (`client 1`), so also try from the previous separator.
        let sep = |c: char| c.is_whitespace() || c == ',' || c == '|';
        let start = before.rfind(sep).map_or(0, |i| i + 1);
        let word = &before[start..];
        let mut out: Vec<String> = self
            .names
            .iter()
            .map(String::as_str)
            .chain(synod_sim::Target::ROLES.iter().map(|(name, _)| *name))
            .chain(synod_sim::On::ALL.iter().map(|on| on.name()))
            .chain(KEYWORDS.iter().copied())
            .filter(|n| n.starts_with(word) && !word.is_empty() || word.is_empty())
            .map(String::from)
            .collect();
        if out.is_empty() {
            // `client 1`: the word typed may be "client 1"'s second half.
            let prev = before[..start.saturating_sub(1)]
                .rfind(sep)
                .map_or(0, |i| i + 1);
            let two = &before[prev..];
            let multi: Vec<String> = self
                .names
                .iter()
                .filter(|n| n.starts_with(two))
                .cloned()
                .collect();
            if !multi.is_empty() {
                return (prev, multi);
            }
        }
        out.dedup();
        (start, out)
    }
}

impl Completer for Completion {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, c) = self.candidates(line, pos);
        Ok((
            start,
            c.into_iter()
                .map(|s| Pair {
                    display: s.clone(),
                    replacement: s,
                })
                .collect(),
        ))
    }
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {}
impl Validator for Completion {}
impl Helper for Completion {}

/// A source of command lines.
pub enum Input {
    /// An interactive terminal.
    Terminal(Box<Editor<Completion, DefaultHistory>>, Option<PathBuf>),
    /// Lines from a pipe or a file.
    Lines(std::io::StdinLock<'static>),
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".synod_history"))
}

impl Input {
    /// A terminal front end if standard input is one (and rustyline works), else plain lines.
    pub fn open(names: &[String]) -> Input {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            if let Ok(mut ed) = Editor::<Completion, DefaultHistory>::new() {
                ed.set_helper(Some(Completion {
                    names: names.to_vec(),
                }));
                let path = history_path();
                if let Some(p) = &path {
                    let _ = ed.load_history(p);
                }
                return Input::Terminal(Box::new(ed), path);
            }
        }
        Input::Lines(std::io::stdin().lock())
    }

    /// Whether prompts are shown.
    pub fn interactive(&self) -> bool {
        matches!(self, Input::Terminal(..))
    }

    /// The next line.
    pub fn read(&mut self, prompt: &str) -> Line {
        match self {
            Input::Terminal(ed, _) => match ed.readline(prompt) {
                Ok(l) => {
                    if !l.trim().is_empty() {
                        let _ = ed.add_history_entry(l.as_str());
                    }
                    Line::Text(l)
                }
                Err(ReadlineError::Interrupted) => Line::Interrupted,
                Err(_) => Line::Eof,
            },
            Input::Lines(stdin) => {
                let mut l = String::new();
                match stdin.read_line(&mut l) {
                    Ok(0) | Err(_) => Line::Eof,
                    Ok(_) => Line::Text(l),
                }
            }
        }
    }

    /// Save the history (errors ignored: a history is a convenience).
    pub fn close(&mut self) {
        if let Input::Terminal(ed, Some(p)) = self {
            let _ = ed.save_history(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_then_node_names() {
        let c = Completion {
            names: vec!["n1".into(), "n2".into(), "client 1".into()],
        };
        assert_eq!(
            c.candidates("st", 2),
            (0, vec!["step".into(), "status".into()])
        );
        assert_eq!(
            c.candidates("crash n", 7),
            (6, vec!["n1".into(), "n2".into()])
        );
        assert_eq!(c.candidates("inspect cl", 10), (8, vec!["client 1".into()]));
        assert_eq!(
            c.candidates("partition n1,n", 14),
            (13, vec!["n1".into(), "n2".into()])
        );
        assert_eq!(c.candidates("crash leade", 11), (6, vec!["leader".into()]));
        assert_eq!(
            c.candidates("when vot", 8),
            (5, vec!["voter".into(), "votes".into()])
        );
        assert_eq!(
            c.candidates("when see", 8),
            (5, vec!["seeker".into(), "seeks".into()])
        );
        assert_eq!(
            c.candidates("when votes wit", 14),
            (11, vec!["within".into()])
        );
    }
}
