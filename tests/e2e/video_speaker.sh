#!/usr/bin/env bash
# Speaker layout follows the audio mixer: three FFmpeg participants each send a colour and audio
# over SRTP; red talks for the first half, then falls silent and lime talks. An observer's
# composite shows red in the large top area first, then lime.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

W=640 H=360 SECS=12 HALF=6
start_server
MEETING=$(mcuctl --json schedule --title "e2e speaker" --start now --video composite \
  --layout speaker --resolution ${W}x$H | jq -r .id)
[[ $MEETING == m-* ]] || fail "schedule: $MEETING"

OBS_V=$((MEDIA_LO - 198))
mcuctl --json join "$MEETING" --name observer --recv "127.0.0.1:$((MEDIA_LO - 200))" --video vp8 \
  --video-recv "127.0.0.1:$OBS_V" >"$WORK/observer.json" || fail "join observer"
jq -r .video.sdp "$WORK/observer.json" >"$WORK/observer.sdp"
start_video_receiver "$WORK/observer.sdp" "$WORK/observer.yuv" $((SECS - 3)) $W $H 1
wait_udp_bound "$OBS_V"

# Audio: a tone while the participant talks, digital silence otherwise (commas escaped: the
# expression sits inside a filter graph).
declare -A SPEECH=(
  [red]="if(lt(t\\,$HALF)\\,0.5*sin(2*PI*440*t)\\,0)"
  [lime]="if(gte(t\\,$HALF)\\,0.5*sin(2*PI*660*t)\\,0)"
  [blue]="0")
i=0
for c in red lime blue; do
  mcuctl --json join "$MEETING" --name "$c" --recv "127.0.0.1:$((MEDIA_LO - 180 + 4 * i))" \
    --video vp8 --video-recv "127.0.0.1:$((MEDIA_LO - 178 + 4 * i))" >"$WORK/$c.json" ||
    fail "join $c"
  i=$((i + 1))
done
for c in red lime blue; do
  j=$WORK/$c.json
  ap=$(jq -r .audio.port "$j") vp=$(jq -r .video.port "$j")
  ffmpeg -nostdin -loglevel error -re -f lavfi -i "color=c=$c:s=320x180:r=15:d=$SECS" \
    -re -f lavfi -i "aevalsrc=${SPEECH[$c]}:s=48000:d=$SECS" \
    -map 0:v -pix_fmt yuv420p -c:v libvpx -deadline realtime -cpu-used -6 -g 15 -b:v 300k \
    -f rtp -payload_type 96 -srtp_out_suite AES_CM_128_HMAC_SHA1_80 \
    -srtp_out_params "$(jq -r .video.srtp_key "$j")" "srtp://127.0.0.1:$vp?rtcpport=$vp" \
    -map 1:a -c:a libopus -b:a 32k -f rtp -payload_type 111 -srtp_out_suite AES_CM_128_HMAC_SHA1_80 \
    -srtp_out_params "$(jq -r .audio.srtp_key "$j")" "srtp://127.0.0.1:$ap?rtcpport=$ap" \
    >"$WORK/sender-$c.log" 2>&1 &
  PIDS+=($!)
done
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()
for c in red lime blue; do
  grep -qiE "error|invalid" "$WORK/sender-$c.log" && fail "sender $c: $(head -3 "$WORK/sender-$c.log")"
done

# The speaker's area is the top three quarters; look at its centre. The observer's file covers
# most of the call (from its first canvas on, SECS - 3 seconds); a canvas is only sent when it
# changed, so frames are counted in proportion: a third of the way in red talks, at the end lime.
box=($((W / 2 - 20)) $((H * 3 / 8 - 20)) 40 40)
last=$("$TOOLS/vcheck" "$WORK/observer.yuv.0" $W $H "${box[@]}") ||
  fail "observer video: $last $(cat "$WORK/observer.yuv.log")"
frames=$(sed -n 's/^frames //p' <<<"$last")
check "$frames" ">=" $(((SECS - 3) * 15)) "observer frames decoded"
early=$("$TOOLS/vcheck" --frame $((frames / 3)) "$WORK/observer.yuv.0" $W $H "${box[@]}")
near "$(tail -1 <<<"$early")" "${YUV[red]}" 24 "red is large while red talks"
near "$(tail -1 <<<"$last")" "${YUV[lime]}" 24 "lime is large once lime talks"
stop_server
echo PASS
