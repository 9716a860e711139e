#!/usr/bin/env bash
# A mixing meeting with FFmpeg clients: three Opus participants and one G.711 mu-law participant
# each send a tone of their own; each one's received audio holds everyone else's tone and not
# its own (at least 30 dB under the others). Then plain RTP: refused (400) in that meeting, and
# in a meeting scheduled with --plain-rtp two FFmpeg clients send plain RTP and receive with the
# server's RTP/AVP SDP, each hearing the other.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

# Send an Opus tone of FREQ Hz as plain RTP (no SRTP) to HOST:PORT, for SECONDS.
start_plain_sender() { # HOST PORT FREQ SECONDS SSRC
  ffmpeg -nostdin -loglevel error -re -f lavfi -i "sine=frequency=$3:duration=$4:sample_rate=48000" \
    -c:a libopus -b:a 32k -f rtp -ssrc "$5" -seq 1 "rtp://$1:$2?rtcpport=$2" \
    >"$WORK/sender-$3.log" 2>&1 &
  PIDS+=($!)
}

# Each of the participants NAMES... hears every other's FREQ and not its own (WAVs in $WORK).
check_hears_others() { # NAMES...
  local p q own other other_min
  for p in "$@"; do
    [[ -s $WORK/$p.wav ]] || fail "receiver $p wrote nothing: $(cat "$WORK/$p.wav.log")"
    read -r _ own _ < <(tone_levels "$WORK/$p.wav" "${FREQ[$p]}")
    for q in "$@"; do
      [[ $q == "$p" ]] && continue
      read -r _ other other_min < <(tone_levels "$WORK/$p.wav" "${FREQ[$q]}")
      check "$other" ">" -35 "$p (${CODEC[$p]}) hears $q's ${FREQ[$q]} Hz (${CODEC[$q]}), dBFS"
      check "$(awk -v a="$other" -v b="$own" 'BEGIN { print a - b }')" ">=" 30 \
        "$p's own tone is at least 30 dB under $q's"
    done
  done
}

SECS=7
start_server
MEETING=$(mcuctl --json schedule --title "e2e mix" --start now --mode mix --talkers 4 | jq -r .id)
[[ $MEETING == m-* ]] || fail "schedule: $MEETING"
NAMES=(a b c d)
declare -A FREQ=([a]=440 [b]=660 [c]=880 [d]=1250 [e]=520 [f]=1000) \
  CODEC=([a]=opus [b]=opus [c]=opus [d]=pcmu [e]=plain-opus [f]=plain-opus)
if mcuctl join "$MEETING" --name p --srtp-suite none 2>"$WORK/refused.txt" >/dev/null; then
  fail "a join with --srtp-suite none in a meeting without plain RTP was accepted"
fi
grep -q "(HTTP 400)" "$WORK/refused.txt" && grep -q -- "--plain-rtp" "$WORK/refused.txt" ||
  fail "plain join refusal: $(cat "$WORK/refused.txt")"
echo "ok: --srtp-suite none refused with 400 where plain RTP is not allowed"
i=0
for p in "${NAMES[@]}"; do
  RECV[$i]=$((MEDIA_LO - 100 + 4 * i))
  mcuctl --json join "$MEETING" --name "$p" --audio "${CODEC[$p]}" --recv "127.0.0.1:${RECV[$i]}" \
    --sdp "$WORK/$p.sdp" >"$WORK/$p.json" || fail "join $p"
  start_receiver "$WORK/$p.sdp" "$WORK/$p.wav" $((SECS - 2))
  wait_udp_bound "${RECV[$i]}"
  i=$((i + 1))
done
for p in "${NAMES[@]}"; do
  port=$(jq -r .audio.port "$WORK/$p.json")
  key=$(jq -r .audio.srtp_key "$WORK/$p.json")
  if [[ ${CODEC[$p]} == pcmu ]]; then
    start_sender_pcmu 127.0.0.1 "$port" "$key" "${FREQ[$p]}" "$SECS"
  else
    start_sender 127.0.0.1 "$port" "$key" "${FREQ[$p]}" "$SECS" $((RANDOM + 1)) 1
  fi
done
sleep 3
mcuctl --json show "$MEETING" >"$WORK/show.json"
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()

check "$(jq -r .media.talkers "$WORK/show.json")" "==" 4 "four talkers mixed mid-call"
check_hears_others "${NAMES[@]}"

# Plain RTP where the meeting allows it: no key, an RTP/AVP SDP, and FFmpeg's rtp:// sender.
PLAIN=$(mcuctl --json schedule --title "e2e plain" --start now --mode mix --plain-rtp | jq -r .id)
[[ $PLAIN == m-* ]] || fail "schedule --plain-rtp: $PLAIN"
[[ $(mcuctl --json show "$PLAIN" | jq -r .plain_rtp) == true ]] || fail "plain_rtp not kept"
mcuctl show "$PLAIN" | grep -q "plain RTP     allowed" || fail "show does not say plain RTP is allowed"
i=4
for p in e f; do
  RECV[$i]=$((MEDIA_LO - 100 + 4 * i))
  mcuctl --json join "$PLAIN" --name "$p" --srtp-suite none --recv "127.0.0.1:${RECV[$i]}" \
    --sdp "$WORK/$p.sdp" >"$WORK/$p.json" || fail "plain join $p"
  [[ $(jq -r '.audio.srtp_suite + " " + (.audio | has("srtp_key") | tostring)' "$WORK/$p.json") == "none false" ]] ||
    fail "plain join $p answered $(cat "$WORK/$p.json")"
  grep -q "^m=audio ${RECV[$i]} RTP/AVP 111" "$WORK/$p.sdp" && ! grep -q "a=crypto" "$WORK/$p.sdp" ||
    fail "plain SDP of $p: $(cat "$WORK/$p.sdp")"
  start_receiver "$WORK/$p.sdp" "$WORK/$p.wav" $((SECS - 2))
  wait_udp_bound "${RECV[$i]}"
  i=$((i + 1))
done
for p in e f; do
  start_plain_sender 127.0.0.1 "$(jq -r .audio.port "$WORK/$p.json")" "${FREQ[$p]}" "$SECS" $((RANDOM + 1))
done
sleep 3
mcuctl --json participants "$PLAIN" >"$WORK/plain-parts.json"
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()
check "$(jq '[.participants[] | select(.audio.srtp_suite == "none" and .stats.rx_packets > 50)] | length' \
  "$WORK/plain-parts.json")" "==" 2 "both plain participants listed with suite none, receiving"
check "$(jq '[.participants[].stats | .rx_auth_fail + .rx_malformed] | add' "$WORK/plain-parts.json")" \
  "==" 0 "plain packets dropped"
check_hears_others e f
stop_server
echo PASS
