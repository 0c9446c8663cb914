#!/usr/bin/env bash
# The benchmark harness (docs/benchmarks.md): starts the real service jars on free ports with their
# production configuration against the provider simulator, measures direct-to-simulator versus through the
# gateway, prints a Markdown report and writes it with the histograms to target/benchmark/.
# Arguments: --levels=1,64 --requests=300,4000 --warm-up=400 --max-tokens=100 --usage-per-second=1000
#            --service-jvm-args="-Xmx768m -XX:StartFlightRecording=filename=/tmp/jfr/,dumponexit=true"
#            --usage-seconds=20 --out=target/benchmark
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q -DskipTests package
exec java -Dlocal-stack.home="$PWD" -jar local-stack/target/local-stack-0.1.0-SNAPSHOT-exec.jar bench "$@"
