//! `synod lin FILE... [--model kv|cas-register] [--format auto|trace|jepsen-log|edn]
//! [--timeout SECS]`: check recorded histories for linearizability.
//!
//! One verdict line per file (`linearizable`, `NOT linearizable` or `unknown`, with the number
//! of operations and the check time), the explanation after a `NOT linearizable`, and a summary
//! line when there are several files. Exit status: 0 if every file is linearizable, 1 if any is
//! not (or the timeout left one unknown), 2 if any input is unusable (unreadable, unknown
//! format, malformed, or an operation the model does not know). Every file is checked even
//! after a bad one.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};
use synod_check::{Budget, Format, ModelKind, Verdict, check_history, detect_format};

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

/// Arguments of `synod lin`.
#[derive(clap::Args, Debug, Clone)]
pub struct LinArgs {
    /// History files: synod traces (JSON lines), Jepsen log lines or Jepsen EDN maps.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The data type: `kv` (synod's store) or `cas-register` (Jepsen's); by default `kv` for
    /// synod traces and `cas-register` for Jepsen histories.
    #[arg(long, value_name = "MODEL", value_parser = |s: &str| s.parse::<ModelKind>())]
    pub model: Option<ModelKind>,
    /// The input format: auto, trace, jepsen-log or edn.
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = |s: &str| s.parse::<FormatChoice>())]
    pub format: FormatChoice,
    /// Give up on a file after this many seconds; its verdict is then `unknown`.
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
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

fn check_file(
    args: &LinArgs,
    path: &PathBuf,
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
    let history = match format.and_then(|f| f.parse(&name, &text).map(|h| (f, h))) {
        Ok(parsed) => parsed,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok((FileOutcome::Unusable, Duration::ZERO));
        }
    };
    let (format, history) = history;
    let model = args.model.unwrap_or(ModelKind::default_for(format));

    let start = Instant::now();
    let mut budget = match args.timeout {
        // A timeout beyond what the clock can represent is no timeout.
        Some(limit) => match start.checked_add(limit) {
            Some(deadline) => Budget::unlimited().with_stop(move || Instant::now() >= deadline),
            None => Budget::unlimited(),
        },
        None => Budget::unlimited(),
    };
    let report = match check_history(&history, model, &mut budget) {
        Ok(report) => report,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok((FileOutcome::Unusable, Duration::ZERO));
        }
    };
    let took = start.elapsed();
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
        Verdict::Unknown(stopped) => {
            let place = stopped
                .partition
                .as_ref()
                .map_or(String::new(), |k| format!(" in key {k:?}"));
            writeln!(
                out,
                "{name}: unknown ({ops} operations, {}: gave up{place} after {} search steps; try a longer --timeout)",
                millis(took),
                report.steps
            )?;
            FileOutcome::Unknown
        }
    };
    Ok((outcome, took))
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
