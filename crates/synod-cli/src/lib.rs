//! `synod`: run, check and watch consensus protocols in a deterministic simulator.
//!
//! The command line is thin: parse the arguments, build from the library crates, print, and map
//! the outcome to an exit code: 0 expectations held, 1 a check failed, 2 unusable input.
//!
//! It is a library too, so that a program can run the whole command line with its own
//! protocols added: [`main_with`] takes the [`Registry`] to use (`src/main.rs` passes
//! [`synod_protocols::PROTOCOLS`]; docs/writing-a-protocol.md shows the rest).

mod check;
mod explore;
mod interrupt;
mod lin;
mod play;
mod repl;
mod run;
mod serve;
mod view;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::OnceLock;
use synod_protocols::protocol::Registry;

/// synod: distributed consensus protocols as actors you can watch, break with faults, and check.
#[derive(Parser)]
#[command(name = "synod", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a protocol or a scenario file, narrate it, and judge its expectations.
    Run(run::RunArgs),
    /// Run a randomized fault campaign over many seeds; shrink and save what fails.
    Check(check::CheckArgs),
    /// Step, inspect, break and rewind a running protocol from the terminal.
    Repl(repl::ReplArgs),
    /// Search every interleaving of a protocol within bounds; print the shortest counterexample.
    Explore(explore::ExploreArgs),
    /// Check client histories for linearizability (synod traces, Jepsen logs, EDN).
    Lin(lin::LinArgs),
    /// Play BeatPaxos or BeatRaft in the browser against the real protocols.
    Play(play::PlayArgs),
    /// Run one server of a real cluster: TCP between servers, a WAL on disk, an HTTP API.
    Serve(serve::ServeArgs),
    /// Start a local cluster of `synod serve` processes (`synod cluster up raft`).
    Cluster(serve::ClusterArgs),
    /// One operation on a real cluster: put KEY VALUE, get KEY, delete KEY.
    Kv(serve::KvArgs),
    /// Real faults (kill -9, SIGSTOP, link cuts) against a local cluster under load, then a
    /// linearizability check of the client history.
    Torture(serve::TortureArgs),
    /// Load generator for synod's or etcd's HTTP API: throughput and latency percentiles.
    Load(serve::LoadArgs),
    /// Draw a trace: a self-contained HTML page (space-time diagram, state at a cursor), or an
    /// SVG of a time window.
    View(view::ViewArgs),
}

/// An error in what the user gave us: printed, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

static PROTOCOLS: OnceLock<Registry<'static>> = OnceLock::new();

/// The protocols this command line runs: those given to [`main_with`].
pub(crate) fn protocols() -> Registry<'static> {
    *PROTOCOLS.get_or_init(|| synod_protocols::PROTOCOLS)
}

/// The command line, with the protocol lists in its help taken from the registry.
fn command(registry: &Registry<'_>) -> clap::Command {
    let target = format!(
        "A protocol ({}) or a scenario file (.toml). Default: {}",
        registry.names(),
        synod_protocols::scenario::DEFAULT_PROTOCOL
    );
    let protocols = format!("Protocols:\n{}", registry.help());
    let with_target = |c: clap::Command| {
        c.mut_arg("target", |a| a.help(target.clone()))
            .after_help(protocols.clone())
    };
    let explorable = format!(
        "A protocol that can be explored ({}) or a scenario file (.toml). Default: paxos",
        registry.explorable()
    );
    Cli::command()
        .mut_subcommand("run", with_target)
        .mut_subcommand("check", with_target)
        .mut_subcommand("repl", with_target)
        .mut_subcommand("explore", |c| {
            c.mut_arg("target", |a| a.help(explorable.clone()))
        })
}

/// Run the command line on `args` (the program name first) with the protocols of `registry`,
/// and return its exit code.
pub fn main_with(
    registry: Registry<'static>,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> ExitCode {
    let registry = *PROTOCOLS.get_or_init(|| registry);
    let matches = command(&registry).get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match &cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::check(args),
        Command::Repl(args) => repl::repl(args),
        Command::Explore(args) => explore::explore(args),
        Command::Lin(args) => lin::run(args),
        Command::Play(args) => play::play(args),
        Command::Serve(args) => serve::serve(args),
        Command::Cluster(args) => serve::cluster(args),
        Command::Kv(args) => serve::kv(args),
        Command::Torture(args) => serve::torture(args),
        Command::Load(args) => serve::load(args),
        Command::View(args) => view::view(args),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`synod run | head -1`): nothing is wrong, stop quietly.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether an error is, at its root, a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
