//! `synod`: run, check and watch consensus protocols in a deterministic simulator.
//!
//! The binary is thin: parse the command line, build from the library crates, print, and map
//! the outcome to an exit code: 0 expectations held, 1 a check failed, 2 unusable input.

mod check;
mod explore;
mod lin;
mod play;
mod repl;
mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::check(args),
        Command::Repl(args) => repl::repl(args),
        Command::Explore(args) => explore::explore(args),
        Command::Lin(args) => lin::run(args),
        Command::Play(args) => play::play(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
