# Shared helpers for end-to-end tests: a private server on free ports, real FFmpeg clients,
# and clean-up of exactly the processes the test started.
# Usage: source lib.sh BIN_DIR TOOLS_DIR
set -euo pipefail

BIN=$1
TOOLS=$2
WORK=$(mktemp -d /tmp/mcu-e2e.XXXXXX)
PIDS=()
SERVER_PID=

fail() {
  echo "FAIL: $*" >&2
  [[ -f $WORK/server.log ]] && { echo "--- server log (tail)" >&2; tail -20 "$WORK/server.log" >&2; }
  exit 1
}

need() {
  for t in "$@"; do command -v "$t" >/dev/null || fail "$t is not installed (scripts/setup.sh installs it)"; done
}

cleanup() {
  local p
  for p in "${PIDS[@]}" $SERVER_PID; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}" $SERVER_PID; do wait "$p" 2>/dev/null || true; done
  [[ ${KEEP_WORK:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT

# A free TCP port and a free even-aligned UDP range of 64 ports, picked by asking the kernel.
free_tcp_port() {
  local p
  for _ in $(seq 50); do
    p=$(( RANDOM % 10000 + 50000 ))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  fail "no free TCP port"
}

free_udp_range() { # prints LO (even); LO..LO+63 were free a moment ago
  local lo i ok
  for _ in $(seq 50); do
    lo=$(( (RANDOM % 500) * 64 + 20000 ))
    ok=1
    for i in 0 63; do ss -Hlun "sport = :$((lo + i))" | grep -q . && ok=0; done
    ((ok)) && { echo "$lo"; return; }
  done
  fail "no free UDP port range"
}

start_server() { # extra mcu args
  HTTP_PORT=$(free_tcp_port)
  MEDIA_LO=$(free_udp_range)
  DATA=$WORK/data
  launch_server "$@"
}

# Start mcu on the ports and data folder chosen before (a restart); wait for /healthz.
launch_server() {
  "$BIN/mcu" --data "$DATA" --listen "127.0.0.1:$HTTP_PORT" --ports "$MEDIA_LO-$((MEDIA_LO + 63))" \
    "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  export MCU_SERVER="http://127.0.0.1:$HTTP_PORT" MCU_DATA=$DATA
  for _ in $(seq 100); do
    curl -sf "$MCU_SERVER/healthz" >/dev/null 2>&1 && return
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start"
    sleep 0.1
  done
  fail "server did not answer /healthz"
}

stop_server() { # checks a clean exit on SIGTERM
  kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  ((rc == 0)) || fail "server exited with $rc on SIGTERM"
}

mcuctl() { "$BIN/mcuctl" "$@"; }

wait_udp_bound() { # PORT
  for _ in $(seq 100); do
    ss -Hlun "sport = :$1" | grep -q . && return
    sleep 0.05
  done
  fail "nothing bound UDP port $1"
}

# Receive what the server sends to one participant into a WAV file: SECONDS of audio from the
# first packet on (FFmpeg waits for ever when fewer arrive, hence the outer timeout).
start_receiver() { # SDP WAV SECONDS
  timeout $(($3 + 15)) ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp,srtp -i "$1" -t "$3" -y "$2" \
    >"$2.log" 2>&1 &
  PIDS+=($!)
}

# Send an Opus tone of FREQ Hz over SRTP to HOST:PORT with KEY, for SECONDS.
start_sender() { # HOST PORT KEY FREQ SECONDS SSRC SEQ
  ffmpeg -nostdin -loglevel error -re -f lavfi -i "sine=frequency=$4:duration=$5:sample_rate=48000" \
    -c:a libopus -b:a 32k -f rtp -ssrc "$6" -seq "$7" -srtp_out_suite AES_CM_128_HMAC_SHA1_80 \
    -srtp_out_params "$3" "srtp://$1:$2?rtcpport=$2" >"$WORK/sender-$4.log" 2>&1 &
  PIDS+=($!)
}

# Send a G.711 mu-law tone (8 kHz, payload type 0) over SRTP.
start_sender_pcmu() { # HOST PORT KEY FREQ SECONDS
  ffmpeg -nostdin -loglevel error -re -f lavfi -i "sine=frequency=$4:duration=$5:sample_rate=8000" \
    -af asetnsamples=n=160 -c:a pcm_mulaw -ar 8000 -ac 1 -f rtp -payload_type 0 \
    -srtp_out_suite AES_CM_128_HMAC_SHA1_80 \
    -srtp_out_params "$3" "srtp://$1:$2?rtcpport=$2" >"$WORK/sender-$4.log" 2>&1 &
  PIDS+=($!)
}

tone_levels() { # WAV FREQ... -> lines "FREQ LEVEL MINWINDOW"
  "$TOOLS/wavtone" --window 100 "$@"
}

# Assert a numeric comparison with a readable message: check VALUE OP LIMIT WHAT
check() {
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
    ok = (op == ">") ? v > l : (op == ">=") ? v >= l : (op == "<") ? v < l : (op == "<=") ? v <= l : v == l
    exit ok ? 0 : 1 }' || fail "$4: $1 is not $2 $3"
  echo "ok: $4 ($1 $2 $3)"
}

# Send a solid COLOUR (FFmpeg colour name) as video over SRTP, 320x180 at 15 fps, with a short
# GOP so receivers that start late get a keyframe soon. CODEC: vp8 (payload type 96) or h264 (97).
start_video_sender() { # HOST PORT KEY COLOUR SECONDS CODEC [SSRC]
  local enc=(-c:v libvpx -deadline realtime -cpu-used -6 -g 15 -b:v 300k) pt=96
  [[ $6 == h264 ]] && enc=(-c:v libx264 -preset ultrafast -tune zerolatency -g 15 -b:v 300k) pt=97
  ffmpeg -nostdin -loglevel error -re -f lavfi -i "color=c=$4:s=320x180:r=15:d=$5" \
    -pix_fmt yuv420p "${enc[@]}" -f rtp -payload_type "$pt" -ssrc "${7:-$((RANDOM + 1))}" -seq 1 \
    -srtp_out_suite AES_CM_128_HMAC_SHA1_80 -srtp_out_params "$3" "srtp://$1:$2?rtcpport=$2" \
    >"$WORK/vsender-$4.log" 2>&1 &
  PIDS+=($!)
}

# Receive video streams described by SDP into raw yuv420p files OUT.0, OUT.1, ... (one per
# video stream), for SECONDS from the first packet; each stream is scaled to WxH so a checker
# can read frames at a known size.
start_video_receiver() { # SDP OUT SECONDS W H NSTREAMS
  local maps=() i
  for ((i = 0; i < $6; i++)); do
    maps+=(-map "0:v:$i" -t "$3" -vf "scale=$4:$5" -f rawvideo -pix_fmt yuv420p -y "$2.$i")
  done
  timeout -k 5 $(($3 + 20)) ffmpeg -nostdin -loglevel error -threads 1 \
    -protocol_whitelist file,udp,rtp,srtp -i "$1" "${maps[@]}" >"$2.log" 2>&1 &
  PIDS+=($!)
}

# Is "Y U V" within TOL of the expected "Y U V"? near ACTUAL EXPECTED TOL WHAT
near() {
  awk -v a="$1" -v e="$2" -v t="$3" 'BEGIN { split(a, x, " "); split(e, y, " ")
    for (i = 1; i <= 3; i++) { d = x[i] - y[i]; if (d < -t || d > t) exit 1 } }' ||
    fail "$4: got YUV $1, expected $2 within $3"
  echo "ok: $4 (YUV $1 ~ $2)"
}

# BT.601 limited-range YUV of FFmpeg's colour names, as its yuv420p conversion gives them.
declare -A YUV=([red]="81 90 240" [lime]="145 54 34" [blue]="41 240 110" [white]="235 128 128")
