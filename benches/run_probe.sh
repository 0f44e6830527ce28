#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: builds the examples in release
# mode, generates the input once, starts the null HEC receiver, runs every
# probe mode, appends each JSON line to docs/bench/results.jsonl and draws
# the charts. Takes about 10 minutes on 2 cores (the 1M-alert run and the
# 10,000-tenant cycle are the long ones).
#
#   benches/run_probe.sh            # everything
#   QUICK=1 benches/run_probe.sh    # skip the 1M-alert and batch-sweep runs
#
# Environment: CARGO_TARGET_DIR (default ./target), PROBE_TMP (where the
# inputs go, default /tmp/defender-siem-probe; never the repository),
# PORT (receiver port, default 18088), RESULTS (default
# docs/bench/results.jsonl; a new run replaces it).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/examples"
WORK="${PROBE_TMP:-/tmp/defender-siem-probe}"
PORT="${PORT:-18088}"
RESULTS="${RESULTS:-docs/bench/results.jsonl}"
URL="http://127.0.0.1:$PORT"
mkdir -p "$WORK" "$(dirname "$RESULTS")"
: > "$RESULTS"

step() { printf '\n=== %s ===\n' "$*" >&2; }

step "build (release)"
cargo build --release --example pipeline_probe --example hec_null_receiver --example bench_chart

# probe TAG ARGS...: one run, its JSON line tagged and appended.
probe() {
    local tag="$1"
    shift
    local line
    line="$("$BIN/pipeline_probe" --tag "$tag" "$@")"
    echo "$line" | tee -a "$RESULTS"
}

# receiver [ARGS...]: starts the null receiver in the background.
RECEIVER_PID=""
receiver() {
    "$BIN/hec_null_receiver" --listen "127.0.0.1:$PORT" "$@" > "$WORK/receiver.out" 2> "$WORK/receiver.err" &
    RECEIVER_PID=$!
    for _ in $(seq 50); do
        grep -q "listening on" "$WORK/receiver.err" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "receiver did not start" >&2
    exit 1
}
# stop_receiver TAG: stops it (SIGINT) and appends its count, tagged.
stop_receiver() {
    kill -INT "$RECEIVER_PID" 2>/dev/null || true
    wait "$RECEIVER_PID" || true
    jq -c --arg tag "$1" '. + {mode: "receiver", tag: $tag}' "$WORK/receiver.out" | tee -a "$RESULTS"
}
trap '[ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null || true' EXIT

step "input (deterministic; generated once)"
SIZES=(10000 100000)
[ -z "${QUICK:-}" ] && SIZES+=(1000000)
for n in "${SIZES[@]}"; do
    [ -s "$WORK/alerts_$n.jsonl" ] || "$BIN/pipeline_probe" --generate "$n" --out "$WORK/alerts_$n.jsonl"
done
IN100K="$WORK/alerts_100000.jsonl"

step "receiver alone (pre-built bodies, 2 connections)"
receiver --expect 300000
probe receiver-load --mode receiver-load --hec-url "$URL" --alerts 300000 --batch 1000 --connections 2
stop_receiver receiver-load

receiver
step "file -> null (CPU side alone)"
probe cpu --mode file --input "$IN100K" --sink null
probe cpu --mode file --input "$IN100K" --sink null --gzip

step "file -> hec"
probe hec --mode file --input "$IN100K" --sink hec --hec-url "$URL"
probe hec --mode file --input "$IN100K" --sink hec --hec-url "$URL" --gzip

if [ -z "${QUICK:-}" ]; then
    step "batch sweep (100k alerts, no byte cap)"
    for b in 50 100 250 500 1000 2500 5000 10000; do
        probe batch-sweep --mode file --input "$IN100K" --sink hec --hec-url "$URL" \
            --batch "$b" --max-bytes 1000000000
    done
fi

step "peak RSS vs alerts"
for n in "${SIZES[@]}"; do
    probe rss-sweep --mode file --input "$WORK/alerts_$n.jsonl" --sink hec --hec-url "$URL"
done

step "simulator: the whole forwarder"
probe simulator --mode simulator --tenants 4 --alerts 25000 --sink null
probe simulator --mode simulator --tenants 4 --alerts 25000 --sink hec --hec-url "$URL"
stop_receiver hec-runs

step "checkpoints in memory vs in files (one tenant, 20k alerts, batch 500)"
probe checkpoints --mode simulator --tenants 1 --alerts 20000 --batch 500
rm -rf "$WORK/checkpoints"
probe checkpoints --mode simulator --tenants 1 --alerts 20000 --batch 500 --checkpoint-dir "$WORK/checkpoints"

step "10,000 tenants, one cycle"
probe tenants --mode tenants --tenants 10000 --alerts 5
probe tenants --mode tenants --tenants 10000 --alerts 5 --concurrency 64

step "100 concurrent fetches of one tenant"
probe tokens --mode tokens --fetches 100

step "charts"
"$BIN/bench_chart" --results "$RESULTS" --out-dir docs/bench

step "parse bench (typed vs IgnoredAny)"
cargo bench --bench parse 2>&1 | grep -E "^parse_|thrpt" >&2 || true
