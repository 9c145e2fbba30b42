#!/usr/bin/env bash
# The read path against the database's own rate, in one run on one machine:
# GetDeadline by id and ListDeadlines (a page of 50) through gRPC, loaded by h2load
# (8 connections x 4 streams), against pgbench running the same SQL with 8 clients.
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust), h2load (Debian's
# nghttp2-client) and pgbench. Prints both rates and their ratio.
#
# Each request is measured in ROUNDS rounds (default 3) of SECONDS_EACH (default 10) s,
# the server and pgbench taking turns, and the median of the rounds' ratios is the figure:
# on a shared 2-core machine one 10 s run of either swung by ±15%.
#
#   ops/bench/read-path.sh
#   ROUNDS=5 SECONDS_EACH=6 ops/bench/read-path.sh
#   PROFILE=get ops/bench/read-path.sh   # also records the server with perf during one load
#                                        # (get, list or health) into read-path.perf.data
#   PERF_CALL_GRAPH="--call-graph dwarf" PROFILE=list ops/bench/read-path.sh   # call graphs of Rust code
#   BIN=/path/to/advocacy ops/bench/read-path.sh   # a build of your own (another commit), not built here
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_EACH="${SECONDS_EACH:-10}"
ROUNDS="${ROUNDS:-3}"
PORT="${PORT:-50099}"
PG="${PG:-postgres://postgres@127.0.0.1:5432}"
DB="advocacy_bench_read_$$"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
BIN="${BIN:-}"
WORK="$(mktemp -d)"
trap 'kill "${SERVER:-}" 2>/dev/null || true; wait 2>/dev/null || true; psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS \"${DB}_deadlines\" WITH (FORCE)" >/dev/null; rm -rf "$WORK"' EXIT

for tool in h2load pgbench psql python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
if [ -z "$BIN" ]; then
  cargo build --release -q -p advocacy
  BIN="$CARGO_TARGET_DIR/release/advocacy"
fi

export ADVOCACY_KEYS_DIR="$WORK/keys"
"$BIN" keys rotate gateway >/dev/null
export ADVOCACY_DATABASE_URL="$PG/${DB}_{service}"
export ADVOCACY_GRPC_LISTEN="127.0.0.1:$PORT"
export ADVOCACY_SERVER="http://127.0.0.1:$PORT"
export ADVOCACY_LOG=warn
"$BIN" serve deadlines 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 1 100); do
  "$BIN" deadlines list --as bench@advocacy.example >/dev/null 2>&1 && break
  sleep 0.1
done
TOKEN="$("$BIN" token --subject bench@advocacy.example --role staff --hours 1)"
export ADVOCACY_TOKEN="$TOKEN"

echo "seeding 60 deadlines"
for i in $(seq 1 60); do
  "$BIN" deadlines add --title "Deadline $i" --mechanism UPR --kind upr-stakeholder-submission \
    --due "2027-03-$(( (i % 27) + 1 )) 12:00" --lead 7d >/dev/null
done
ID="$(psql -At "$PG/${DB}_deadlines" -c "SELECT id FROM deadlines ORDER BY id LIMIT 1")"

# gRPC request bodies: one length-prefixed protobuf message each.
python3 - "$ID" "$WORK" <<'PY'
import struct, sys
deadline_id, work = sys.argv[1].encode(), sys.argv[2]
def frame(message): return b"\0" + struct.pack(">I", len(message)) + message
get = b"\x0a" + bytes([len(deadline_id)]) + deadline_id          # GetDeadlineRequest.id
page = b"\x30" + bytes([50])                                       # ListDeadlinesRequest.page_size = 50
open(f"{work}/get.bin", "wb").write(frame(get))
open(f"{work}/list.bin", "wb").write(frame(page))
PY

# CPU seconds used so far by the server and by all of PostgreSQL's processes, with
# the backends that have exited (pgbench's connections) counted in their parent.
cpu_seconds() {
  python3 - "$SERVER" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def used(pid, children=False):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15 if children else 13])
    return ticks / tick
database = 0.0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if open(f"/proc/{pid}/comm").read().strip() == "postgres":
            database += used(pid, children=True)  # with exited backends (pgbench's)
    except OSError:
        pass
print(used(sys.argv[1]), database)
PY
}

