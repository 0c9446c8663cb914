#!/usr/bin/env bash
# Summarizes the CPU samples of a JFR recording (docs/benchmarks.md, "Profile"): the methods most often on
# top of the stack (self time) and the methods most often anywhere on it (total time), as shares of all
# jdk.ExecutionSample events, and the project's own methods among the latter. Usage: bench/jfr-hot-methods.sh recording.jfr [how many, default 15]
set -euo pipefail
file=${1:?a .jfr file}
top=${2:-15}
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
jfr print --stack-depth 96 --events jdk.ExecutionSample "$file" | awk '
  /stackTrace = \[/ { in_stack = 1; first = 1; split("", seen); next }
  in_stack && /^[[:space:]]*\]/ { in_stack = 0; next }
  in_stack {
    frame = $0
    sub(/^[[:space:]]+/, "", frame)
    sub(/[[:space:]]+line:.*$/, "", frame)
    if (frame == "...") next
    if (first) { self[frame]++; samples++; first = 0 }
    if (!(frame in seen)) { seen[frame] = 1; total[frame]++ }
  }
  END {
    printf "samples\t%d\n", samples
    for (f in self) printf "self\t%d\t%.1f%%\t%s\n", self[f], 100 * self[f] / samples, f
    for (f in total) printf "total\t%d\t%.1f%%\t%s\n", total[f], 100 * total[f] / samples, f
  }' > "$counts"
set +o pipefail # head ends the pipes early
echo "$(awk -F'\t' '$1 == "samples" { print $2 }' "$counts") CPU samples"
echo; echo "self (top of the stack):"
awk -F'\t' '$1 == "self"' "$counts" | sort -t$'\t' -k2,2nr | head -n "$top" | cut -f3,4
echo; echo "total (anywhere on the stack):"
awk -F'\t' '$1 == "total"' "$counts" | sort -t$'\t' -k2,2nr | head -n "$top" | cut -f3,4
echo; echo "total, the project's own methods (ai.gateway.*):"
awk -F'\t' '$1 == "total" && $4 ~ /^ai\.gateway\./' "$counts" | sort -t$'\t' -k2,2nr | head -n "$top" | cut -f3,4
