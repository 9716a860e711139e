#!/usr/bin/env bash
# Composite video with FFmpeg clients: four participants each send a solid colour over SRTP
# (three VP8, one H.264); an observer that sends no video receives the composite (VP8) and its
# decoded picture has the four colours in the four cells of the 2x2 grid. A participant joining
# late, receiving H.264 (the second shared encoder), gets a decodable picture within a second.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

W=640 H=360 SECS=12
start_server
MEETING=$(mcuctl --json schedule --title "e2e composite" --start now --video composite \
  --layout grid --resolution ${W}x$H --video-kbps 800 | jq -r .id)
[[ $MEETING == m-* ]] || fail "schedule: $MEETING"

# The observer joins first and listens for the whole call.
OBS_A=$((MEDIA_LO - 200)) OBS_V=$((MEDIA_LO - 198))
mcuctl --json join "$MEETING" --name observer --recv "127.0.0.1:$OBS_A" --video vp8 \
  --video-recv "127.0.0.1:$OBS_V" >"$WORK/observer.json" || fail "join observer"
jq -r .video.sdp "$WORK/observer.json" >"$WORK/observer.sdp"
grep -q "m=video $OBS_V RTP/SAVP 96" "$WORK/observer.sdp" || fail "observer SDP: $(cat "$WORK/observer.sdp")"
start_video_receiver "$WORK/observer.sdp" "$WORK/observer.yuv" $((SECS - 3)) $W $H 1
wait_udp_bound "$OBS_V"

COLOURS=(red lime blue white)
declare -A CODEC=([red]=vp8 [lime]=vp8 [blue]=vp8 [white]=h264)
i=0
for c in "${COLOURS[@]}"; do
  mcuctl --json join "$MEETING" --name "$c" --recv "127.0.0.1:$((MEDIA_LO - 180 + 4 * i))" \
    --video "${CODEC[$c]}" --video-recv "127.0.0.1:$((MEDIA_LO - 178 + 4 * i))" \
    >"$WORK/$c.json" || fail "join $c"
  i=$((i + 1))
done
i=0
for c in "${COLOURS[@]}"; do
  port=$(jq -r .video.port "$WORK/$c.json")
  key=$(jq -r .video.srtp_key "$WORK/$c.json")
  check "$(jq -r .video.payload_type "$WORK/$c.json")" "==" "$([[ ${CODEC[$c]} == h264 ]] && echo 97 || echo 96)" "$c's payload type"
  start_video_sender 127.0.0.1 "$port" "$key" "$c" "$SECS" "${CODEC[$c]}" $((1000 + i))
  i=$((i + 1))
done

# Mid-call, throw hostile packets at red's video port; the replay reuses sequence number 11 of
# red's SSRC (its sender starts at 1 and has sent more than that within the second).
sleep 1
"$TOOLS/badinput" "127.0.0.1:$(jq -r .video.port "$WORK/red.json")" \
  "$(jq -r .video.srtp_key "$WORK/red.json")" 1000 11 >"$WORK/attack.txt" || fail "badinput failed"
sent() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/attack.txt"; }

# Late joiner: joins after the others are up. FFmpeg takes a while to start (and never asks
# for a keyframe), so the clock runs from when its port is bound: the server must get a
# decodable picture to it within a second of that. -fpsprobesize 2: FFmpeg would otherwise
# buffer 20 frames (0.7 s) to guess the frame rate before it outputs anything.
sleep 3
LATE_A=$((MEDIA_LO - 120)) LATE_V=$((MEDIA_LO - 118))
t0=$(date +%s%N)
mcuctl --json join "$MEETING" --name late --recv "127.0.0.1:$LATE_A" --video h264 \
  --video-recv "127.0.0.1:$LATE_V" >"$WORK/late.json" || fail "join late"
jq -r .video.sdp "$WORK/late.json" >"$WORK/late.sdp"
grep -q "a=rtpmap:97 H264/90000" "$WORK/late.sdp" || fail "late SDP: $(cat "$WORK/late.sdp")"
timeout 10 ffmpeg -nostdin -loglevel error -threads 1 \
  -fpsprobesize 2 -protocol_whitelist file,udp,rtp,srtp -i "$WORK/late.sdp" -map 0:v:0 -frames:v 1 -f rawvideo \
  -pix_fmt yuv420p -y "$WORK/late.yuv" >"$WORK/late.log" 2>&1 &
late_pid=$!
wait_udp_bound "$LATE_V"
t1=$(date +%s%N)
if ! wait "$late_pid"; then
  mcuctl --json participants "$MEETING" | jq -c '.participants[] | {name, video}' >&2 || true
  fail "late receiver: $(head -5 "$WORK/late.log")"
fi
t2=$(date +%s%N)
[[ -s $WORK/late.yuv ]] || fail "the late joiner decoded nothing"
echo "late joiner: FFmpeg bound its port $(((t1 - t0) / 1000000)) ms after the join"
check "$(((t2 - t1) / 1000000))" "<" 1000 "late joiner's first decoded picture, ms after its port was bound"
near "$("$TOOLS/vcheck" "$WORK/late.yuv" $W $H $((W / 4 - 20)) $((H / 4 - 20)) 40 40 | tail -1)" \
  "${YUV[red]}" 24 "the late joiner's first picture already shows red in the first cell"

mcuctl --json participants "$MEETING" >"$WORK/parts.json"
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()

# The observer's last frame: the centre of each grid cell holds one sender's colour.
out=$("$TOOLS/vcheck" "$WORK/observer.yuv.0" $W $H \
  $((W / 4 - 20)) $((H / 4 - 20)) 40 40  $((3 * W / 4 - 20)) $((H / 4 - 20)) 40 40 \
  $((W / 4 - 20)) $((3 * H / 4 - 20)) 40 40  $((3 * W / 4 - 20)) $((3 * H / 4 - 20)) 40 40) ||
  fail "observer video: $out $(cat "$WORK/observer.yuv.log")"
frames=$(sed -n 's/^frames //p' <<<"$out")
check "$frames" ">=" 60 "observer frames decoded"
mapfile -t cells < <(sed 1d <<<"$out")
for i in 0 1 2 3; do
  near "${cells[$i]}" "${YUV[${COLOURS[$i]}]}" 24 "cell $i shows ${COLOURS[$i]} (${CODEC[${COLOURS[$i]}]})"
done
# Every sender's video was decoded on the server, the H.264 one included.
for c in "${COLOURS[@]}"; do
  f=$(jq -r --arg n "$c" '.participants[] | select(.name == $n) | .video.stats.rx_frames' "$WORK/parts.json")
  check "$f" ">" 20 "frames the server decoded from $c"
done
check "$(mcuctl --json show "$MEETING" | jq -r '.media.video_frames // 0')" ">" 60 "canvases encoded"
# The attack was counted on red's video port, and the pictures above survived it.
vstat() { jq -r --arg n "$1" ".participants[] | select(.name == \$n) | .video.stats.$2" "$WORK/parts.json"; }
check "$(vstat red rx_malformed)" ">=" "$(sent malformed)" "malformed packets counted on red's video"
check "$(vstat red rx_auth_fail)" ">=" "$(sent auth_fail)" "wrong-key packets counted on red's video"
check "$(vstat red rx_replay)" ">=" "$(sent replay)" "replayed packet counted on red's video"
check "$(vstat lime rx_auth_fail)" "==" 0 "nothing counted on lime's video"
stop_server
echo PASS
