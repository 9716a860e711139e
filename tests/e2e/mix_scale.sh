#!/usr/bin/env bash
# Ten participants of whom two talk: the server runs 2 + 1 Opus encoders (one per talker, one
# shared by the eight listeners), not ten. One talker's packets cross a link that drops 10 % of
# them at random, and everybody still hears its tone in every 100 ms window (FEC / PLC). A third
# sends only quiet room noise: its packets are not even decoded.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

SECS=8
start_server
MEETING=$(mcuctl --json schedule --title "e2e scale" --start now --mode mix | jq -r .id)
# The meeting's event stream (server-sent events), read for the whole call.
curl -sN --max-time $((SECS + 6)) -H "Authorization: Bearer $(cat "$DATA/admin.token")" \
  "$MCU_SERVER/api/v1/meetings/$MEETING/events" >"$WORK/events.txt" &
PIDS+=($!)
for _ in $(seq 50); do grep -q '^: events of meeting' "$WORK/events.txt" && break; sleep 0.1; done
for i in $(seq 0 9); do
  mcuctl --json join "$MEETING" --name "p$i" --recv "127.0.0.1:$((MEDIA_LO - 200 + 4 * i))" \
    --sdp "$WORK/p$i.sdp" >"$WORK/p$i.json" || fail "join p$i"
done
# Receivers for one talker (p0) and one listener (p5).
for i in 0 5; do
  start_receiver "$WORK/p$i.sdp" "$WORK/p$i.wav" $((SECS - 2))
  wait_udp_bound $((MEDIA_LO - 200 + 4 * i))
done
port() { jq -r .audio.port "$WORK/$1.json"; }
key() { jq -r .audio.srtp_key "$WORK/$1.json"; }

# p1 sends through a relay that drops 10 % (seeded, so a failure can be replayed).
RELAY=$((MEDIA_LO - 20))
"$TOOLS/lossy" "$RELAY" "127.0.0.1:$(port p1)" 10 $((SECS + 2)) 7 >"$WORK/lossy.txt" &
PIDS+=($!)
wait_udp_bound "$RELAY"
start_sender 127.0.0.1 "$(port p0)" "$(key p0)" 440 "$SECS" 1000 1
ffmpeg -nostdin -loglevel error -re -f lavfi -i "sine=frequency=660:duration=$SECS:sample_rate=48000" \
  -c:a libopus -b:a 32k -fec 1 -packet_loss 10 -f rtp -srtp_out_suite AES_CM_128_HMAC_SHA1_80 \
  -srtp_out_params "$(key p1)" "srtp://127.0.0.1:$RELAY?rtcpport=$RELAY" >"$WORK/sender-660.log" 2>&1 &
PIDS+=($!)
# p2 has an open microphone in a quiet room, from a VoIP-mode encoder (as browsers are): its
# packets carry the encoder's "no speech" flag, so the server does not even decode them.
ffmpeg -nostdin -loglevel error -re -f lavfi -i "anoisesrc=amplitude=0.0002:duration=$SECS:sample_rate=48000" \
  -c:a libopus -application voip -b:a 32k -f rtp -srtp_out_suite AES_CM_128_HMAC_SHA1_80 \
  -srtp_out_params "$(key p2)" "srtp://127.0.0.1:$(port p2)?rtcpport=$(port p2)" >"$WORK/sender-quiet.log" 2>&1 &
PIDS+=($!)

sleep 4
mcuctl --json show "$MEETING" >"$WORK/show.json"
mcuctl --json participants "$MEETING" >"$WORK/parts.json"
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()
cat "$WORK/lossy.txt"

check "$(jq -r .media.talkers "$WORK/show.json")" "==" 2 "two talkers mixed"
check "$(jq -r .media.encoders_running "$WORK/show.json")" "==" 3 "encoders running (2 talkers + 1 shared)"
check "$(jq -r .media.decoders_running "$WORK/show.json")" "==" 2 "inputs decoded (the 2 talkers, not quiet p2)"
check "$(jq '.participants[] | select(.name == "p2") | .stats.rx_packets' "$WORK/parts.json")" ">" 100 \
  "quiet p2's packets arrive"
check "$(jq '[.participants[] | select(.audio.talking)] | length' "$WORK/parts.json")" "==" 2 \
  "participants shown talking"
check "$(jq '[.participants[] | select(.stats.tx_packets > 100)] | length' "$WORK/parts.json")" "==" 10 \
  "all ten participants are sent audio"
check "$(awk '{ print $4 }' "$WORK/lossy.txt")" ">" 20 "the relay dropped p1's packets"
check "$(grep -c '^event: join' "$WORK/events.txt")" "==" 10 "event stream: ten joins"
for p in p0 p1; do
  check "$(grep -A1 '^event: talking' "$WORK/events.txt" | grep -c "\"name\":\"$p\",\"talking\":true")" \
    ">=" 1 "event stream: $p started talking"
done
check "$(grep -A1 '^event: speaker' "$WORK/events.txt" | grep -c '"active":true')" ">=" 1 \
  "event stream: an active speaker"
check "$(grep -A1 '^event: talking' "$WORK/events.txt" | grep -c '"talking":false')" ">=" 2 \
  "event stream: both stopped talking at the end"

read -r _ l440 _ < <(tone_levels "$WORK/p5.wav" 440)
read -r _ l660 m660 < <(tone_levels "$WORK/p5.wav" 660)
check "$l440" ">" -35 "listener p5 hears p0 (dBFS)"
check "$l660" ">" -35 "listener p5 hears lossy p1 (dBFS)"
check "$m660" ">" -40 "listener p5 hears p1 in every 100 ms window despite 10 % loss (quietest)"
read -r _ own _ < <(tone_levels "$WORK/p0.wav" 440)
read -r _ o660 om660 < <(tone_levels "$WORK/p0.wav" 660)
check "$o660" ">" -35 "talker p0 hears p1"
check "$om660" ">" -40 "talker p0 hears p1 in every 100 ms window (quietest)"
check "$(awk -v a="$o660" -v b="$own" 'BEGIN { print a - b }')" ">=" 30 "p0 does not hear itself"
curl -sf -H "Authorization: Bearer $(cat "$DATA/admin.token")" "$MCU_SERVER/metrics" >"$WORK/metrics.txt" ||
  fail "/metrics"
metric() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/metrics.txt"; }
check "$(metric mcu_participants)" "==" 10 "/metrics: participants"
check "$(metric mcu_rx_lost)" ">" 0 "/metrics: the relay's losses are counted"
check "$(metric 'mcu_worker_cpu_seconds{worker="0"}')" ">" 0 "/metrics: CPU per worker"
check "$(curl -s -o /dev/null -w '%{http_code}' "$MCU_SERVER/metrics")" "==" 401 "/metrics needs the token"
stop_server
echo PASS
