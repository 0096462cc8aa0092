//! TCP between servers: length-prefixed postcard frames, one connection per direction.
//!
//! Each server dials every peer and writes its messages to it; it reads what peers send on
//! the connections they dialed. A connection opens with a [`Hello`]: the cluster's id (from
//! the peer list), the sender's id and the address of its HTTP API (so that "not the leader"
//! answers can say where the leader is). A hello from another cluster is refused.
//!
//! **Faults.** [`Links`] cuts the link to chosen peers in both directions: messages to them
//! are dropped before they are written, messages from them after they are read, like a
//! partition in the simulator. The admin endpoint (`/admin/cut`, `/admin/heal`) sets it.
//!
//! Every queue is bounded: a peer that is down or stopped makes its queue fill, and further
//! messages to it are dropped as a lossy network would; the protocols retransmit.

use crate::node::Input;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use synod_core::NodeId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The first bytes of a peer connection.
pub const HELLO_MAGIC: [u8; 8] = *b"SYNODNET";
/// The largest frame a peer may send.
pub const MAX_PEER_FRAME: u32 = 64 << 20;
/// Messages waiting to be written to one peer.
pub const PEER_QUEUE: usize = 8192;

/// The opening of a peer connection.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Hello {
    /// [`HELLO_MAGIC`].
    pub magic: [u8; 8],
    /// The cluster id both sides must share.
    pub cluster: u64,
    /// The dialing server.
    pub from: u32,
    /// Its HTTP API's address.
    pub http: String,
}

/// Which links are cut, and what this server learned about its peers.
#[derive(Debug)]
pub struct Links {
    cut: Vec<AtomicBool>,
    http: Mutex<Vec<Option<String>>>,
}

impl Links {
    /// Links to `n` servers, all up.
    pub fn new(n: usize) -> Self {
        Links {
            cut: (0..n).map(|_| AtomicBool::new(false)).collect(),
            http: Mutex::new(vec![None; n]),
        }
    }

    /// Whether the link to `peer` is cut.
    pub fn is_cut(&self, peer: NodeId) -> bool {
        self.cut
            .get(peer.index())
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Cut (or restore) the link to `peer`.
    pub fn set_cut(&self, peer: NodeId, cut: bool) {
        if let Some(c) = self.cut.get(peer.index()) {
            c.store(cut, Ordering::Relaxed);
        }
    }

    /// The ids of the peers whose link is cut.
    pub fn cut_peers(&self) -> Vec<NodeId> {
        (0..self.cut.len() as u32)
            .map(NodeId)
            .filter(|p| self.is_cut(*p))
            .collect()
    }

    /// The HTTP address `peer` announced, if it has connected.
    pub fn http_of(&self, peer: NodeId) -> Option<String> {
        self.http
            .lock()
            .ok()
            .and_then(|h| h.get(peer.index()).cloned().flatten())
    }

    fn learn_http(&self, peer: NodeId, addr: String) {
        if let Ok(mut h) = self.http.lock()
            && let Some(slot) = h.get_mut(peer.index())
        {
            *slot = Some(addr);
        }
    }
}

/// What both ends of the transport need to know.
#[derive(Clone, Debug)]
pub struct PeerSetup {
    /// This server.
    pub me: NodeId,
    /// Every server's peer address, by id.
    pub addrs: Vec<SocketAddr>,
    /// The cluster id.
    pub cluster: u64,
    /// This server's HTTP address, announced in hellos.
    pub http: String,
}

fn encode_frame<T: Serialize>(buf: &mut Vec<u8>, value: &T) -> bool {
    match postcard::to_allocvec(value) {
        Ok(v) => {
            buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
            buf.extend_from_slice(&v);
            true
        }
        Err(_) => false,
    }
}

async fn read_frame(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len);
    if len > MAX_PEER_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {len} bytes"),
        ));
    }
    buf.resize(len as usize, 0);
    s.read_exact(buf).await?;
    Ok(())
}

/// Accepts peer connections forever, a reader task for each.
pub async fn accept_peers<M>(
    listener: TcpListener,
    setup: Arc<PeerSetup>,
    links: Arc<Links>,
    to_loop: mpsc::Sender<Input<M>>,
) where
    M: DeserializeOwned + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(read_peer(
            stream,
            setup.clone(),
            links.clone(),
            to_loop.clone(),
        ));
    }
}

