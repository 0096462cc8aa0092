//! `synod play`: BeatPaxos and BeatRaft in the browser, on synod's own simulator.
//!
//! - [`game`]: one game: the real protocol in a deterministic simulation, the player's
//!   inputs (replayed by `back` and by replay links), what the page draws.
//! - [`server`]: the HTTP API (axum) and the one thread that owns every game (simulations
//!   are not `Send`).
//! - `page/`: the page, embedded in the binary.

pub mod draw;
pub mod export;
pub mod game;
pub mod presets;
pub mod server;
pub mod status;
pub mod teach;

use crate::UsageError;
use clap::Args;
use std::process::ExitCode;

/// `synod play`.
#[derive(Args, Debug)]
pub struct PlayArgs {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 7070)]
    pub port: u16,
    /// The address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Open the page in a browser.
    #[arg(long)]
    pub open: bool,
    /// At most this many games at once (idle ones expire after 10 minutes).
    #[arg(long, default_value_t = 64, hide = true)]
    pub max_games: usize,
    /// Drop a game nobody touched for this many seconds.
    #[arg(long, default_value_t = 600, hide = true)]
    pub idle_secs: u64,
}

/// Serve the games until killed.
pub fn play(args: &PlayArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let addr = format!("{}:{}", args.bind, args.port);
        let listener = match tokio::net::TcpListener::bind(&addr).await {
            Ok(l) => l,
            Err(e) => {
                return Err(UsageError(format!(
                    "cannot listen on {addr} (port {}): {e}",
                    args.port
                ))
                .into());
            }
        };
        let local = listener.local_addr()?;
        let url = format!("http://{local}/");
        println!("synod play: BeatPaxos and BeatRaft at {url}  (Ctrl-C stops)");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        if args.open {
            open_browser(&url);
        }
        let app = server::router(server::Games::spawn(server::Limits {
            max_games: args.max_games,
            idle: std::time::Duration::from_secs(args.idle_secs),
            ..server::Limits::default()
        }));
        axum::serve(listener, app).await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn open_browser(url: &str) {
    for cmd in ["xdg-open", "open"] {
        if std::process::Command::new(cmd)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
        {
            return;
        }
    }
    eprintln!("could not open a browser; open {url} yourself");
}
