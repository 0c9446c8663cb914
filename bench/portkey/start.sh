#!/usr/bin/env bash
# Starts the Portkey AI gateway, the peer the benchmark harness measures next to ours (docs/benchmarks.md).
# Installs it first from package-lock.json (npm ci) when node_modules is missing or older than the lock.
# The version is pinned in package.json; its dependency @hono/node-server is pinned to 1.14.1 through
# "overrides", as the newer ones break its streaming. Usage: bench/portkey/start.sh [port] (default 8787).
# The script ends by exec'ing node, so the process id it was started with is the gateway's own.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "node is not installed: Portkey cannot run" >&2; exit 127; }
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch node_modules
fi
export NODE_ENV=production
exec node node_modules/@portkey-ai/gateway/build/start-server.js --port="${1:-8787}" --headless
