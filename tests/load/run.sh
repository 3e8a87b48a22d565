#!/usr/bin/env bash
# The registration-peak load test: a scratch PostgreSQL database with demo data, gunicorn as in
# production (gunicorn.conf.py), locust headless for a fixed time and number of users; prints the
# request rate and p50/p99 per request type, then removes everything it made.
#
#   tests/load/run.sh            (settings through the environment, with these defaults:)
#     TRAINEES=3000 USERS=100 SPAWN_RATE=10 DURATION=90s
#     PGSERVER=postgresql://postgres@127.0.0.1:5432  REDIS=redis://127.0.0.1:6379/11
#     GUNICORN_WORKERS=2*cores+1 GUNICORN_THREADS=4 GUNICORN_WORKER_CLASS=gthread
#
# The login limits are raised for the run (every simulated user comes from 127.0.0.1, and one address
# is allowed 30 logins in 10 minutes): LOGIN_LIMIT_PER_ADDRESS and LOGIN_BACKOFF are set very high.
# Staff sign in without the SMS second factor (STAFF_TWO_FACTOR=0) and cookies go over plain HTTP.
set -euo pipefail
cd "$(dirname "$0")/../.."

TRAINEES="${TRAINEES:-3000}"
USERS="${USERS:-100}"
SPAWN_RATE="${SPAWN_RATE:-10}"
DURATION="${DURATION:-90s}"
PGSERVER="${PGSERVER:-postgresql://postgres@127.0.0.1:5432}"
REDIS="${REDIS:-redis://127.0.0.1:6379/11}"
LOAD_VENV="${LOAD_VENV:-.venv-load}"
PY=.venv/bin/python

[ -x "$PY" ] || { echo "run make install first (.venv)" >&2; exit 1; }
if [ ! -x "$LOAD_VENV/bin/locust" ]; then
  echo "== installing locust into $LOAD_VENV (requirements-load.txt) =="
  python3 -m venv "$LOAD_VENV"
  "$LOAD_VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements-load.txt
fi
psql "$PGSERVER/postgres" -XAtqc 'SELECT 1' >/dev/null || { echo "PostgreSQL at $PGSERVER does not answer" >&2; exit 1; }

DB="hn_load_$$_$(date +%s)"
WORK="$(mktemp -d)"
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
GUNICORN_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID"; wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  psql "$PGSERVER/postgres" -XAtqc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export FLASK_APP=wsgi.py DATABASE_URL="$PGSERVER/$DB" UPLOAD_FOLDER="$WORK/uploads"
export RATELIMIT_STORAGE_URI="$REDIS" LOG_FORMAT=json PROMETHEUS_MULTIPROC_DIR="$WORK/metrics"
export LOGIN_LIMIT_PER_ADDRESS="1000000 per minute" LOGIN_BACKOFF="1000000 per minute"
export STAFF_TWO_FACTOR=0 SMS_ANSWER_MIN_SECONDS=0
# without nginx in front, locust keeps its connections to gunicorn open between requests (up to 8 s):
# a keep-alive shorter than that closes them under the client (connection resets that nginx would hide)
export GUNICORN_KEEPALIVE="${GUNICORN_KEEPALIVE:-20}"
mkdir -p "$UPLOAD_FOLDER" "$PROMETHEUS_MULTIPROC_DIR"

echo "== database $DB: migrate, seed, demo data with $TRAINEES trainees =="
psql "$PGSERVER/postgres" -XAtqc "CREATE DATABASE $DB" >/dev/null
$PY -m flask db upgrade >"$WORK/upgrade.log" 2>&1 || { cat "$WORK/upgrade.log" >&2; exit 1; }
$PY -m flask seed >/dev/null
start=$(date +%s)
$PY -m flask demo --trainees "$TRAINEES" >/dev/null
echo "   demo data in $(( $(date +%s) - start )) s"
psql "$DATABASE_URL" -XAtqc "COPY (SELECT a.username, max(ap.id), bool_or(ap.status IN ('draft', 'returned'))::int
  FROM account a JOIN trainee t ON t.account_id = a.id JOIN application ap ON ap.trainee_id = t.id
  WHERE a.username LIKE 'demo%' GROUP BY a.username ORDER BY a.username) TO STDOUT WITH CSV" > "$WORK/accounts.csv"
echo "   $(wc -l < "$WORK/accounts.csv") trainees with an application, $(grep -c ',1$' "$WORK/accounts.csv" || true) of them still editable"
psql "$DATABASE_URL" -XAtqc "ANALYZE" >/dev/null

echo "== gunicorn on 127.0.0.1:$PORT ($(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB) =="
GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_ACCESSLOG="$WORK/access.log" \
  .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app > "$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 60); do
  if $PY -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$PORT/readyz', timeout=2).status != 200)" 2>/dev/null; then
    break
  fi
  sleep 1
done
$PY -c "import urllib.request; print('   readyz:', urllib.request.urlopen('http://127.0.0.1:$PORT/readyz').read().decode())"
grep -m1 -o '"Using worker: [a-z]*"\|Using worker: [a-z]*' "$WORK/gunicorn.log" | sed 's/^/   /' || true
echo "   workers: $(pgrep -P "$GUNICORN_PID" | wc -l)"

echo "== locust: $USERS users (spawn $SPAWN_RATE/s) for $DURATION =="
LOAD_ACCOUNTS="$WORK/accounts.csv" "$LOAD_VENV/bin/locust" -f tests/load/locustfile.py --headless \
  --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$DURATION" --host "http://127.0.0.1:$PORT" \
  --csv "$WORK/load" --only-summary --stop-timeout 10 > "$WORK/locust.log" 2>&1 || true

echo "== results ($(date -u +%Y-%m-%dT%H:%MZ)) =="
$PY - "$WORK/load_stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"{'request':56} {'count':>7} {'fail':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}")
for row in rows:
    name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
    print(f"{(row['Type'] + ' ' + name).strip()[:56]:56} {row['Request Count']:>7} {row['Failure Count']:>5} "
          f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['99%']:>7}")
PY
fails="$WORK/load_failures.csv"
if [ -s "$fails" ] && [ "$(wc -l < "$fails")" -gt 1 ]; then echo "-- failures:"; cat "$fails"; fi
echo "   uploaded files: $(find "$UPLOAD_FOLDER" -type f | wc -l); server errors in the log: $(grep -c '" 5[0-9][0-9] ' "$WORK/access.log" || true)"
