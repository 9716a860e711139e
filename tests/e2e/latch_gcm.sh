#!/usr/bin/env bash
# Symmetric clients with no receive address and AEAD_AES_128_GCM: the server sends to the source
# of the first packet that authenticates, never to one that does not, so a stranger who sends
# first under a wrong key gets nothing back while the real participants hear each other.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need jq awk

start_server
MEETING=$(mcuctl --json schedule --title "e2e latch" --start now --mode forward | jq -r .id)
SUITE=AEAD_AES_128_GCM
for p in x y; do
  mcuctl --json join "$MEETING" --name "$p" --srtp-suite $SUITE --sdp "$WORK/$p.sdp" \
    >"$WORK/$p.json" || fail "join $p"
  [[ $(jq -r .audio.srtp_suite "$WORK/$p.json") == "$SUITE" ]] || fail "suite not honoured"
done
port() { jq -r .audio.port "$WORK/$1.json"; }
send_key() { jq -r .audio.srtp_key "$WORK/$1.json"; }
recv_key() { sed -n 's/.*inline:\([^[:space:]]*\).*/\1/p' "$WORK/$1.sdp"; }
# The stranger uses a well-formed key of the right length, just not the participant's.
WRONG=$(head -c 28 /dev/urandom | base64)

# y runs 8 s: long enough to cover the stranger (2 s) and x (3 s) even when a sanitizer build
# slows every client's start-up.
"$TOOLS/symclient" "127.0.0.1:$(port y)" $SUITE "$(send_key y)" "$(recv_key y)" 8 0x2222 \
  >"$WORK/y.out" &
PIDS+=($!)
sleep 0.5
"$TOOLS/symclient" "127.0.0.1:$(port x)" $SUITE "$WRONG" "$(recv_key x)" 2 0x6666 >"$WORK/stranger.out" ||
  fail "stranger client"
"$TOOLS/symclient" "127.0.0.1:$(port x)" $SUITE "$(send_key x)" "$(recv_key x)" 3 0x1111 >"$WORK/x.out" ||
  fail "x client"
wait "${PIDS[@]}"
PIDS=()
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$WORK/$1.out"; }
cat "$WORK"/{stranger,x,y}.out

check "$(field stranger received)" "==" 0 "the stranger received no media"
check "$(field stranger bad)" "==" 0 "the stranger received nothing at all"
check "$(field x received)" ">=" 120 "x received y's packets after latching (of ~150)"
check "$(field x bad)" "==" 0 "every packet x received decrypted"
check "$(field y received)" ">=" 120 "y received x's packets (of ~150)"
check "$(field y bad)" "==" 0 "every packet y received decrypted"
mcuctl --json participants "$MEETING" >"$WORK/parts.json"
stat() { jq -r --arg n "$1" ".participants[] | select(.name == \$n) | .stats.$2" "$WORK/parts.json"; }
check "$(stat x rx_auth_fail)" "==" "$(field stranger sent)" "every stranger packet failed authentication"
check "$(stat x rx_packets)" "==" "$(field x sent)" "every real packet from x authenticated"
stop_server
echo PASS
