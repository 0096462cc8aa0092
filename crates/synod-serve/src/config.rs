//! A server's configuration from the command line, and the identity of its data directory.
//!
//! Everything here is user input: errors say what is wrong and how to fix it, and become exit
//! code 2. A data directory remembers the protocol, the cluster (its peer list) and the node it
//! belongs to; starting it as anything else is refused rather than silently reinitialized.

use crate::protocol::fnv1a;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

/// The most servers a cluster may have.
pub const MAX_SERVERS: usize = 64;
/// Default HTTP port offset: a server whose peer address has port P serves HTTP on P + 1000.
pub const HTTP_PORT_OFFSET: u16 = 1000;

/// Unusable input: printed, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// One server of the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Its name (`n1`).
    pub name: String,
    /// Where it listens for peers.
    pub addr: SocketAddr,
}

/// Parses `--peers n1=127.0.0.1:7001,n2=127.0.0.1:7002,...`.
pub fn parse_peers(text: &str) -> Result<Vec<Peer>, Usage> {
    let mut peers: Vec<Peer> = Vec::new();
    for (i, item) in text.split(',').enumerate() {
        let item = item.trim();
        let Some((name, addr)) = item.split_once('=') else {
            return Err(Usage(format!(
                "--peers: item {} `{item}` is not NAME=HOST:PORT (example: n1=127.0.0.1:7001)",
                i + 1
            )));
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Usage(format!(
                "--peers: `{name}` is not a server name (letters, digits, - and _)"
            )));
        }
        let addr: SocketAddr = addr
            .trim()
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| {
                Usage(format!(
                    "--peers: `{}` (for {name}) is not a HOST:PORT address",
                    addr.trim()
                ))
            })?;
        if peers.iter().any(|p| p.name == name) {
            return Err(Usage(format!("--peers: the name `{name}` appears twice")));
        }
        if let Some(p) = peers.iter().find(|p| p.addr == addr) {
            return Err(Usage(format!(
                "--peers: {name} and {} have the same address {addr}",
                p.name
            )));
        }
        peers.push(Peer {
            name: name.to_string(),
            addr,
        });
    }
    if peers.len() > MAX_SERVERS {
        return Err(Usage(format!(
            "--peers: {} servers; at most {MAX_SERVERS}",
            peers.len()
        )));
    }
    Ok(peers)
}

