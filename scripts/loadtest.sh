#!/usr/bin/env bash
# Load test: build the demo database at a scale (once), serve it with gunicorn on 127.0.0.1, run locust
# headless for a bounded time, stop everything, print p50/p95/p99 and errors per endpoint and PASS/FAIL.
#
#   scripts/loadtest.sh                       # SQLite: 10,000 clients, 1,000,000 ledger lines, 12 KAMs
#   SCALE=full DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam_loadtest scripts/loadtest.sh
#                                             # PostgreSQL: 100,000 clients, 10,000,000 lines, 200 KAMs
# Settings (environment):
#   SCALE=sqlite|full   LOADTEST_CLIENTS / LOADTEST_LINES / LOADTEST_KAMS override the scale's numbers
#   DATABASE_URL        SQLite default: var/loadtest/kam-sqlite-<clients>c-<lines>l-<kams>k.sqlite3
#   USERS=50 SPAWN_RATE=10 RUN_TIME=60s    locust's -u, -r, --run-time
#   WORKERS=8 THREADS=2                    gunicorn (gthread): processes rather than threads on 2 CPUs
#   KEEPALIVE=75                           gunicorn --keep-alive, seconds (0: a new connection per request)
#   P95_MS=300                             the budget for PASS
#   KAM_LOADTEST_WAIT=1,3                  think time between a user's requests, seconds
#   LOADTEST_RATELIMIT=0                   1 keeps the login/API rate limits on (50 logins from one address
#                                          in 5 s exceed the 20/minute login limit: expect failures)
#   LOADTEST_RESET=1                       allow `demo --reset` on a database that has other data
#   LOADTEST_REDIS_URL=redis://127.0.0.1:6379/15   the workers' shared cache (KAM_REDIS_URL), emptied
#                                          before the run; "none" keeps each worker's own memory cache
# Results: var/loadtest/results/<name>_*.csv, <name>.md (table), <name>.txt (summary). Exit 0 on PASS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
SCALE=${SCALE:-sqlite}
case "$SCALE" in
  sqlite) D_CLIENTS=10000; D_LINES=1000000; D_KAMS=12 ;;
  full) D_CLIENTS=100000; D_LINES=10000000; D_KAMS=200 ;;
  *) echo "SCALE must be sqlite or full" >&2; exit 2 ;;
esac
CLIENTS=${LOADTEST_CLIENTS:-$D_CLIENTS}
LINES=${LOADTEST_LINES:-$D_LINES}
KAMS=${LOADTEST_KAMS:-$D_KAMS}
USERS=${USERS:-50}
SPAWN_RATE=${SPAWN_RATE:-10}
RUN_TIME=${RUN_TIME:-60s}
WORKERS=${WORKERS:-8}
THREADS=${THREADS:-2}
KEEPALIVE=${KEEPALIVE:-75}
P95_MS=${P95_MS:-300}
OUT=$ROOT/var/loadtest
mkdir -p "$OUT/results"

if [ -z "${DATABASE_URL:-}" ]; then
  if [ "$SCALE" = full ]; then
    echo "SCALE=full needs DATABASE_URL=postgres://… (an empty database, or one built by this script)" >&2
    exit 2
  fi
  export DATABASE_URL="sqlite:///$OUT/kam-sqlite-${CLIENTS}c-${LINES}l-${KAMS}k.sqlite3"
fi
export DATABASE_URL
DB_NAME=$(basename "${DATABASE_URL%%\?*}")
DB_NAME=${DB_NAME%.sqlite3}
NAME="${SCALE}-${CLIENTS}c-${LINES}l-${KAMS}k-u${USERS}-$(date -u +%Y%m%dT%H%M%SZ)"
MARKER="$OUT/${DB_NAME}.built"
WANT="clients=$CLIENTS lines=$LINES kams=$KAMS seed=42"

