#!/usr/bin/env bash
# Limits and soak (issue #7, "Soak and resources").
#
# Limits: a server with 3 media port pairs and --max-meetings 3 refuses a 4th join with 503
# "no free media port", a join to a meeting at its max with 409 "is full", and a 4th meeting with
# 503, while the participants already in keep their audio (50 packets a second, no gap of 100 ms
# or more) and get their RTCP BYE when they leave.
#
# Soak: loadgen drives 3 meetings of 20 (3 talkers each, SRTP Opus, every participant's output
# received and checked) for SOAK_SECONDS (75 by default; SOAK_SECONDS=600 for the long run) while
# 4 churners leave through mcuctl every few seconds and rejoin in a new meeting (the old one
# cancelled), each checked to have been served and to have got its BYE. loadgen sends straight
# to the server (the impairment relay carries one port pair, loadgen uses 60); one more
# participant sends through tests/tools/impair for the whole soak. The server's resident memory
# (VmRSS), open descriptors and CPU time are sampled at every churn cycle. After the warm-up:
# every loadgen participant got >= 49 packets/s with a p99 gap < 30 ms; no tick overrun (unless
# loadgen's own sender stalled 20 ms or more too: a host stall, reported); the server's CPU use
# at the end within 1.3 x + 2 points of the start; RSS growth under RSS_KIB_PER_MIN in at least
# one half of the steady window (a leak grows in both; the least-squares figure is printed); with
# gdb, the heap in use once everyone has left (glibc's malloc_stats) within 256 KiB + 8 KiB per
# meeting made of what it was before; the descriptor count the same at every sample, and back to
# its idle value once everyone has left.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need jq curl ss awk

SOAK=${SOAK_SECONDS:-75}
((SOAK >= 40)) || fail "SOAK_SECONDS must be at least 40"
WARMUP=20     # seconds of load before memory counts: pools, caches and SQLite pages fill up
CHURN_EVERY=2 # seconds between churn cycles
CHURNERS=4    # participants that leave and rejoin at every cycle
# Bound on the memory growth after the warm-up, per minute. The server's RSS still creeps on a
# loaded host: 5-110 KiB/min in quiet runs, up to 540 KiB/min over half a short run with many
# tick overruns (cancelled meetings' records, SQLite's page cache, and above all steps when the
# host stalls the server, up to 1 MiB at once). The leaks that matter are above the short run's
# bound: 16 bytes per packet received is 2.8 MiB/min here, 32 KiB per join 2.3 MiB/min (tried:
# caught), and a leaked session's sockets show in the descriptor count at once (tried: caught).
# Over 5 minutes or more the steps average out and the bound is 256 KiB/min.
RSS_KIB_PER_MIN=$((SOAK >= 300 ? 256 : 1024))