/// The index of `id` in `peers`, or an error listing the names.
pub fn find_self(peers: &[Peer], id: &str) -> Result<usize, Usage> {
    peers.iter().position(|p| p.name == id).ok_or_else(|| {
        Usage(format!(
            "--id {id} is not in --peers ({}); every server gets the same --peers list, which includes itself",
            peers
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The peer list as written in data directories: `n1=127.0.0.1:7001,...`.
pub fn peers_text(peers: &[Peer]) -> String {
    peers
        .iter()
        .map(|p| format!("{}={}", p.name, p.addr))
        .collect::<Vec<_>>()
        .join(",")
}

/// The cluster's id: a digest of the protocol and the peer list, in order.
pub fn cluster_id(protocol: &str, peers: &[Peer]) -> u64 {
    fnv1a(format!("{protocol}|{}", peers_text(peers)).as_bytes())
}

/// The default HTTP address of a server: its peer host, port + [`HTTP_PORT_OFFSET`].
pub fn default_http(peer: &Peer) -> Result<SocketAddr, Usage> {
    let port = peer.addr.port().checked_add(HTTP_PORT_OFFSET).ok_or_else(|| {
        Usage(format!(
            "{}: peer port {} leaves no room for the default HTTP port (+{HTTP_PORT_OFFSET}); give --http",
            peer.name,
            peer.addr.port()
        ))
    })?;
    Ok(SocketAddr::new(peer.addr.ip(), port))
}

/// What a data directory belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The protocol.
    pub protocol: String,
    /// The node's name.
    pub node: String,
    /// The cluster id, in hex.
    pub cluster: String,
    /// The peer list.
    pub peers: String,
}

const META: &str = "synod.meta";
const META_HEAD: &str = "# synod data directory: what it belongs to. Do not edit.";

impl Identity {
    fn render(&self) -> String {
        format!(
            "{META_HEAD}\nprotocol = {}\nnode = {}\ncluster = {}\npeers = {}\n",
            self.protocol, self.node, self.cluster, self.peers
        )
    }

    fn parse(path: &Path, text: &str) -> Result<Identity, Usage> {
        let get = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('='))
                .map(|v| v.trim().to_string())
                .ok_or_else(|| {
                    Usage(format!(
                        "{}: missing `{key}`; not a synod data directory's identity file",
                        path.display()
                    ))
                })
        };
        Ok(Identity {
            protocol: get("protocol")?,
            node: get("node")?,
            cluster: get("cluster")?,
            peers: get("peers")?,
        })
    }
}

/// Opens the data directory `dir` for `want`: creates and stamps it if it is new or empty,
/// checks it otherwise. Returns the WAL's path.
pub fn open_data_dir(dir: &Path, want: &Identity) -> Result<PathBuf, Usage> {
    let meta = dir.join(META);
    let wal = dir.join("wal");
    let io = |e: std::io::Error| Usage(format!("--data {}: {e}", dir.display()));
    if meta.exists() {
        let text = std::fs::read_to_string(&meta).map_err(io)?;
        let have = Identity::parse(&meta, &text)?;
        if have.protocol != want.protocol {
            return Err(Usage(format!(
                "--data {}: this directory holds a {} server's state, not {}; use another directory",
                dir.display(),
                have.protocol,
                want.protocol
            )));
        }
        if have.cluster != want.cluster {
            return Err(Usage(format!(
                "--data {}: this directory belongs to another cluster (peers {}), not this one (peers {}); \
                 use another directory, or the same --peers as when it was made",
                dir.display(),
                have.peers,
                want.peers
            )));
        }
        if have.node != want.node {
            return Err(Usage(format!(
                "--data {}: this directory is {}'s, not {}'s; use another directory",
                dir.display(),
                have.node,
                want.node
            )));
        }
        return Ok(wal);
    }
    if dir.exists() {
        let entries = std::fs::read_dir(dir).map_err(io)?.count();
        if entries > 0 {
            return Err(Usage(format!(
                "--data {}: the directory is not empty and is not a synod data directory (no {META}); \
                 refusing to use it",
                dir.display()
            )));
        }
    } else {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    // Stamp it durably: write a temporary file, sync it, rename, sync the directory.
    let tmp = dir.join(format!("{META}.tmp"));
    std::fs::write(&tmp, want.render()).map_err(io)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&tmp, &meta).map_err(io)?;
    crate::wal::sync_dir(&meta).map_err(io)?;
    Ok(wal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_and_bad_lists_are_explained() {
        let p = parse_peers("n1=127.0.0.1:7001, n2=127.0.0.1:7002").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].name, "n2");
        assert_eq!(find_self(&p, "n2"), Ok(1));
        let e = find_self(&p, "n9").unwrap_err().0;
        assert!(e.contains("--id n9 is not in --peers (n1, n2)"), "{e}");
        let e = parse_peers("n1=127.0.0.1:7001,n1=127.0.0.1:7002")
            .unwrap_err()
            .0;
        assert!(e.contains("appears twice"), "{e}");
        let e = parse_peers("n1=127.0.0.1:7001,n2=127.0.0.1:7001")
            .unwrap_err()
            .0;
        assert!(e.contains("same address"), "{e}");
        let e = parse_peers("n1:7001").unwrap_err().0;
        assert!(e.contains("not NAME=HOST:PORT"), "{e}");
        let e = parse_peers("n1=nowhere").unwrap_err().0;
        assert!(e.contains("not a HOST:PORT"), "{e}");
    }

    #[test]
    fn the_cluster_id_depends_on_protocol_and_peers() {
        let a = parse_peers("n1=127.0.0.1:7001,n2=127.0.0.1:7002").unwrap();
        let b = parse_peers("n1=127.0.0.1:7001,n2=127.0.0.1:7003").unwrap();
        assert_ne!(cluster_id("raft", &a), cluster_id("raft", &b));
        assert_ne!(cluster_id("raft", &a), cluster_id("multipaxos", &a));
        assert_eq!(cluster_id("raft", &a), cluster_id("raft", &a.clone()));
    }

    #[test]
    fn a_data_dir_is_stamped_once_and_checked_after() {
        let dir = std::env::temp_dir().join(format!("synod-meta-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let id = Identity {
            protocol: "raft".into(),
            node: "n1".into(),
            cluster: "00ff".into(),
            peers: "n1=127.0.0.1:7001".into(),
        };
        open_data_dir(&dir, &id).unwrap();
        open_data_dir(&dir, &id).unwrap();
        let other = Identity {
            cluster: "0100".into(),
            peers: "n1=127.0.0.1:7009".into(),
            ..id.clone()
        };
        let e = open_data_dir(&dir, &other).unwrap_err().0;
        assert!(e.contains("belongs to another cluster"), "{e}");
        let e = open_data_dir(
            &dir,
            &Identity {
                protocol: "multipaxos".into(),
                ..id.clone()
            },
        )
        .unwrap_err()
        .0;
        assert!(e.contains("holds a raft server's state"), "{e}");
        let e = open_data_dir(
            &dir,
            &Identity {
                node: "n2".into(),
                ..id.clone()
            },
        )
        .unwrap_err()
        .0;
        assert!(e.contains("is n1's, not n2's"), "{e}");
        let stranger = dir.join("stranger");
        std::fs::create_dir_all(&stranger).unwrap();
        std::fs::write(stranger.join("x"), "x").unwrap();
        let e = open_data_dir(&stranger, &id).unwrap_err().0;
        assert!(e.contains("not a synod data directory"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
