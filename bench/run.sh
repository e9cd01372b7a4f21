#!/usr/bin/env bash
# Benchmarks of northstar (goals P1..P6: bench/GOALS.md): builds in release, measures
# whole-process wall time and peak RSS (median of several runs, /usr/bin/time)
# and writes BENCHMARKS.md at the repository root.
#
#   bench/run.sh              # 50k, 100k, 1M users + generate/query/report/charts alone
#   bench/run.sh --full       # also the 10M-user run (once; ~15-25 min, ~6 GB of disk)
#   bench/run.sh --quick      # 50k and 100k only, 3 runs each (a smoke check, no 1M)
#
# Options: --runs N (runs per small workload, default 5), --out FILE
# (default BENCHMARKS.md), --keep (keep the scratch directory).
# Environment: CARGO_TARGET_DIR (default $HOME/.cache/northstar/target),
# BENCH_DIR (scratch directory, default a fresh one under ${TMPDIR:-/tmp}).
#
# The hand-written reading (profile, where time goes, P1..P5 reasons) lives in
# bench/analysis.md and is copied into BENCHMARKS.md below the measured tables.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/northstar/target}
FULL=0
QUICK=0
RUNS=5
KEEP=0
OUT=$ROOT/BENCHMARKS.md
while [ $# -gt 0 ]; do
    case $1 in
        --full) FULL=1 ;;
        --quick) QUICK=1 ;;
        --runs) RUNS=$2; shift ;;
        --out) OUT=$2; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ "$QUICK" = 1 ] && RUNS=3
BIG_RUNS=$(( RUNS < 3 ? RUNS : 3 ))

if [ ! -x /usr/bin/time ]; then
    echo "bench/run.sh: needs GNU time (/usr/bin/time; Debian: apt-get install time)" >&2
    exit 2
fi

echo "== building (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
(cd "$ROOT" && cargo build --release --quiet)
WORK=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/northstar-bench.XXXXXX")}
mkdir -p "$WORK"
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
# A private copy: another build into the shared target dir must not swap the
# binary under a running benchmark.
cp "$CARGO_TARGET_DIR/release/northstar" ./northstar
BIN=$WORK/northstar

# A SQL reader for meta.query_runs: the DuckDB CLI or Python duckdb if present
# (the warehouse is storage v1.1.0, so any DuckDB >= 1.1 opens it).
DUCKDB_CLI=$(command -v duckdb || true)
[ -z "$DUCKDB_CLI" ] && [ -x "$HOME/.cache/northstar/venv/bin/duckdb" ] && DUCKDB_CLI=$HOME/.cache/northstar/venv/bin/duckdb
PYTHON_DUCKDB=
if [ -z "$DUCKDB_CLI" ]; then
    for py in "$HOME/.cache/northstar/venv/bin/python3" python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import duckdb' 2>/dev/null; then
            PYTHON_DUCKDB=$py; break
        fi
    done
