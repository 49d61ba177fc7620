#!/usr/bin/env bash
# make demo: the whole engine on loopback against the Deribit and Binance simulators, for about a minute
# (DEMO_FOREVER=1: until Ctrl-C). Shows the log (per currency and cycle the derivatives line and the volatility
# line), a supervisor restart after an injected 429, snapshots, and at the end the BTC cache as
# `derivcache-inspect cache` prints it.
set -euo pipefail

build=${BUILD_DIR:-build}
seconds=${DEMO_SECONDS:-60}
work=$(mktemp -d)
sim_pid="" engine_pid=""
cleanup() {
  [[ -n "$engine_pid" ]] && kill -INT "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null || true
  [[ -n "$sim_pid" ]] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$build/sim/derivcache-sim" --port 0 --binance-port 0 --binance-rate 50 >"$work/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "^binance listening" "$work/sim.out" && grep -q "^listening" "$work/sim.out" && break
  sleep 0.1
done
deribit_port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/sim.out")
binance_port=$(sed -n 's/^binance listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/sim.out")
[[ -n "$deribit_port" && -n "$binance_port" ]] || { echo "demo: simulators did not start:"; cat "$work/sim.out"; exit 1; }
echo "== simulators: Deribit https://127.0.0.1:$deribit_port, Binance wss://127.0.0.1:$binance_port (test CA $build/certs/ca.pem)"

snapshots="$work/demo-snapshots.jsonl"
# The log goes to the terminal and to a file, where the introspection port is read from.
"$build/apps/derivcache" run --config-file=config/demo.ini \
  --deribit.url="https://127.0.0.1:$deribit_port" --deribit.ca-file="$build/certs/ca.pem" \
  --binance.url="wss://127.0.0.1:$binance_port" --binance.ca-file="$build/certs/ca.pem" \
  --snapshots.path="$snapshots" 2> >(tee "$work/engine.log" >&2) &
engine_pid=$!

inject_429() {
  # The simulator's control endpoint (loopback only): the next book-summary request gets HTTP 429.
  curl -sS --cacert "$build/certs/ca.pem" \
    "https://127.0.0.1:$deribit_port/_sim/fault?kind=429&count=1&method=get_book_summary" >/dev/null
  echo "== injected: HTTP 429 on the next Deribit request; watch the supervisor restart the fetcher"
}

if [[ "${DEMO_FOREVER:-0}" == 1 ]]; then
  sleep 15 && inject_429
  echo "== running until Ctrl-C"
  wait "$engine_pid"
  exit 0
fi

sleep 15
inject_429
sleep $((seconds - 15))
echo "== the last snapshots ($snapshots), one JSON object per line:"
tail -n 3 "$snapshots"
introspection_port=$(sed -n 's/.*introspection listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/engine.log" | head -n 1)
echo "== derivcache-inspect 127.0.0.1 $introspection_port cache --currency BTC"
"$build/apps/derivcache-inspect" 127.0.0.1 "$introspection_port" cache --currency BTC || true
echo "== stopping"
