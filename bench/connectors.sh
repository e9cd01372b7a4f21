#!/usr/bin/env bash
# Connector ingest speed (issue 18): 10 million PostHog-style JSON-lines
# events (200,000 users, 50,000 workspace groups, a signup event per user)
# through `northstar ingest --from posthog`, timed with /usr/bin/time
# (wall time and peak RSS). Goal: under 2 minutes, memory flat (bounded by
# DuckDB's memory limit, src/tuning.rs, not by the file size).
#
#   bench/connectors.sh            # 10,000,000 events
#   bench/connectors.sh 1000000    # another size
#
# Needs a DuckDB CLI to write the export (NORTHSTAR_DUCKDB_CLI, as .ci/run
# installs it, or `duckdb` on PATH). Environment: CARGO_TARGET_DIR (default
# $HOME/.cache/northstar/target), BENCH_DIR (scratch, default a fresh one
# under ${TMPDIR:-/tmp}; about 1.5 GB for 10 million events).
set -euo pipefail

EVENTS=${1:-10000000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/northstar/target}
DUCKDB=${NORTHSTAR_DUCKDB_CLI:-duckdb}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/northstar-connectors-XXXXXX")}
BIN=$CARGO_TARGET_DIR/release/northstar
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release)
USERS=$(( EVENTS / 50 ))
cd "$DIR"
echo "writing $EVENTS events of $USERS users to $DIR/events.jsonl" >&2
# Event i belongs to user i % USERS; the first USERS events are the signups,
# so each user's signup is their earliest event. Three seconds apart.
"$DUCKDB" -c "copy (
  select
    'evt-' || i as uuid,
    case when i < $USERS then 'user signed up'
         else (['page created', 'page viewed', 'page shared', 'comment added', 'page co-edited', 'search'])[(i % 6) + 1] end as event,
    'user-' || (i % $USERS) as distinct_id,
    strftime(timestamp '2024-01-01' + to_seconds(i * 3), '%Y-%m-%dT%H:%M:%S.%fZ') as timestamp,
    {'\$groups': {'workspace': 'ws-' || ((i % $USERS) // 4)}, 'utm_source': 'google'} as properties
  from range($EVENTS) as t(i)
) to 'events.jsonl' (format json)"
cat > northstar.toml <<'TOML'
[mapping]
workspace = "groups.workspace"
channel = "properties.utm_source"

[mapping.events]
signup = ["user signed up"]
page_create = ["page created"]
page_view = ["page viewed"]
share = ["page shared"]
comment = ["comment added"]
co_edit = ["page co-edited"]
search = ["search"]
TOML
ls -l events.jsonl >&2
rm -f w.duckdb
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$BIN" ingest --from posthog events.jsonl \
    --config northstar.toml --warehouse w.duckdb 2> ingest.log || { cat ingest.log >&2; exit 1; }
cat ingest.log
# Appending the same export again: every row skipped by its id.
/usr/bin/time -f "append of the same file: wall %e s, peak RSS %M KiB" "$BIN" ingest --from posthog events.jsonl \
    --config northstar.toml --warehouse w.duckdb --append 2>&1 | tail -2
[ -n "${BENCH_DIR:-}" ] || rm -rf "$DIR"
