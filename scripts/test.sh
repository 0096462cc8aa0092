#!/usr/bin/env bash
# Run every test of synod. Installs, with Debian's apt-get, the few system packages the
# end-to-end tests drive (tmux for the REPL's terminal test; chromium, chromium-driver and
# python3-selenium for the browser tests of `synod play` and `synod view`) when they are missing, then runs
# `cargo test --workspace --no-fail-fast` (one failing crate never hides the tests after it).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
/usr/bin/python3 -c 'import selenium' 2>/dev/null || need+=(python3-selenium)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (apt-get)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}"
fi

cargo test --workspace --no-fail-fast "$@"
