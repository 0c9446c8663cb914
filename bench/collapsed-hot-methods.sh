#!/usr/bin/env bash
# Summarizes an async-profiler folded-stacks file (bench/async-profiler.sh): the frames most often on top of
# the stack (self) and anywhere on it (total), as shares of all samples; an optional extended regular
# expression keeps only matching frames in the second list (e.g. '^ai/gateway|C2Compiler').
# Usage: bench/collapsed-hot-methods.sh file.collapsed [how many, default 25] [frame regex]
set -euo pipefail
file=${1:?a .collapsed file}
top=${2:-25}
filter=${3:-.}
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
awk '
  {
    n = $NF; stack = $0; sub(/ [0-9]+$/, "", stack)
    count = split(stack, frames, ";")
    samples += n; self[frames[count]] += n
    split("", seen)
    for (i = 1; i <= count; i++) if (!(frames[i] in seen)) { seen[frames[i]] = 1; total[frames[i]] += n }
  }
  END {
    printf "samples\t%d\n", samples
    for (f in self) printf "self\t%d\t%.1f%%\t%s\n", self[f], 100 * self[f] / samples, f
    for (f in total) printf "total\t%d\t%.1f%%\t%s\n", total[f], 100 * total[f] / samples, f
  }' "$file" > "$counts"
set +o pipefail # head ends the pipes early
echo "$(awk -F'\t' '$1 == "samples" { print $2 }' "$counts") samples"
echo; echo "self (top of the stack):"
awk -F'\t' '$1 == "self"' "$counts" | sort -t$'\t' -k2,2nr | head -n "$top" | cut -f3,4
echo; echo "total (anywhere on the stack), frames matching '$filter':"
awk -F'\t' -v filter="$filter" '$1 == "total" && $4 ~ filter' "$counts" | sort -t$'\t' -k2,2nr | head -n "$top" | cut -f3,4
