//! The HTTP side of `synod play`: the embedded page, the JSON API, and the one thread that owns
//! every game.
//!
//! Simulations are not `Send` (protocols share configuration through `Rc`), so the games live
//! in a `BTreeMap` on a dedicated thread; axum handlers send it requests over a channel and
//! wait for the answer on a oneshot. The number of games is bounded and idle ones expire.
//!
//! API (JSON in and out; errors are `{"error": "..."}` with a 4xx/5xx status), documented in
//! docs/play.md (a test checks that every route is):
//! - `GET /api/scenarios`: the scenarios a game can start from.
//! - `POST /api/game` `{protocol, nodes, broken, seed?, scenario?, script?, at_ms?}`: a new
//!   game (`script` replays a game from its replay link, from `at_ms` or the start); returns
//!   `{id, info, state}`.
//! - `GET /api/game/{id}`: `{id, info, state}` with every event so far.
//! - `POST /api/game/{id}/advance` `{ms, cursor}`: let virtual time run `ms`; returns the
//!   state with the events after `cursor`.
//! - `POST /api/game/{id}/action` `{action: kill|recover|slow|release, node, cursor}`.
//! - `POST /api/game/{id}/step` `{cursor}`: to the next event.
//! - `POST /api/game/{id}/seek` `{ms}`: to a time on the game's timeline; every event.
//! - `POST /api/game/{id}/back` `{ms}`: rewind by replay; returns the state with every event.
//! - `GET /api/game/{id}/trace`: the JSON-lines trace.
//! - `GET /api/game/{id}/export`: the game as a self-contained replay page.

use super::game::{self, Action, Game, Proto, Spec};
use super::presets;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The page.
pub const PAGE: &str = include_str!("page/index.html");
/// Its script.
pub const SCRIPT: &str = include_str!("page/play.js");
/// Its style.
pub const STYLE: &str = include_str!("page/play.css");

/// Bounds on what the server keeps.
#[derive(Clone, Debug)]
pub struct Limits {
    /// At most this many games at once.
    pub max_games: usize,
    /// A game nobody touched for this long is dropped.
    pub idle: Duration,
    /// The largest request body accepted.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_games: 64,
            idle: Duration::from_secs(600),
            max_body: 16 * 1024,
        }
    }
}

/// A request to the games thread.
enum Req {
    New(NewGame),
    Get(String),
    Advance(String, f64, usize),
    Act(String, String, usize, usize),
    Back(String, f64),
    Seek(String, f64),
    Step(String, usize),
    Trace(String),
    Export(String),
}

/// What the games thread answers.
enum Reply {
    Json(Json),
    Trace(Vec<u8>),
    Html(String),
}

type Answer = Result<Reply, (StatusCode, String)>;

/// The handle handlers use to reach the games thread.
#[derive(Clone)]
pub struct Games {
    tx: mpsc::Sender<(Req, oneshot::Sender<Answer>)>,
}

struct Entry {
    game: Game,
    used: Instant,
}

fn new_id(counter: u64) -> String {
    // SplitMix64 over a counter and the clock: ids that are hard to guess, never repeated.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = counter
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(nanos);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{:016x}", z ^ (z >> 31))
}

fn not_found(id: &str) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        format!("no game `{id}` (it may have expired; start a new one)"),
    )
}

fn bad(msg: String) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, msg)
}

fn serve_games(rx: mpsc::Receiver<(Req, oneshot::Sender<Answer>)>, limits: Limits) {
    let mut games: BTreeMap<String, Entry> = BTreeMap::new();
    let mut counter = 0u64;
    while let Ok((req, reply)) = rx.recv() {
        let now = Instant::now();
        games.retain(|_, e| now.duration_since(e.used) < limits.idle);
        let id = req.game().map(str::to_string);
        // A bug in a game must not take the others down: drop that game, answer 500.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            answer(&mut games, &mut counter, &limits, req, now)
        }))
        .unwrap_or_else(|_| {
            if let Some(id) = &id {
                games.remove(id);
            }
            Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "this game failed (an internal error) and was dropped; start a new one".into(),
            ))
        });
        let _ = reply.send(answer);
    }
}