async fn read_peer<M>(
    mut stream: TcpStream,
    setup: Arc<PeerSetup>,
    links: Arc<Links>,
    to_loop: mpsc::Sender<Input<M>>,
) where
    M: DeserializeOwned + Send + 'static,
{
    let mut buf = Vec::new();
    let hello =
        match tokio::time::timeout(Duration::from_secs(5), read_frame(&mut stream, &mut buf)).await
        {
            Ok(Ok(())) => postcard::from_bytes::<Hello>(&buf).ok(),
            _ => None,
        };
    let Some(hello) = hello else {
        return;
    };
    let n = setup.addrs.len() as u32;
    if hello.magic != HELLO_MAGIC
        || hello.cluster != setup.cluster
        || hello.from >= n
        || hello.from == setup.me.0
    {
        eprintln!(
            "refusing a peer connection: cluster {:016x}, node {} (this is node {} of cluster {:016x} with {n} servers)",
            hello.cluster, hello.from, setup.me.0, setup.cluster
        );
        return;
    }
    let from = NodeId(hello.from);
    links.learn_http(from, hello.http);
    loop {
        if read_frame(&mut stream, &mut buf).await.is_err() {
            return;
        }
        if links.is_cut(from) {
            continue;
        }
        let Ok(msg) = postcard::from_bytes::<M>(&buf) else {
            eprintln!("dropping an undecodable message from node {from}");
            continue;
        };
        if to_loop.send(Input::Peer { from, msg }).await.is_err() {
            return;
        }
    }
}

/// Writes the messages for `peer` to it, dialing (and re-dialing after a failure) as needed.
/// Messages that arrive while it is unreachable are dropped.
pub async fn write_peer<M>(
    peer: NodeId,
    setup: Arc<PeerSetup>,
    links: Arc<Links>,
    mut rx: mpsc::Receiver<M>,
) where
    M: Serialize + Send + 'static,
{
    let addr = setup.addrs[peer.index()];
    let hello = Hello {
        magic: HELLO_MAGIC,
        cluster: setup.cluster,
        from: setup.me.0,
        http: setup.http.clone(),
    };
    let mut backoff = Duration::from_millis(20);
    let mut buf = Vec::new();
    loop {
        let stream =
            match tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr)).await {
                Ok(Ok(s)) => Some(s),
                _ => None,
            };
        let Some(mut stream) = stream else {
            // Unreachable: drop what waits, retry a little later.
            while rx.try_recv().is_ok() {}
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
            continue;
        };
        let _ = stream.set_nodelay(true);
        buf.clear();
        encode_frame(&mut buf, &hello);
        if stream.write_all(&buf).await.is_err() {
            continue;
        }
        backoff = Duration::from_millis(20);
        loop {
            let Some(first) = rx.recv().await else {
                return;
            };
            buf.clear();
            let cut = links.is_cut(peer);
            if !cut {
                encode_frame(&mut buf, &first);
            }
            // Everything else already waiting goes in the same write.
            while buf.len() < (1 << 20) {
                match rx.try_recv() {
                    Ok(m) => {
                        if !cut {
                            encode_frame(&mut buf, &m);
                        }
                    }
                    Err(_) => break,
                }
            }
            if !buf.is_empty() && stream.write_all(&buf).await.is_err() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_their_length() {
        let mut buf = Vec::new();
        let hello = Hello {
            magic: HELLO_MAGIC,
            cluster: 7,
            from: 2,
            http: "127.0.0.1:8001".into(),
        };
        assert!(encode_frame(&mut buf, &hello));
        let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        assert_eq!(len, buf.len() - 4);
        assert_eq!(postcard::from_bytes::<Hello>(&buf[4..]).unwrap(), hello);
    }

    #[test]
    fn links_cut_and_heal_per_peer() {
        let l = Links::new(3);
        l.set_cut(NodeId(2), true);
        assert!(l.is_cut(NodeId(2)) && !l.is_cut(NodeId(1)));
        assert_eq!(l.cut_peers(), vec![NodeId(2)]);
        l.set_cut(NodeId(2), false);
        assert!(l.cut_peers().is_empty());
        assert!(!l.is_cut(NodeId(9)));
    }
}
