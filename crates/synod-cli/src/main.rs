//! The `synod` binary: the command line of the `synod_cli` library with the protocols synod
//! ships.

use std::process::ExitCode;

fn main() -> ExitCode {
    synod_cli::main_with(synod_protocols::PROTOCOLS, std::env::args_os())
}
