#!/usr/bin/env bash
# Stops the Janus that start.sh started: exactly that PID, never a process found by name.
#   stop.sh PID [DIR]
# Sends SIGTERM, waits up to JANUS_STOP_TIMEOUT seconds (default 10), then sends SIGKILL. Refuses a
# PID whose process is not janus. With DIR (start.sh's JANUS_DIR), removes that folder afterwards
# when it holds the janus.pid start.sh wrote for this PID.
set -euo pipefail

die() {
  echo "janus/stop: $*" >&2
  exit 1
}

(($# >= 1 && $# <= 2)) || die "usage: stop.sh PID [DIR]"
pid=$1
dir=${2:-}
timeout_s=${JANUS_STOP_TIMEOUT:-10}
[[ $pid =~ ^[1-9][0-9]*$ ]] || die "bad PID '$pid'"
[[ $timeout_s =~ ^[0-9]+$ ]] || die "bad JANUS_STOP_TIMEOUT '$timeout_s'"

remove_dir() {
  [[ -n $dir && -f $dir/janus.pid && $(cat "$dir/janus.pid") == "$pid" ]] || return 0
  rm -rf -- "$dir"
}

if ! kill -0 "$pid" 2>/dev/null; then
  echo "janus/stop: no process $pid (already stopped)" >&2
  remove_dir
  exit 0
fi
comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
[[ $comm == janus ]] || die "process $pid is '$comm', not janus: not stopping it"

kill -TERM "$pid"
deadline=$((SECONDS + timeout_s))
while kill -0 "$pid" 2>/dev/null; do
  # A zombie (our own child that nobody reaped yet) has stopped: don't wait for it.
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
  [[ $state == Z || $state == gone ]] && break
  if ((SECONDS >= deadline)); then
    echo "janus/stop: $pid still running after ${timeout_s}s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    break
  fi
  sleep 0.1
done
remove_dir
echo "janus/stop: stopped $pid" >&2
