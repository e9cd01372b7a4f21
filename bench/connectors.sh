#!/usr/bin/env bash
# Connector ingest speed (issue 18): 10 million JSON-lines events (200,000
# users, 50,000 workspace groups, a signup event per user) through
# `northstar ingest --from FORMAT`, timed with /usr/bin/time (wall time, CPU
# time, peak RSS), with the time of each stage (NORTHSTAR_TIMINGS=1) and
# the machine's load average before and after. Goal: under 2 minutes,
# memory flat (bounded by DuckDB's memory limit, src/tuning.rs, not by the
# file size).
#
#   bench/connectors.sh                    # 10,000,000 PostHog events
#   bench/connectors.sh 1000000            # another size
#   bench/connectors.sh 10000000 segment   # Segment track calls instead
#
# Needs a DuckDB CLI to write the export (NORTHSTAR_DUCKDB_CLI, as .ci/run
# installs it, or `duckdb` on PATH). Environment: CARGO_TARGET_DIR (default
# $HOME/.cache/northstar/target), BENCH_DIR (scratch, default a fresh one
# under ${TMPDIR:-/tmp}; about 2 GB for 10 million events). The floor
# printed last is DuckDB's own read_json of the same file (the CLI), the
# parse alone.
set -euo pipefail

EVENTS=${1:-10000000}
FORMAT=${2:-posthog}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/northstar/target}
DUCKDB=${NORTHSTAR_DUCKDB_CLI:-duckdb}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/northstar-connectors-XXXXXX")}
BIN=$CARGO_TARGET_DIR/release/northstar
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release)
USERS=$(( EVENTS / 50 ))
cd "$DIR"
echo "writing $EVENTS $FORMAT events of $USERS users to $DIR/events.jsonl" >&2
# Event i belongs to user i % USERS; the first USERS events are the signups,
# so each user's signup is their earliest event. Three seconds apart.
NAME="case when i < $USERS then 'user signed up'
         else (['page created', 'page viewed', 'page shared', 'comment added', 'page co-edited', 'search'])[(i % 6) + 1] end"
TIME="strftime(timestamp '2024-01-01' + to_seconds(i * 3), '%Y-%m-%dT%H:%M:%S.%fZ')"
case "$FORMAT" in
  posthog)
    SELECT="'evt-' || i as uuid, $NAME as event, 'user-' || (i % $USERS) as distinct_id, $TIME as timestamp,
            {'\$groups': {'workspace': 'ws-' || ((i % $USERS) // 4)}, 'utm_source': 'google'} as properties"
    SOURCES='workspace = "groups.workspace"
channel = "properties.utm_source"' ;;
  segment)
    SELECT="'track' as type, 'msg-' || i as messageId, $NAME as event, 'user-' || (i % $USERS) as userId, $TIME as timestamp,
            {'groupId': 'ws-' || ((i % $USERS) // 4), 'campaign': {'source': 'google'}} as context, {'path': '/p/' || (i % 1000)} as properties"
    SOURCES='workspace = "groups.groupId"
channel = "event.context.campaign.source"' ;;
  *) echo "bench/connectors.sh: format must be posthog or segment, not '$FORMAT'" >&2; exit 2 ;;
esac
"$DUCKDB" -c "copy (select $SELECT from range($EVENTS) as t(i)) to 'events.jsonl' (format json)"
cat > northstar.toml <<TOML
[mapping]
$SOURCES

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
echo "load before: $(uptime)"
rm -f w.duckdb
NORTHSTAR_TIMINGS=1 /usr/bin/time -f "ingest: wall %e s, CPU %U s user + %S s system, peak RSS %M KiB" "$BIN" ingest --from "$FORMAT" events.jsonl \
    --config northstar.toml --warehouse w.duckdb 2> ingest.log || { cat ingest.log >&2; exit 1; }
grep -v "^timing: counting rows" ingest.log
echo "load after: $(uptime)"
# Appending the same export again: every row skipped by its id.
/usr/bin/time -f "append of the same file: wall %e s, CPU %U s user + %S s system, peak RSS %M KiB" "$BIN" ingest --from "$FORMAT" events.jsonl \
    --config northstar.toml --warehouse w.duckdb --append 2>&1 | tail -2
echo "load after: $(uptime)"
# The floor: DuckDB parsing the same file with read_json (every line, the
# nested fields extracted), nothing else.
/usr/bin/time -f "floor, DuckDB CLI read_json of the file into a table: wall %e s, CPU %U s user + %S s system, peak RSS %M KiB" "$DUCKDB" -c \
    "create table t as select * from read_json('events.jsonl', format = 'newline_delimited'); select count(*) from t" > /dev/null
[ -n "${BENCH_DIR:-}" ] || rm -rf "$DIR"
