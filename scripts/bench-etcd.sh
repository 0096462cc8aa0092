#!/usr/bin/env bash
# synod serve (Raft) against etcd, on one machine, at equal durability (both fsync before
# answering): three servers of each on loopback, the same load generator (`synod load`) at 1,
# 16 and 128 concurrent clients, puts of fresh keys and gets of existing ones. Prints, for each
# configuration, throughput and p50/p99/p999 latency as min/median over RUNS runs.
#
#   bash scripts/bench-etcd.sh                 # RUNS=3 DURATION=10 CLIENTS="1 16 128"
#   RUNS=5 DURATION=20 bash scripts/bench-etcd.sh
#
# Installs Debian's etcd-server with apt-get when etcd is missing (as root, or via sudo).
# Everything it starts listens on 127.0.0.1 only and is stopped when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CLIENTS=${CLIENTS:-"1 16 128"}
OPS=${OPS:-"put get"}

if ! command -v etcd >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server >/dev/null
fi
cargo build --release -q -p synod-cli
SYNOD=$PWD/target/release/synod

# Data on the same disk for both (not a tmpfs, where fsync would cost nothing).
WORK=$PWD/target/bench-etcd
rm -rf "$WORK"
mkdir -p "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# etcd: 3 members, clients on 127.0.0.1:2379x, peers on 127.0.0.1:2380x.
CLUSTER=""
for i in 1 2 3; do CLUSTER="$CLUSTER,e$i=http://127.0.0.1:2380$i"; done
CLUSTER=${CLUSTER#,}
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$WORK/etcd$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token synod-bench \
    --log-level warn --logger zap >"$WORK/etcd$i.log" 2>&1 &
  PIDS+=($!)
done
ETCD=127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793

# synod: 3 servers, peers on 127.0.0.1:2700x, HTTP on 127.0.0.1:2800x.
"$SYNOD" cluster up raft --nodes 3 --base-port 27000 --data "$WORK/synod" >"$WORK/synod-cluster.log" 2>&1 &
PIDS+=($!)
SYN=127.0.0.1:28001,127.0.0.1:28002,127.0.0.1:28003

# Wait until both answer a write.
for _ in $(seq 1 100); do
  if "$SYNOD" load --target etcd --endpoints "$ETCD" --clients 1 --duration 0.2 --warmup 0 --op put >/dev/null 2>&1 &&
     "$SYNOD" load --target synod --endpoints "$SYN" --clients 1 --duration 0.2 --warmup 0 --op put >/dev/null 2>&1; then
    break
  fi
  sleep 0.2
done

echo "synod vs etcd $(etcd --version | head -1 | awk '{print $3}'): 3 servers each on loopback, fsync on; $RUNS runs of ${DURATION}s per line; $(nproc) cores"
echo "target op  clients  throughput ops/s (min/median)  p50 ms  p99 ms (median; min..max)  p999 ms  failed"
for c in $CLIENTS; do
  for op in $OPS; do
    for target in synod etcd; do
      if [ "$target" = synod ]; then EP=$SYN; else EP=$ETCD; fi
      "$SYNOD" load --target "$target" --endpoints "$EP" --clients "$c" --op "$op" \
        --duration "$DURATION" --warmup "$WARMUP" --runs "$RUNS" --summary
    done
  done
done
