//! The HTTP/JSON API of a server, for `synod kv`, the load generator and other languages
//! (docs/serve.md documents it; `tests/serve.rs` checks the documentation against it).
//!
//! - `POST /v1/kv/put` `{"key": "a", "value": "1"}`, `POST /v1/kv/get` `{"key": "a"}`,
//!   `POST /v1/kv/delete` `{"key": "a"}`, each with optional `"client"` and `"seq"`: a client
//!   session id (>= [`FIRST_CLIENT_ID`]) and its request number, increasing by one per
//!   operation. A retry with the same pair, at any server, is applied at most once. Without
//!   them the server lends the request one of its own sessions (no exactly-once retries).
//! - `GET /v1/status`: role, term, leader, commit and applied index, store digest.
//! - With `--fault-admin` only: `POST /admin/cut` `{"peers": ["n2"]}` and `POST /admin/heal`.

use crate::node::{Input, client_input};
use crate::protocol::ServerStatus;
use crate::transport::Links;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use synod_core::{ClientResult, NodeId};
use synod_protocols::kv::{Command, Reply};
use tokio::sync::{mpsc, oneshot};

/// Client session ids start here; smaller ids are servers'.
pub const FIRST_CLIENT_ID: u32 = 1024;

/// A KV request body.
#[derive(Debug, Deserialize, Serialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KvRequest {
    /// The key.
    pub key: String,
    /// The value (put only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The client session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<u32>,
    /// The request number within the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// A KV response body.
#[derive(Debug, Deserialize, Serialize, Clone, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum KvResponse {
    /// The operation took effect (`value`: what a get read). HTTP 200.
    Ok {
        /// The value read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// The operation took effect as the store's failure (`key not found: a`). HTTP 200.
    Error {
        /// The store's error.
        error: String,
    },
    /// This server does not lead; `leader` and `leader_http` say where to go, if known.
    /// HTTP 421.
    NotLeader {
        /// The leader's name.
        leader: Option<String>,
        /// The leader's HTTP address.
        leader_http: Option<String>,
    },
    /// No answer in time: the operation may or may not take effect. HTTP 504.
    Unknown {
        /// Why.
        error: String,
    },
    /// The request was not taken (the server is overloaded): it did not take effect.
    /// HTTP 503.
    Unavailable {
        /// Why.
        error: String,
    },
    /// The request is malformed. HTTP 400.
    BadRequest {
        /// What is wrong.
        error: String,
    },
}

impl KvResponse {
    /// One answer of each kind (docs/serve.md documents each; a test compares).
    pub fn examples() -> Vec<KvResponse> {
        let e = || "why".to_string();
        let all = vec![
            KvResponse::Ok { value: None },
            KvResponse::Error { error: e() },
            KvResponse::NotLeader {
                leader: None,
                leader_http: None,
            },
            KvResponse::Unknown { error: e() },
            KvResponse::Unavailable { error: e() },
            KvResponse::BadRequest { error: e() },
        ];
        // A new kind of answer fails to compile here until it is listed above.
        for r in &all {
            match r {
                KvResponse::Ok { .. }
                | KvResponse::Error { .. }
                | KvResponse::NotLeader { .. }
                | KvResponse::Unknown { .. }
                | KvResponse::Unavailable { .. }
                | KvResponse::BadRequest { .. } => {}
            }
        }
        all
    }

    /// The HTTP status this response goes with.
    pub fn status(&self) -> StatusCode {
        match self {
            KvResponse::Ok { .. } | KvResponse::Error { .. } => StatusCode::OK,
            KvResponse::NotLeader { .. } => StatusCode::MISDIRECTED_REQUEST,
            KvResponse::Unknown { .. } => StatusCode::GATEWAY_TIMEOUT,
            KvResponse::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            KvResponse::BadRequest { .. } => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for KvResponse {
    fn into_response(self) -> Response {
        let status = self.status();
        (status, axum::Json(self)).into_response()
    }
}

/// A link-cut request body.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CutRequest {
    /// The peers to cut this server off from, by name.
    pub peers: Vec<String>,
}

/// The server's sessions for requests that bring none: a pool, so that their number stays
/// the number of such requests in flight, not the number ever made.
#[derive(Debug)]
struct SessionPool {
    free: Mutex<Vec<(u32, u64)>>,
    next: AtomicU64,
}

impl SessionPool {
    fn take(&self) -> (u32, u64) {
        let reused = self.free.lock().ok().and_then(|mut f| f.pop());
        match reused {
            Some((id, seq)) => (id, seq + 1),
            None => {
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                let id = FIRST_CLIENT_ID as u64 + n % (u32::MAX - FIRST_CLIENT_ID) as u64;
                (id as u32, 1)
            }
        }
    }

    fn give_back(&self, session: (u32, u64)) {
        if let Ok(mut f) = self.free.lock() {
            f.push(session);
        }
    }
}

/// What the HTTP handlers share.
pub struct Api<M> {
    /// The event loop's inputs.
    pub to_loop: mpsc::Sender<Input<M>>,
    /// Every server's name, by id.
    pub names: Vec<String>,
    /// This server.
    pub me: NodeId,
    /// Link faults and peers' HTTP addresses.
    pub links: Arc<Links>,
    /// Whether `/admin` is served.
    pub admin: bool,
    /// How long a request waits for its answer.
    pub timeout: Duration,
    /// This server's own HTTP address (the leader hint when it leads).
    pub http: String,
    sessions: SessionPool,
}

impl<M> Api<M> {
    /// The API state; `seed` spreads the ids of the server's own sessions.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        to_loop: mpsc::Sender<Input<M>>,
        names: Vec<String>,
        me: NodeId,
        links: Arc<Links>,
        admin: bool,
        timeout: Duration,
        http: String,
        seed: u64,
    ) -> Self {
        Api {
            to_loop,
            names,
            me,
            links,
            admin,
            timeout,
            http,
            sessions: SessionPool {
                free: Mutex::new(Vec::new()),
                next: AtomicU64::new(seed),
            },
        }
    }
}

/// The router of a server's HTTP API.
pub fn router<M: Send + 'static>(api: Arc<Api<M>>) -> Router {
    Router::new()
        .route("/v1/kv/put", post(put::<M>))
        .route("/v1/kv/get", post(get_key::<M>))
        .route("/v1/kv/delete", post(delete::<M>))
        .route("/v1/status", get(status::<M>))
        .route("/admin/cut", post(cut::<M>))
        .route("/admin/heal", post(heal::<M>))
        .with_state(api)
}

