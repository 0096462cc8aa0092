//! placeholder
#[allow(dead_code)] // `synod lin`: wired into the subcommands by the CLI's dispatcher
mod lin;

fn main() {}