# UDP ports LO..LO+N-1 free now, and clear of the server's range ($1 = N).
free_range() {
  local n=$1 lo used
  used=$(ss -Hlun | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
  for _ in $(seq 100); do
    lo=$(((RANDOM % 400) * 64 + 20000))
    ((lo + n <= 65000)) || continue
    if [[ -n ${SRV_LO:-} ]] && ((lo < SRV_HI + 1 && SRV_LO < lo + n)); then continue; fi
    awk -v lo="$lo" -v hi="$((lo + n - 1))" '$1 >= lo && $1 <= hi { bad = 1 } END { exit bad }' \
      <<<"$used" && { echo "$lo"; return; }
  done
  fail "no free UDP range of $n ports"
}

# lib.sh's start_server picks a free TCP port and binds it later: on a machine running other
# tests, one of them may take it in between. This one picks another port then, and counts the
# server as up only once its own log says it listens.
serve() { # [mcu args]; uses DATA, MEDIA_LO, MEDIA_HI and HTTP_PORT (picked when empty)
  local try
  for try in 1 2 3; do
    [[ -n ${HTTP_PORT:-} ]] || HTTP_PORT=$(free_tcp_port)
    "$BIN/mcu" --data "$DATA" --listen "127.0.0.1:$HTTP_PORT" --ports "$MEDIA_LO-$MEDIA_HI" "$@" \
      >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    export MCU_SERVER="http://127.0.0.1:$HTTP_PORT" MCU_DATA=$DATA
    for _ in $(seq 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      grep -q "info: listening on" "$WORK/server.log" && return 0
      sleep 0.1
    done
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    grep -q "Address already in use" "$WORK/server.log" || fail "the server did not start"
    echo "port $HTTP_PORT was taken meanwhile: another"
    HTTP_PORT=
  done
  fail "no free TCP port for the API"
}

start_with_ports() { # NPORTS [mcu args]: a server whose media range holds NPORTS ports
  SRV_LO= SRV_HI=
  SRV_LO=$(free_range "$1")
  SRV_HI=$((SRV_LO + $1 - 1))
  MEDIA_LO=$SRV_LO MEDIA_HI=$SRV_HI DATA=$WORK/data HTTP_PORT=
  local n=$1
  shift
  serve "$@"
  TOKEN=$(cat "$DATA/admin.token")
  CLIENT_LO=$(free_range 64)
  echo "server pid $SERVER_PID, media ports $SRV_LO-$SRV_HI ($n), clients from $CLIENT_LO"
}

api() { # METHOD PATH [BODY] -> HTTP status; the answer in $WORK/api.json
  curl -s -o "$WORK/api.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
    ${3:+--data-binary "$3"} "$MCU_SERVER$2"
}

# Join NAME to MEETING receiving on 127.0.0.1:PORT and start a byecheck participant there for
# at most SECONDS, sending to the server's port or to 127.0.0.1:VIA (a relay); sets JOINED
# (participant id), JOINED_PORT (the server's port) and BC_PID.
join_client() { # MEETING NAME PORT SECONDS [VIA]
  local j=$WORK/join-$2.json rx suite key
  mcuctl --json join "$1" --name "$2" --recv "127.0.0.1:$3" >"$j" || fail "join $2: $(cat "$j")"
  # One jq for every field: the churn runs this often, and each process costs the host.
  read -r JOINED JOINED_PORT suite key rx < <(jq -r '[.participant, .audio.port,
    .audio.srtp_suite, .audio.srtp_key, (.sdp | capture("inline:(?<k>[A-Za-z0-9+/=]+)").k)] |
    @tsv' "$j")
  "$TOOLS/byecheck" "$3" "127.0.0.1:${5:-$JOINED_PORT}" "$suite" "$key" "$rx" "$4" \
    >"$WORK/bye-$2.out" 2>&1 &
  BC_PID=$!
  PIDS+=("$BC_PID")
}

# Make participant ID of MEETING leave, then check its byecheck (PID, NAME) got the BYE for its
# own stream after receiving audio; with MINRATE also that it received at least MINRATE packets
# a second, and with GAPMS that no gap between them reached GAPMS.
leave_checked() { # MEETING ID PID NAME [MINRATE [GAPMS]]
  mcuctl leave "$1" "$2" >/dev/null || fail "leave $4"
  local rc=0 f=$WORK/bye-$4.out line
  wait "$3" || rc=$?
  line=$(<"$f")
  ((rc == 0)) || fail "$4 got no RTCP BYE after leaving: $line"
  # "rtp N secs S gap_max_ms G gap_at_s T rtcp R bad B bye 1 bye_ssrc X ssrc Y"
  read -r _ rtp _ secs _ gap _ _ _ _ _ _ _ _ _ bye_ssrc _ ssrc <<<"$line"
  [[ $bye_ssrc == "$ssrc" && $rtp -gt 0 ]] || fail "$4: no audio, or a BYE for another SSRC: $line"
  if [[ -n ${5:-} ]]; then
    check "$(awk -v r="$rtp" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? r / s : 0) }')" ">=" "$5" \
      "$4 received audio throughout (pkt/s)"
  fi
  [[ -z ${6:-} ]] || check "$gap" "<" "$6" "$4's longest gap (ms)"
}

# The test asks whether the server keeps time, not whether the host does: on a machine shared
# with builds, a media thread preempted for 20 ms is an overrun the server did not cause. A
# raised priority (as a media server is deployed with) for the server's threads and loadgen
# keeps that noise out where the test may raise it (root); elsewhere it runs as it is.
NICE=0
raise_priority() { # PID: every thread of it
  local t
  for t in /proc/"$1"/task/*; do renice -n -10 -p "${t##*/}" >/dev/null 2>&1 || return 0; done
  NICE=-10
  echo "server and loadgen at nice -10"
}

# Bytes the server's malloc holds for it (glibc's malloc_stats, called through gdb, printed to the
# server's log): unlike RSS, which also counts pages of the heap that were touched once and
# freed since, this is what a leak adds to. Empty without gdb or under AddressSanitizer.
heap_in_use() {
  command -v gdb >/dev/null && ! grep -qa __asan_init "$BIN/mcu" || return 0
  gdb -batch -p "$SERVER_PID" -ex 'call (void)malloc_stats()' >/dev/null 2>&1 || return 0
  sleep 0.2
  awk '/^Total \(incl. mmap\)/ { t = 1 } t && /in use bytes/ { v = $NF; t = 0 } END { print v }' \
    "$WORK/server.log"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
nfds() { ls "/proc/$SERVER_PID/fd" | wc -l; }

# ---- Limits: 3 port pairs, 3 meetings ----
start_with_ports 6 --max-meetings 3
M1=$(mcuctl --json schedule --title "ports" --max 10 | jq -r .id)
ids=() pids=()
for i in 0 1 2; do
  join_client "$M1" "honest$i" $((CLIENT_LO + 2 * i)) 30
  ids+=("$JOINED") pids+=("$BC_PID")
done
sleep 1.5
check "$(api POST "/api/v1/meetings/$M1/participants" '{"name": "fourth", "recv": "127.0.0.1:9"}')" \
  "==" 503 "a 4th join with 3 port pairs is refused"
jq -e '.error | test("no free media port")' "$WORK/api.json" >/dev/null ||
  fail "the refusal does not say why: $(cat "$WORK/api.json")"
echo "ok: it says: $(jq -r .error "$WORK/api.json")"
sleep 1.5
for i in 0 1 2; do leave_checked "$M1" "${ids[i]}" "${pids[i]}" "honest$i" 45 100; done
# Refusals do not stick: the freed pairs serve the next joins.
M2=$(mcuctl --json schedule --title "small" --max 2 | jq -r .id)
ids=() pids=()
for i in 0 1; do
  join_client "$M2" "pair$i" $((CLIENT_LO + 8 + 2 * i)) 30
  ids+=("$JOINED") pids+=("$BC_PID")
done
sleep 1.5
check "$(api POST "/api/v1/meetings/$M2/participants" '{"name": "third", "recv": "127.0.0.1:9"}')" \
  "==" 409 "a 3rd join to a meeting of max 2 is refused"
jq -e '.error | test("is full")' "$WORK/api.json" >/dev/null || fail "no reason: $(cat "$WORK/api.json")"
echo "ok: it says: $(jq -r .error "$WORK/api.json")"
# Two meetings are open; a third may be made, a fourth not, and a cancelled one frees its place.
check "$(api POST /api/v1/meetings '{"title": "third"}')" "==" 201 "meeting 3 of --max-meetings 3"
M3=$(jq -r .id "$WORK/api.json")
check "$(api POST /api/v1/meetings '{"title": "fourth"}')" "==" 503 "meeting 4 of --max-meetings 3 is refused"
echo "ok: it says: $(jq -r .error "$WORK/api.json")"
grep -q 'meeting "fourth" refused: 3 meetings are scheduled or open (--max-meetings)' \
  "$WORK/server.log" || fail "the server log does not say why meeting 4 was refused"
check "$(jq '.meetings | length' <(api GET /api/v1/meetings >/dev/null; cat "$WORK/api.json"))" \
  "==" 3 "the refused meeting was not created"
sleep 1.5
for i in 0 1; do leave_checked "$M2" "${ids[i]}" "${pids[i]}" "pair$i" 45 100; done
mcuctl cancel "$M3" >/dev/null
check "$(api POST /api/v1/meetings '{"title": "fourth again"}')" "==" 201 "a cancelled meeting frees its place"
stop_server

# ---- Soak ----
rm -rf "$DATA" # a fresh store: the limit checks' meetings would be open on the workers
start_with_ports 256
raise_priority "$SERVER_PID"
CHURN=$(mcuctl --json schedule --title "churn 0" --max 10 | jq -r .id)
sleep 0.5
FDS0=$(nfds) RSS0=$(rss_kib) HEAP0=$(heap_in_use)
echo "before load: RSS $RSS0 KiB, $FDS0 descriptors, heap in use ${HEAP0:-?} bytes"
# One participant sends through the impairment relay for the whole soak, so that the paths of
# loss, duplicates (replays), reordering and corrupted packets (SRTP authentication failures)
# run as long as the rest. Without the relay (tests/tools/impair.c) that part is skipped.
IMPAIRED=
if [[ -x $TOOLS/impair ]]; then
  IMPAIRED=$(mcuctl --json schedule --title impaired --max 2 | jq -r .id)
  relay=$((CLIENT_LO + 60))
  join_client "$IMPAIRED" impaired $((CLIENT_LO + 40)) $((SOAK + 120)) "$relay"
  imp_id=$JOINED imp_pid=$BC_PID
  "$TOOLS/impair" --dir up --drop 5 --dup 2 --reorder 2 --delay 20 --jitter 20 --corrupt 1 \
    --seconds $((SOAK + 120)) "$relay" "$JOINED_PORT" >"$WORK/impair.out" 2>&1 &
  PIDS+=("$!")
  echo "impaired participant: up 5 % drop, 2 % duplicated, 2 % reordered, 20 +- 20 ms, 1 % corrupt"
else
  echo "NOTE: no impair tool in $TOOLS: no participant over the impairment relay"
fi
# loadgen in runs of at most SEGMENT seconds: its receiver stops after 360,000 wake-ups (meant
# as an hour at one per 10 ms, but with 60 participants it wakes 700-3,000 times a second, so a
# single 600 s run loses its last minute or more; see the report of issue #7). Each run joins its
# own 60 participants and measures after its own warm-up (WARMUP for the first, 3 s after).
SEGMENT=100
seg=0 left=$SOAK
next_segment() {
  local len=$((left < SEGMENT ? left : SEGMENT)) warm=3
  ((seg > 0)) || warm=$WARMUP
  nice -n "$NICE" "$BIN/loadgen" --server "$MCU_SERVER" --data "$DATA" --meetings 3 --size 20 \
    --talkers 3 --warmup "$warm" --seconds $((len - warm)) --server-pid "$SERVER_PID" \
    --json "$WORK/loadgen-$seg.json" >"$WORK/loadgen-$seg.out" 2>&1 &
  LG=$!
  PIDS+=("$LG")
  seg=$((seg + 1)) left=$((left - len))
}
segment_done() { # checks the run that just ended
  local rc=0 k=$((seg - 1))
  wait "$LG" || rc=$?
  cat "$WORK/loadgen-$k.out"
  ((rc == 0)) || fail "loadgen run $k exited with $rc"
}
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " ")
  printf "%.2f", (f[12] + f[13]) / hz }' "/proc/$SERVER_PID/stat"; }

