//! `synod play`: BeatPaxos and BeatRaft in the browser, on synod's own simulator.
//!
//! - [`game`]: one game: the real protocol in a deterministic simulation, the player's
//!   inputs (replayed by `back` and by replay links), what the page draws.
//! - [`server`]: the HTTP API (axum) and the one thread that owns every game (simulations
//!   are not `Send`).
//! - [`draw`]: the timeline the page draws, collected from the simulation's events.
//! - [`teach`]: teaching callouts and scenario notes.
//! - [`presets`]: the scenarios a game can start from.
//! - [`status`]: the one place that reads the protocols' roles and status facts.
//! - [`export`]: a played game as a self-contained replay page.
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
    /// Write the game of `--replay` as a self-contained HTML replay to FILE, and exit.
    #[arg(long, value_name = "FILE", requires = "replay")]
    pub export: Option<std::path::PathBuf>,
    /// The game to export: a replay link from the page (or its query string).
    #[arg(long, value_name = "LINK", requires = "export")]
    pub replay: Option<String>,
}

/// Decode a URL query component (`%2C`, `+`).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The game a replay link describes (`http://host/?protocol=paxos&seed=4&script=...`).
pub fn parse_link(link: &str) -> Result<server::NewGame, String> {
    let query = link.split_once('?').map_or(link, |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    let mut g = server::NewGame::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = unescape(v);
        let num = |what: &str| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("replay link: `{k}` must be {what}, got `{v}`"))
        };
        match k {
            "protocol" => g.protocol = Some(v.clone()),
            "nodes" => g.nodes = Some(num("a number")? as usize),
            "broken" => g.broken = Some(v == "1" || v == "true"),
            "seed" => g.seed = Some(num("a number")?),
            "script" => g.script = Some(v.clone()),
            "scenario" => g.scenario = Some(v.clone()).filter(|s| !s.is_empty()),
            // The page's own settings: not part of the game.
            "speed" | "at" | "callouts" => {}
            other => return Err(format!("replay link: unknown parameter `{other}`")),
        }
    }
    if g.seed.is_none() {
        return Err("replay link: no `seed` (copy the link from the page's Game card)".into());
    }
    Ok(g)
}

/// `synod play --export FILE --replay LINK`.
fn export(file: &std::path::Path, link: &str) -> anyhow::Result<ExitCode> {
    let spec = parse_link(link).map_err(UsageError)?;
    let game = server::start(spec, 0).map_err(|(_, m)| UsageError(format!("replay link: {m}")))?;
    let page = export::html(&game).map_err(|m| anyhow::anyhow!(m))?;
    std::fs::write(file, page)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", file.display())))?;
    println!(
        "synod play: wrote {} (open it in a browser; no server needed)",
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Serve the games until killed.
pub fn play(args: &PlayArgs) -> anyhow::Result<ExitCode> {
    if let (Some(file), Some(link)) = (&args.export, &args.replay) {
        return export(file, link);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_links_parse() {
        let g = parse_link(
            "http://127.0.0.1:7070/?protocol=paxos&nodes=3&broken=1&seed=11&script=a1500000%2Cs1%2Ca3000000&speed=2",
        )
        .unwrap();
        assert_eq!(g.protocol.as_deref(), Some("paxos"));
        assert_eq!(g.nodes, Some(3));
        assert_eq!(g.broken, Some(true));
        assert_eq!(g.seed, Some(11));
        assert_eq!(g.script.as_deref(), Some("a1500000,s1,a3000000"));
        assert!(parse_link("protocol=raft").unwrap_err().contains("seed"));
        assert!(parse_link("seed=x").unwrap_err().contains("`seed` must be"));
        assert!(
            parse_link("seed=1&colour=red")
                .unwrap_err()
                .contains("`colour`")
        );
        assert_eq!(unescape("a%2Cb+c%zz%4"), "a,b c%zz%4");
    }
}
