#!/usr/bin/env bash
# Soak of the test suite itself: `make test` (as CI runs it) N times in a row while the machine is loaded,
# counting the rounds that fail. A suite whose tests depend on wall-clock speed fails here
# sooner or later; the answer is an injected clock (tests/virtual_time.py) or an event to
# wait for, never a longer sleep.
#
#   bench/soak_suite.sh                 # 20 rounds, loaded by two busy loops
#   bench/soak_suite.sh 5 bench         # 5 rounds, loaded by `make bench` run over and over
#   bench/soak_suite.sh 3 none          # 3 rounds, no added load
#
# Arguments: ROUNDS (default 20) and LOAD: "busy" (default: one busy loop per core),
# "bench" (`make bench` in a loop beside the suite) or "none". Environment: QMT_SOAK_LOGS,
# the folder for each round's log (default build/soak_suite); PYTEST_ARGS, extra pytest
# arguments (for example "-x" or "tests/translate"). The corpus is required, as in CI.
# Exit status: 0 when every round passed, 1 otherwise. Not run by `make test` (it runs it).
set -uo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-20}
load=${2:-busy}
logs=${QMT_SOAK_LOGS:-build/soak_suite}
mkdir -p "$logs"
make --quiet setup

loaders=()
stop_load() {
  for pid in "${loaders[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap stop_load EXIT

# Each loader runs in its own process group (set -m), so stopping it stops its children.
set -m
case "$load" in
  busy)
    for _ in $(seq "$(nproc)"); do
      ( while :; do :; done ) &
      loaders+=("$!")
    done ;;
  bench)
    ( while :; do make --quiet bench >"$logs/bench.log" 2>&1; done ) &
    loaders+=("$!") ;;
  none) ;;
  *) echo "soak_suite: LOAD must be busy, bench or none, not '$load'" >&2; exit 2 ;;
esac
set +m

failed=0
TIMEFORMAT="%0R s wall, %0U s user + %0S s system CPU"
for round in $(seq "$rounds"); do
  log="$logs/round-$round.log"
  if { time QMT_REQUIRE_SHARED=1 make --quiet test PYTEST_ARGS="${PYTEST_ARGS:-}" >"$log" 2>&1; } 2>"$log.time"; then
    status=passed
  else
    status=FAILED
    failed=$((failed + 1))
  fi
  summary=$(grep -E "[0-9]+ (passed|failed|error)" "$log" | tail -n 1)
  echo "round $round/$rounds: $status, $(cat "$log.time"), load $(cut -d' ' -f1 /proc/loadavg): $summary"
  if [ "$status" = FAILED ]; then grep -E "^(FAILED|ERROR) " "$log" | sed 's/^/    /'; fi
done

echo "soak_suite: $failed of $rounds rounds failed (load: $load; logs in $logs)"
[ "$failed" -eq 0 ]