async fn put<M: Send + 'static>(State(api): State<Arc<Api<M>>>, body: Bytes) -> KvResponse {
    kv(api, body, "put").await
}

async fn get_key<M: Send + 'static>(State(api): State<Arc<Api<M>>>, body: Bytes) -> KvResponse {
    kv(api, body, "get").await
}

async fn delete<M: Send + 'static>(State(api): State<Arc<Api<M>>>, body: Bytes) -> KvResponse {
    kv(api, body, "delete").await
}

fn bad(error: impl Into<String>) -> KvResponse {
    KvResponse::BadRequest {
        error: error.into(),
    }
}

async fn kv<M: Send + 'static>(api: Arc<Api<M>>, body: Bytes, op: &str) -> KvResponse {
    let req: KvRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad(format!("{op}: {e}")),
    };
    let cmd = match (op, req.value) {
        ("put", Some(value)) => Command::Put {
            key: req.key,
            value,
        },
        ("put", None) => return bad("put: missing field `value`"),
        (_, Some(_)) => return bad(format!("{op}: unexpected field `value`")),
        ("get", None) => Command::Get { key: req.key },
        _ => Command::Delete { key: req.key },
    };
    let (session, lent) = match (req.client, req.seq) {
        (Some(c), Some(s)) if c >= FIRST_CLIENT_ID && s > 0 => ((c, s), false),
        (Some(c), Some(_)) if c < FIRST_CLIENT_ID => {
            return bad(format!(
                "client session ids start at {FIRST_CLIENT_ID} (got {c})"
            ));
        }
        (Some(_), Some(_)) => return bad("seq starts at 1"),
        (Some(_), None) | (None, Some(_)) => {
            return bad("give both `client` and `seq`, or neither");
        }
        (None, None) => (api.sessions.take(), true),
    };
    let (tx, rx) = oneshot::channel();
    let input = client_input(NodeId(session.0), session.1, cmd, tx);
    if api.to_loop.try_send(input).is_err() {
        if lent {
            api.sessions.give_back(session);
        }
        return KvResponse::Unavailable {
            error: "the server's input queue is full".into(),
        };
    }
    let answer = tokio::time::timeout(api.timeout, rx).await;
    if lent {
        api.sessions.give_back(session);
    }
    match answer {
        Ok(Ok(Reply::Done { result, .. })) => match result {
            ClientResult::Ok { value } => KvResponse::Ok { value },
            ClientResult::Error { error } => KvResponse::Error { error },
            ClientResult::Unknown => KvResponse::Unknown {
                error: "the server does not know".into(),
            },
        },
        Ok(Ok(Reply::NotLeader { leader, .. })) => {
            let leader_http = leader.and_then(|l| {
                if l == api.me {
                    Some(api.http.clone())
                } else {
                    api.links.http_of(l)
                }
            });
            KvResponse::NotLeader {
                leader: leader.and_then(|l| api.names.get(l.index()).cloned()),
                leader_http,
            }
        }
        Ok(Err(_)) => KvResponse::Unknown {
            error: "the request was superseded by a retry or dropped".into(),
        },
        Err(_) => KvResponse::Unknown {
            error: format!("no answer within {} ms", api.timeout.as_millis()),
        },
    }
}

async fn status<M: Send + 'static>(State(api): State<Arc<Api<M>>>) -> Response {
    let (tx, rx) = oneshot::channel();
    if api.to_loop.try_send(Input::Status(tx)).is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    }
    match tokio::time::timeout(api.timeout, rx).await {
        Ok(Ok(s)) => axum::Json::<ServerStatus>(s).into_response(),
        _ => (StatusCode::GATEWAY_TIMEOUT, "no status in time").into_response(),
    }
}

fn cut_names<M>(api: &Api<M>) -> serde_json::Value {
    let names: Vec<&String> = api
        .links
        .cut_peers()
        .into_iter()
        .filter_map(|p| api.names.get(p.index()))
        .collect();
    serde_json::json!({ "cut": names })
}

async fn cut<M: Send + 'static>(State(api): State<Arc<Api<M>>>, body: Bytes) -> Response {
    if !api.admin {
        return StatusCode::NOT_FOUND.into_response();
    }
    let req: CutRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("cut: {e}")).into_response(),
    };
    let mut ids = Vec::new();
    for p in &req.peers {
        match api.names.iter().position(|n| n == p) {
            Some(i) => ids.push(NodeId(i as u32)),
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("cut: no server named `{p}`"),
                )
                    .into_response();
            }
        }
    }
    for id in ids {
        api.links.set_cut(id, true);
    }
    axum::Json(cut_names(&api)).into_response()
}

async fn heal<M: Send + 'static>(State(api): State<Arc<Api<M>>>) -> Response {
    if !api.admin {
        return StatusCode::NOT_FOUND.into_response();
    }
    for i in 0..api.names.len() {
        api.links.set_cut(NodeId(i as u32), false);
    }
    axum::Json(cut_names(&api)).into_response()
}
