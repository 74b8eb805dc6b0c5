#!/usr/bin/env bash
# Builds the libFuzzer harness and fuzzes every target for a bounded time.
# Usage: Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#        SILLAGE_FUZZ_RUNS=N Fuzz/run.sh ...   a fixed number of runs from seed 1 (deterministic, for CI)
# Prints, per target, the executions run and the crashes found; exits 1 on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(combined nginx caddy-json w3c haproxy alb openedx-tracking xapi xapi-document moodle-logstore moodle-report course-catalogue json-tape gzip url pii-scanner)
fi
work=${SILLAGE_FUZZ_DIR:-.build/fuzz}
mkdir -p "$work"
binary="$work/sillage-fuzzer"
if [ ! -x "$binary" ] || [ -n "$(find Sources Fuzz -newer "$binary" -name '*.swift' | head -1)" ]; then
  echo "building $binary" >&2
  # The library's layers are compiled as one module with the harness (libFuzzer links one
  # object set); their imports of one another are dropped from the copies.
  flat="$work/sources"; rm -rf "$flat"; mkdir -p "$flat"
  for f in $(find Sources -path Sources/SillageCLI -prune -o -name '*.swift' -print | sort); do
    sed -E '/^(@testable |@_spi\([A-Za-z]+\) )?import Sillage[A-Za-z]*$/d' "$f" > "$flat/$(echo "${f#Sources/}" | tr / _)"
  done
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name SillageFuzz -package-name sillage \
    -I Sources/CSQLite -I Sources/CZlib \
    $(find "$flat" -name '*.swift' | sort) Fuzz/SillageFuzzer.swift \
    -lsqlite3 -lz -o "$binary" 2> "$work/build.log" || { cat "$work/build.log" >&2; exit 2; }
fi
# Seeds: the project's sample logs, one small file per format.
seed() {
  local dir="$work/corpus-$1"; mkdir -p "$dir"
  case "$1" in
    combined) head -c 4000 SampleLogs/web/access.log > "$dir/seed" ;;
    nginx) printf '2026-03-29T10:00:00+02:00 192.0.2.1 "GET /my/ HTTP/1.1" 200 "Mozilla/5.0 (X11; Linux)"\n' > "$dir/seed" ;;
    caddy-json) cat Tests/SillageTests/VendorLogs/caddy.log > "$dir/seed" ;;
    w3c) cat Tests/SillageTests/VendorLogs/iis.log > "$dir/seed" ;;
    haproxy) cat Tests/SillageTests/VendorLogs/haproxy.log > "$dir/seed" ;;
    alb) cat Tests/SillageTests/VendorLogs/alb.log > "$dir/seed" ;;
    openedx-tracking) gzip -dc SampleLogs/lms/tracking.log.gz | head -c 4000 > "$dir/seed" ;;
    xapi|xapi-document|json-tape) gzip -dc SampleLogs/lms/orientation-statements.jsonl.gz | head -n 3 > "$dir/seed" ;;
    moodle-logstore) head -c 4000 SampleLogs/lms/logstore.csv | tail -n +2 > "$dir/seed" ;;
    moodle-report) head -c 3000 SampleLogs/lms/report.csv | tail -n +2 > "$dir/seed" ;;
    course-catalogue) tail -n +2 SampleLogs/lms/catalogue.csv > "$dir/seed" ;;
    gzip) head -c 2000 SampleLogs/web/access.log | gzip -9n > "$dir/seed" ;;
    url) printf '/mod/page/view.php?id=12&sesskey=abc123' > "$dir/seed" ;;
    pii-scanner) printf 'Atelier 06 12 34 56 78, x@example.fr, 192.0.2.1' > "$dir/seed" ;;
  esac
  echo "$dir"
}
crashes=0
for t in "${targets[@]}"; do
  corpus=$(seed "$t")
  find "$work" -maxdepth 1 \( -name "$t-crash-*" -o -name "$t-leak-*" -o -name "$t-timeout-*" \) -delete
  log="$work/$t.log"
  set +e
  if [ -n "${SILLAGE_FUZZ_RUNS:-}" ]; then budget=(-runs="$SILLAGE_FUZZ_RUNS" -seed=1); else budget=(-max_total_time="$seconds"); fi
  SILLAGE_FUZZ_TARGET=$t "$binary" "$corpus" "${budget[@]}" -max_len=65536 -rss_limit_mb=4096 \
    -artifact_prefix="$work/$t-" -print_final_stats=1 > "$log" 2>&1
  status=$?
  set -e
  runs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$log")
  found=$(find "$work" -maxdepth 1 \( -name "$t-crash-*" -o -name "$t-leak-*" -o -name "$t-timeout-*" \) | wc -l)
  printf 'fuzz %-18s %9s executions, %d crashes (exit %d)\n' "$t" "${runs:-?}" "$found" "$status"
  if [ "$found" -gt 0 ] || [ "$status" -ne 0 ]; then crashes=$((crashes + 1)); tail -30 "$log"; fi
done
[ "$crashes" -eq 0 ]