# ---- 1. the database, built once per scale (the marker remembers what is in it)
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ]; then
  echo "database: $DB_NAME already has the demo ($WANT); applying any new migrations"
  "$PY" manage.py migrate --noinput -v 0
else
  echo "database: building the demo in $DB_NAME ($WANT); this takes a while at full scale"
  "$PY" manage.py migrate --noinput -v 0
  RESET=()
  if "$PY" - <<'EOF'
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from kam.core import demo
sys.exit(0 if demo.has_business_data() else 1)
EOF
  then
    if [ -f "$MARKER" ] || [ "${LOADTEST_RESET:-0}" = 1 ]; then
      RESET=(--reset)
    else
      echo "database $DB_NAME has data this script did not write; use an empty one or LOADTEST_RESET=1" >&2
      exit 2
    fi
  fi
  rm -f "$MARKER"
  started=$(date +%s)
  "$PY" manage.py demo --clients "$CLIENTS" --lines "$LINES" --kams "$KAMS" "${RESET[@]}"
  # Fresh statistics for the planner: right after a bulk load PostgreSQL's autovacuum has not analysed
  # the tables yet, and plans built on empty statistics are several times slower (SQLite: sqlite_stat1).
  "$PY" manage.py shell -v 0 -c "from django.db import connection; connection.cursor().execute('ANALYZE')"
  echo "$WANT" > "$MARKER"
  echo "database: built in $(( $(date +%s) - started )) s"
fi

# ---- 2. the users' fixture: logins per role, clients each may see, fresh API tokens
FIXTURE="$OUT/fixture-${DB_NAME}.json"
"$PY" benchmarks/loadtest/prepare.py "$FIXTURE"

# ---- 3. gunicorn on 127.0.0.1, a free port, production settings over plain HTTP
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HOST="http://127.0.0.1:$PORT"
GUNICORN_PID=""
SAMPLER_PID=""
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

# The shared cache, as docs/operators/nginx.md asks for with several workers: a figure computed by one
# worker serves the others. Its database is emptied first, so every run starts cold.
REDIS_URL=${LOADTEST_REDIS_URL:-redis://127.0.0.1:6379/15}
if [ "$REDIS_URL" != none ] && "$PY" -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=2).flushdb()" "$REDIS_URL" 2>/dev/null; then
  export KAM_REDIS_URL="$REDIS_URL"
  CACHE_NOTE="Redis cache"
else
  unset KAM_REDIS_URL
  CACHE_NOTE="per-worker memory cache (no Redis at $REDIS_URL)"
fi
echo "cache: $CACHE_NOTE"

KAM_ENV=production KAM_SECRET_KEY="loadtest-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')" \
  KAM_DEBUG=0 KAM_SSL_REDIRECT=0 KAM_SECURE_COOKIES=0 KAM_HSTS_SECONDS=0 \
  KAM_RATELIMIT="${LOADTEST_RATELIMIT:-0}" KAM_ALLOWED_HOSTS=127.0.0.1 KAM_LOG_LEVEL=ERROR \
  PYTHONWARNINGS="ignore:No directory at" \
  "$BIN/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --worker-class gthread --threads "$THREADS" --timeout 60 --graceful-timeout 5 --keep-alive "$KEEPALIVE" --preload \
  --error-logfile "$OUT/results/$NAME-gunicorn.log" --access-logfile "$OUT/results/$NAME-access.log" \
  --access-logformat '%(t)s pid=%(p)s %(m)s %(U)s %(s)s %(M)sms' &
GUNICORN_PID=$!
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "$HOST/health/" 2>/dev/null; then break; fi
  kill -0 "$GUNICORN_PID" 2>/dev/null || { echo "gunicorn did not start" >&2; exit 1; }
  sleep 0.5
