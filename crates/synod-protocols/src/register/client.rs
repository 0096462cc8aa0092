//! A client of the register, as in Stateright's register model: it puts a value, and once the
//! put is answered it reads the register. Server `i mod servers` gets its put, the next one its
//! read, so that different clients start at different servers.

use super::Names;
use super::msg::RegisterMsg;
use synod_core::{ClientOp, ClientResult, Ctx, NodeId, NodeStatus};

type C<'a> = Ctx<'a, RegisterMsg, ()>;

/// The key every operation names: there is one register.
pub const KEY: &str = "r";

/// A register client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegisterClient {
    me: NodeId,
    /// Number of servers; they are nodes `0..servers`.
    servers: u32,
    /// Every node's name, for narration.
    names: Names,
    /// The request waited for.
    pub awaiting: Option<u64>,
    /// Operations issued so far (the put, then the get).
    pub op_count: u64,
}

impl RegisterClient {
    /// Client `me` of a register served by nodes `0..servers` (`me >= servers`), narrating
    /// nodes by `names`.
    pub fn new(me: NodeId, servers: u32, names: Names) -> Self {
        RegisterClient {
            me,
            servers,
            names,
            awaiting: None,
            op_count: 0,
        }
    }

    /// This client's number among the clients, from 0.
    fn index(&self) -> u64 {
        u64::from(self.me.0.saturating_sub(self.servers))
    }

    /// The server a client's `k`-th operation goes to.
    fn server(&self, k: u64) -> NodeId {
        NodeId(((u64::from(self.me.0) + k) % u64::from(self.servers.max(1))) as u32)
    }

    /// The value this client puts: `A` for the first client, `B` for the second, ...
    pub fn value(&self) -> char {
        char::from(b'A'.wrapping_add((self.index() % 26) as u8))
    }

    /// Start: put this client's value. Request ids are multiples of the node id, so they
    /// differ between clients.
    pub fn on_start(&mut self, ctx: &mut C<'_>) {
        if self.op_count > 0 {
            return;
        }
        let req_id = u64::from(self.me.0);
        let value = self.value();
        let op = ClientOp {
            f: "put".into(),
            key: KEY.into(),
            value: Some(value.to_string()),
        };
        ctx.invoke(req_id, &op);
        ctx.info(format_args!(
            "PUT {value:?} as request #{req_id} to {}",
            self.names.of(self.server(0))
        ));
        ctx.send(self.server(0), RegisterMsg::Put { req_id, value });
        self.awaiting = Some(req_id);
        self.op_count = 1;
    }

    /// An answer arrived: after the put's, read; after the read's, done. Answers to other
    /// requests (a second `PutOk` from another server that drove the same proposal) are
    /// ignored.
    pub fn on_message(&mut self, ctx: &mut C<'_>, from: NodeId, msg: RegisterMsg) {
        let awaiting = self.awaiting;
        match msg {
            RegisterMsg::PutOk { req_id } if Some(req_id) == awaiting => {
                ctx.complete(req_id, &ClientResult::Ok { value: None });
                let next = (self.op_count + 1) * u64::from(self.me.0);
                let server = self.server(self.op_count);
                ctx.info(format_args!(
                    "PutOk #{req_id} from {}: now GET as request #{next} from {}",
                    self.names.of(from),
                    self.names.of(server)
                ));
                let op = ClientOp {
                    f: "get".into(),
                    key: KEY.into(),
                    value: None,
                };
                ctx.invoke(next, &op);
                ctx.send(server, RegisterMsg::Get { req_id: next });
                self.awaiting = Some(next);
                self.op_count += 1;
            }
            RegisterMsg::GetOk { req_id, value } if Some(req_id) == awaiting => {
                ctx.complete(
                    req_id,
                    &ClientResult::Ok {
                        value: Some(value.to_string()),
                    },
                );
                ctx.info(format_args!(
                    "GetOk #{req_id} from {}: the register holds {value:?}; done",
                    self.names.of(from)
                ));
                self.awaiting = None;
                self.op_count += 1;
                ctx.client_done();
            }
            other => ctx.debug(format_args!(
                "ignoring {other} from {}: not the answer awaited",
                self.names.of(from)
            )),
        }
    }

    /// What viewers show.
    pub fn status(&self) -> NodeStatus {
        let mut st = NodeStatus {
            role: "client".into(),
            ..NodeStatus::default()
        };
        let doing = match (self.op_count, self.awaiting) {
            (_, None) if self.op_count >= 2 => "done".to_string(),
            (1, Some(r)) => format!("put #{r} outstanding"),
            (_, Some(r)) => format!("get #{r} outstanding"),
            _ => "idle".to_string(),
        };
        st.facts.push(("doing", doing));
        st
    }
}
