#!/usr/bin/env bash
# The benchmark harness (docs/benchmarks.md): starts the real service jars on free ports with their
# production configuration against the provider simulator, and the peer (Portkey, bench/portkey/start.sh,
# installed from npm on first use; left out where node is missing), measures direct-to-simulator, through
# the gateway and through Portkey, prints a Markdown report and writes it with the histograms and the
# latency chart (latency.svg) to target/benchmark/.
# Arguments: --levels=1,64,256 --requests=200,4000,8000 --warm-up=3000 --warm-up-rounds=12 --jit-quiet=0.05
#            --settle=60 --max-tokens=100 --portkey=true
#            --usage-per-second=1000 --usage-seconds=20 --out=target/benchmark
#            --service-jvm-args="-Xmx768m -XX:StartFlightRecording=filename=/tmp/jfr/,dumponexit=true"
# --mode=subscribers: issue 9's 10,000 subscribers of GET /v1/jobs/{id}/events instead (docs/benchmarks.md,
#            "10,000 subscribers"): --subscribers=10000 --job-ms=60000 --opening=256 --deadline-s=600
set -euo pipefail
# Thousands of sockets in the harness and the gateway (forked from it, so it inherits the limit): the soft limit
# of open files goes up to the hard one.
if [ "$(ulimit -n)" != "unlimited" ] && [ "$(ulimit -n)" -lt "$(ulimit -Hn)" ]; then
  echo "benchmark.sh: raising the open files limit (ulimit -n) from $(ulimit -n) to $(ulimit -Hn)" >&2
  ulimit -n "$(ulimit -Hn)"
fi
cd "$(dirname "$0")"
./mvnw -B -q -DskipTests package
exec java -Dlocal-stack.home="$PWD" -jar local-stack/target/local-stack-0.1.0-SNAPSHOT-exec.jar bench "$@"
