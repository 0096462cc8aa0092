//! `synod lin FILE... [--model M] [--format F] [--timeout SECS] [--max-memory SIZE]
//! [--threads N] [--keys] [--html PATH]`: check recorded histories for linearizability.
//!
//! One verdict line per file (`linearizable`, `NOT linearizable` or `unknown`, with the number
//! of operations and the check time), the explanation after a `NOT linearizable`, each key's
//! outcome with `--keys`, and a summary line when there are several files. Exit status: 0 if
//! every file is linearizable, 1 if any is not (or a bound left one unknown), 2 if any input is
//! unusable (unreadable, unknown format, malformed, or an operation the model does not know).
//! Every file is checked even after a bad one.
//!
//! The keys of a history are searched on `--threads` threads (this is where the threads of
//! the checker live: `synod-check` hands out the work, see `synod_check::Work`), with the same
//! verdict whatever their number.

mod html;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};
use synod_check::{
    CheckReport, Detail, Format, History, KeyStatus, Limits, ModelKind, Verdict, Work,
    check_history_with, detect_format, show_bytes,
};

/// The history format, or `auto` to recognise it from the file's first line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FormatChoice {
    /// Recognise the format from the contents.
    Auto,
    /// Always this format.
    Fixed(Format),
}

impl FromStr for FormatChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(FormatChoice::Auto);
        }
        s.parse::<Format>()
            .map(FormatChoice::Fixed)
            .map_err(|_| format!("unknown format `{s}` (expected auto, trace, jepsen-log or edn)"))
    }
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!(
            "timeout must be a non-negative number of seconds, not `{s}`"
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("timeout `{s}` is too large"))
}

