#!/usr/bin/env bash
# Capacity of our server, end to end (issue #6): starts build/bin/mcu on free ports with a
# temporary data folder and one media worker, pinned to CPU 0, drives it with loadgen pinned to
# CPU 1, runs the scenarios that exist today, stops the server by its PID and prints a summary.
#
#   bash bench/capacity.sh [--quick] [--build DIR] [--seconds S] [--max-size N]
#                          [--max-meetings M] [--idle-meetings K] [--suite aes80|gcm]
#                          [--video-max-meetings M] [--video-res WxH] [--video-kbps K]
#                          [--out DIR] [--janus [--janus-max-size N] [--janus-max-meetings M]]
#
# --quick: small sizes and short windows, under a minute (the ctest loadgen_smoke runs it); the
#   composite-video search is then one step at M=1.
# --video-max-meetings: the composite-video search (meetings of 10, 4 VP8 senders, a 640x360
#   800 kbit/s canvas unless --video-res / --video-kbps) stops there (default 16, never above
#   --max-meetings). Our server only: Janus's AudioBridge has no video.
# --janus: afterwards, the same two searches against Janus AudioBridge (bench/janus/start.sh,
#   which installs the janus package if missing), pinned to CPU 0 like our server and stopped by
#   its PID; then a side-by-side table. Janus's searches stop at --janus-max-size (default 300,
#   never above --max-size) and --janus-max-meetings (default 50, never above --max-meetings).
# Exit status: 0; 1 when a participant received nothing (video: no whole frame) at a
# scenario's first step or a scenario could not run; 2 on bad usage or when the server did not
# start.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build="$here/../build"
quick=0
seconds=10
warmup=3
max_size=5000
max_meetings=1000
idle_meetings=1000
idle_seconds=10
suite=aes80
out=""
janus=0
janus_max_size=300
janus_max_meetings=50
video_max_meetings=16
video_res=640x360
video_kbps=800

while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --build) build=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --max-size) max_size=$2; shift ;;
    --max-meetings) max_meetings=$2; shift ;;
    --idle-meetings) idle_meetings=$2; shift ;;
    --suite) suite=$2; shift ;;
    --out) out=$2; shift ;;
    --janus) janus=1 ;;
    --janus-max-size) janus_max_size=$2; shift ;;
    --janus-max-meetings) janus_max_meetings=$2; shift ;;
    --video-max-meetings) video_max_meetings=$2; shift ;;
    --video-res) video_res=$2; shift ;;
    --video-kbps) video_kbps=$2; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "capacity.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    seconds=2; warmup=1; max_size=20; max_meetings=2; idle_meetings=100; idle_seconds=3
    video_max_meetings=1
fi
[ "$video_max_meetings" -le "$max_meetings" ] 2>/dev/null || video_max_meetings=$max_meetings
[ "$janus_max_size" -le "$max_size" ] 2>/dev/null || janus_max_size=$max_size
[ "$janus_max_meetings" -le "$max_meetings" ] 2>/dev/null || janus_max_meetings=$max_meetings

mcu="$build/bin/mcu"
loadgen="$build/bin/loadgen"
for b in "$mcu" "$loadgen"; do
    if [ ! -x "$b" ]; then
        echo "capacity.sh: $b not found: build first (cmake --build build), or pass --build DIR" >&2
        exit 2
    fi
done

tmp=$(mktemp -d /tmp/mcu-capacity.XXXXXX)
[ -n "$out" ] || out="$tmp/results"
mkdir -p "$out" "$tmp/data"
server_pid=""
janus_pid=""
janus_url=""