fn answer(
    games: &mut BTreeMap<String, Entry>,
    counter: &mut u64,
    limits: &Limits,
    req: Req,
    now: Instant,
) -> Answer {
    match req {
        Req::New(n) => {
            *counter += 1;
            if games.len() >= limits.max_games {
                Err((
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "too many games ({} at once); try again when one has expired",
                        limits.max_games
                    ),
                ))
            } else {
                start(n, *counter).map(|g| {
                    let id = new_id(*counter);
                    let e = Entry { game: g, used: now };
                    let body = full(&id, &e.game);
                    games.insert(id, e);
                    Reply::Json(body)
                })
            }
        }
        Req::Get(id) => with(games, &id, now, |id, g| Ok(full(id, g))),
        Req::Advance(id, ms, cursor) => with(games, &id, now, |_, g| {
            g.advance(ms).map_err(bad)?;
            Ok(g.update(cursor))
        }),
        Req::Act(id, action, node, cursor) => with(games, &id, now, |_, g| {
            let a = Action::parse(&action, node).map_err(bad)?;
            if node >= g.spec().nodes {
                return Err(bad(format!(
                    "no node {node}: this game has nodes 0..{}",
                    g.spec().nodes - 1
                )));
            }
            g.act(a).map_err(|m| (StatusCode::CONFLICT, m))?;
            Ok(g.update(cursor))
        }),
        Req::Step(id, cursor) => with(games, &id, now, |_, g| {
            g.step().map_err(bad)?;
            Ok(g.update(cursor))
        }),
        Req::Back(id, ms) => with(games, &id, now, |_, g| {
            g.back(ms).map_err(bad)?;
            Ok(g.update(0))
        }),
        Req::Seek(id, ms) => with(games, &id, now, |_, g| {
            if !ms.is_finite() || ms < 0.0 {
                return Err(bad("ms must be a positive number".into()));
            }
            g.seek(synod_core::Time::ms_f64(ms)).map_err(bad)?;
            Ok(g.update(0))
        }),
        Req::Export(id) => match games.get_mut(&id) {
            Some(e) => {
                e.used = now;
                super::export::html(&e.game)
                    .map(Reply::Html)
                    .map_err(|m| (StatusCode::INTERNAL_SERVER_ERROR, m))
            }
            None => Err(not_found(&id)),
        },
        Req::Trace(id) => match games.get_mut(&id) {
            Some(e) => {
                e.used = now;
                Ok(Reply::Trace(e.game.trace()))
            }
            None => Err(not_found(&id)),
        },
    }
}

fn with(
    games: &mut BTreeMap<String, Entry>,
    id: &str,
    now: Instant,
    f: impl FnOnce(&str, &mut Game) -> Result<Json, (StatusCode, String)>,
) -> Answer {
    match games.get_mut(id) {
        Some(e) => {
            e.used = now;
            f(id, &mut e.game).map(Reply::Json)
        }
        None => Err(not_found(id)),
    }
}

fn full(id: &str, g: &Game) -> Json {
    json!({"id": id, "info": g.info(), "state": g.update(0)})
}

/// The game a `POST /api/game` body (or a replay link) asks for.
pub fn start(n: NewGame, counter: u64) -> Result<Game, (StatusCode, String)> {
    let proto = Proto::parse(n.protocol.as_deref().unwrap_or("paxos")).map_err(bad)?;
    let scenario = match n.scenario.as_deref() {
        None | Some("") => None,
        Some(id) => Some(presets::find(id).map_err(bad)?.id),
    };
    let nodes = n.nodes.unwrap_or(3);
    if scenario.is_none() && nodes != 3 && nodes != 5 {
        return Err(bad(format!("nodes must be 3 or 5, got {nodes}")));
    }
    let script = match &n.script {
        Some(s) if s.len() > 8192 => return Err(bad("script too long".into())),
        Some(s) => game::parse_script(s).map_err(bad)?,
        None => Vec::new(),
    };
    let at = match n.at_ms {
        Some(ms) if !ms.is_finite() || ms < 0.0 => {
            return Err(bad("at_ms must be a positive number".into()));
        }
        at => at.map(synod_core::Time::ms_f64),
    };
    let seed = n.seed.unwrap_or_else(|| match scenario {
        // A scenario's schedule was written for its own seed.
        Some(id) => presets::find(id)
            .ok()
            .and_then(|p| p.scenario(None).ok())
            .map_or(1, |s| s.seed),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos() as u64);
            (nanos ^ counter.wrapping_mul(7919)) % 100_000
        }
    });
    let spec = Spec {
        proto,
        nodes,
        broken: n.broken.unwrap_or(false),
        seed,
        scenario,
    };
    Game::new(spec, &script, at).map_err(bad)
}

impl Req {
    fn game(&self) -> Option<&str> {
        match self {
            Req::New(_) => None,
            Req::Get(id)
            | Req::Advance(id, ..)
            | Req::Act(id, ..)
            | Req::Step(id, _)
            | Req::Back(id, _)
            | Req::Seek(id, _)
            | Req::Trace(id)
            | Req::Export(id) => Some(id),
        }
    }
}

impl Games {
    /// Start the games thread.
    pub fn spawn(limits: Limits) -> (Games, Limits) {
        let (tx, rx) = mpsc::channel();
        let l = limits.clone();
        std::thread::Builder::new()
            .name("games".into())
            .spawn(move || serve_games(rx, l))
            .expect("spawn the games thread");
        (Games { tx }, limits)
    }

    async fn ask(&self, req: Req) -> Response {
        let (tx, rx) = oneshot::channel();
        if self.tx.send((req, tx)).is_err() {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the games thread is gone",
            );
        }
        match rx.await {
            Ok(Ok(Reply::Json(j))) => axum::Json(j).into_response(),
            Ok(Ok(Reply::Trace(bytes))) => (
                [
                    (header::CONTENT_TYPE, "application/x-ndjson"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"synod-play-trace.jsonl\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
            Ok(Ok(Reply::Html(page))) => (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"synod-play-replay.html\"",
                    ),
                ],
                page,
            )
                .into_response(),
            Ok(Err((status, msg))) => error(status, &msg),
            Err(_) => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the game failed while answering",
            ),
        }
    }
}