done
curl -fsS -o /dev/null "$HOST/health/" || { echo "gunicorn did not answer on $HOST" >&2; exit 1; }
echo "server: gunicorn on $HOST ($WORKERS workers x $THREADS threads, DEBUG off)"
SESSIONS="$OUT/results/$NAME-sessions.json"
timeout 600 "$PY" benchmarks/loadtest/warmup.py "$HOST" "$FIXTURE" --sessions "$SESSIONS" \
  --rounds "$(( WORKERS * 2 ))" | tee "$OUT/results/$NAME-warmup.txt" \
  || { echo "the logins failed: see above" >&2; exit 1; }

# ---- 4. locust, headless and bounded; the load average is sampled every 5 s
LOADAVG="$OUT/results/$NAME-loadavg.txt"
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOADAVG"; sleep 5; done ) &
SAMPLER_PID=$!
server_cpu() { ps --ppid "$GUNICORN_PID" -o times= | awk '{ s += $1 } END { print s + 0 }'; }
CPU_BEFORE=$(server_cpu)
RUN_STARTED=$(date +%s)
set +e
KAM_LOADTEST_FIXTURE="$FIXTURE" KAM_LOADTEST_SESSIONS="$SESSIONS" timeout --signal=INT --kill-after=30 "$(( $("$PY" -c "
import re, sys
m = re.fullmatch(r'(\d+)([smh]?)', sys.argv[1])
print(int(m.group(1)) * {'': 1, 's': 1, 'm': 60, 'h': 3600}[m.group(2)])" "$RUN_TIME") + 120 ))" \
  /usr/bin/time -f "%U %S" -o "$OUT/results/$NAME-locust-cpu.txt" \
  "$BIN/locust" -f benchmarks/loadtest/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" \
  --run-time "$RUN_TIME" --stop-timeout 10 --host "$HOST" --csv "$OUT/results/$NAME" --only-summary \
  --loglevel WARNING > "$OUT/results/$NAME-locust.log" 2>&1
LOCUST_RC=$?
set -e
CPU_USED=$(( $(server_cpu) - CPU_BEFORE ))
RUN_SECONDS=$(( $(date +%s) - RUN_STARTED ))
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
cleanup
GUNICORN_PID=""
[ -f "$OUT/results/${NAME}_stats.csv" ] || { echo "locust wrote no results (exit $LOCUST_RC):" >&2; tail -n 30 "$OUT/results/$NAME-locust.log" >&2; exit 1; }

# ---- 5. the figures
LOAD_SUMMARY=$(awk '{ s += $2; if ($2 > m) m = $2; n++ } END { if (n) printf "mean %.2f, max %.2f (1-min load average, %d samples)", s / n, m, n }' "$LOADAVG")
SERVER_CPU=$(awk -v c="$CPU_USED" -v t="$RUN_SECONDS" 'BEGIN { printf "gunicorn used %d CPU-s in %d s = %.2f of the %d CPUs", c, t, c / (t ? t : 1), '"$(nproc)"' }')
LOCUST_CPU=$(awk '{ printf "locust used %d CPU-s", $1 + $2 }' "$OUT/results/$NAME-locust-cpu.txt" 2>/dev/null || true)
TITLE="$WANT; $USERS users, $RUN_TIME; gunicorn $WORKERS x $THREADS, keep-alive $KEEPALIVE s; $CACHE_NOTE; $(nproc) CPUs; load $LOAD_SUMMARY; $SERVER_CPU; $LOCUST_CPU"
set +e
"$PY" benchmarks/loadtest/report.py "$OUT/results/$NAME" --p95-ms "$P95_MS" --markdown "$OUT/results/$NAME.md" \
  --title "$TITLE" --note "$(grep '^logins:' "$OUT/results/$NAME-warmup.txt" || true)" | tee "$OUT/results/$NAME.txt"
RC=${PIPESTATUS[0]}
rm -f "$SESSIONS"
set -e
echo "scale: $TITLE"
echo "database: $DATABASE_URL" | sed -E 's#//[^@/]*@#//***@#'
echo "results: $OUT/results/$NAME.{txt,md}, ${NAME}_stats.csv"
exit "$RC"
