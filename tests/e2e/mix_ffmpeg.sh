#!/usr/bin/env bash
# A mixing meeting with FFmpeg clients: three Opus participants and one G.711 mu-law participant
# each send a tone of their own; each one's received audio holds everyone else's tone and not
# its own (at least 30 dB under the others).
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

SECS=7
start_server
MEETING=$(mcuctl --json schedule --title "e2e mix" --start now --mode mix --talkers 4 | jq -r .id)
[[ $MEETING == m-* ]] || fail "schedule: $MEETING"
NAMES=(a b c d)
declare -A FREQ=([a]=440 [b]=660 [c]=880 [d]=1250) CODEC=([a]=opus [b]=opus [c]=opus [d]=pcmu)
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
for p in "${NAMES[@]}"; do
  [[ -s $WORK/$p.wav ]] || fail "receiver $p wrote nothing: $(cat "$WORK/$p.wav.log")"
  read -r _ own _ < <(tone_levels "$WORK/$p.wav" "${FREQ[$p]}")
  for q in "${NAMES[@]}"; do
    [[ $q == "$p" ]] && continue
    read -r _ other other_min < <(tone_levels "$WORK/$p.wav" "${FREQ[$q]}")
    check "$other" ">" -35 "$p (${CODEC[$p]}) hears $q's ${FREQ[$q]} Hz (${CODEC[$q]}), dBFS"
    check "$(awk -v a="$other" -v b="$own" 'BEGIN { print a - b }')" ">=" 30 \
      "$p's own tone is at least 30 dB under $q's"
  done
done
stop_server
echo PASS
