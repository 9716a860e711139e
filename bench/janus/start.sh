#!/usr/bin/env bash
# Starts Janus WebRTC Server (Debian package janus) with a minimal config for the capacity
# benchmark: the HTTP transport on 127.0.0.1 and the AudioBridge plugin, nothing else. Installs
# the package when it is missing. Prints shell assignments on stdout, e.g.
#   JANUS_PID=1234
#   JANUS_URL=http://127.0.0.1:8188/janus
#   JANUS_DIR=/tmp/bench-janus.XXXXXX     (config, janus.log; stop.sh PID DIR removes it)
# so a caller can do: eval "$(bench/janus/start.sh -c 1)"; ...; bench/janus/stop.sh "$JANUS_PID"
#
# Options:
#   -p PORT   HTTP port (default: the first free one from 8188 up, checked with ss)
#   -c CPU    pin Janus to this CPU (or taskset list, e.g. 1 or 2-3)
#   -r RANGE  plain-RTP port range of the AudioBridge (default 12000-32767: below Linux's
#             ephemeral ports, where the load generator's sockets are; 2 ports per participant)
#   -e N      event_loops: N shared event-loop threads for all handles (default 0: Janus's
#             default, one thread per handle)
#   -d LEVEL  Janus debug level 0-7 (default 4; 3 logs warnings and errors only)
#   -s SECS   session_timeout (default 0: sessions never time out)
#   -D DIR    write the config and the log to DIR (default: a new temp folder)
#   -w SECS   how long to wait for GET /janus/info (default 20)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
port=
cpu=
rtp_range=12000-32767
event_loops=0
debug_level=4
session_timeout=0
dir=
wait_s=20

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while getopts 'p:c:r:e:d:s:D:w:h' opt; do
  case $opt in
  p) port=$OPTARG ;;
  c) cpu=$OPTARG ;;
  r) rtp_range=$OPTARG ;;
  e) event_loops=$OPTARG ;;
  d) debug_level=$OPTARG ;;
  s) session_timeout=$OPTARG ;;
  D) dir=$OPTARG ;;
  w) wait_s=$OPTARG ;;
  *) usage ;;
  esac
done
shift $((OPTIND - 1))
(($# == 0)) || usage

die() {
  echo "janus/start: $*" >&2
  exit 1
}

[[ $rtp_range =~ ^[0-9]+-[0-9]+$ ]] || die "bad RTP range '$rtp_range' (want MIN-MAX)"
[[ $debug_level =~ ^[0-7]$ ]] || die "bad debug level '$debug_level'"
[[ $session_timeout =~ ^[0-9]+$ ]] || die "bad session timeout '$session_timeout'"
[[ $wait_s =~ ^[0-9]+$ ]] || die "bad wait '$wait_s'"
[[ $event_loops =~ ^[0-9]+$ ]] || die "bad event_loops '$event_loops'"
[[ -z $port || $port =~ ^[0-9]+$ ]] || die "bad port '$port'"

# --- the package -------------------------------------------------------------------------------
if ! dpkg-query -W -f='${Status}' janus 2>/dev/null | grep -q "install ok installed"; then
  echo "janus/start: installing janus" >&2
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    die "run as root, or install: apt-get install janus"
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    janus >/dev/null
fi
janus_bin=$(command -v janus) || die "no janus binary after install"
# The package's own service is not used (and a systemd-less container does not start it).
plugin=$(dpkg -L janus | grep -E '/plugins/libjanus_audiobridge\.so$' | head -n1)
transport=$(dpkg -L janus | grep -E '/transports/libjanus_http\.so$' | head -n1)
[[ -n $plugin && -n $transport ]] || die "janus package lacks the AudioBridge plugin or HTTP transport"

# --- a free port ---------------------------------------------------------------------------------
port_busy() { [[ -n $(ss -Htln "( sport = :$1 )" 2>/dev/null) ]]; }
if [[ -z $port ]]; then
  for ((p = 8188; p < 8288; p++)); do
    if ! port_busy "$p"; then
      port=$p
      break
    fi
  done
  [[ -n $port ]] || die "no free port in 8188-8287"
elif port_busy "$port"; then
  die "port $port is in use"
fi
rtp_min=${rtp_range%-*}
rtp_max=${rtp_range#*-}
((rtp_min > 0 && rtp_min <= rtp_max && rtp_max < 65536)) || die "bad RTP range '$rtp_range'"
# WebRTC's range (unused here: no PeerConnection) just beside the plugin's, not overlapping it.
if ((rtp_min > 1100)); then ice_range="$((rtp_min - 1000))-$((rtp_min - 1))"; else
  ice_range="$((rtp_max + 1))-$((rtp_max + 1000 < 65536 ? rtp_max + 1000 : 65535))"
fi

# --- the config folder -------------------------------------------------------------------------
if [[ -z $dir ]]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-janus.XXXXXX")
else
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
fi
mkdir -p "$dir/plugins" "$dir/transports" "$dir/events" "$dir/loggers"
ln -sf "$plugin" "$dir/plugins/libjanus_audiobridge.so"
ln -sf "$transport" "$dir/transports/libjanus_http.so"
for f in janus.jcfg janus.transport.http.jcfg janus.plugin.audiobridge.jcfg; do
  sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@RTP_RANGE@|$rtp_range|g" \
    -e "s|@ICE_RTP_RANGE@|$ice_range|g" -e "s|@DEBUG_LEVEL@|$debug_level|g" \
    -e "s|@SESSION_TIMEOUT@|$session_timeout|g" -e "s|@EVENT_LOOPS@|$event_loops|g" \
    "$here/$f" >"$dir/$f"
done

# --- start ---------------------------------------------------------------------------------------
cmd=("$janus_bin" --config="$dir/janus.jcfg" --configs-folder="$dir" --disable-stdout)
[[ -n $cpu ]] && cmd=(taskset -c "$cpu" "${cmd[@]}")
# taskset execs janus, so $! is Janus's own PID.
"${cmd[@]}" </dev/null >"$dir/janus.out" 2>&1 &
pid=$!
echo "$pid" >"$dir/janus.pid"

# GET /janus/info over bash's /dev/tcp: no client needed. Succeeds on an HTTP 200 answer.
info_ok() {
  # shellcheck disable=SC2016 # $1 expands in the inner shell
  timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET /janus/info HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    IFS= read -r line <&3 && [[ $line == "HTTP/1."[01]" 200"* ]]' _ "$1" 2>/dev/null
}
deadline=$((SECONDS + wait_s))
until info_ok "$port"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 20 "$dir/janus.log" "$dir/janus.out" >&2 2>/dev/null || true
    die "janus exited during start-up (log: $dir/janus.log)"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 20 "$dir/janus.log" >&2 2>/dev/null || true
    "$here/stop.sh" "$pid" >&2 || true
    die "no answer on http://127.0.0.1:$port/janus/info within ${wait_s}s"
  fi
  sleep 0.1
done

echo "JANUS_PID=$pid"
echo "JANUS_URL=http://127.0.0.1:$port/janus"
echo "JANUS_DIR=$dir"
echo "JANUS_LOG=$dir/janus.log"