fi
sql_csv() { # sql_csv FILE SQL -> CSV without header on stdout
    if [ -n "$DUCKDB_CLI" ]; then
        "$DUCKDB_CLI" -readonly -csv -noheader "$1" "$2"
    elif [ -n "$PYTHON_DUCKDB" ]; then
        "$PYTHON_DUCKDB" -c 'import sys, duckdb
c = duckdb.connect(sys.argv[1], read_only=True)
for r in c.execute(sys.argv[2]).fetchall(): print(",".join(str(v) for v in r))' "$1" "$2"
    else
        return 1
    fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ROWS=()
LOAD_NOTES=()
# measure LABEL RUNS SETUP -- COMMAND...: runs SETUP (a shell snippet, untimed)
# then COMMAND, RUNS times; records median wall (s) and peak RSS (MiB).
# Sets LAST_WALL, LAST_RSS_MIB and LAST_STDOUT (stdout+stderr of the last run).
measure() {
    local label=$1 runs=$2 setup=$3; shift 4
    local walls=() rsss=() i
    for ((i = 1; i <= runs; i++)); do
        eval "$setup"
        local load
        load=$(cut -d' ' -f1 /proc/loadavg)
        if ! /usr/bin/time -f '%e %M' -o time.out "$@" > stdout.out 2> stderr.out; then
            echo "bench/run.sh: '$*' failed:" >&2
            cat stderr.out >&2
            exit 1
        fi
        read -r wall rss < <(tail -1 time.out)
        walls+=("$wall"); rsss+=("$rss")
        echo "   $label run $i/$runs: ${wall}s, $((rss / 1024)) MiB (load before: $load)" >&2
    done
    LAST_WALL=$(printf '%s\n' "${walls[@]}" | median)
    LAST_RSS_MIB=$(printf '%s\n' "${rsss[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')
    LAST_STDOUT=$(cat stdout.out stderr.out)
    local spread
    spread=$(printf '%s\n' "${walls[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }')
    ROWS+=("| $label | $runs | $LAST_WALL | $spread | $LAST_RSS_MIB |")
}

events_in() { # events of a warehouse, from the summary line of the last command
    { grep -o '[0-9]* events' <<<"$LAST_STDOUT" || true; } | head -1 | cut -d' ' -f1
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date -u '+%Y-%m-%d %H:%M UTC')
declare -A RUN_WALL RUN_RSS RUN_EVENTS

bench_run() { # bench_run USERS LABEL RUNS
    local users=$1 label=$2 runs=$3
    echo "== northstar run, $label users" >&2
    measure "\`run\` $label users" "$runs" "rm -rf w$label.duckdb reports" -- \
        "$BIN" run --users "$users" --warehouse "w$label.duckdb"
    RUN_WALL[$label]=$LAST_WALL
    RUN_RSS[$label]=$LAST_RSS_MIB
    RUN_EVENTS[$label]=$(events_in)
}

# Per-query times of the \`run\` at the largest size, from meta.query_runs;
# read right after that run (a later \`query\` alone overwrites them).
QUERY_TABLE=
STAGES=
QUERY_SOURCE="no DuckDB CLI or Python duckdb found to read meta.query_runs; install one (.ci/run puts both in \$HOME/.cache/northstar/venv)"
capture_query_runs() { # capture_query_runs LABEL
    local qr
    if qr=$(sql_csv "w$1.duckdb" "select query_name, row_count, elapsed_ms from meta.query_runs order by elapsed_ms desc, query_name" 2>/dev/null); then
        QUERY_TABLE=$(awk -F, '{ total += $3; rows[NR] = $0 } END {
            for (i = 1; i <= NR; i++) { split(rows[i], f, ","); printf "| %s | %s | %s | %.1f%% |\n", f[1], f[2], f[3], total ? 100 * f[3] / total : 0 }
            printf "| **total** | | %d | 100%% |\n", total }' <<<"$qr")
        QUERY_SOURCE="meta.query_runs of the last \`run\` at $1 users"
        STAGES=$(sql_csv "w$1.duckdb" "select generate_ms, query_ms, check_ms from meta.pipeline_runs where command = 'run' order by run_id desc limit 1" 2>/dev/null || true)
    fi
}

bench_run 50000 50k "$RUNS"
bench_run 100000 100k "$RUNS"
BIG=1M
if [ "$QUICK" = 1 ]; then BIG=100k; capture_query_runs 100k; fi

stage_bench() { # stage_bench LABEL WAREHOUSE RUNS: generate, query, report, charts alone
    local label=$1 wh=$2 runs=$3
    echo "== stages alone, $label users" >&2
    measure "\`generate\` $label users" "$runs" "rm -rf g$label.duckdb" -- \
        "$BIN" generate --users "${USERS[$label]}" --warehouse "g$label.duckdb"
    GEN_WALL[$label]=$LAST_WALL
    GEN_EVENTS[$label]=$(events_in)
    measure "\`query\` $label users" "$runs" ":" -- "$BIN" --quiet query --warehouse "$wh"
    QUERY_WALL[$label]=$LAST_WALL
    measure "\`report\` $label users" "$runs" ":" -- "$BIN" --quiet report --warehouse "$wh" --out "rep$label"
    measure "\`charts\` $label users" "$runs" ":" -- "$BIN" --quiet charts --warehouse "$wh" --out "rep$label"
}
declare -A USERS=([50k]=50000 [100k]=100000 [1M]=1000000) GEN_WALL GEN_EVENTS QUERY_WALL
stage_bench 50k w50k.duckdb "$RUNS"

if [ "$QUICK" = 0 ]; then
    bench_run 1000000 1M "$BIG_RUNS"
    capture_query_runs 1M
    stage_bench 1M w1M.duckdb "$BIG_RUNS"
fi
if [ "$FULL" = 1 ]; then
    bench_run 10000000 10M 1
    rm -f w10M.duckdb
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- targets ---------------------------------------------------------------
status_le() { # status_le VALUE LIMIT UNIT
    awk -v v="$1" -v l="$2" -v u="$3" 'BEGIN { if (v == "" || v == "nan") print "not measured";
        else if (v + 0 <= l + 0) printf "**met** (%s%s <= %s%s)", v, u, l, u;
        else printf "**not met**: %s%s, %.0f%% over %s%s", v, u, 100 * (v - l) / l, l, u }'
}
P1=$(status_le "${RUN_WALL[50k]}" 3 " s")
if [ "$QUICK" = 0 ]; then
    EPS=$(awk -v e="${GEN_EVENTS[1M]}" -v t="${GEN_WALL[1M]}" 'BEGIN { printf "%.2f", e / t / 1e6 }')
    GEN_LABEL="1M"
else
    EPS=$(awk -v e="${GEN_EVENTS[50k]}" -v t="${GEN_WALL[50k]}" 'BEGIN { printf "%.2f", e / t / 1e6 }')
    GEN_LABEL="50k"
fi
P2=$(awk -v v="$EPS" -v g="$GEN_LABEL" 'BEGIN { if (v + 0 >= 5) printf "**met** (%s M events/s at %s users, whole process)", v, g;
    else printf "**not met**: %s M events/s at %s users (whole process), %.0f%% short of 5", v, g, 100 * (5 - v) / 5 }')
if [ "$QUICK" = 0 ]; then
    P3=$(awk -v t="${RUN_WALL[1M]}" -v r="${RUN_RSS[1M]}" 'BEGIN {
        s = (t <= 60) ? "wall **met**" : sprintf("wall **not met** (%.0f%% over)", 100 * (t - 60) / 60);
        m = (r <= 2048) ? "RSS **met**" : sprintf("RSS **not met** (%.0f%% over)", 100 * (r - 2048) / 2048);
        printf "%s s, %s MiB: %s, %s", t, r, s, m }')
    P5=$(awk -v a="${RUN_WALL[1M]}" -v b="${RUN_WALL[100k]}" -v qa="${QUERY_WALL[1M]}" -v qb="${QUERY_WALL[50k]}" 'BEGIN {
        r = a / b; printf "time(1M)/time(100k) = %.1f: %s (query stage alone: 1M/50k = %.1f for 20x the users)", r, (r <= 12) ? "**met**" : "**not met**", qa / qb }')
else
    P3="not measured (--quick)"; P5="not measured (--quick)"
fi
if [ "$FULL" = 1 ]; then
    P4=$(awk -v t="${RUN_WALL[10M]}" -v r="${RUN_RSS[10M]}" 'BEGIN {
        printf "%s s (%.1f min), %s MiB: wall %s, RSS %s", t, t / 60, r, (t <= 900) ? "**met**" : "**not met**", (r <= 8192) ? "**met**" : "**not met**" }')
else
    P4="not measured by this invocation (\`bench/run.sh --full\`); see the 10M section below"
fi

COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null | wc -l)
[ "$DIRTY" != 0 ] && COMMIT="$COMMIT + $DIRTY modified files"
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
CORES=$(nproc)
MEM=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

{
    echo "# Benchmarks"
    echo
    echo "Written by \`bench/run.sh$([ "$FULL" = 1 ] && echo ' --full')$([ "$QUICK" = 1 ] && echo ' --quick')\` on $START. Goals: \`bench/GOALS.md\`."
    echo
    echo "- machine: $CORES cores ($CPU), $MEM memory, $(uname -sr)"
    echo "- commit: $COMMIT; release build; DuckDB bundled with the \`duckdb\` crate"
    echo "- load average (1, 5, 15 min) at start: $LOAD_START; at end: $LOAD_END"
    echo
    echo "Figures are whole-process (\`/usr/bin/time\`): wall seconds and peak RSS,"
    echo "median of the runs shown. On a small shared machine, absolute seconds move"
    echo "with whatever else runs (another CI job can take a core); read them as"
    echo "ratios between rows of one table, and mind the load average above."
    echo
    echo "| workload | runs | wall s (median) | wall s (min-max) | peak RSS MiB |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Events: 50k users ${RUN_EVENTS[50k]:-?}, 100k ${RUN_EVENTS[100k]:-?}$([ "$QUICK" = 0 ] && echo ", 1M ${RUN_EVENTS[1M]:-?}")$([ "$FULL" = 1 ] && echo ", 10M ${RUN_EVENTS[10M]:-?}")."
    echo "Generator throughput (\`generate\` alone, whole process incl. start-up and"
    echo "the final checkpoint): $EPS M events/s at $GEN_LABEL users."
    if [ -n "$STAGES" ]; then
        IFS=, read -r g q c <<<"$STAGES"
        echo "Stages of the last \`run\` at $BIG users (meta.pipeline_runs): generate $g ms, query stage $q ms wall (query files and checks side by side; the checks alone summed to $c ms)."
    fi
    echo
    echo "## Targets"
    echo
    echo "| # | goal | status |"
    echo "| --- | --- | --- |"
    echo "| P1 | \`run\` 50k users <= 3 s | $P1 |"
    echo "| P2 | generator >= 5 M events/s | $P2 |"
    echo "| P3 | \`run\` 1M users <= 60 s, <= 2 GiB | $P3 |"
    echo "| P4 | \`run\` 10M users <= 15 min, <= 8 GiB | $P4 |"
    echo "| P5 | time(1M)/time(100k) <= 12 | $P5 |"
    echo
    echo "## Per-query times at $BIG users"
    echo
    echo "From $QUERY_SOURCE, slowest first."
    echo
    if [ -n "$QUERY_TABLE" ]; then
        echo "| query | rows | ms | share |"
        echo "| --- | ---: | ---: | ---: |"
        echo "$QUERY_TABLE"
    fi
    echo
    if [ -f "$ROOT/bench/analysis.md" ]; then
        cat "$ROOT/bench/analysis.md"
    fi
} > "$OUT"
echo "== wrote $OUT" >&2