stop_janus() {
    # start.sh writes janus.pid before it waits for Janus to answer, so a start-up cut short
    # still leaves the PID to stop; stop.sh stops only that PID, and only if it is janus.
    [ -n "$janus_pid" ] || janus_pid=$(cat "$tmp/janus/janus.pid" 2>/dev/null)
    [ -n "$janus_pid" ] || return 0
    cp "$tmp/janus/janus.log" "$tmp/janus.log" 2>/dev/null
    "$here/janus/stop.sh" "$janus_pid"
    rm -f "$tmp/janus/janus.pid"
    janus_pid=""
}
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 50); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "capacity.sh: the server did not stop on SIGTERM in 10 s; killing it" >&2
        kill -KILL "$server_pid" 2>/dev/null
    fi
    wait "$server_pid" 2>/dev/null
    server_pid=""
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    stop_server
    stop_janus
    # The results stay (in $tmp/results unless --out); the servers' data and config do not.
    rm -rf "$tmp/data" "$tmp/janus"
    case "$out" in "$tmp"/*) ;; *) rm -rf "$tmp" ;; esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Pinning: the server on CPU 0, the generator on CPU 1, when there are two CPUs.
cpus=$(nproc)
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then
    pin_server="taskset -c 0"; pin_gen="taskset -c 1"
    pinning="server pinned to CPU 0 (--workers 1), loadgen pinned to CPU 1"
else
    pin_server=""; pin_gen=""
    pinning="NOT pinned ($cpus CPU(s) or no taskset): the generator shares the server's CPU"
fi

# Ports: the HTTP API on a free port, media below the kernel's ephemeral range (where the
# generator's own sockets are), so the two never compete for a port.
port_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
http_port=""
for _ in $(seq 1 50); do
    p=$((18000 + RANDOM % 2000))
    if port_free "$p"; then http_port=$p; break; fi
done
[ -n "$http_port" ] || { echo "capacity.sh: no free TCP port in 18000-19999" >&2; exit 2; }
eph_lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
media_lo=20000
media_hi=$((eph_lo - 1))
[ "$media_hi" -gt 31999 ] && media_hi=31999
[ "$media_hi" -gt "$media_lo" ] || { media_lo=40000; media_hi=49999; }

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
url="http://127.0.0.1:$http_port"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

MCU_ADMIN_TOKEN=$token $pin_server "$mcu" --data "$tmp/data" --listen "127.0.0.1:$http_port" \
    --ports "$media_lo-$media_hi" --workers 1 >"$tmp/mcu.log" 2>&1 &
server_pid=$!
up=0
for _ in $(seq 1 50); do
    if curl -sf "$url/healthz" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if [ "$up" != 1 ]; then
    echo "capacity.sh: the server did not come up; its log:" >&2
    cat "$tmp/mcu.log" >&2
    exit 2
fi

echo "capacity.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n), $cpus CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "capacity.sh: server PID $server_pid at $url, media ports $media_lo-$media_hi; $pinning"
echo "capacity.sh: SRTP $suite; ${warmup} s warm-up + ${seconds} s measured per step; results in $out"

status=0
declare -a names results
lg() { # name, then loadgen's arguments; against Janus while janus_pid is set
    local name=$1; shift
    echo
    echo "== $name"
    if [ -n "$janus_pid" ]; then
        $pin_gen "$loadgen" --backend janus --server "$janus_url" --server-pid "$janus_pid" \
            "$@" --json "$out/$name.json" | tee "$out/$name.txt"
    else
        $pin_gen "$loadgen" --backend mcu --server "$url" --token "$token" \
            --server-pid "$server_pid" --suite "$suite" "$@" --json "$out/$name.json" |
            tee "$out/$name.txt"
    fi
    local rc=${PIPESTATUS[0]}
    if [ "$rc" != 0 ]; then
        echo "capacity.sh: $name: loadgen exited $rc" >&2
        status=1
    fi
    local line
    line=$(grep -E '^(largest passing|idle:)' "$out/$name.txt" | tail -1)
    names+=("$name")
    results+=("${line:-no result (exit $rc)}")
}

lg one-meeting-3-talkers --search --max-size "$max_size" --seconds "$seconds" --warmup "$warmup"
if [ "$quick" = 0 ]; then
    lg one-meeting-3-talkers-levels --search --max-size "$max_size" --seconds "$seconds" \
        --warmup "$warmup" --audio-level 1
    # Our plain-RTP figure, where a meeting allows it ("plain_rtp": true), as Janus's
    # participants are; the SRTP search above stays the headline.
    lg one-meeting-3-talkers-plain --search --max-size "$max_size" --seconds "$seconds" \
        --warmup "$warmup" --suite none
fi
lg meetings-of-5-all-talking --search --scenario small --max-meetings "$max_meetings" \
    --seconds "$seconds" --warmup "$warmup"
lg composite-video-meetings-of-10 --search --scenario video --max-meetings "$video_max_meetings" \
    --video-res "$video_res" --video-kbps "$video_kbps" --seconds "$seconds" --warmup "$warmup"
lg idle-meetings --idle --meetings "$idle_meetings" --seconds "$idle_seconds" --warmup 2

stop_server

# The same searches against Janus AudioBridge, on the same CPU, with the same generator (its
# participants are plain RTP: AudioBridge has no SRTP for them).
if [ "$janus" = 1 ]; then
    echo
    rm -f "$out/janus-one-meeting-3-talkers.json" "$out/janus-meetings-of-5-all-talking.json"
    janus_cpu=()
    [ -n "$pin_server" ] && janus_cpu=(-c 0)
    # -d 3: warnings and errors only, so that Janus does not log every join and leave.
    if janus_env=$("$here/janus/start.sh" "${janus_cpu[@]}" -d 3 -D "$tmp/janus"); then
        janus_pid=$(sed -n 's/^JANUS_PID=//p' <<<"$janus_env")
        janus_url=$(sed -n 's/^JANUS_URL=//p' <<<"$janus_env")
        echo "capacity.sh: Janus $(dpkg-query -W -f='${Version}' janus 2>/dev/null), PID" \
            "$janus_pid at $janus_url, ${janus_cpu[*]:+pinned to CPU 0, }AudioBridge, plain RTP"
        lg janus-one-meeting-3-talkers --search --max-size "$janus_max_size" \
            --seconds "$seconds" --warmup "$warmup"
        lg janus-meetings-of-5-all-talking --search --scenario small \
            --max-meetings "$janus_max_meetings" --seconds "$seconds" --warmup "$warmup"
        echo
        echo "== janus-composite-video: not run: Janus's AudioBridge mixes audio only (no video)"
    else
        echo "capacity.sh: Janus did not start (bench/janus/start.sh failed)" >&2
        status=1
    fi
    stop_janus
fi

# Server CPU against participants, one curve per scenario (every *.json in $out with runs that
# carry participants, so another server's results placed there are plotted alongside).
plot="$out/capacity.png"
if command -v gnuplot >/dev/null && command -v python3 >/dev/null; then
    curves=$(python3 - "$out" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    try:
        d = json.load(open(path))
    except (OSError, ValueError):
        continue
    pts = sorted((r["participants"], r["server_cpu_pct"]) for r in d.get("runs", [])
                 if r.get("participants") and r.get("server_cpu_pct") is not None)
    if len(pts) < 2:
        continue
    dat = path[:-5] + ".dat"
    with open(dat, "w") as f:
        for n, cpu in pts:
            f.write("%d %.2f\n" % (n, cpu))
    backend = d.get("backend", "?")
    base = os.path.basename(path)[:-5]
    if base.startswith(backend + "-"):
        base = base[len(backend) + 1:]
    name = "%s %s" % (backend, base)
    print("'%s' using 1:2 with linespoints title '%s'" % (dat, name.replace("'", "")))
PY
)
    if [ -n "$curves" ]; then
        {
            echo "set terminal pngcairo size 900,560"
            echo "set output '$plot'"
            echo "set title 'Server CPU against participants (each server pinned to one core)'"
            echo "set xlabel 'participants'"
            echo "set ylabel 'server CPU, % of one core'"
            echo "set logscale x"
            echo "set grid"
            echo "set key left top"
            echo "plot $(echo "$curves" | paste -sd, -)"
        } >"$tmp/plot.gp"
        if gnuplot "$tmp/plot.gp" 2>"$tmp/gnuplot.log"; then
            echo "capacity.sh: plot in $plot"
        else
            echo "capacity.sh: gnuplot failed: $(head -3 "$tmp/gnuplot.log")" >&2
        fi
    fi
else
    echo "capacity.sh: no plot (apt-get install gnuplot-nox)"
fi

if grep -qiE 'error|assert' "$tmp/mcu.log"; then
    echo
    echo "server log (errors):"
    grep -iE 'error|assert' "$tmp/mcu.log" | head -20
fi
echo
echo "== summary ($pinning; server CPU is utime+stime of the mcu process over the window, % of one core)"
for i in "${!names[@]}"; do
    printf '%-32s %s\n' "${names[$i]}" "${results[$i]}"
done

# Side by side: the largest passing size of each search, the CPU per participant there, and the
# ratios. Each server had one core to itself, so its largest passing size is its participants
# per core.
if [ "$janus" = 1 ] && command -v python3 >/dev/null; then
    echo
    echo "== side by side (each server alone on CPU 0, loadgen on CPU 1; ours SRTP $suite, Janus plain RTP)"
    python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        return json.load(open(os.path.join(out, name + ".json"))).get("search") or {}
    except (OSError, ValueError):
        return {}
def cell(s):
    if s.get("largest_pass") is None:
        return "none", None, None
    n, per = s["participants"], s.get("server_cpu_pct_per_participant")
    meet = s.get("unit") == "meetings"
    txt = "%s=%d" % ("M" if meet else "N", s["largest_pass"])
    if meet:
        txt += " (%d part.)" % n
    txt += ", %.3f %%" % per if per is not None else ", CPU ?"
    return txt, n, per
print("%-26s | %-26s | %-26s | %s" % ("scenario", "ours: largest, CPU/part.",
                                      "Janus: largest, CPU/part.", "ratio ours/Janus"))
for label, name, jname in (("one meeting, 3 talkers", "one-meeting-3-talkers", None),
                           ("  ours plain RTP", "one-meeting-3-talkers-plain",
                            "one-meeting-3-talkers"),
                           ("meetings of 5, all talk", "meetings-of-5-all-talking", None)):
    a, na, pa = cell(load(name))
    if na is None and name.endswith("-plain"):
        continue  # --quick: no plain search
    b, nb, pb = cell(load("janus-" + (jname or name)))
    r1 = "%.2fx participants per core" % (na / nb) if na and nb else "-"
    r2 = ", %.2fx less CPU per participant" % (pb / pa) if pa and pb else ""
    print("%-26s | %-26s | %-26s | %s%s" % (label, a, b, r1, r2))
a, _, _ = cell(load("composite-video-meetings-of-10"))
print("%-26s | %-26s | %-26s | %s" % ("composite video, 10 each", a, "n/a: AudioBridge has no video", "-"))
PY
fi
if [ -s "$tmp/janus.log" ] && grep -qiE 'error' "$tmp/janus.log"; then
    echo
    echo "Janus log (errors):"
    grep -iE 'error' "$tmp/janus.log" | head -10
fi
exit $status
