#!/usr/bin/env bash
# Audio over impaired networks (issue #7). Five mixing meetings run side by side on one server,
# one case each, so that each listener's mix holds one talker's tone and nothing else:
#   base  no impairment (the relay only passes packets): what the codec path gives
#   l5    5 % of the talker's packets dropped at random, every packet delayed 50 +- 25 ms
#   l10   10 % dropped, the same jitter
#   l20   20 % dropped, the same jitter
#   mix   5 % dropped, the same jitter, and 5 % duplicated, 5 % held back behind the next 2,
#         2 % with a byte flipped: duplicates must die in the SRTP replay window, corrupted
#         packets in SRTP authentication (both counted), and neither may reach the decoder
# "50 ms jitter" is taken as 50 ms peak to peak: each packet's delay is uniform in 25..75 ms, so
# 20 ms packets overtake each other too. The talker is an FFmpeg Opus sender with in-band FEC
# tuned to its loss (-fec 1 -packet_loss N); its relay runs between it and its server port.
# The l10 meeting has a second listener whose way back crosses a relay too (5 % loss, the same
# jitter). Tones have a whole number of cycles per 100 ms window (wavtone's Goertzel is then
# exact), and wavtone --report gives per tone: the windows of its span, how many hold it above
# -40 dBFS, and its signal-to-noise ratio (tone power against everything else in the window:
# concealment artefacts, clicks, coding noise), over the span, in the median window and in the
# worst.
#
# Asserted at the direct listeners: every 100 ms window audible at 5 % and 10 %; at 20 % at
# most QUIET_MAX_20 windows below -40 dBFS (3, about 97 %, see below); an SNR floor per case;
# and the lossy talkers stay "talking" for the whole call (talker selection does not drop them
# on a concealed frame). Seeds are fixed, so each relay drops the same packets in every run; a
# failure replays.
#
# What the figures mean (measured; the report lists them): with -packet_loss N > 0 FFmpeg's
# libopus encodes the tone in SILK (TOC config 9, wideband) to carry FEC, and SILK re-converges
# slowly on a pure tone after a lost packet, rebuilt or concealed: windows after a loss read a
# few dB of SNR even with a perfect receiver. Plain libopus decoding the same FFmpeg stream with
# the same 20 % loss pattern (FEC from the next packet, else PLC; no server, no jitter) gives
# 4-6 dB over the span and 0-4 windows of 98 below -40 dBFS over 16 seeds (1.7 % on average);
# this test's seed gives 1 such window. Through the server, with 50 ms of jitter, we saw 1 or 2
# in most runs, likely where the jitter buffer concealed a frame that the ideal decoder rebuilt
# from the next packet's FEC (jbuf.h: with a small margin the next packet is not always in hand
# at the lost frame's tick), and 4-5 when the machine was loaded (load 8 on 2 cores: the
# server's ticks overran, senders stalled). So the bar at 20 % is a count: at most 3 quiet
# windows in this 10 s call (about 97 % of its ~95 windows), plus what a measured stall of the
# talker's own sender accounts for (stall_allow). 98 % would allow 1 window of a 95-window span:
# 2 fail it, which happened in about 1 run in 6 on a quiet machine. A jitter buffer that
# underruns, or concealment that fails, loses many windows, not 3.
# SNR floors apply to the median window (the overall figure swings with one bad window, and a
# machine shared with other tests makes one now and then): a few dB under the lowest medians we
# measured (base 33, 5 % 34, 10 % 7-11, 20 % 1.8-3.1, mix 29); they catch a path that turns to
# noise or clicks, not the luck of a draw.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

SECS=10 # talkers' call length
# Listeners record 9.5 s from their first packet: the server sends a listener the mix for the
# talker's 10 s and a tail (10.3-11.1 s of packets measured), and an FFmpeg receiver asked for
# more than it gets waits for ever (lib.sh's start_receiver has no -k; ours below has).
REC=9.5
CASES=(base l5 l10 l20 mix)
declare -A LOSS=([base]=0 [l5]=5 [l10]=10 [l20]=20 [mix]=5) JITTER=([base]=0 [l5]=25 [l10]=25 [l20]=25 [mix]=25)
declare -A DELAY=([base]=0 [l5]=50 [l10]=50 [l20]=50 [mix]=50)
declare -A FREQ=([base]=550 [l5]=440 [l10]=660 [l20]=880 [mix]=770)
declare -A SEED=([base]=100 [l5]=105 [l10]=110 [l20]=120 [mix]=130)
declare -A EXTRA=([base]="" [l5]="" [l10]="" [l20]="" [mix]="--dup 5 --reorder 5 --reorder-depth 2 --corrupt 2")
# 100 ms windows where the tone may be below -40 dBFS, at most.
declare -A QUIET_MAX=([base]=0 [l5]=0 [l10]=0 [l20]=${QUIET_MAX_20:-3} [mix]=0)
declare -A SNR_MIN=([base]=25 [l5]=25 [l10]=4 [l20]=1 [mix]=20) # dB, the median window's

