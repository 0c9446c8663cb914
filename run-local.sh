#!/usr/bin/env bash
# One command runs everything locally: a KRaft broker, PostgreSQL, the provider simulator and the three
# services on the design's ports (profile `local`), reading ./.env if present. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q -DskipTests package
exec java -Dlocal-stack.home="$PWD" -jar local-stack/target/local-stack-0.1.0-SNAPSHOT-exec.jar "$@"
