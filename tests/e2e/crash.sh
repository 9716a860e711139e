#!/usr/bin/env bash
# Crash safety and shutdown (issue #7).
#
# (a) SIGKILL during store writes, CRASH_ROUNDS times (6 by default): storewriter creates,
#     patches (title, duration and max together, each patch numbered in the title) and cancels
#     meetings through the API as fast as it answers, journalling every request before it is sent
#     and every 2xx after; the server is killed at a random moment. After each restart: PRAGMA
#     integrity_check says ok; the API lists exactly what the store holds; every meeting whose
#     create got a 2xx is there; each holds the values of its last acknowledged patch or of the
#     one in flight, never a mix (title, duration and max agree), and is cancelled if and only if
#     its cancel was acknowledged or in flight.
# (b) SIGKILL during a meeting with 3 participants sending and receiving: after the restart the
#     meeting is open again with the same settings (and one scheduled later is still scheduled),
#     the joins are in the history, and a new participant is served in it.
# (c) SIGTERM with 3 checked participants and 20 more: each checked one gets an authenticated
#     RTCP BYE for its own stream, the server exits 0 within 5 s, and the store is closed cleanly:
#     no -wal file left, integrity ok.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need jq curl sqlite3 awk

ROUNDS=${CRASH_ROUNDS:-6}
SHUTDOWN_MS_MAX=5000

api() { # METHOD PATH [BODY] -> HTTP status; the answer in $WORK/api.json
  curl -s -o "$WORK/api.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
    ${3:+--data-binary "$3"} "$MCU_SERVER$2"
}

