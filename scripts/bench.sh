#!/usr/bin/env bash
# make bench: micro-benchmarks, end-to-end runs against the loopback simulators, ccxt on the same work,
# cache update -> remote subscriber fan-out, the engine's RSS after BENCH_RSS_MINUTES of feed, perf profiles; then
# writes docs/performance.md.
# The simulators run on CPU 0 and every measured client on CPU 1 (taskset).
set -euo pipefail

build=${BUILD_DIR:-build}
reps=${BENCH_REPETITIONS:-10}          # Google Benchmark repetitions
runs=${BENCH_RUNS:-5}                  # repeated end-to-end runs
requests=${BENCH_REQUESTS:-50}         # option-chain fetches per run
seconds=${BENCH_SECONDS:-5}            # length of one streaming measurement
rss_minutes=${BENCH_RSS_MINUTES:-10}
rss_rate=${BENCH_RSS_RATE:-1000}       # Binance frames per second fed to the engine for the RSS figure
wan_rtt_ms=${BENCH_WAN_RTT_MS:-20}     # the WAN profile's link: round trip and rate (derivcache-sim --link-*)
wan_mbps=${BENCH_WAN_MBPS:-100}
wan_requests=${BENCH_WAN_REQUESTS:-20} # option-chain fetches per run on that link
fanout_updates=${BENCH_FANOUT_UPDATES:-50}          # timed cache updates per fan-out profile (after 5 warm-up ones)
fanout_interval_ms=${BENCH_FANOUT_INTERVAL_MS:-100} # between two updates, so that they do not overlap
report=${BENCH_REPORT:-docs/performance.md}
backfill_rows=${BENCH_BACKFILL_ROWS:-10000000}   # options_chain rows of the generated gzip file
backfill_runs=${BENCH_BACKFILL_RUNS:-3}
sim_cpu=0 client_cpu=1

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$build/bench-results"
rm -rf "$out" && mkdir -p "$out"
ca="$root/$build/certs/ca.pem"
started=$(date +%s)
cat /proc/loadavg >"$out/load.start"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# ccxt, pinned in bench/peers/package-lock.json: installed on first use or when the lock file changed.
if [[ ! -f bench/peers/node_modules/.package-lock.json || bench/peers/package-lock.json -nt bench/peers/node_modules/.package-lock.json ]]; then
  echo "== npm ci (bench/peers)"
  (cd bench/peers && npm ci --no-audit --no-fund --loglevel=error)
fi

pin_client() { taskset -c "$client_cpu" "$@"; }

start_sim() {  # start_sim NAME ARGS...: prints nothing, sets sim_out
  local name=$1; shift
  taskset -c "$sim_cpu" "$build/sim/derivcache-sim" "$@" >"$out/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "listening" "$out/$name.out" && break
    sleep 0.1
  done
}
port_of() { sed -n "s/^$2listening on 127.0.0.1:\([0-9]*\)$/\1/p" "$out/$1.out"; }

echo "== micro-benchmarks ($reps repetitions, CPU $client_cpu)"
pin_client "$build/bench/bench_micro" --benchmark_repetitions="$reps" --benchmark_display_aggregates_only=true \
  --benchmark_out="$out/micro.json" --benchmark_out_format=json

# derivcache backfill over a generated day of Tardis files (kept in $build/bench-data: generating takes minutes).
echo "== backfill: $backfill_rows options_chain rows (gzip), $backfill_runs runs (CPU $client_cpu)"
bf_data="$build/bench-data"
mkdir -p "$bf_data"
bf_options="$bf_data/options_chain_$backfill_rows.csv.gz"
bf_futures="$bf_data/derivative_ticker_$backfill_rows.csv"
if [[ ! -f "$bf_options" || ! -f "$bf_futures" ]]; then
  "$build/bench/bench_tardis_gen" --rows "$backfill_rows" --options-chain "$bf_options.part" \
    --derivative-ticker "$bf_futures"
  mv "$bf_options.part" "$bf_options"
fi
ls -l "$bf_options" "$bf_futures" >"$out/backfill.files"
for i in $(seq "$backfill_runs"); do
  pin_client "$build/apps/derivcache" backfill --options-chain "$bf_options" --derivative-ticker "$bf_futures" \
    --every 5min --out /dev/null 2>"$out/backfill.$i.txt"
