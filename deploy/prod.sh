#!/usr/bin/env bash
# The production service on one host (`make prod`): gunicorn, a Celery worker and Celery beat.
# Ctrl-C (SIGINT) or SIGTERM stops all three; if one of them dies, the other two are stopped
# and the exit status says which failed, so a supervisor (systemd) restarts the whole.
#
# Environment: what `make prod` sets (DATABASE_URL, SECRET_KEY, REDIS_URL …); VENV (default
# .venv); CELERY_CONCURRENCY (worker processes, default 2); CELERY_BEAT_SCHEDULE_FILE (default
# var/celerybeat-schedule: only the last run times, never the truth — the job rows are).
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
mkdir -p var/run
umask 077
pids=()
names=()

start() {  # name, command…
  local name=$1
  shift
  "$@" &
  pids+=($!)
  names+=("$name")
}

stop() {
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null
  for _ in $(seq 1 60); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return
    sleep 0.5
  done
  kill -KILL "${pids[@]}" 2>/dev/null
}

trap 'echo "正在停止 gunicorn、Celery worker 和 beat……"; stop; exit 130' INT
trap 'stop; exit 143' TERM

start gunicorn "$VENV/bin/gunicorn" shanghai_experts.wsgi -c gunicorn.conf.py
start worker "$VENV/bin/celery" -A shanghai_experts worker --loglevel INFO \
  --concurrency "${CELERY_CONCURRENCY:-2}" --hostname "worker@%h-${GUNICORN_BIND:-8000}"
start beat "$VENV/bin/celery" -A shanghai_experts beat --loglevel INFO \
  --schedule "${CELERY_BEAT_SCHEDULE_FILE:-var/celerybeat-schedule}" --pidfile ""

wait -n
status=$?
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null || echo "${names[$i]} 已退出（状态 $status），停止其余进程。" >&2
done
stop
exit "$status"
