#!/usr/bin/env bash
# Fetches async-profiler (Maven Central: tools.profiler:async-profiler:4.2, classifier linux-x64) into
# target/async-profiler and prints the --service-jvm-args that profile every service of a benchmark run
# (CPU, 1 ms, native and kernel frames included where perf events are allowed; folded stacks written at
# exit to <dir>/<pid>.collapsed). Summarize a file with bench/collapsed-hot-methods.sh. See docs/benchmarks.md.
# Usage: bench/async-profiler.sh [output dir, default /tmp/async-profiler]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/async-profiler}
lib=target/async-profiler/linux-x64/libasyncProfiler.so
if [[ ! -f $lib ]]; then
  ./mvnw -B -q dependency:copy -Dartifact=tools.profiler:async-profiler:4.2:jar:linux-x64 \
    -DoutputDirectory=target/async-profiler >&2
  (cd target/async-profiler && unzip -o -q async-profiler-4.2-linux-x64.jar 'linux-x64/*')
fi
mkdir -p "$out"
echo "--service-jvm-args=-Xmx768m -agentpath:$PWD/$lib=start,event=cpu,interval=1ms,file=$out/%p.collapsed,collapsed"
