#!/usr/bin/env bash
# The schedule survives a crash: a meeting scheduled a few seconds ahead refuses an early join
# (saying when it opens), takes a join once open, and after SIGKILL and a restart is still there
# and joinable; the SQLite store passes its integrity check.
source "$(dirname "$0")/lib.sh" "$1" "$2"
need jq sqlite3

start_server
MEETING=$(mcuctl --json schedule --title "e2e restart" --start +3s --duration 5 | jq -r .id)
[[ $MEETING == m-* ]] || fail "schedule: $MEETING"
[[ $(mcuctl --json show "$MEETING" | jq -r .state) == scheduled ]] || fail "not scheduled"

rc=0
mcuctl join "$MEETING" --name early --recv 127.0.0.1:5004 >"$WORK/early.out" 2>&1 || rc=$?
check "$rc" "==" 1 "an early join is refused"
grep -q "not open yet: it opens at 20" "$WORK/early.out" || fail "no opening time: $(cat "$WORK/early.out")"
echo "ok: the refusal says when: $(cat "$WORK/early.out")"

for _ in $(seq 60); do
  [[ $(mcuctl --json show "$MEETING" | jq -r .state) == open ]] && break
  sleep 0.2
done
mcuctl --json join "$MEETING" --name ontime --recv 127.0.0.1:5004 >"$WORK/ontime.json" ||
  fail "join after opening"
echo "ok: joined once open"

# Hostile API input over real HTTP: each refused with a JSON error and the right status.
TOKEN=$(cat "$DATA/admin.token")
api() { # METHOD PATH BODY [TOKEN] -> "STATUS error-text"
  curl -s -o "$WORK/api.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer ${4:-$TOKEN}" \
    --data-binary "$3" "$MCU_SERVER$2"
}
check "$(api POST /api/v1/meetings '{"title":')" "==" 400 "truncated JSON body: 400"
jq -e '.error | test("not valid JSON")' "$WORK/api.json" >/dev/null || fail "bad JSON message"
check "$(api POST /api/v1/meetings '{"title":"x","colour":1}')" "==" 400 "unknown field: 400"
check "$(api POST /api/v1/meetings '{"title":"x"}' wrong-token)" "==" 401 "wrong token: 401"
check "$(api GET /api/v1/meetings/m-nothere '')" "==" 404 "unknown meeting: 404"
check "$(api PUT /api/v1/meetings '')" "==" 405 "wrong method: 405"
head -c 70000 /dev/zero | tr '\0' 'a' >"$WORK/big.txt"
check "$(api POST /api/v1/meetings "@$WORK/big.txt")" "==" 413 "oversized body: 413"
check "$(curl -s -o /dev/null -w '%{http_code}' "$MCU_SERVER/healthz")" "==" 200 "healthz without a token"

kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
launch_server
check "$(mcuctl --json show "$MEETING" | jq -r .state)" "==" open "the meeting is open again after SIGKILL"
mcuctl --json join "$MEETING" --name again --recv 127.0.0.1:5004 >"$WORK/again.json" ||
  fail "rejoin after restart"
echo "ok: rejoined after the restart"
integrity=$(sqlite3 "$DATA/mcu.db" 'PRAGMA integrity_check')
[[ $integrity == ok ]] || fail "PRAGMA integrity_check: $integrity"
echo "ok: PRAGMA integrity_check says ok"
check "$(sqlite3 "$DATA/mcu.db" "SELECT count(*) FROM history WHERE meeting='$MEETING' AND event='join'")" \
  "==" 2 "both joins are in the history"
stop_server
echo PASS
