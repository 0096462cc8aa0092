#!/usr/bin/env bash
# Writes the Raft histories the linearizability benchmark checks, with `synod run ... --trace`
# (crates/synod-check/benches/raft-many-clients.toml: 3 servers, 5% loss, client timeout
# 100 ms) into target/lin-bench/:
#   raft-c50-r200.jsonl     50 clients x 200 requests  (10,000 operations)
#   raft-c100-r100.jsonl   100 clients x 100 requests  (10,000 operations)
#   raft-c100-r1000.jsonl  100 clients x 1000 requests (100,000 operations, ~240 MB)
# Then: cargo bench -p synod-check --bench lin
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/lin-bench
mkdir -p "$out"
cargo build --release -q -p synod-cli
scenario=crates/synod-check/benches/raft-many-clients.toml
for shape in "50 200" "100 100" "100 1000"; do
  set -- $shape
  file="$out/raft-c$1-r$2.jsonl"
  if [ -s "$file" ]; then
    echo "$file exists"
    continue
  fi
  echo "writing $file"
  target/release/synod run "$scenario" --clients "$1" --requests "$2" \
    --log-level error --trace "$file.tmp" | grep -E '^(requests|linearizability|wall time):'
  mv "$file.tmp" "$file"
done