# Windows a stall of the talker's own sender may silence: the relay counts arrival gaps of
# 100 ms or more (FFmpeg starved of CPU on a shared machine: a 328 ms one silenced 4 windows in
# one run), which no network here made; each costs its length in windows plus one it straddles.
stall_allow() { # RELAY_FILE
  awk '$1 == "stats" { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1) }
    END { print v["stalls"] ? v["stalls"] + int((v["stall_ms"] + 99) / 100) : 0 }' "$1"
}
# One counter of a relay's final "stats" line: relay_stat FILE NAME
relay_stat() {
  awk -v k="$2" '$1 == "stats" { for (i = 2; i < NF; i += 2) if ($i == k) v = $(i + 1) } END { print v }' "$1"
}

# N even UDP ports P (P and P + 1 free a moment ago) for receivers and relays, into PORTS: from
# 61000-64998, above the kernel's ephemeral range and the ranges lib.sh's tests pick, so that
# tests running side by side (as MEDIA_LO - 200 and the like could) do not take each other's.
pick_ports() { # N
  local p
  PORTS=()
  for _ in $(seq 1000); do
    p=$(((RANDOM % 2000) * 2 + 61000))
    [[ " ${PORTS[*]} " == *" $p "* ]] && continue
    ss -Hlun "( sport = :$p or sport = :$((p + 1)) )" | grep -q . && continue
    PORTS+=("$p")
    ((${#PORTS[@]} == $1)) && return
  done
  fail "no free UDP ports"
}

# Receive what the server sends one listener into a WAV file, REC seconds from its first packet.
receiver() { # SDP WAV
  timeout -k 3 $((SECS + 15)) ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp,srtp \
    -i "$1" -t "$REC" -y "$2" >"$2.log" 2>&1 &
  PIDS+=($!)
}

# As root, the parts that keep real time (the server's threads, the senders, the relays) run at
# a media server's priority (nice -10, -5), as flood.sh does, so that other tenants of a shared
# machine (builds, fuzzers, other tests) do not count as the network's doing; the listeners
# only write files and keep the default.
RT=()
boost_server() {
  ((EUID == 0)) || return 0
  local tids
  mapfile -t tids < <(ls "/proc/$SERVER_PID/task")
  renice -n -10 -p "${tids[@]}" >/dev/null || true
  RT=(nice -n -5)
}

start_server
boost_server
RELAY_PIDS=()
start_relay() { # NAME LISTEN_PORT DEST_PORT impair-options...
  local name=$1 listen=$2 dest=$3
  shift 3
  "${RT[@]}" "$TOOLS/impair" "$@" --dir up --seconds $((SECS + 20)) "$listen" "$dest" \
    >"$WORK/relay-$name.txt" 2>&1 &
  RELAY_PIDS+=($!)
  PIDS+=($!)
  wait_udp_bound "$listen"
}

# Ports: a listener per case, a relay per talker, and the way back's relay and listener.
pick_ports $((2 * ${#CASES[@]} + 2))
declare -A RECV RELAY
for i in "${!CASES[@]}"; do
  RECV[${CASES[$i]}]=${PORTS[$i]} RELAY[${CASES[$i]}]=${PORTS[$((i + ${#CASES[@]}))]}
done
VIA_JOIN=${PORTS[-2]} VIA_REAL=${PORTS[-1]}
# Talkers join without --recv (symmetric, as behind NAT): the server answers the source of
# their packets, the relay's own port, and the relay passes its RTCP and the talker's mix back
# to FFmpeg unimpaired (--dir up), so both of the relay's directions carry a call.
MEETING=()
i=0
for c in "${CASES[@]}"; do
  MEETING[$i]=$(mcuctl --json schedule --title "e2e impaired $c" --start now --mode mix | jq -r .id)
  [[ ${MEETING[$i]} == m-* ]] || fail "schedule: ${MEETING[$i]}"
  mcuctl --json join "${MEETING[$i]}" --name "t$c" >"$WORK/t$c.json" || fail "join t$c"
  mcuctl --json join "${MEETING[$i]}" --name "r$c" --recv "127.0.0.1:${RECV[$c]}" --sdp "$WORK/r$c.sdp" \
    >"$WORK/r$c.json" || fail "join r$c"
  i=$((i + 1))
done
# Each meeting's event stream, for the talking/not talking transitions; read until the call
# is over (then stopped; the time limit is a safety net on a slow machine).
CURL_PIDS=()
for i in "${!CASES[@]}"; do
  curl -sN --max-time $((SECS + 60)) -H "Authorization: Bearer $(cat "$DATA/admin.token")" \
    "$MCU_SERVER/api/v1/meetings/${MEETING[$i]}/events" >"$WORK/events-${CASES[$i]}.txt" &
  CURL_PIDS+=($!)
  PIDS+=($!)
done
for c in "${CASES[@]}"; do
  for _ in $(seq 50); do grep -q '^: events of meeting' "$WORK/events-$c.txt" && break; sleep 0.1; done
done
# The listener behind a relay on its way back, in the l10 meeting: the server sends to its join
# address, where a relay passes the mix on to the port FFmpeg listens on (its SDP rewritten).
mcuctl --json join "${MEETING[2]}" --name rvia --recv "127.0.0.1:$VIA_JOIN" --sdp "$WORK/rvia.sdp" \
  >"$WORK/rvia.json" || fail "join rvia"
sed "s/^m=audio $VIA_JOIN /m=audio $VIA_REAL /" "$WORK/rvia.sdp" >"$WORK/rvia-real.sdp"
start_relay back "$VIA_JOIN" "$VIA_REAL" --drop 5 --delay 50 --jitter 25 --seed 7
port() { jq -r .audio.port "$WORK/$1.json"; }
key() { jq -r .audio.srtp_key "$WORK/$1.json"; }

for c in "${CASES[@]}"; do
  receiver "$WORK/r$c.sdp" "$WORK/r$c.wav"
  wait_udp_bound "${RECV[$c]}"
done
receiver "$WORK/rvia-real.sdp" "$WORK/rvia.wav"
wait_udp_bound "$VIA_REAL"

SENDERS=()
i=0
for c in "${CASES[@]}"; do
  relay=${RELAY[$c]}
  start_relay "$c" "$relay" "$(port "t$c")" --drop "${LOSS[$c]}" --delay "${DELAY[$c]}" \
    --jitter "${JITTER[$c]}" --seed "${SEED[$c]}" ${EXTRA[$c]}
  "${RT[@]}" timeout -k 3 $((SECS + 15)) ffmpeg -nostdin -loglevel error -re -f lavfi \
    -i "sine=frequency=${FREQ[$c]}:duration=$SECS:sample_rate=48000" \
    -c:a libopus -b:a 32k -fec 1 -packet_loss "${LOSS[$c]}" -f rtp -srtp_out_suite AES_CM_128_HMAC_SHA1_80 \
    -srtp_out_params "$(key "t$c")" "srtp://127.0.0.1:$relay?rtcpport=$relay" >"$WORK/sender-$c.log" 2>&1 &
  SENDERS+=($!)
  PIDS+=($!)
  i=$((i + 1))
done

for pid in "${SENDERS[@]}"; do wait "$pid" || fail "a talker's FFmpeg failed: $(cat "$WORK"/sender-*.log)"; done
sleep 0.5 # the relays' last delayed packets
for m in "${MEETING[@]}"; do mcuctl --json participants "$m"; done | jq -s '[.[].participants[]]' >"$WORK/parts.json"
for pid in "${PIDS[@]}"; do # the receivers end REC s after their first packet
  [[ " ${RELAY_PIDS[*]} ${CURL_PIDS[*]} " == *" $pid "* ]] || wait "$pid" || true
done
for pid in "${RELAY_PIDS[@]}" "${CURL_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${RELAY_PIDS[@]}" "${CURL_PIDS[@]}"; do wait "$pid" || true; done
PIDS=()

# The network each talker had, as the relay made it and as the server measured it.
pstat() { jq -r --arg n "$1" ".[] | select(.name == \$n) | .stats.$2" "$WORK/parts.json"; }
# rx_lost is the server's as of its last RTCP report (it is refreshed only then), so it can lag
# the relay's count by a few seconds of packets; tick overruns are the server's own stalls.
echo "case  network (relay)          relay: up dropped late stalls/ms back  server: rx lost jitter_ms overruns"
i=0
for c in "${CASES[@]}" back; do
  f=$WORK/relay-$c.txt
  if [[ $c == back ]]; then net="5 % loss, 50+-25 ms" who=-; else
    net="${LOSS[$c]} % loss, ${DELAY[$c]}+-${JITTER[$c]} ms" who=t$c; fi
  over=-
  [[ $who == - ]] || over=$(mcuctl --json show "${MEETING[$i]}" | jq -r .media.tick_overruns)
  printf "%-5s %-24s %6s %7s %4s %6s/%-4s %4s    %6s %4s %9s %8s\n" "$c" "$net" \
    $(($(relay_stat "$f" in) - $(relay_stat "$f" down_in))) "$(relay_stat "$f" dropped)" \
    "$(relay_stat "$f" late)" "$(relay_stat "$f" stalls)" "$(relay_stat "$f" stall_ms)" \
    "$(relay_stat "$f" down_out)" "$([[ $who == - ]] || pstat "$who" rx_packets)" \
    "$([[ $who == - ]] || pstat "$who" rx_lost)" "$([[ $who == - ]] || pstat "$who" rx_jitter_ms)" "$over"
  i=$((i + 1))
done
check "$(relay_stat "$WORK/relay-back.txt" dropped)" ">" 5 "the way back's relay dropped packets"
for c in l5 l10 l20 mix; do
  check "$(relay_stat "$WORK/relay-$c.txt" dropped)" ">" $((SECS * 50 * LOSS[$c] / 200)) \
    "relay $c dropped at least half of ${LOSS[$c]} % of the talker's packets"
  check "$(relay_stat "$WORK/relay-$c.txt" late)" ">" 10 "relay $c reordered packets by its jitter"
  check "$(relay_stat "$WORK/relay-$c.txt" down_out)" ">" 100 "relay $c carried the server's packets back"
  check "$(pstat "t$c" rx_lost)" ">" 0 "the server counted $c's losses"
  check "$(grep -A1 '^event: talking' "$WORK/events-$c.txt" | grep -c '"talking":true')" "==" 1 \
    "$c's talker started talking once and stayed talking through the losses"
done
f=$WORK/relay-mix.txt
echo "mix: relay duplicated $(relay_stat "$f" duplicated), held back $(relay_stat "$f" reordered)," \
  "corrupted $(relay_stat "$f" corrupted); server rx_replay $(pstat tmix rx_replay)," \
  "rx_auth_fail $(pstat tmix rx_auth_fail), rx_malformed $(pstat tmix rx_malformed)"
# A flipped byte anywhere in an SRTP packet fails its authentication (the header is covered),
# unless it is the first byte and the packet no longer looks like RTP at all.
check "$(($(pstat tmix rx_auth_fail) + $(pstat tmix rx_malformed) + $(pstat tmix rx_unknown)))" ">=" \
  "$(relay_stat "$f" corrupted)" "mix: every corrupted packet refused (auth_fail + malformed + unknown)"
check "$(pstat tmix rx_replay)" ">" 0 "mix: duplicates refused by the SRTP replay window"
check "$(pstat tmix rx_replay)" "<=" "$(relay_stat "$f" duplicated)" "mix: only duplicates refused as replays"

# "FREQ LEVEL QUIETEST WINDOWS AUDIBLE AUDIBLE% SNR MEDIAN_SNR WORST_SNR" per listener.
for r in "${CASES[@]}" via; do
  c=$r
  [[ $r == via ]] && c=l10
  "$TOOLS/wavtone" --window 100 --report "$WORK/r$r.wav" "${FREQ[$c]}" >"$WORK/r$r.tones" ||
    fail "listener r$r: $(cat "$WORK/r$r.wav.log")"
done
echo "listener  talker's network       windows audible audible_%  snr_dB median_window worst_window quietest_dBFS"
for r in "${CASES[@]}" via; do
  c=$r way=""
  [[ $r == via ]] && c=l10 way=" +back"
  read -r _ _ quiet nw na pct snr msnr wsnr <"$WORK/r$r.tones"
  printf "%-9s %-22s %7s %7s %9s %7s %13s %12s %13s\n" "r$r" "${LOSS[$c]} % ${DELAY[$c]}+-${JITTER[$c]} ms$way" \
    "$nw" "$na" "$pct" "$snr" "$msnr" "$wsnr" "$quiet"
done
field() { awk -v n="$2" '{ print $n }' "$WORK/r$1.tones"; }
for c in "${CASES[@]}"; do
  check "$(field "$c" 4)" ">=" 85 "$c: the tone's span at its listener, 100 ms windows"
  allow=$(stall_allow "$WORK/relay-$c.txt")
  check "$(($(field "$c" 4) - $(field "$c" 5)))" "<=" $((QUIET_MAX[$c] + allow)) \
    "$c: windows where the tone is not audible (<= -40 dBFS; audible in $(field "$c" 6) %; $allow allowed for sender stalls)"
  check "$(field "$c" 8)" ">" "${SNR_MIN[$c]}" "$c: the tone's SNR in the median window at its listener, dB"
done
# FFmpeg, the listener behind the relay, has no concealment: a packet lost on the way back just
# shortens its recording (a phase jump, no silence). What it hears is mostly the 10 % talker's
# SILK artefacts; this is the client's share, measured (98.9-100 %) and bounded loosely.
check "$(field via 6)" ">=" 95 "l10 heard behind a lossy way back: windows where the tone is audible, %"
stop_server
echo PASS