grpc_rate() { # service/method body-file
  if [ "${PROFILE:-}" = "$3" ]; then
    perf record ${PERF_CALL_GRAPH:--g} -F 999 -o read-path.perf.data -p "$SERVER" -- sleep "$((SECONDS_EACH + 2))" >/dev/null 2>&1 &
  fi
  local before after rate
  before="$(cpu_seconds)"
  rate="$(h2load -D "$SECONDS_EACH" --warm-up-time=2 -c 8 -m 4 -t 2 \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $TOKEN" \
    -d "$WORK/$2" "http://127.0.0.1:$PORT/$1" 2>&1 |
    awk '/^finished in/ {gsub(",", "", $4); print $4}')"
  after="$(cpu_seconds)"
  # CPU per request over the load and its warm-up, to stderr beside the rates.
  python3 -c "import sys; b, a, r, t = sys.argv[1].split(), sys.argv[2].split(), float(sys.argv[3]), float(sys.argv[4]) + 2
n = r * t
print(f'  {sys.argv[5]}: CPU per request: server {(float(a[0]) - float(b[0])) / n * 1e6:.0f} us, PostgreSQL {(float(a[1]) - float(b[1])) / n * 1e6:.0f} us', file=sys.stderr)" \
    "$before" "$after" "$rate" "$SECONDS_EACH" "$1"
  echo "$rate"
}
sql_rate() { # sql name
  echo "$1" >"$WORK/q.sql"
  local before after rate
  before="$(cpu_seconds)"
  rate="$(pgbench -n -M prepared -c 8 -j 2 -T "$SECONDS_EACH" -f "$WORK/q.sql" "$PG/${DB}_deadlines" 2>/dev/null |
    awk '/^tps =/ {print $3}')"
  after="$(cpu_seconds)"
  python3 -c "import sys; b, a, n = sys.argv[1].split(), sys.argv[2].split(), float(sys.argv[3]) * float(sys.argv[4])
print(f'  pgbench, {sys.argv[5]}: CPU per transaction: PostgreSQL {(float(a[1]) - float(b[1])) / n * 1e6:.0f} us', file=sys.stderr)" \
    "$before" "$after" "$rate" "$SECONDS_EACH" "$2"
  echo "$rate"
}

# Rounds of the server and pgbench in turn; prints each round and the median ratio.
compare() { # name service/method body-file profile-name sql
  local rates=""
  for round in $(seq 1 "$ROUNDS"); do
    # Only the first round is recorded by perf.
    if [ "$round" -gt 1 ] && [ "${PROFILE:-}" = "$4" ]; then local PROFILE=""; fi
    rates="$rates $(grpc_rate "$2" "$3" "$4"):$(sql_rate "$5" "$4")"
  done
  python3 -c "import sys, statistics
name, rounds = sys.argv[1], [tuple(map(float, r.split(':'))) for r in sys.argv[2].split()]
ratios = [g / s for g, s in rounds]
for i, (g, s) in enumerate(rounds, 1):
    print(f'  round {i}: {g:>8.0f} req/s  {s:>8.0f} tps  ratio {g / s:.2f}', file=sys.stderr)
g, s = statistics.median(g for g, _ in rounds), statistics.median(s for _, s in rounds)
print(f'{name:<28} {g:>10.0f} req/s  {s:>10.0f} tps (same SQL)  ratio {statistics.median(ratios):.2f} (median of {len(ratios)} rounds; range {min(ratios):.2f}-{max(ratios):.2f})')" "$1" "$rates"
}

GET_SQL="SELECT d.snapshot, d.revision, d.id FROM deadlines d WHERE d.id = '$ID';"
LIST_SQL="SELECT d.snapshot, d.revision, d.id FROM deadlines d WHERE 1 = 1 AND (d.confidentiality <> 'restricted' OR d.compartment IN ('')) ORDER BY d.due_at, d.id LIMIT 51;"
compare "GetDeadline by id" advocacy.v1.DeadlinesService/GetDeadline get.bin get "$GET_SQL"
compare "ListDeadlines, page of 50" advocacy.v1.DeadlinesService/ListDeadlines list.bin list "$LIST_SQL"
printf '\0\0\0\0\0' >"$WORK/health.bin"
echo "health check (no database): $(grpc_rate grpc.health.v1.Health/Check health.bin health | cut -d. -f1) req/s"