next_segment
T0=$(date +%s.%N)
declare -a cid cpid
for ((i = 0; i < CHURNERS; i++)); do
  join_client "$CHURN" "churn$i-0" $((CLIENT_LO + 2 * i)) $((SOAK + 120))
  cid[i]=$JOINED cpid[i]=$BC_PID
done
cycle=0
: >"$WORK/samples.txt"
while :; do
  sleep "$CHURN_EVERY"
  if ! kill -0 "$LG" 2>/dev/null; then
    segment_done
    ((left > 0)) || break
    next_segment
  fi
  cycle=$((cycle + 1))
  # The churners move to a new meeting and the old one is cancelled, so that opening and
  # closing a conference leaks show too.
  next=$(mcuctl --json schedule --title "churn $cycle" --max 10 | jq -r .id)
  for ((i = 0; i < CHURNERS; i++)); do
    leave_checked "$CHURN" "${cid[i]}" "${cpid[i]}" "churn$i-$((cycle - 1))"
    join_client "$next" "churn$i-$cycle" $((CLIENT_LO + 2 * i)) $((SOAK + 120))
    cid[i]=$JOINED cpid[i]=$BC_PID
  done
  mcuctl cancel "$CHURN" >/dev/null || fail "cancel $CHURN"
  CHURN=$next
  # Columns: seconds, RSS KiB, descriptors, server CPU seconds so far, participants in, and over
  # loadgen's meetings the longest tick so far (us, wall clock: preemption included).
  echo "$(awk -v t0="$T0" -v t="$(date +%s.%N)" 'BEGIN { printf "%.1f", t - t0 }') $(rss_kib)" \
    "$(nfds) $(cpu_s) $(mcuctl --json list --state open | jq -r '"\([.meetings[].participants] |
      add) \([.meetings[] | select(.title | startswith("loadgen")) | .media.tick_us_max] |
      max // 0)"')" >>"$WORK/samples.txt"
done
for ((i = 0; i < CHURNERS; i++)); do
  leave_checked "$CHURN" "${cid[i]}" "${cpid[i]}" "churn$i-$cycle" >/dev/null
done
if [[ -n $IMPAIRED ]]; then
  mcuctl --json participants "$IMPAIRED" | jq -c '.participants[0].stats |
    {rx_packets, rx_lost, rx_auth_fail, rx_replay, rx_malformed, tx_packets}' >"$WORK/impaired.json"
  # Served throughout (>= 45 packets/s over the whole soak); its longest gap is shown, not held
  # to a bound: it spans the set-up and tear-down of every loadgen run and the host's stalls.
  leave_checked "$IMPAIRED" "$imp_id" "$imp_pid" impaired 45
  echo "impaired participant, as the server counted it: $(cat "$WORK/impaired.json");" \
    "as it received: $(cat "$WORK/bye-impaired.out")"
  check "$(jq .rx_auth_fail "$WORK/impaired.json")" ">" 0 "corrupted packets refused by SRTP"
  check "$(jq .rx_replay "$WORK/impaired.json")" ">" 0 "duplicates refused as replays"
  check "$(jq .rx_packets "$WORK/impaired.json")" ">" $((SOAK * 40)) "impaired packets taken in"
  mcuctl cancel "$IMPAIRED" >/dev/null # as before the load: one empty meeting open
fi
echo "ok: $cycle churn cycles: $((cycle + 1)) meetings, $((CHURNERS * (cycle + 1))) joins, each left with its BYE"
sleep 0.5
FDS1=$(nfds) RSS1=$(rss_kib) HEAP1=$(heap_in_use)

# ---- Verdicts: the figures first, so that a failing run still reports them ----
# Steady samples: after the warm-up, with everyone in (not between two loadgen runs).
full=$((60 + CHURNERS + (${#IMPAIRED} > 0)))
awk -v w="$WARMUP" -v n="$full" '$1 >= w && $5 == n' "$WORK/samples.txt" >"$WORK/steady.txt"
check "$(wc -l <"$WORK/steady.txt")" ">=" 6 "samples after the warm-up with all $full participants in"
# RSS growth per minute: the least-squares slope over the steady samples (reported), and the
# growth over each half of them (asserted: the smaller must be under the bound). A leak grows in
# both halves; a one-off step (a buffer reaching a new high-water mark when the host stalls the
# server, up to 1 MiB measured) grows in one.
read -r slope half1 half2 first last max < <(awk '{ n++; t[n] = $1; r[n] = $2
    sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2; if ($2 > m) m = $2 }
  END { h = int((n + 1) / 2)
    printf "%.1f %.1f %.1f %d %d %d\n", (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60,
      (r[h] - r[1]) / (t[h] - t[1]) * 60, (r[n] - r[h]) / (t[n] - t[h]) * 60, r[1], r[n], m }' \
  "$WORK/steady.txt")
growth=$(awk -v a="$half1" -v b="$half2" 'BEGIN { print (a < b ? a : b) }')
read -r fmin fmax < <(awk 'NR == 1 { a = b = $3 } { if ($3 < a) a = $3; if ($3 > b) b = $3 }
  END { print a, b }' "$WORK/steady.txt")
# Server CPU over the intervals between steady samples that follow each other: the mean of the
# first third against the last third.
read -r cpu_a cpu_b < <(awk -v w="$WARMUP" -v n="$full" '{ ok = $1 >= w && $5 == n }
  ok && pok { k++; pct[k] = ($4 - pc) / ($1 - pt) * 100 } { pok = ok; pt = $1; pc = $4 }
  END { t = int(k / 3); if (t < 1) t = 1
    for (i = 1; i <= t; i++) { a += pct[i]; b += pct[k + 1 - i] }
    printf "%.1f %.1f\n", a / t, b / t }' "$WORK/samples.txt")
tick_max=$(awk '$6 > m { m = $6 } END { print m + 0 }' "$WORK/samples.txt")
overruns=$(jq -s 'map(.runs[0].tick_overruns) | add' "$WORK"/loadgen-*.json)
late=$(jq -s 'map(.runs[0].send_late_max_ms) | max | floor' "$WORK"/loadgen-*.json)
echo "soak: ${SOAK}s of load in $seg loadgen run(s), $cycle churn cycles," \
  "$(wc -l <"$WORK/steady.txt") steady samples of $(wc -l <"$WORK/samples.txt");" \
  "RSS $RSS0 KiB idle, after the warm-up $first -> $last KiB (max $max), $RSS1 KiB after:" \
  "$slope KiB/min (halves $half1, $half2); descriptors $FDS0 idle, $fmin-$fmax loaded, $FDS1 after;" \
  "server CPU $cpu_a % -> $cpu_b %; tick overruns $overruns; longest tick $tick_max us (wall);" \
  "loadgen's sender late at most $late ms"
# AddressSanitizer holds freed memory in its quarantine (256 MB by default), so a sanitized
# server's RSS grows with every free: there the figure is shown, and LeakSanitizer's check at
# the SIGTERM exit (stop_server wants status 0) stands in for it.
if grep -qa __asan_init "$BIN/mcu"; then
  echo "NOTE: AddressSanitizer build: RSS growth $slope KiB/min is ASan's quarantine, not asserted"
else
  check "$growth" "<" "$RSS_KIB_PER_MIN" "RSS growth after the warm-up, the smaller half (KiB/min)"
fi
# Once everyone has left, the heap holds what it held before the load, plus what every meeting
# ever made keeps (its record stays in memory: 4-5 KiB a meeting measured, with SQLite's page
# cache for its rows and history), and nothing per join.
if [[ -n $HEAP0 && -n $HEAP1 ]]; then
  kept=$(((HEAP1 - HEAP0) / 1024)) made=$((cycle + 2 + 3 * seg))
  echo "heap in use: $HEAP0 bytes before the load, $HEAP1 after: $kept KiB kept over" \
    "$made meetings and $((CHURNERS * (cycle + 1) + 60 * seg + 1)) joins"
  check "$kept" "<" $((256 + 8 * made)) "KiB of heap kept after everyone left (256 + 8 a meeting)"
else
  echo "NOTE: no gdb (or an ASan build): the heap in use is not measured"
fi
check "$fmax" "==" "$fmin" "descriptors under load stay at $fmin (max - min = $((fmax - fmin)))"
check "$FDS1" "==" "$FDS0" "descriptors once everyone left, as before the load"
# The server's own work per second must not grow with time: CPU time, unlike a tick's wall
# time, does not count the host's preemptions.
check "$cpu_b" "<=" "$(awk -v a="$cpu_a" 'BEGIN { print a * 1.3 + 2 }')" \
  "server CPU % at the end against the start ($cpu_a) x 1.3 + 2"
for f in "$WORK"/loadgen-*.json; do
  r=".runs[0]" k=$(basename "$f" .json)
  check "$(jq "$r.delivery.got_nothing" "$f")" "==" 0 "$k: participants that got nothing"
  check "$(jq "$r.delivery.below_49" "$f")" "==" 0 "$k: participants under 49 packets/s"
  check "$(jq "$r.interarrival_ms.p99" "$f")" "<" 30 "$k: p99 gap between packets (ms)"
done
# A tick overrun is a worker that woke a whole frame late. It fails the soak unless the host is
# seen stalling too: loadgen's sender, at the server's priority, was itself 20 ms late or more.
if ((overruns > 0 && late >= 20)); then
  echo "NOTE: $overruns tick overrun(s) while the host stalled (loadgen's sender $late ms late)"
else
  check "$overruns" "==" 0 "tick overruns after the warm-up"
fi
stop_server
echo PASS