/// A memory size: bytes, or a number with a binary unit: `512M`, `2G`, `1.5GiB`, `64k`.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() {
        return Err(format!("`{s}` is not a memory size (for example 512M, 2G)"));
    }
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}` (expected a number of bytes, or K, M, G, T)"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a memory size (for example 512M, 2G)"))?;
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > usize::MAX as f64 / 2.0 {
        return Err(format!("memory size `{s}` is out of range"));
    }
    Ok(bytes as usize)
}

fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "threads must be a number from 1 to 1024, not `{s}`"
        )),
    }
}

/// The default memory bound: a quarter of the machine's memory (4 GiB if it cannot be read).
pub fn default_max_memory() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemTotal:"))?
            .split_whitespace()
            .nth(1)?
            .parse::<usize>()
            .ok()
    });
    total_kib.map_or(4 << 30, |kib| kib * 1024 / 4)
}

/// The default number of threads: the machine's cores.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Arguments of `synod lin`.
#[derive(clap::Args, Debug, Clone)]
pub struct LinArgs {
    /// History files: synod traces (JSON lines), Jepsen log lines or Jepsen EDN maps.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The data type: kv (synod's store), cas-register, register, append-kv (Porcupine's kv),
    /// list-append or set (Jepsen's); by default kv for synod traces, and for Jepsen
    /// histories guessed from the operations (cas-register for read/write/cas).
    #[arg(long, value_name = "MODEL", value_parser = |s: &str| s.parse::<ModelKind>())]
    pub model: Option<ModelKind>,
    /// The input format: auto, trace, jepsen-log or edn.
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = |s: &str| s.parse::<FormatChoice>())]
    pub format: FormatChoice,
    /// Give up on a file after this many seconds; its verdict is then `unknown` (unless a key
    /// was refuted by then).
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// Memory the search structures of a file may hold (512M, 2G, ...); a key whose search
    /// would need more gives up, and the verdict is `unknown` unless another key is refuted.
    /// Default: a quarter of the machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<usize>,
    /// Threads searching the keys of a history. Default: the machine's cores. The verdict is
    /// the same for any number.
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Print each key's outcome: operations, verdict, search steps, memory.
    #[arg(long)]
    pub keys: bool,
    /// Write a self-contained HTML page of the history (each key's client lanes, the
    /// linearization or the longest linearizable prefix with its states, and the operation
    /// that cannot be placed). With several files, PATH is a directory and each file gets
    /// PATH/NAME.html.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
}

/// Runs `synod lin`, printing to stdout (verdicts, explanations) and stderr (unusable input).
pub fn run(args: &LinArgs) -> anyhow::Result<ExitCode> {
    let code = execute(args, &mut io::stdout().lock(), &mut io::stderr().lock())?;
    Ok(ExitCode::from(code))
}

/// What happened to one file.
enum FileOutcome {
    Linearizable,
    NotLinearizable,
    Unknown,
    Unusable,
}

/// Checks every file, writing verdicts to `out` and input errors to `err`; returns the exit
/// status.
pub fn execute(args: &LinArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    if let Some(dir) = args.html.as_ref().filter(|_| args.files.len() > 1)
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        writeln!(err, "error: cannot create directory {}: {e}", dir.display())?;
        return Ok(2);
    }
    let mut outcomes = Vec::with_capacity(args.files.len());
    let mut total_check = Duration::ZERO;
    for path in &args.files {
        let (outcome, took) = check_file(args, path, out, err)?;
        total_check += took;
        outcomes.push(outcome);
    }
    let count = |f: fn(&FileOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let lin = count(|o| matches!(o, FileOutcome::Linearizable));
    let not = count(|o| matches!(o, FileOutcome::NotLinearizable));
    let unknown = count(|o| matches!(o, FileOutcome::Unknown));
    let unusable = count(|o| matches!(o, FileOutcome::Unusable));
    if outcomes.len() > 1 {
        writeln!(
            out,
            "{} files: {lin} linearizable, {not} NOT linearizable, {unknown} unknown, {unusable} unusable (checking took {})",
            outcomes.len(),
            millis(total_check)
        )?;
    }
    Ok(if unusable > 0 {
        2
    } else if not > 0 || unknown > 0 {
        1
    } else {
        0
    })
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Checks `history` with `model` on `threads` threads within the bounds; returns the report
/// and the wall time it took.
pub fn check_threaded(
    history: &History,
    model: ModelKind,
    limits: Limits,
    threads: usize,
    timeout: Option<Duration>,
    detail: Detail,
) -> Result<(CheckReport, Duration), synod_check::ModelError> {
    let start = Instant::now();
    // A timeout beyond what the clock can represent is no timeout.
    let deadline = timeout.and_then(|t| start.checked_add(t));
    let past_deadline = move || deadline.is_some_and(|d| Instant::now() >= d);
    let mut drive = |work: &dyn Work| {
        let n = threads.min(work.keys()).max(1);
        std::thread::scope(|scope| {
            for _ in 1..n {
                scope.spawn(move || work.work(&mut { past_deadline }));
            }
            work.work(&mut { past_deadline });
        });
    };
    let report = check_history_with(history, model, limits, threads, detail, &mut drive)?;
    Ok((report, start.elapsed()))
}

fn check_file(
    args: &LinArgs,
    path: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<(FileOutcome, Duration)> {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            writeln!(err, "error: cannot read {name}: {e}")?;
            return Ok((FileOutcome::Unusable, Duration::ZERO));
        }
    };
    let format = match args.format {
        FormatChoice::Fixed(f) => Ok(f),
        FormatChoice::Auto => detect_format(&name, &text),
    };
    let (format, history) = match format.and_then(|f| f.parse(&name, &text).map(|h| (f, h))) {
        Ok(parsed) => parsed,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok((FileOutcome::Unusable, Duration::ZERO));
        }
    };
    drop(text);
    let model = args
        .model
        .unwrap_or_else(|| ModelKind::guess(format, &history));
    let limits = Limits {
        max_steps: None,
        max_memory: Some(args.max_memory.unwrap_or_else(default_max_memory)),
    };
    let threads = args.threads.unwrap_or_else(default_threads);
    let detail = if args.html.is_some() {
        Detail::States
    } else {
        Detail::Verdicts
    };
    let (report, took) =
        match check_threaded(&history, model, limits, threads, args.timeout, detail) {
            Ok(done) => done,
            Err(e) => {
                writeln!(err, "error: {e}")?;
                return Ok((FileOutcome::Unusable, Duration::ZERO));
            }
        };
    let ops = report.operations;
    let outcome = match &report.verdict {
        Verdict::Linearizable => {
            writeln!(
                out,
                "{name}: linearizable ({ops} operations, {})",
                millis(took)
            )?;
            FileOutcome::Linearizable
        }
        Verdict::NotLinearizable(why) => {
            writeln!(
                out,
                "{name}: NOT linearizable ({ops} operations, {})",
                millis(took)
            )?;
            write!(out, "{why}")?;
            FileOutcome::NotLinearizable
        }
        Verdict::Unknown(why) => {
            writeln!(
                out,
                "{name}: unknown ({ops} operations, {}: {why})",
                millis(took),
            )?;
            FileOutcome::Unknown
        }
    };
    if args.keys {
        write_keys(out, &report, model)?;
    }
    if let Some(target) = &args.html {
        let page = if args.files.len() > 1 {
            let file = path.file_name().map_or_else(
                || "history".to_string(),
                |f| f.to_string_lossy().into_owned(),
            );
            target.join(format!("{file}.html"))
        } else {
            target.clone()
        };
        let html = html::page(&name, &history, model, &report, took);
        if let Err(e) = std::fs::write(&page, html) {
            writeln!(err, "error: cannot write {}: {e}", page.display())?;
            return Ok((FileOutcome::Unusable, took));
        }
        writeln!(out, "  page written to {}", page.display())?;
    }
    Ok((outcome, took))
}

/// `--keys`: one line per key, in the order they were searched.
fn write_keys(out: &mut dyn Write, report: &CheckReport, model: ModelKind) -> io::Result<()> {
    writeln!(
        out,
        "  {} keys under the {model} model; search structures peaked at {}",
        report.partitions,
        show_bytes(report.peak_bytes)
    )?;
    let width = report
        .keys
        .iter()
        .map(|k| key_name(&k.key).len())
        .max()
        .unwrap_or(0);
    for k in &report.keys {
        let status = match &k.status {
            KeyStatus::Linearizable => "linearizable".to_string(),
            KeyStatus::NotLinearizable => "NOT linearizable".to_string(),
            KeyStatus::GaveUp(why) => format!("unknown: {why}"),
            KeyStatus::Skipped => "skipped (another key was refuted first)".to_string(),
        };
        writeln!(
            out,
            "    {:width$}  {:>6} operations  {:>12} steps  {:>10}  {status}",
            key_name(&k.key),
            k.operations.len(),
            k.steps,
            show_bytes(k.peak_bytes),
        )?;
    }
    Ok(())
}

/// `key "a"`, or `(one object)` for a history without keys.
pub fn key_name(key: &Option<String>) -> String {
    match key {
        Some(k) => format!("key {k:?}"),
        None => "(one object)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        lin: LinArgs,
    }

    fn corpus(file: &str) -> String {
        format!(
            "{}/../synod-check/tests/data/jepsen-etcd/{file}",
            env!("CARGO_MANIFEST_DIR")
        )
    }

    fn temp_file(name: &str, contents: &str) -> String {
        let dir = std::env::temp_dir().join(format!("synod-lin-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    /// Runs `synod lin ARGS`; returns (exit status, stdout, stderr).
    fn lin(args: &[&str]) -> (u8, String, String) {
        let cli = Cli::try_parse_from(std::iter::once("lin").chain(args.iter().copied()))
            .expect("arguments parse");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = execute(&cli.lin, &mut out, &mut err).unwrap();
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn verdict_lines_and_exit_status() {
        let (code, out, _) = lin(&[&corpus("etcd_002.log")]);
        assert_eq!(code, 0);
        assert!(out.contains("etcd_002.log: linearizable ("), "{out}");

        let (code, out, _) = lin(&[&corpus("etcd_000.log"), &corpus("etcd_002.log")]);
        assert_eq!(code, 1);
        assert!(out.contains("etcd_000.log: NOT linearizable ("), "{out}");
        assert!(out.contains("longest linearizable prefix"), "{out}");
        assert!(
            out.contains("2 files: 1 linearizable, 1 NOT linearizable, 0 unknown, 0 unusable"),
            "{out}"
        );
    }

    #[test]
    fn unusable_input_exits_2_with_file_and_line() {
        let (code, _, err) = lin(&["/nonexistent/history.log"]);
        assert_eq!(code, 2);
        assert!(
            err.starts_with("error: cannot read /nonexistent/history.log:"),
            "{err}"
        );

        let bad = temp_file(
            "bad.log",
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - x\t:ok\t:read\t1\n",
        );
        let (code, _, err) = lin(&[&bad, &corpus("etcd_002.log")]);
        assert_eq!(code, 2, "a bad file wins over a good one");
        assert!(
            err.contains("bad.log:2: malformed line: process `x`"),
            "{err}"
        );

        let unknown = temp_file("notes.txt", "hello\n");
        let (code, _, err) = lin(&[&unknown]);
        assert_eq!(code, 2);
        assert!(err.contains("unknown history format"), "{err}");

        let trace = temp_file(
            "run.jsonl",
            "{\"schema\":\"synod-trace\",\"version\":1}\n\
             {\"seq\":1,\"time_us\":1,\"node\":5,\"kind\":\"invoke\",\"op_id\":1,\"op\":{\"f\":\"incr\",\"key\":\"a\"}}\n",
        );
        let (code, _, err) = lin(&[&trace]);
        assert_eq!(code, 2);
        assert!(
            err.contains("run.jsonl:2: the kv model cannot check"),
            "{err}"
        );
        let (code, _, err) = lin(&["--format", "edn", &corpus("etcd_002.log")]);
        assert_eq!(code, 2);
        assert!(err.contains("etcd_002.log:1: malformed line"), "{err}");
    }

    #[test]
    fn a_zero_timeout_gives_unknown_on_a_long_search() {
        // Every operation takes at least one search step, and the clock is asked every few
        // thousand steps: 10,000 operations are sure to reach it.
        let mut log = String::new();
        for i in 0..10_000 {
            log.push_str(&format!(
                "INFO  jepsen.util - 0\t:invoke\t:write\t{i}\nINFO  jepsen.util - 0\t:ok\t:write\t{i}\n"
            ));
        }
        let long = temp_file("long.log", &log);
        let (code, out, _) = lin(&["--timeout", "0", &long]);
        assert_eq!(code, 1);
        assert!(out.contains("long.log: unknown (10000 operations"), "{out}");
        let (code, out, _) = lin(&["--timeout", "60", &long]);
        assert_eq!(code, 0);
        assert!(
            out.contains("long.log: linearizable (10000 operations"),
            "{out}"
        );
    }

    #[test]
    fn bad_options_are_rejected_by_the_parser() {
        assert!(Cli::try_parse_from(["lin", "--model", "queue", "x"]).is_err());
        assert!(Cli::try_parse_from(["lin", "--format", "csv", "x"]).is_err());
        assert!(Cli::try_parse_from(["lin", "--timeout", "-1", "x"]).is_err());
        assert!(Cli::try_parse_from(["lin", "--timeout", "1e300", "x"]).is_err());
        assert!(Cli::try_parse_from(["lin", "--timeout", "nan", "x"]).is_err());
        assert!(Cli::try_parse_from(["lin", "--timeout", "1e12", "x"]).is_ok());
        assert!(Cli::try_parse_from(["lin"]).is_err());
    }
}