integrity_ok() { # WHEN
  local r
  r=$(sqlite3 "$DATA/mcu.db" 'PRAGMA integrity_check')
  [[ $r == ok ]] || fail "$1: PRAGMA integrity_check: $r"
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

kill9() {
  kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# ---- (a) SIGKILL during store writes ----
# Every journal so far against the meetings the restarted server lists; prints a summary or
# the first breach.
check_journals() { # DUMP JOURNAL...
  awk -F'\t' '
    FILENAME != dump { split($0, w, " ")
      if (w[1] == "try" && w[2] == "create") pend[w[3]] = 1
      if (w[1] == "ok" && w[2] == "create") { made[w[3]] = 1; acked[w[3]] = 0; tried[w[3]] = 0; done_[w[4]] = 1; nc++ }
      if (w[1] == "try" && w[2] == "patch") tried[w[3]] = w[4]
      if (w[1] == "ok" && w[2] == "patch") { acked[w[3]] = w[4]; np++ }
      if (w[1] == "try" && w[2] == "cancel") ctry[w[3]] = 1
      if (w[1] == "ok" && w[2] == "cancel") { cok[w[3]] = 1; nx++ }
      if (w[1] == "error") { print "refused: " $0; bad = 1; exit }
      next }
    { id = $1; title = $2; dur = $3; max = $4; state = $5; seen[id] = 1; n++
      if (!match(title, / v[0-9]+$/)) { print id ": title \"" title "\" is not the writer'"'"'s"; bad = 1; exit }
      k = substr(title, RSTART + 2) + 0; base = substr(title, 1, RSTART - 1)
      if (dur != 10 + k || max != 2 + k) {
        print id ": half-applied: \"" title "\" with duration " dur " and max " max; bad = 1; exit }
      if (id in made) {
        if (k != acked[id] && !(k == tried[id] && k == acked[id] + 1)) {
          print id ": holds patch " k "; acknowledged " acked[id] ", in flight " tried[id]; bad = 1; exit }
        if ((id in cok) && state != "cancelled") { print id ": cancel acknowledged, state " state; bad = 1; exit }
      } else {
        # Only a create in flight at the kill may have left a meeting the journal has no id of.
        if (!(base in pend) || (base in done_) || k != 0) { print id ": \"" title "\" was never created"; bad = 1; exit }
        unknown++
      }
      if (state == "cancelled" && !(id in ctry)) { print id ": cancelled without a cancel"; bad = 1; exit }
      if (state != "cancelled" && state != "scheduled") { print id ": state " state; bad = 1; exit }
      if (state == "cancelled") ncx++ }
    END { if (bad) exit 1
      for (id in made) if (!(id in seen)) { print id ": acknowledged create lost"; exit 1 }
      printf "%d meetings (%d cancelled, %d from creates in flight); acknowledged so far: %d creates, %d patches, %d cancels\n", n, ncx, unknown, nc, np, nx }
  ' dump="$1" "${@:2}" "$1"
}

DATA=$WORK/data MEDIA_LO=$(free_udp_range)
MEDIA_HI=$((MEDIA_LO + 63))
serve
TOKEN=$(cat "$DATA/admin.token")
START=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ) # scheduled, not open: every patch is allowed
journals=()
for r in $(seq "$ROUNDS"); do
  j=$WORK/journal-$r.txt
  : >"$j"
  journals+=("$j")
  "$TOOLS/storewriter" "$MCU_SERVER" "$TOKEN" "$j" "$r" "$START" &
  wpid=$!
  PIDS+=("$wpid")
  ms=$((300 + RANDOM % 1200))
  sleep "$(awk -v m="$ms" 'BEGIN { print m / 1000 }')"
  kill9
  rc=0
  wait "$wpid" || rc=$?
  ((rc == 0)) || fail "round $r: the writer stopped with $rc: $(grep -m1 '^error' "$j")"
  wal=$(stat -c %s "$DATA/mcu.db-wal" 2>/dev/null || echo none)
  echo "round $r: SIGKILL after $ms ms, $(grep -c '^ok' "$j") writes acknowledged," \
    "in flight: $(tail -1 "$j" | grep '^try' || echo nothing); WAL left: $wal bytes"
  serve
  integrity_ok "round $r, after the restart"
  check "$(api GET /api/v1/meetings)" "==" 200 "round $r: the restarted server lists its meetings"
  jq -r '.meetings[] | [.id, .title, .duration, .max, .state] | @tsv' "$WORK/api.json" |
    sort >"$WORK/api.tsv"
  sqlite3 -separator $'\t' "$DATA/mcu.db" \
    "SELECT id, title, (end_unix - start_unix) / 60, max_participants, state FROM meetings" |
    sort >"$WORK/db.tsv"
  cmp -s "$WORK/api.tsv" "$WORK/db.tsv" ||
    fail "round $r: the API and the store disagree: $(diff "$WORK/api.tsv" "$WORK/db.tsv" | head -5)"
  summary=$(check_journals "$WORK/api.tsv" "${journals[@]}") || fail "round $r: $summary"
  echo "ok: round $r: integrity ok; $summary"
done
check "$(grep -c '^ok patch' "${journals[@]}" /dev/null | awk -F: '{ s += $2 } END { print s }')" \
  ">" $((ROUNDS * 3)) "patches acknowledged over all rounds"

# ---- (b) SIGKILL during a meeting with participants ----
CLIENT_LO=$(free_udp_range)
while ((CLIENT_LO <= MEDIA_HI && MEDIA_LO <= CLIENT_LO + 63)); do CLIENT_LO=$(free_udp_range); done
join_client() { # MEETING NAME PORT SECONDS [PIN]: a byecheck participant; sets JOINED, BC_PID
  local j=$WORK/join-$2.json rx
  mcuctl --json join "$1" --name "$2" --recv "127.0.0.1:$3" ${5:+--pin "$5"} >"$j" ||
    fail "join $2: $(cat "$j")"
  rx=$(jq -r .sdp "$j" | sed -n 's/.*inline:\([A-Za-z0-9+/=]*\).*/\1/p')
  "$TOOLS/byecheck" "$3" "$(jq -r '.audio.host + ":" + (.audio.port | tostring)' "$j")" \
    "$(jq -r .audio.srtp_suite "$j")" "$(jq -r .audio.srtp_key "$j")" "$rx" "$4" \
    >"$WORK/bye-$2.out" 2>&1 &
  BC_PID=$!
  PIDS+=("$BC_PID")
  JOINED=$(jq -r .participant "$j")
}
bc_field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }
settings='{title, start, "end": .end, duration, has_pin, max, mode, talkers, video, repeat, owner}'

LIVE=$(mcuctl --json schedule --title "live" --duration 30 --max 5 --pin 4321 --talkers 2 \
  --owner crash | jq -r .id)
LATER=$(mcuctl --json schedule --title "later" --start +1h --duration 15 | jq -r .id)
pids=()
for i in 0 1 2; do
  join_client "$LIVE" "live$i" $((CLIENT_LO + 2 * i)) 4 4321
  pids+=("$BC_PID")
done
sleep 2
mcuctl --json show "$LIVE" | jq -S "$settings + {state}" >"$WORK/live-before.json"
mcuctl --json show "$LATER" | jq -S "$settings + {state}" >"$WORK/later-before.json"
check "$(jq -r .state "$WORK/live-before.json")" "==" open "the meeting is open before the kill"
check "$(mcuctl --json show "$LIVE" | jq .participants)" "==" 3 "3 participants in it"
kill9
for i in 0 1 2; do
  wait "${pids[i]}" || true # no BYE can come from a killed server
  check "$(bc_field "$WORK/bye-live$i.out" rtp)" ">" 50 "live$i was served before the kill"
done
serve
integrity_ok "after SIGKILL during the meeting"
mcuctl --json show "$LIVE" | jq -S "$settings + {state}" >"$WORK/live-after.json"
mcuctl --json show "$LATER" | jq -S "$settings + {state}" >"$WORK/later-after.json"
cmp -s "$WORK/live-before.json" "$WORK/live-after.json" ||
  fail "the meeting changed: $(diff "$WORK/live-before.json" "$WORK/live-after.json")"
echo "ok: the meeting is open again with its settings: $(jq -c . "$WORK/live-after.json")"
cmp -s "$WORK/later-before.json" "$WORK/later-after.json" ||
  fail "the later meeting changed: $(diff "$WORK/later-before.json" "$WORK/later-after.json")"
echo "ok: the later meeting is still scheduled as it was"
check "$(mcuctl --json show "$LIVE" | jq .participants)" "==" 0 "no participant survives the media"
check "$(sqlite3 "$DATA/mcu.db" "SELECT count(*) FROM history WHERE meeting='$LIVE' AND event='join'")" \
  "==" 3 "the 3 joins are in the history"
join_client "$LIVE" "again" $((CLIENT_LO + 8)) 30 4321
again=$JOINED again_pid=$BC_PID
sleep 1.5
mcuctl leave "$LIVE" "$again" >/dev/null
rc=0
wait "$again_pid" || rc=$?
((rc == 0)) || fail "the rejoined participant got no BYE: $(cat "$WORK/bye-again.out")"
check "$(bc_field "$WORK/bye-again.out" rtp)" ">" 50 "a participant who joins after the restart is served"

# ---- (c) SIGTERM ----
pids=()
for i in 0 1 2; do
  join_client "$LIVE" "term$i" $((CLIENT_LO + 2 * i)) 30 4321
  pids+=("$BC_PID")
done
MORE=$(mcuctl --json schedule --title "more" --max 30 | jq -r .id)
for i in $(seq 20); do
  mcuctl join "$MORE" --name "extra$i" --recv "127.0.0.1:$((CLIENT_LO + 20 + 2 * i))" >/dev/null ||
    fail "join extra$i"
done
sleep 1.5
t0=$(date +%s%N)
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
t1=$(date +%s%N)
SERVER_PID=
ms=$(((t1 - t0) / 1000000))
check "$rc" "==" 0 "exit status after SIGTERM"
check "$ms" "<" "$SHUTDOWN_MS_MAX" "milliseconds from SIGTERM to exit, with 23 participants"
for i in 0 1 2; do
  rc=0
  wait "${pids[i]}" || rc=$?
  f=$WORK/bye-term$i.out
  ((rc == 0)) || fail "term$i got no RTCP BYE at shutdown: $(cat "$f")"
  [[ $(bc_field "$f" bye_ssrc) == "$(bc_field "$f" ssrc)" && $(bc_field "$f" rtp) -gt 0 ]] ||
    fail "term$i: the BYE is not for the stream it received: $(cat "$f")"
  echo "ok: term$i got the BYE for its stream: $(cat "$f")"
done
[[ ! -s $DATA/mcu.db-wal ]] || fail "the store's WAL was left with $(stat -c %s "$DATA/mcu.db-wal") bytes"
echo "ok: no WAL left behind ($(ls "$DATA" | tr '\n' ' '))"
integrity_ok "after SIGTERM"
echo "ok: integrity ok after SIGTERM"
grep -q 'info: stopped' "$WORK/server.log" || fail "no \"stopped\" in the server log"
echo "shutdown: $ms ms with 23 participants"
echo PASS
