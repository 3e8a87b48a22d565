#!/usr/bin/env bash
# Throughput at province scale (issue 13): gunicorn with 2 sync workers on the benchmark's PostgreSQL
# database (200,000 demo trainees; `make bench` builds it), wrk on the same machine, 16 connections.
# Measures a trainee's application page and a county reviewer's queue page; prints wrk's figures
# (requests/s, p50, p99).
#
#   tests/load/throughput.sh      (settings through the environment, with these defaults:)
#     DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_200k  CONNECTIONS=16 DURATION=30s
#     GUNICORN_WORKERS=2 GUNICORN_WORKER_CLASS=sync  REVIEWER=county_zy  QUEUE=submitted
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/bench_200k}"
CONNECTIONS="${CONNECTIONS:-16}" DURATION="${DURATION:-30s}"
REVIEWER="${REVIEWER:-county_zy}" QUEUE="${QUEUE:-submitted}"
export FLASK_APP=wsgi.py STAFF_TWO_FACTOR=0 SESSION_COOKIE_SECURE=0 LOG_FORMAT=json
export LOGIN_LIMIT_PER_ADDRESS="1000000 per minute" LOGIN_BACKOFF="1000000 per minute"
export GUNICORN_WORKERS="${GUNICORN_WORKERS:-2}" GUNICORN_WORKER_CLASS="${GUNICORN_WORKER_CLASS:-sync}"
WORK="$(mktemp -d)"
PY=.venv/bin/python
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PROMETHEUS_MULTIPROC_DIR="$WORK/metrics" UPLOAD_FOLDER="$WORK/uploads"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR" "$UPLOAD_FOLDER"
GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_ACCESSLOG=/dev/null .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app \
  > "$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
trap 'kill -TERM $GUNICORN_PID 2>/dev/null; wait $GUNICORN_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 60); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 1
done
TRAINEE="$(psql "$DATABASE_URL" -XAtqc "SELECT a.username || ' ' || ap.id FROM account a JOIN trainee t
  ON t.account_id = a.id JOIN application ap ON ap.trainee_id = t.id WHERE a.username LIKE 'demo%'
  ORDER BY a.id LIMIT 1")"
cookie() {  # the session cookie of a signed-in user: $1 username
  $PY - "$PORT" "$1" <<'PY'
import http.cookiejar, re, sys, urllib.parse, urllib.request
port, user = sys.argv[1], sys.argv[2]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
data = urllib.parse.urlencode({"csrf_token": token, "username": user, "password": "Henan@2025"}).encode()
opener.open(f"http://127.0.0.1:{port}/login", data)
print("; ".join(f"{c.name}={c.value}" for c in jar))
PY
}
run() {  # $1 label, $2 cookie, $3 path
  echo "== $1: $3 ($CONNECTIONS connections, $DURATION) =="
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $2" "http://127.0.0.1:$PORT$3")"
  [ "$code" = 200 ] || { echo "   answered $code, not 200" >&2; exit 1; }
  # warm both workers first (templates compiled, statements cached): a cold worker's first requests
  # otherwise fall into the measured run's p99
  wrk -t 2 -c "$CONNECTIONS" -d 3s -H "Cookie: $2" "http://127.0.0.1:$PORT$3" >/dev/null
  wrk -t 2 -c "$CONNECTIONS" -d "$DURATION" --latency -H "Cookie: $2" "http://127.0.0.1:$PORT$3" \
    | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
}
speed() { $PY -c 'from tests.bench.speed import machine_speed; print(machine_speed())'; }
echo "$(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; gunicorn $GUNICORN_WORKERS $GUNICORN_WORKER_CLASS workers; $(date -u +%FT%H:%MZ); $(speed)"
run "trainee's application page" "$(cookie "${TRAINEE%% *}")" "/portal/applications/${TRAINEE##* }"
run "reviewer's queue page ($REVIEWER)" "$(cookie "$REVIEWER")" "/admin/application/?flt0_status_equals=$QUEUE"
echo "after the runs: $(speed)"
