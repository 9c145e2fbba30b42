#!/usr/bin/env bash
# The memory the Kubernetes sizes come from: each service as its own release process on
# the local PostgreSQL, resident memory idle, then the peak after the heaviest work (an
# import of ROWS briefing rows, then reports through the gateway). Prints one line per
# process; takes minutes (the import alone, about 6 minutes for 200,000 rows on 2 cores).
#   ops/bench/process-memory.sh            # ROWS=200000 PG=postgres://postgres@127.0.0.1:5432
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
BIN="$CARGO_TARGET_DIR/release/advocacy"
PG="${PG:-postgres://postgres@127.0.0.1:5432}"
ROWS="${ROWS:-200000}"
cargo build --release -q -p advocacy
D=$(mktemp -d)
declare -A PORT=([deadlines]=6101 [briefings]=6102 [submissions]=6103 [notifier]=6104 [gateway]=6105)
declare -A PID
finish() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for s in "${!PORT[@]}"; do psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS advocacy_memory_$s" || true; done
  rm -rf "$D"
}
trap finish EXIT
others() { for o in "${!PORT[@]}"; do [ "$o" != "$1" ] && printf '[services.%s]\nurl = "http://127.0.0.1:%s"\n' "$o" "${PORT[$o]}"; done; }
for s in "${!PORT[@]}"; do
  printf 'data_dir = "%s/data"\ngrpc_listen = "127.0.0.1:%s"\nhttp_listen = "127.0.0.1:%s"\ndatabase_url = "%s/advocacy_memory_{service}"\n[reminders]\ndigest_schedule = ""\n%s' \
    "$D" "${PORT[$s]}" "$(( PORT[$s] + 100 ))" "$PG" "$(others "$s")" > "$D/$s.toml"
done
for s in deadlines briefings submissions notifier gateway; do
  "$BIN" --config "$D/$s.toml" serve "$s" 2> "$D/$s.log" & PID[$s]=$!
  for _ in $(seq 1 100); do "$BIN" health --server "http://127.0.0.1:${PORT[$s]}" >/dev/null 2>&1 && break; sleep 0.2; done
done
status() { awk -v k="$2:" '$1 == k {print $2}' "/proc/${PID[$1]}/status"; }
sleep 2
for s in deadlines briefings submissions notifier gateway; do echo "idle   $s: $(status "$s" VmRSS) KiB resident"; done
python3 - "$D/briefings.csv" "$ROWS" <<'PY'
import sys
places = [("CH", "Permanent Mission of Switzerland", "permanent-mission", "Geneva", "Europe/Zurich"),
          ("KR", "Ministry of Foreign Affairs", "ministry", "Seoul", "Asia/Seoul"),
          ("EU-EEAS", "Human Rights Division", "multilateral-unit", "Brussels", "Europe/Brussels")]
with open(sys.argv[1], "w") as f:
    f.write("date,zone,city,format,actor,institution,institution_kind,themes,summary\n")
    for i in range(int(sys.argv[2])):
        a, n, k, c, z = places[i % 3]
        f.write(f'2019-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00,{z},{c},in-person,{a},"{n}",{k},penal system;detention,'
                f'"Briefing {i} on prisons, camps and the families of the disappeared"\n')
PY
started=$(date +%s)
"$BIN" --config "$D/briefings.toml" import briefings --server http://127.0.0.1:6102 "$D/briefings.csv" | tail -1
echo "import of $ROWS rows ($(du -h "$D/briefings.csv" | cut -f1)): $(( $(date +%s) - started )) s"
for _ in 1 2 3; do "$BIN" --config "$D/gateway.toml" report --server http://127.0.0.1:6105 --period 2019 > /dev/null; done
for s in deadlines briefings submissions notifier gateway; do
  echo "after  $s: $(status "$s" VmRSS) KiB resident, peak $(status "$s" VmHWM) KiB"
done