done

echo "== simulators on CPU $sim_cpu"
start_sim sim --port 0 --binance-port 0 --binance-symbols BTCUSDT --binance-ping-ms 60000
deribit_port=$(port_of sim "")
binance_port=$(port_of sim "binance ")
[[ -n "$deribit_port" && -n "$binance_port" ]] || { echo "bench: simulators did not start"; cat "$out/sim.out"; exit 1; }

export NODE_EXTRA_CA_CERTS="$ca"
for i in $(seq "$runs"); do
  echo "== end-to-end run $i/$runs (clients on CPU $client_cpu)"
  pin_client "$build/bench/bench_net" chain --port "$deribit_port" --ca "$ca" --runs "$requests" >"$out/chain.$i.json"
  pin_client node bench/peers/ccxt_bench.mjs chain --port "$deribit_port" --runs "$requests" >"$out/ccxt_chain.$i.json"
  pin_client "$build/bench/bench_net" ingest --port "$binance_port" --ca "$ca" --seconds "$seconds" >"$out/ingest.$i.json"
  pin_client "$build/bench/bench_net" raw --port "$binance_port" --ca "$ca" --seconds "$seconds" >"$out/raw.$i.json"
  pin_client node bench/peers/ccxt_bench.mjs trades --port "$binance_port" --seconds "$seconds" >"$out/ccxt_trades.$i.json"
  pin_client "$build/bench/bench_net" refresh --port "$deribit_port" --ca "$ca" --runs 20 >"$out/refresh.$i.json"
done

echo "== WAN profile: a simulator with a ${wan_rtt_ms} ms round trip and ${wan_mbps} Mbit/s"
start_sim wan-sim --port 0 --link-rtt-ms "$wan_rtt_ms" --link-mbps "$wan_mbps"
wan_port=$(port_of wan-sim "")
[[ -n "$wan_port" ]] || { echo "bench: the WAN simulator did not start"; cat "$out/wan-sim.out"; exit 1; }
wan_url="https://127.0.0.1:$wan_port/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=option"
for i in $(seq "$runs"); do
  echo "== WAN run $i/$runs"
  pin_client "$build/bench/bench_net" chain --port "$wan_port" --ca "$ca" --runs "$wan_requests" >"$out/wan_chain.$i.json"
  pin_client node bench/peers/ccxt_bench.mjs chain --port "$wan_port" --runs "$wan_requests" >"$out/wan_ccxt_chain.$i.json"
  # The floor: curl --compressed on one keep-alive connection, transfer only (3 warm-up fetches, as the others).
  urls=(); for _ in $(seq $(( wan_requests + 3 ))); do urls+=(-o /dev/null "$wan_url"); done   # -o: per URL
  pin_client curl -sS --compressed --cacert "$ca" -w '%{time_total}\n' "${urls[@]}" \
    | tail -n +4 | awk 'BEGIN{printf "{\"mode\":\"curl\",\"transfer_us\":["} {printf "%s%.1f", (NR>1?",":""), $1*1e6} END{print "]}"}' \
    >"$out/wan_curl.$i.json"
done

echo "== fan-out: cache update -> remote subscribers (publisher on CPU $sim_cpu, subscribers on CPU $client_cpu)"
fanout() {  # fanout NAME PROCESSES SUBSCRIBERS_PER_PROCESS: one publisher, PROCESSES subscriber processes, bounded
  local name=$1 procs=$2 per=$3 port="" subs=() failed=0
  local limit=$(( 30 + (fanout_updates + 5) * fanout_interval_ms / 1000 ))   # seconds, each side's own timeout
  local common=(--updates "$fanout_updates" --warmup 5 --timeout-s "$limit")
  taskset -c "$sim_cpu" timeout $(( limit + 30 )) "$build/bench/bench_fanout" publish --subscribers $(( procs * per )) \
    --interval-ms "$fanout_interval_ms" "${common[@]}" >"$out/${name}_publisher.json" 2>"$out/${name}_publisher.err" &
  local pub=$!
  pids+=("$pub")
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out/${name}_publisher.err")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "bench: the fan-out publisher did not start"; cat "$out/${name}_publisher.err"; exit 1; }
  for i in $(seq "$procs"); do
    pin_client timeout $(( limit + 30 )) "$build/bench/bench_fanout" subscribe --port "$port" --subscribers "$per" \
      "${common[@]}" >"$out/$name.$i.json" 2>>"$out/$name.err" &
    subs+=($!)
  done
  for p in "${subs[@]}"; do wait "$p" || failed=1; done
  wait "$pub" || failed=1
  # Not fatal: the report counts the processes that did not get every update.
  (( failed == 0 )) || { echo "bench: fan-out $name incomplete"; cat "$out/$name.err" "$out/${name}_publisher.err"; }
}
fanout fanout_a 4 25     # 100 subscribers in 4 processes
fanout fanout_b 100 1    # 100 single-subscriber processes

