#!/usr/bin/env bash
# Load run (issue 6): gunicorn on 127.0.0.1 with the production settings and throttling off, wrk with 64
# connections for a bounded time over the benchmark's endpoints; prints throughput, latency and the count of
# non-2xx responses and socket errors, and exits non-zero unless both are zero. See bench/README.md.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpec_bench bench/load.sh
#
# Environment: DATABASE_URL (required, PostgreSQL, not cpec_registry), DURATION (default 30s), CONNECTIONS (64),
# THREADS (wrk threads, 2), WORKERS (gunicorn processes, default 2 x cores + 1), WORKER_CLASS (sync; gthread
# gives more throughput and a longer tail here), WORKER_THREADS (1; for gthread),
# PORT (a free one), PROJECTS / OBSERVATIONS (the data set; seeded by bench/run.py when the database lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-30s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
CORES="$(nproc)"
WORKERS="${WORKERS:-$((CORES * 2 + 1))}"
WORKER_CLASS="${WORKER_CLASS:-sync}"
WORKER_THREADS="${WORKER_THREADS:-1}"
# A free port unless one is given: another server on a fixed port would be load-tested in our place.
PORT="${PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
PROJECTS="${PROJECTS:-50000}"
OBSERVATIONS="${OBSERVATIONS:-2000000}"
PY=".venv/bin/python"

if [[ -z "${DATABASE_URL:-}" || "${DATABASE_URL}" != postgres* ]]; then
    echo "Set DATABASE_URL to a scratch PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/cpec_bench" >&2
    exit 2
fi
if [[ "${DATABASE_URL%%\?*}" == */cpec_registry ]]; then
    echo "Refusing to load-test the cpec_registry database: use a scratch database such as cpec_bench." >&2
    exit 2
fi
if ! command -v wrk >/dev/null 2>&1; then
    echo "== installing wrk (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== data and request paths"
timeout 900 "$PY" bench/run.py --projects "$PROJECTS" --observations "$OBSERVATIONS" \
    --write-load-paths "$work/paths.txt" | grep -v "^$" || true
[[ -s "$work/paths.txt" ]] || { echo "No request paths were written." >&2; exit 2; }

echo "== gunicorn on 127.0.0.1:$PORT ($WORKERS $WORKER_CLASS workers x $WORKER_THREADS threads)"
# The response cache is off unless RESPONSE_CACHE_SECONDS says otherwise: the load run measures the work of a request
# (with it on, set REDIS_URL too, so that the workers share one cache).
env DJANGO_SETTINGS_MODULE=registry.settings DEBUG=0 THROTTLING_ENABLED=0 SECURE_SSL_REDIRECT=0 \
    RESPONSE_CACHE_SECONDS="${RESPONSE_CACHE_SECONDS:-0}" \
    SECRET_KEY="load-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    ALLOWED_HOSTS=127.0.0.1,localhost LOG_LEVEL=WARNING \
    STATICFILES_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage \
    .venv/bin/gunicorn registry.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
    --worker-class "$WORKER_CLASS" --threads "$WORKER_THREADS" --timeout 120 --log-level warning \
    >"$work/gunicorn.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
if ! kill -0 "$server_pid" 2>/dev/null || ! curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null; then
    echo "gunicorn did not start:" >&2
    cat "$work/gunicorn.log" >&2
    exit 2
fi
# One pass over the paths warms every worker's connection and caches before the measured run.
while read -r path; do curl -fsS -o /dev/null "http://127.0.0.1:$PORT$path" || true; done < <(head -n 20 "$work/paths.txt")

echo "== wrk: $CONNECTIONS connections, $THREADS threads, $DURATION"
timeout 900 wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s \
    -s bench/load.lua "http://127.0.0.1:$PORT" -- "$work/paths.txt" | tee "$work/wrk.txt"

summary="$(grep '^LOAD ' "$work/wrk.txt" || true)"
[[ -n "$summary" ]] || { echo "wrk printed no summary." >&2; exit 2; }
value() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$summary"; }
socket_errors=$(( $(value connect_errors) + $(value read_errors) + $(value write_errors) + $(value timeouts) ))
echo
echo "| load run ($(date -u +%F), $CORES cores) | value |"
echo "|---|---:|"
echo "| requests in $(value seconds) s | $(value requests) |"
echo "| throughput (req/s) | $(value rps) |"
echo "| p50 / p90 / p99 latency (ms) | $(value p50_ms) / $(value p90_ms) / $(value p99_ms) |"
echo "| non-2xx responses | $(value non2xx) |"
echo "| socket errors (connect, read, write, timeout) | $socket_errors |"
if grep -qi "error" "$work/gunicorn.log"; then
    echo "gunicorn logged errors:" >&2
    grep -i "error" "$work/gunicorn.log" | head -20 >&2
fi
[[ "$(value non2xx)" == "0" && "$socket_errors" == "0" ]]
