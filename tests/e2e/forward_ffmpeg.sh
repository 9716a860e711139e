#!/usr/bin/env bash
# Two FFmpeg participants in a forwarding meeting over SRTP: each must hear the other's tone and
# not its own; the server counts their packets and its RTCP reports; hostile packets thrown at
# one participant's port are dropped and counted while the other keeps hearing without a gap.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need ffmpeg curl jq ss awk

SECS=8
start_server
MEETING=$(mcuctl --json schedule --title "e2e forward" --start now --mode forward | jq -r .id)
[[ $MEETING == m-* ]] || fail "schedule did not return a meeting id: $MEETING"

# Each participant: a receive port pair for its FFmpeg receiver, a tone, an SSRC and a start seq.
declare -A RECV=([a]=$((MEDIA_LO - 100)) [b]=$((MEDIA_LO - 96)))
declare -A FREQ=([a]=440 [b]=1000) SSRC=([a]=1111 [b]=2222) SEQ=([a]=100 [b]=30000)
for p in a b; do
  mcuctl --json join "$MEETING" --name "$p" --recv "127.0.0.1:${RECV[$p]}" --sdp "$WORK/$p.sdp" \
    >"$WORK/$p.json" || fail "join $p"
  grep -q "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" "$WORK/$p.sdp" || fail "SDP of $p has no key"
done
for p in a b; do
  start_receiver "$WORK/$p.sdp" "$WORK/$p.wav" $((SECS - 1))
  wait_udp_bound "${RECV[$p]}"
done
for p in a b; do
  start_sender 127.0.0.1 "$(jq -r .audio.port "$WORK/$p.json")" "$(jq -r .audio.srtp_key "$WORK/$p.json")" \
    "${FREQ[$p]}" "$SECS" "${SSRC[$p]}" "${SEQ[$p]}"
done

# Mid-call, attack a's port: the replay reuses a sequence number a's sender sent already.
sleep 3
"$TOOLS/badinput" "127.0.0.1:$(jq -r .audio.port "$WORK/a.json")" \
  "$(jq -r .audio.srtp_key "$WORK/a.json")" "${SSRC[a]}" $((SEQ[a] + 10)) >"$WORK/attack.txt" ||
  fail "badinput failed"
sent() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/attack.txt"; }

for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()

mcuctl --json participants "$MEETING" >"$WORK/parts.json" || fail "participants"
stat() { jq -r --arg n "$1" ".participants[] | select(.name == \$n) | .stats.$2" "$WORK/parts.json"; }

for p in a b; do
  q=$([[ $p == a ]] && echo b || echo a)
  [[ -s $WORK/$p.wav ]] || fail "receiver $p wrote nothing: $(cat "$WORK/$p.wav.log")"
  read -r _ other other_min < <(tone_levels "$WORK/$p.wav" "${FREQ[$q]}")
  read -r _ own _ < <(tone_levels "$WORK/$p.wav" "${FREQ[$p]}")
  check "$other" ">" -30 "$p hears $q's ${FREQ[$q]} Hz tone (dBFS)"
  check "$other_min" ">" -35 "$p hears $q's tone in every 100 ms window (quietest, dBFS)"
  check "$own" "<" -60 "$p does not hear its own ${FREQ[$p]} Hz tone (dBFS)"
  check "$(stat $p rx_packets)" ">=" $((SECS * 50 * 9 / 10)) "server received $p's packets"
  check "$(stat $p tx_packets)" ">=" $((SECS * 50 * 9 / 10)) "server sent $p the other's packets"
  check "$(stat $p tx_rtcp)" ">=" 2 "server sent $p RTCP reports"
  check "$(stat $p rx_rtcp)" ">=" 1 "server received $p's RTCP"
done

# Every hostile packet is accounted for on a's port and none on b's.
check "$(stat a rx_malformed)" ">=" "$(sent malformed)" "malformed packets counted"
check "$(stat a rx_auth_fail)" ">=" "$(sent auth_fail)" "wrong-key packets counted"
check "$(stat a rx_replay)" ">=" "$(sent replay)" "replayed packet counted"
check "$(stat a rx_unknown)" ">=" "$(sent unknown)" "STUN/DTLS bytes counted"
total_bad=$(( $(stat a rx_malformed) + $(stat a rx_auth_fail) + $(stat a rx_replay) + $(stat a rx_unknown) ))
expected=$(( $(sent malformed) + $(sent auth_fail) + $(sent replay) + $(sent unknown) + $(sent burst) ))
check "$total_bad" "==" "$expected" "every hostile packet dropped and counted"
check "$(( $(stat b rx_malformed) + $(stat b rx_auth_fail) + $(stat b rx_replay) ))" "==" 0 "b saw no bad input"

stop_server
echo "PASS"