echo "== profiles (perf)"
profile() {  # profile PERF_DATA: self time by shared object, then the top symbols
  perf report -i "$1" --stdio --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8 || true
  echo
  perf report -i "$1" --stdio --no-children --sort dso,sym -g none --percent-limit 1 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | head -20 || true
}
if command -v perf >/dev/null && perf record -o "$out/perf.check" true >/dev/null 2>&1; then
  pin_client perf record -g -o "$out/perf.chain.data" "$build/bench/bench_micro" \
    --benchmark_filter=BM_DecodeChainAndSkew --benchmark_min_time=3 >/dev/null 2>&1
  profile "$out/perf.chain.data" >"$out/profile.chain.txt"
  pin_client perf record -g -o "$out/perf.ingest.data" "$build/bench/bench_net" ingest --port "$binance_port" \
    --ca "$ca" --seconds "$seconds" >/dev/null 2>&1
  profile "$out/perf.ingest.data" >"$out/profile.ingest.txt"
else
  echo "perf is not usable here (perf_event_paranoid?); no profiles" | tee "$out/profile.chain.txt" >"$out/profile.ingest.txt"
fi

echo "== RSS: derivcache run, BTC+ETH+SOL every 10 s, BTCUSDT at $rss_rate frames/s, for $rss_minutes min"
start_sim rss-sim --port 0 --binance-port 0 --binance-symbols BTCUSDT --binance-rate "$rss_rate"
rss_deribit=$(port_of rss-sim "")
rss_binance=$(port_of rss-sim "binance ")
taskset -c "$client_cpu" "$build/apps/derivcache" run --config-file=config/live.ini \
  --deribit.url="https://127.0.0.1:$rss_deribit" --deribit.ca-file="$ca" --deribit.interval=10s \
  --binance.url="wss://127.0.0.1:$rss_binance" --binance.ca-file="$ca" --log.level=warn >"$out/rss-engine.out" 2>&1 &
engine=$!
pids+=("$engine")
{
  echo "seconds vm_rss_kb vm_hwm_kb"
  end=$(( $(date +%s) + $(awk "BEGIN{print int($rss_minutes * 60)}") ))
  t0=$(date +%s)
  while (( $(date +%s) < end )); do
    sleep "$(( end - $(date +%s) < 10 ? end - $(date +%s) : 10 ))"
    kill -0 "$engine" 2>/dev/null || { echo "engine exited"; break; }
    rss=$(awk '/^VmRSS/{print $2}' "/proc/$engine/status")
    hwm=$(awk '/^VmHWM/{print $2}' "/proc/$engine/status")
    echo "$(( $(date +%s) - t0 )) $rss $hwm"
  done
} >"$out/rss.txt"
kill -INT "$engine" 2>/dev/null && wait "$engine" 2>/dev/null || true

echo "== report"
cat /proc/loadavg >"$out/load.end"
node bench/report.mjs --results "$out" --out "$report" --seconds $(( $(date +%s) - started )) \
  --reps "$reps" --runs "$runs" --requests "$requests" --stream-seconds "$seconds" \
  --rss-minutes "$rss_minutes" --rss-rate "$rss_rate" --wan-rtt-ms "$wan_rtt_ms" --wan-mbps "$wan_mbps" \
  --wan-requests "$wan_requests" --fanout-updates "$fanout_updates" --fanout-interval-ms "$fanout_interval_ms"
echo "== wrote $report"
