//! `synod view TRACE.jsonl [-o run.html] [--svg FROM..TO]`: pictures of a run.
//!
//! The HTML page is one self-contained file (no server, no network): a space-time diagram with
//! one lane per node, the role and term of each node over time, the protocol state at a time
//! cursor (Raft's log grid, Multi-Paxos's slot table, Paxos's promises, the stores), the
//! client operations with the linearizability verdict, and the violation that stopped the run,
//! highlighted. `--svg` writes a static picture of a time window instead (docs/view.md).
//!
//! `synod run ... --html FILE` writes the same page for the run it just made.

pub mod model;
mod page;
mod svg;

use crate::UsageError;
use anyhow::Result;
use clap::Args;
use model::Model;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `synod view`.
#[derive(Args, Debug)]
pub struct ViewArgs {
    /// A JSON-lines trace (`synod run ... --trace FILE`, docs/trace.md).
    pub trace: PathBuf,
    /// Where to write the page (or the SVG). Default: the trace's name with `.html` (`.svg`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write a static SVG of the time window FROM..TO (milliseconds, as `200..450`) instead of
    /// the page.
    #[arg(long, value_name = "FROM..TO", value_parser = parse_window)]
    pub svg: Option<(f64, f64)>,
    /// The page's title (default: the trace's file name, protocol and seed).
    #[arg(long)]
    pub title: Option<String>,
}

/// `FROM..TO` in milliseconds.
fn parse_window(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}` is not a window FROM..TO in milliseconds (as 200..450)"))?;
    let num = |x: &str| {
        x.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("`{x}` in `{s}` is not a time in milliseconds"))
    };
    let (from, to) = (num(a)?, num(b)?);
    if to <= from {
        return Err(format!("the window `{s}` ends before it starts"));
    }
    Ok((from, to))
}

/// Read and parse a trace file.
fn load(path: &Path) -> Result<(Model, String), UsageError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read trace `{name}`: {e}")))?;
    Ok((Model::parse(&name, &text)?, name))
}

/// The default title: `run.jsonl: raft, seed 2`.
fn default_title(m: &Model, name: &str) -> String {
    let file = Path::new(name)
        .file_name()
        .map_or(name.to_string(), |f| f.to_string_lossy().into_owned());
    format!("{file}: {}, seed {}", m.protocol, m.seed)
}

fn write(path: &Path, text: &str) -> Result<(), UsageError> {
    std::fs::write(path, text)
        .map_err(|e| UsageError(format!("cannot write `{}`: {e}", path.display())))
}

/// The page for a trace held in memory (`synod run --html`); `about` says what the run shows.
pub fn write_page(
    trace: &str,
    name: &str,
    title: &str,
    about: &str,
    out: &Path,
) -> Result<(), UsageError> {
    let m = Model::parse(name, trace)?;
    write(out, &page::html(&m, title, about))
}

/// `synod view`.
pub fn view(args: &ViewArgs) -> Result<ExitCode> {
    let (m, name) = load(&args.trace)?;
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| default_title(&m, &name));
    let ext = if args.svg.is_some() { "svg" } else { "html" };
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.trace.with_extension(ext));
    if out == args.trace {
        return Err(UsageError(format!(
            "the output `{}` would overwrite the trace; give another with -o",
            out.display()
        ))
        .into());
    }
    match args.svg {
        Some((from, to)) => {
            let from_us = (from * 1000.0).round() as u64;
            let to_us = (to * 1000.0).round() as u64;
            write(&out, &svg::render(&m, &title, from_us, to_us))?;
            println!(
                "wrote {} ({:.1}..{:.1} ms of {}: {} events)",
                out.display(),
                from,
                to,
                name,
                m.window(from_us, to_us).len()
            );
        }
        None => {
            write(&out, &page::html(&m, &title, ""))?;
            println!(
                "wrote {} ({} events, {} messages, {} client operations); open it in a browser",
                out.display(),
                m.events.len(),
                m.arrows.len(),
                m.ops.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_bad_ones_say_why() {
        assert_eq!(parse_window("200..450"), Ok((200.0, 450.0)));
        assert_eq!(parse_window("0.5..1"), Ok((0.5, 1.0)));
        assert!(parse_window("200").unwrap_err().contains("FROM..TO"));
        assert!(parse_window("a..3").unwrap_err().contains("`a`"));
        assert!(parse_window("5..5").unwrap_err().contains("ends before"));
        assert!(parse_window("-1..5").unwrap_err().contains("`-1`"));
    }
}