fn error(status: StatusCode, msg: &str) -> Response {
    (status, axum::Json(json!({"error": msg}))).into_response()
}

fn rejected(r: JsonRejection) -> Response {
    let status = r.status();
    let msg = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large".to_string(),
        _ => format!("bad request body: {}", r.body_text()),
    };
    error(status, &msg)
}

/// The body of `POST /api/game`.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct NewGame {
    /// `paxos` or `raft`.
    pub protocol: Option<String>,
    /// 3 or 5.
    pub nodes: Option<usize>,
    /// Play against the planted bug.
    pub broken: Option<bool>,
    /// The seed (random when absent; a scenario's own when a scenario is given).
    pub seed: Option<u64>,
    /// A scenario id (`GET /api/scenarios`).
    pub scenario: Option<String>,
    /// A replay script: the recorded timeline of a game.
    pub script: Option<String>,
    /// Where on the script's timeline to start (virtual ms; the start when absent).
    pub at_ms: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    ms: f64,
    #[serde(default)]
    cursor: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    action: String,
    node: usize,
    #[serde(default)]
    cursor: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepBody {
    #[serde(default)]
    cursor: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BackBody {
    ms: f64,
}

/// The scenarios a game can start from, for the page's menu.
pub fn scenarios() -> Json {
    Json::Array(
        presets::PRESETS
            .iter()
            .map(|p| {
                let description = p.scenario(None).map(|s| s.description).unwrap_or_default();
                json!({"id": p.id, "title": p.title, "protocol": p.proto.name(),
                    "description": description, "time_scale": p.time_scale})
            })
            .collect(),
    )
}

type Body<T> = Result<axum::Json<T>, JsonRejection>;

/// The router: the page, its assets and the API.
pub fn router((games, limits): (Games, Limits)) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE) }),
        )
        .route(
            "/play.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SCRIPT,
                )
            }),
        )
        .route(
            "/play.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }),
        )
        .route(
            "/api/game",
            post(|State(g): State<Games>, body: Body<NewGame>| async move {
                match body {
                    Ok(axum::Json(b)) => g.ask(Req::New(b)).await,
                    Err(r) => rejected(r),
                }
            }),
        )
        .route(
            "/api/game/{id}",
            get(|State(g): State<Games>, Path(id): Path<String>| async move {
                g.ask(Req::Get(id)).await
            }),
        )
        .route(
            "/api/game/{id}/advance",
            post(
                |State(g): State<Games>, Path(id): Path<String>, body: Body<AdvanceBody>| async move {
                    match body {
                        Ok(axum::Json(b)) => g.ask(Req::Advance(id, b.ms, b.cursor)).await,
                        Err(r) => rejected(r),
                    }
                },
            ),
        )
        .route(
            "/api/game/{id}/action",
            post(
                |State(g): State<Games>, Path(id): Path<String>, body: Body<ActionBody>| async move {
                    match body {
                        Ok(axum::Json(b)) => g.ask(Req::Act(id, b.action, b.node, b.cursor)).await,
                        Err(r) => rejected(r),
                    }
                },
            ),
        )
        .route(
            "/api/game/{id}/step",
            post(
                |State(g): State<Games>, Path(id): Path<String>, body: Body<StepBody>| async move {
                    match body {
                        Ok(axum::Json(b)) => g.ask(Req::Step(id, b.cursor)).await,
                        Err(r) => rejected(r),
                    }
                },
            ),
        )
        .route(
            "/api/game/{id}/back",
            post(
                |State(g): State<Games>, Path(id): Path<String>, body: Body<BackBody>| async move {
                    match body {
                        Ok(axum::Json(b)) => g.ask(Req::Back(id, b.ms)).await,
                        Err(r) => rejected(r),
                    }
                },
            ),
        )
        .route(
            "/api/game/{id}/seek",
            post(
                |State(g): State<Games>, Path(id): Path<String>, body: Body<BackBody>| async move {
                    match body {
                        Ok(axum::Json(b)) => g.ask(Req::Seek(id, b.ms)).await,
                        Err(r) => rejected(r),
                    }
                },
            ),
        )
        .route(
            "/api/game/{id}/export",
            get(|State(g): State<Games>, Path(id): Path<String>| async move {
                g.ask(Req::Export(id)).await
            }),
        )
        .route(
            "/api/scenarios",
            get(|| async { axum::Json(scenarios()) }),
        )
        .route(
            "/api/game/{id}/trace",
            get(|State(g): State<Games>, Path(id): Path<String>| async move {
                g.ask(Req::Trace(id)).await
            }),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such page") })
        .layer(DefaultBodyLimit::max(limits.max_body))
        .with_state(games)
}
