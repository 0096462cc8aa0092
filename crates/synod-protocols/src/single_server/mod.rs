//! # The single-server store (`kv`)
//!
//! One server keeps the store and applies requests in arrival order; clients (the shared
//! [`crate::kv::KvClient`]) send it their requests. It is the baseline every replicated store must behave
//! like: the same operations, results and error strings, and a linearizable history. Its crash
//! loses nothing applied (the store is kept on "disk"), so a crash only delays the clients.
//!
//! Files: this one (the server), [`build`] (the scenario keys it takes, its layout).

pub mod build;

pub use build::PROTOCOL;

use crate::kv::{ClientTimer, KvMessage, KvNode, Reply, Request, Sessions, Store};
use serde::Serialize;
use std::fmt;
use synod_core::inspect::Inspect;
use synod_core::view::StateView;
use synod_core::{Ctx, Message, NodeId, NodeStatus, Process};

/// Messages of the single-server store.
#[derive(Clone, Debug, Serialize)]
pub enum Msg {
    /// Client to server.
    Request(Request),
    /// Server to client.
    Reply(Reply),
}

impl From<Request> for Msg {
    fn from(r: Request) -> Self {
        Msg::Request(r)
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Request(r) => r.fmt(f),
            Msg::Reply(r) => r.fmt(f),
        }
    }
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Request(_) => "Request",
            Msg::Reply(_) => "Reply",
        }
    }
}

/// The single server: one copy of the store, applying requests in arrival order.
#[derive(Clone, Debug, Default)]
pub struct Server {
    /// The store and the sessions, kept on "disk": the baseline's crash loses nothing applied.
    pub durable: Durable,
}

/// What the single server keeps across a crash.
#[derive(Clone, Debug, Default)]
pub struct Durable {
    /// The store.
    pub store: Store,
    /// Last request per client.
    pub sessions: Sessions,
    /// Commands applied so far (the index of the last `apply` event).
    pub applied: u64,
}

impl KvMessage for Msg {
    fn into_reply(self) -> Result<Reply, Msg> {
        match self {
            Msg::Reply(r) => Ok(r),
            other => Err(other),
        }
    }
}

/// A node of the single-server system: the server, or a client.
pub type Node = KvNode<Server>;

impl Process for Server {
    type Msg = Msg;
    type Timer = ClientTimer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, ClientTimer>) {
        ctx.info(format_args!("KV server up, store {}", self.durable.store));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, ClientTimer>, from: NodeId, msg: Msg) {
        let Msg::Request(req) = msg else {
            ctx.debug(format_args!("ignoring unexpected {msg}"));
            return;
        };
        let d = &mut self.durable;
        let (result, fresh) = d
            .sessions
            .apply(&mut d.store, req.client, req.req_id, &req.cmd);
        if fresh {
            d.applied += 1;
            ctx.info(format_args!("{} -> {result}", req.cmd));
            ctx.apply(d.applied, &req.cmd, &result);
        } else {
            ctx.dedup(req.client, req.req_id);
            ctx.info(format_args!(
                "{} again (retry of #{}): answering {result} from memory",
                req.cmd, req.req_id
            ));
        }
        ctx.send(
            from,
            Msg::Reply(Reply::Done {
                req_id: req.req_id,
                result,
            }),
        );
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Msg, ClientTimer>, _timer: ClientTimer) {}

    fn durable(&self) -> Durable {
        self.durable.clone()
    }

    fn status(&self) -> NodeStatus {
        NodeStatus {
            role: "server".into(),
            leader: true,
            store: Some(self.durable.store.data().clone()),
            ..NodeStatus::default()
        }
    }
    /// What `synod view` draws: how many commands it applied, and its store.
    fn view(&self, v: &mut StateView) {
        v.field("applied", self.durable.applied);
        crate::view::store(v, &self.durable.store);
    }

    /// Everything is durable: the same as what it keeps.
    fn inspect(&self, out: &mut Inspect<'_>) {
        Self::inspect_durable(&self.durable, out);
    }

    /// How many commands it applied, its store and its sessions.
    fn inspect_durable(d: &Durable, out: &mut Inspect<'_>) {
        out.field("applied", d.applied);
        crate::view::inspect_state_machine(out, &d.store, &d.sessions);
    }
}
