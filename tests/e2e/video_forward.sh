#!/usr/bin/env bash
# Forwarded video with FFmpeg clients: four participants send a solid colour each (VP8 over
# SRTP); each receives the other three as three streams (one per port, as its SDP says),
# decodes them, and finds exactly the other three colours, never its own.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

W=320 H=180 SECS=10
start_server
MEETING=$(mcuctl --json schedule --title "e2e forward" --start now --mode forward --video forward \
  --max 4 | jq -r .id)
[[ $MEETING == m-* ]] || fail "schedule: $MEETING"
COLOURS=(red lime blue white)
i=0
for c in "${COLOURS[@]}"; do
  A=$((MEDIA_LO - 300 + 10 * i)) V=$((MEDIA_LO - 298 + 10 * i))
  mcuctl --json join "$MEETING" --name "$c" --recv "127.0.0.1:$A" --video vp8 \
    --video-recv "127.0.0.1:$V" >"$WORK/$c.json" || fail "join $c"
  check "$(jq -r .video.streams "$WORK/$c.json")" "==" 3 "$c gets three video streams"
  jq -r .video.sdp "$WORK/$c.json" >"$WORK/$c.sdp"
  check "$(grep -c '^m=video' "$WORK/$c.sdp")" "==" 3 "$c's SDP has three video sections"
  start_video_receiver "$WORK/$c.sdp" "$WORK/$c.yuv" 4 $W $H 3
  wait_udp_bound "$V"
  wait_udp_bound "$((V + 4))"
  i=$((i + 1))
done
for c in "${COLOURS[@]}"; do
  start_video_sender 127.0.0.1 "$(jq -r .video.port "$WORK/$c.json")" \
    "$(jq -r .video.srtp_key "$WORK/$c.json")" "$c" "$SECS" vp8
done
sleep 4
mcuctl --json participants "$MEETING" >"$WORK/parts.json"
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()

colour_of() { # "Y U V" -> the colour name it is near, or "?"
  local c
  for c in "${COLOURS[@]}"; do
    awk -v a="$1" -v e="${YUV[$c]}" 'BEGIN { split(a, x, " "); split(e, y, " ")
      for (i = 1; i <= 3; i++) { d = x[i] - y[i]; if (d < -24 || d > 24) exit 1 } }' &&
      { echo "$c"; return; }
  done
  echo "?"
}

for c in "${COLOURS[@]}"; do
  got=()
  for s in 0 1 2; do
    out=$("$TOOLS/vcheck" "$WORK/$c.yuv.$s" $W $H $((W / 2 - 20)) $((H / 2 - 20)) 40 40) ||
      fail "$c stream $s: $out $(cat "$WORK/$c.yuv.log")"
    check "$(sed -n 's/^frames //p' <<<"$out")" ">=" 30 "$c stream $s frames decoded"
    got+=("$(colour_of "$(tail -1 <<<"$out")")")
  done
  want=$(printf '%s\n' "${COLOURS[@]}" | grep -vx "$c" | sort | tr '\n' ' ')
  have=$(printf '%s\n' "${got[@]}" | sort | tr '\n' ' ')
  [[ $have == "$want" ]] || fail "$c received [$have], expected the other three [$want]"
  echo "ok: $c receives $have"
done
# Keyframe requests went to the senders when receivers were switched onto them.
total=$(jq '[.participants[].video.stats.tx_keyreq] | add' "$WORK/parts.json")
check "$total" ">=" 1 "keyframe requests sent to senders"
stop_server
echo PASS
