//! [`KvNode`]: a node of a KV protocol, either one of the protocol's servers or a client of the
//! shared workload. A KV protocol writes its server as a [`Process`] whose messages can carry
//! client requests and replies ([`KvMessage`]) and whose timers can carry the client's
//! ([`KvTimer`]); this module does the rest: the dispatch between server and client, what a
//! crash keeps, and the layout of a run (servers first, then clients: [`simulation`]).

use super::client::{ClientTimer, KvClient, Workload, client_specs};
use super::contract::{Reply, Request};
use std::fmt;
use std::sync::Arc;
use synod_core::inspect::Inspect;
use synod_core::view::StateView;
use synod_core::{ClientOp, Ctx, Message, NodeId, NodeStatus, Process};
use synod_sim::{NodeSpec, Sim, SimConfig};

/// A protocol's message type, as a KV node needs it: a client's request goes in (`From`), a
/// reply to a client comes out ([`KvMessage::into_reply`]).
pub trait KvMessage: Message + From<Request> {
    /// The reply to a client this message carries, or the message itself if it is no reply.
    fn into_reply(self) -> Result<Reply, Self>;
}

/// A protocol's timer type, as a KV node needs it: it carries the client's request timer.
pub trait KvTimer: Clone + fmt::Debug + 'static + From<ClientTimer> {
    /// The client's timer this one carries, or the timer itself if it is a server's.
    fn into_client(self) -> Result<ClientTimer, Self>;
}

impl KvTimer for ClientTimer {
    fn into_client(self) -> Result<ClientTimer, Self> {
        Ok(self)
    }
}

/// A node of a KV protocol whose servers are `S`: a server, or a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
// A handful of nodes per run: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum KvNode<S> {
    /// One of the protocol's servers.
    Server(S),
    /// A client (the shared KV workload).
    Client(KvClient),
}

impl<S> Process for KvNode<S>
where
    S: Process,
    S::Msg: KvMessage,
    S::Timer: KvTimer,
{
    type Msg = S::Msg;
    type Timer = S::Timer;
    /// A server keeps what its protocol keeps; a client keeps nothing.
    type Durable = Option<S::Durable>;

    fn on_start(&mut self, ctx: &mut Ctx<'_, S::Msg, S::Timer>) {
        match self {
            KvNode::Server(s) => s.on_start(ctx),
            KvNode::Client(c) => c.on_start(ctx),
        }
    }

    // Inlined into the simulator's dispatch, so that a message is not moved once more here.
    #[inline(always)]
    fn on_message(&mut self, ctx: &mut Ctx<'_, S::Msg, S::Timer>, from: NodeId, msg: S::Msg) {
        match self {
            KvNode::Server(s) => s.on_message(ctx, from, msg),
            KvNode::Client(c) => match msg.into_reply() {
                Ok(reply) => c.on_reply(ctx, from, reply),
                Err(msg) => ctx.debug(format_args!("ignoring unexpected {msg}")),
            },
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, S::Msg, S::Timer>, timer: S::Timer) {
        match self {
            KvNode::Server(s) => s.on_timer(ctx, timer),
            KvNode::Client(c) => {
                if let Ok(t) = timer.into_client() {
                    c.on_timer(ctx, t);
                }
            }
        }
    }

    fn durable(&self) -> Option<S::Durable> {
        match self {
            KvNode::Server(s) => Some(s.durable()),
            KvNode::Client(_) => None,
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            KvNode::Server(s) => s.status(),
            KvNode::Client(c) => c.status(),
        }
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<'_, S::Msg, S::Timer>, op: ClientOp) -> bool {
        match self {
            KvNode::Client(c) => c.request(ctx, &op),
            KvNode::Server(_) => false,
        }
    }

    /// A server takes its protocol's orders; a client takes none.
    fn on_admin(&mut self, ctx: &mut Ctx<'_, S::Msg, S::Timer>, verb: &str, arg: &str) -> bool {
        match self {
            KvNode::Server(s) => s.on_admin(ctx, verb, arg),
            KvNode::Client(_) => false,
        }
    }
    /// A server reports what its protocol draws; a client reports nothing.
    fn view(&self, v: &mut StateView) {
        if let KvNode::Server(s) = self {
            s.view(v);
        }
    }

    /// A server as its protocol describes it; a client's requests.
    fn inspect(&self, out: &mut Inspect<'_>) {
        match self {
            KvNode::Server(s) => s.inspect(out),
            KvNode::Client(c) => c.inspect(out),
        }
    }

    fn inspect_durable(durable: &Option<S::Durable>, out: &mut Inspect<'_>) {
        match durable {
            Some(d) => S::inspect_durable(d, out),
            None => {
                out.field("kept", "nothing: a client starts over");
            }
        }
    }
}

/// The nodes of a KV system: the `servers` first (node ids `0..servers.len()`), then `clients`
/// clients named `client 1`...
pub fn layout(servers: Vec<NodeSpec>, clients: u32) -> Vec<NodeSpec> {
    let mut specs = servers;
    specs.extend(client_specs(clients));
    specs
}

/// How the nodes `specs` of a KV system (as [`layout`] lays them out) are built: a server by
/// `server`, from scratch or from what it kept across a crash; a client of the shared workload
/// that sends to `contacts` (first contact: `contacts[0]`) and narrates nodes by their names.
/// What the simulator and the explorer both build from.
pub fn nodes<S, F>(
    specs: &[NodeSpec],
    contacts: Vec<NodeId>,
    workload: Workload,
    server: F,
) -> impl Fn(NodeId, Option<Option<S::Durable>>) -> KvNode<S> + use<S, F>
where
    S: Process,
    F: Fn(NodeId, Option<S::Durable>) -> S,
{
    let n = specs.iter().take_while(|s| !s.client).count();
    let names: Arc<[String]> = specs.iter().map(|s| s.name.clone()).collect();
    let contacts: Arc<[NodeId]> = contacts.into();
    move |id: NodeId, durable: Option<Option<S::Durable>>| {
        if id.index() < n {
            KvNode::Server(server(id, durable.flatten()))
        } else {
            KvNode::Client(
                KvClient::new(workload.clone(), contacts.clone()).with_names(names.clone()),
            )
        }
    }
}

/// The simulation of a KV system: the `servers` first, each built by `server`, then `clients`
/// clients ([`layout`], [`nodes`]).
pub fn simulation<S>(
    config: SimConfig,
    servers: Vec<NodeSpec>,
    clients: u32,
    contacts: Vec<NodeId>,
    workload: Workload,
    server: impl Fn(NodeId, Option<S::Durable>) -> S + 'static,
) -> Sim<KvNode<S>>
where
    S: Process,
    S::Msg: KvMessage,
    S::Timer: KvTimer,
{
    let specs = layout(servers, clients);
    let build = nodes(&specs, contacts, workload, server);
    Sim::new(config, specs, Box::new(build))
}
