#!/usr/bin/env bash
# Registry build-cache export and import (issue 7): kiln beside a standalone BuildKit, on the
# same machine, the same registry and the same generated context (the shared
# monorepo-one-change scenario: 5,000 files, 8 stages, a fan-in of COPY --from).
#
# usage: bench/cache-transfer.sh [-n REPS] [--out DIR] [--keep]
#
# Per repetition and peer, with fresh store roots and a fresh cache repository:
#   export-cold        runner A (empty root) builds with --cache-to type=registry,mode=max
#   import-cold        runner B (another empty root, a daemon that never saw A's) builds the same
#                      context with --cache-from A's ref; the image ends in B's own store
#                      (kiln: its default; BuildKit: --output type=image,name=..., no push)
#   import-cold-oci    the same on a third empty root, writing the image as an OCI tar
#   export-one-change  A, warm, after one edited file in apps/app03, exports to the same ref
# Recorded: wall time of each command, the duration of the cache-export step (kiln's "exporting
# cache to registry" vertex, BuildKit's "exporting content cache"), whether every Dockerfile
# step was a cache hit on B, and the blob uploads/downloads read off the registry's access log.
#
# Needs: node with kiln built (npm run build), python3, curl, runc, docker-registry
# (distribution), a static /bin/busybox (busybox-static: the base image is made from it), and
# BuildKit's buildkitd and buildctl: BUILDKITD=... BUILDCTL=... or on PATH (see bench/README.md).
# Everything it starts (registry, kilnd and buildkitd daemons) is stopped on exit; its mktemp -d
# work dir is removed unless --keep. Results: OUT/cache-transfer-<UTC time>.{md,csv}.
set -uo pipefail
export LC_ALL=C # EPOCHREALTIME and printf with a decimal point

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED_BENCH=$(cd "${SHARED_BENCH:-$ROOT/../shared/bench}" && pwd)
SCENARIO=$SHARED_BENCH/scenarios/monorepo-one-change
KILN=(node "$ROOT/dist/cli/main.js")
KILND=(node "$ROOT/dist/daemon/main.js")
BUILDKITD=${BUILDKITD:-$(command -v buildkitd || true)}
BUILDCTL=${BUILDCTL:-$(command -v buildctl || true)}
BUSYBOX=${BUSYBOX:-/bin/busybox}

REPS=3
KEEP=0
OUT=$ROOT/bench/results

usage() { sed -n '6p' "$0" | sed 's/^# //'; }

while [ $# -gt 0 ]; do
  case $1 in
    -n) REPS=${2:-}; shift 2 ;;
    --out) OUT=${2:-}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "-n wants a positive count, got '$REPS'" >&2; exit 2; }

if [ -z "$BUILDKITD" ] || [ -z "$BUILDCTL" ] || [ ! -x "$BUILDKITD" ] || [ ! -x "$BUILDCTL" ]; then
  cat >&2 <<EOF
BuildKit not found: set BUILDKITD and BUILDCTL to its binaries, or put buildkitd and buildctl on PATH.
The comparison was made with the standalone v0.11.6 build at /work/tools/buildkit/bin
(how it was built offline: /work/tools/buildkit/README.md); a release tarball from
https://github.com/moby/buildkit/releases (bin/buildkitd, bin/buildctl) works as well.
This script never builds BuildKit itself.
EOF
  exit 1
fi
for tool in node python3 curl runc docker-registry; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
[ -x "$BUSYBOX" ] || { echo "missing: $BUSYBOX (apt-get install busybox-static; or BUSYBOX=PATH to a static busybox)" >&2; exit 1; }
[ -f "$ROOT/dist/cli/main.js" ] || { echo "no dist/cli/main.js: run 'npm run build' first" >&2; exit 1; }
if [ -n "$(find "$ROOT/src" -newer "$ROOT/dist/cli/main.js" -name '*.ts' -print -quit)" ]; then
  echo "warning: src/ has changes newer than dist/ — 'npm run build' to measure them" >&2
fi

WORK=$(mktemp -d /tmp/kiln-cache-bench.XXXXXX)
mkdir -p "$WORK/logs" "$WORK/roots" "$OUT"
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
CSV=$WORK/results.csv # copied to OUT with the report: an interrupted run leaves no partial results
OUT_CSV=$OUT/cache-transfer-$RUN_ID.csv
MD=$OUT/cache-transfer-$RUN_ID.md
NOTES=$WORK/notes.md
FAILS=$WORK/failures.md
: >"$NOTES"; : >"$FAILS"
CLK_TCK=$(getconf CLK_TCK)
echo "run_id,phase,peer,rep,wall_s,export_step_s,steps,steps_cached,uploads,upload_bytes,mounts,blob_heads,manifest_puts,downloads,download_bytes,daemon_cpu_s,registry_cpu_s,load1,status" >"$CSV"

# --- Processes: every one this script starts is in DAEMONS (pid → what), stopped at exit ------
# Daemons run under setsid (which execs them in place: the pid is theirs), out of the terminal's
# process group: a Ctrl-C reaches this script and the client, and cleanup then stops each daemon
# with SIGTERM, so kilnd releases what it holds (node would otherwise die of the SIGINT).

declare -A DAEMONS=()
REGISTRY_PID=
CLIENT_PID= # the timed command in flight

stop_pid() { # PID: SIGTERM, up to 15 s for a clean exit (kilnd releases its namespaces), then SIGKILL
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "pid $pid (${DAEMONS[$pid]:-?}) ignored SIGTERM: SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
  wait "$pid" 2>/dev/null
  unset "DAEMONS[$pid]"
  return 0
}

unmount_under() { # DIR: whatever a killed daemon left mounted below it, deepest first
  awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}

cleanup() {
  local pid
  [ -n "$CLIENT_PID" ] && kill -TERM "$CLIENT_PID" 2>/dev/null && wait "$CLIENT_PID" 2>/dev/null
  for pid in "${!DAEMONS[@]}"; do stop_pid "$pid"; done
  unmount_under "$WORK"
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else echo "kept: $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
note() { printf -- '- %s\n' "$*" >>"$NOTES"; log "note: $*"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cpu_s() { # PID: user+sys of the process and its reaped children, in seconds
  [ -r "/proc/$1/stat" ] || { echo 0; return; }
  # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$CLK_TCK" '{ printf "%.2f", ($12 + $13 + $14 + $15) / hz }'
}

# The registry logs every request (combined log format) on stdout: that file is the access log.
registry_start() {
  local dir=$WORK/registry
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $REG
EOF
  setsid docker-registry serve "$dir/config.yml" >"$dir/access.log" 2>"$dir/registry.log" &
  REGISTRY_PID=$!
  DAEMONS[$REGISTRY_PID]=docker-registry
  local i
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null "http://$REG/v2/" 2>/dev/null && return 0
    kill -0 "$REGISTRY_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$dir/registry.log" >&2
  return 1
}
ACCESS_LOG=$WORK/registry/access.log

# start_kilnd NAME: a kiln daemon on the fresh root WORK/roots/NAME (its socket inside it, where
# `kiln --root` looks). Sets DAEMON_PID. --embedded: it also exits should its root be removed.
start_kilnd() {
  local root=$WORK/roots/$1
  mkdir -p "$root"
  setsid "${KILND[@]}" --root "$root" --host "unix://$root/kiln.sock" --embedded >"$WORK/logs/kilnd-$1.log" 2>&1 &
  DAEMON_PID=$!
  DAEMONS[$DAEMON_PID]="kilnd $1"
  local i
  for i in $(seq 1 150); do
    curl -fsS -o /dev/null --unix-socket "$root/kiln.sock" http://kiln/_ping 2>/dev/null && return 0
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$WORK/logs/kilnd-$1.log" >&2
  return 1
}

# start_buildkitd NAME: buildkitd (OCI worker, runc) on the fresh root WORK/roots/NAME. Sets DAEMON_PID.
start_buildkitd() {
  local root=$WORK/roots/$1
  mkdir -p "$root"
  setsid "$BUILDKITD" --root "$root" --addr "unix://$root.sock" --oci-worker=true --containerd-worker=false \
    >"$WORK/logs/buildkitd-$1.log" 2>&1 &
  DAEMON_PID=$!
  DAEMONS[$DAEMON_PID]="buildkitd $1"
  local i
  for i in $(seq 1 150); do
    "$BUILDCTL" --addr "unix://$root.sock" debug workers >/dev/null 2>&1 && return 0
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$WORK/logs/buildkitd-$1.log" >&2
  return 1
}

drop_root() { # NAME: the root of a stopped daemon goes (kept with --keep)
  unmount_under "$WORK/roots/$1"
  [ "$KEEP" = 1 ] || rm -rf "${WORK:?}/roots/$1" "$WORK/roots/$1.sock"
}

# --- Setup (untimed) -------------------------------------------------------------------------

# The base image: a busybox-static rootfs, FROM scratch + COPY, built by a throw-away buildkitd
# and pushed to the registry, so that both peers pull the very same manifest.
seed_base() {
  local ctx=$WORK/base-ctx a
  mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/etc" "$ctx/rootfs/root"
  cp "$BUSYBOX" "$ctx/rootfs/bin/busybox"
  # busybox --list names busybox itself: linking it would replace the binary with a loop.
  for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -sf busybox "$ctx/rootfs/bin/$a"; done
  chmod 1777 "$ctx/rootfs/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$ctx/rootfs/etc/passwd"
  echo 'root:x:0:' >"$ctx/rootfs/etc/group"
  printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nCMD ["/bin/sh"]\n' >"$ctx/Dockerfile"
  start_buildkitd seed || return 1
  local pid=$DAEMON_PID rc
  "$BUILDCTL" --addr "unix://$WORK/roots/seed.sock" build --frontend dockerfile.v0 \
    --local context="$ctx" --local dockerfile="$ctx" \
    --output "type=image,name=$BASE_REF,push=true,registry.insecure=true" --progress=plain \
    >"$WORK/logs/seed-base.log" 2>&1
  rc=$?
  stop_pid "$pid"
  drop_root seed
  [ "$rc" = 0 ] || tail -20 "$WORK/logs/seed-base.log" >&2
  return "$rc"
}

# --- One timed command -----------------------------------------------------------------------

# analyze PEER PROGRESS ACCESS_SLICE: what the command's own progress and the registry's access
# log say, as fields separated by \x1f (not a tab: read would merge empty fields between tabs): steps cached export_s export_error uploads upload_bytes
# mounts blob_heads manifest_puts downloads download_bytes uncached_steps kiln_export_log.
# Steps are the Dockerfile's COPY/RUN steps ("[stage n/m] ..."), not FROM: a registry base is
# resolved and pulled on an empty runner, which BuildKit never reports as a cache hit.
analyze() {
  python3 - "$1" "$2" "$3" "$WORK/registry/data" <<'EOF'
import json, os, re, sys
from datetime import datetime

peer, progress, access, regdata = sys.argv[1:5]

def rfc3339(text):
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    base = datetime.fromisoformat(m.group(1) + ("+00:00" if m.group(3) == "Z" else m.group(3)))
    return base.timestamp() + float("0." + (m.group(2) or "0"))

steps, export, export_log = {}, None, ""
if peer == "kiln":
    # rawjson on stderr: one event per line, the last one of a vertex carries `completed`.
    for line in open(progress, errors="replace"):
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        name = event.get("name", "")
        if name.startswith("exporting cache to registry"):
            for entry in event.get("logs") or []:
                export_log += entry.get("data", "")
            if "completed" in event:
                export = ((event["completed"] - event["started"]) / 1000, event.get("error", ""))
        elif "completed" in event:
            steps[name] = bool(event.get("cached"))
else:
    # buildctl --trace: the SolveStatus stream as concatenated JSON objects. A vertex is
    # re-reported while lazy cached layers are fetched for a dependent step (cached: false then),
    # so a step counts as a cache hit when any report of it says so, as `#n CACHED` in plain.
    decoder, text, at = json.JSONDecoder(), open(progress).read(), 0
    first_start, last_done, errors = {}, {}, {}
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            break
        status, at = decoder.raw_decode(text, at)
        for v in status.get("Vertexes") or []:
            name = v["Name"]
            steps[name] = steps.get(name, False) or bool(v.get("Cached"))
            if v.get("Started"):
                first_start.setdefault(name, rfc3339(v["Started"]))
            if v.get("Completed"):
                last_done[name] = rfc3339(v["Completed"])
            if v.get("Error"):
                errors[name] = v["Error"]
    for name in steps:
        if re.match(r"exporting (content )?cache", name) and name in last_done:
            export = (last_done[name] - first_start[name], errors.get(name, ""))

dockerfile = {n: c for n, c in steps.items() if n.startswith("[") and not n.startswith("[internal]") and "] FROM " not in n}
uncached = [n.split(" ", 3)[:3] for n, c in dockerfile.items() if not c]

request = re.compile(r'^\S+ \S+ \S+ \[[^]]*\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-)')
uploads = upload_bytes = mounts = heads = manifest_puts = downloads = download_bytes = 0
for line in open(access, errors="replace"):
    m = request.match(line)
    if not m:
        continue
    method, uri, status, size = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    path, _, query = uri.partition("?")
    if "/blobs/uploads/" in path and status == 201:
        if "mount=" in query:
            mounts += 1
            continue
        digest = re.search(r"digest=sha256(?::|%3A)([0-9a-f]{64})", query, re.I)
        uploads += 1
        if digest:
            blob = os.path.join(regdata, "docker/registry/v2/blobs/sha256", digest.group(1)[:2], digest.group(1), "data")
            upload_bytes += os.path.getsize(blob) if os.path.exists(blob) else 0
    elif "/blobs/sha256:" in path and method == "HEAD":
        heads += 1
    elif "/blobs/sha256:" in path and method == "GET" and status in (200, 206):
        downloads += 1
        download_bytes += int(size) if size.isdigit() else 0
    elif "/manifests/" in path and method == "PUT" and status == 201:
        manifest_puts += 1

fields = [len(dockerfile), sum(dockerfile.values()),
          "" if export is None else f"{export[0]:.3f}", "" if export is None else export[1].replace("\x1f", " ").replace("\n", " ")[:200],
          uploads, upload_bytes, mounts, heads, manifest_puts, downloads, download_bytes,
          "; ".join(" ".join(u) for u in uncached)[:400], export_log.strip().replace(",", ";").replace("\n", " ")]
print("\x1f".join(str(f) for f in fields))
EOF
}

# timed PHASE PEER REP DAEMON_PID PROGRESS_FILE -- CMD...: runs CMD (stdout+stderr → log),
# then a CSV row. PROGRESS_FILE is where the command leaves its progress (kiln: the log itself,
# rawjson on stderr; BuildKit: the --trace file). Returns non-zero when the phase failed.
timed() {
  local phase=$1 peer=$2 rep=$3 dpid=$4 progress=$5; shift 6
  local logf=$WORK/logs/$phase-$peer-$rep.log slice=$WORK/logs/$phase-$peer-$rep.access
  sync # earlier write-back is not charged to this command
  local load1 off d0 r0 t0 t1 rc
  load1=$(cut -d' ' -f1 /proc/loadavg)
  off=$(stat -c %s "$ACCESS_LOG")
  d0=$(cpu_s "$dpid"); r0=$(cpu_s "$REGISTRY_PID")
  t0=$EPOCHREALTIME
  # In the background and waited for: a Ctrl-C then reaches the trap at once (bash defers a trap
  # while a foreground child runs, and skips it when that child handles SIGINT itself).
  "$@" >"$logf" 2>&1 &
  CLIENT_PID=$!
  wait "$CLIENT_PID"
  rc=$?
  t1=$EPOCHREALTIME
  CLIENT_PID=
  local d1 r1 size=-1 now
  d1=$(cpu_s "$dpid"); r1=$(cpu_s "$REGISTRY_PID")
  # The registry writes a request's line once it has answered; wait for the log to settle.
  while now=$(stat -c %s "$ACCESS_LOG"); [ "$now" != "$size" ]; do size=$now; sleep 0.2; done
  tail -c +"$((off + 1))" "$ACCESS_LOG" >"$slice"
  local steps cached export_s export_err uploads ubytes mounts heads mputs downloads dbytes uncached klog
  IFS=$'\x1f' read -r steps cached export_s export_err uploads ubytes mounts heads mputs downloads dbytes uncached klog \
    < <(analyze "$peer" "$progress" "$slice" 2>>"$WORK/logs/analyze.err" || printf '0\x1f0\x1f\x1f\x1f0\x1f0\x1f0\x1f0\x1f0\x1f0\x1f0\x1f\x1f\n')
  local status=ok
  if [ "$rc" != 0 ]; then
    status="fail($rc)"
  elif [[ $phase == export* ]] && { [ -z "$export_s" ] || [ -n "$export_err" ]; }; then
    status=export-failed # kiln's export warns and leaves the build green (ignore-error=true)
  elif [[ $phase == import* ]] && { [ "$steps" = 0 ] || [ "$cached" != "$steps" ]; }; then
    status="not-cached($cached/$steps)"
  fi
  local wall
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "$RUN_ID,$phase,$peer,$rep,$wall,$export_s,$steps,$cached,$uploads,$ubytes,$mounts,$heads,$mputs,$downloads,$dbytes,$(awk -v a="$d0" -v b="$d1" 'BEGIN { printf "%.2f", b - a }'),$(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%.2f", b - a }'),$load1,$status" >>"$CSV"
  log "$phase $peer rep $rep: ${wall}s${export_s:+ (export step ${export_s}s)} cached $cached/$steps, up $uploads blobs/$ubytes B, down $downloads/$dbytes B: $status"
  [ -n "$klog" ] && echo "$phase rep $rep: $klog" >>"$WORK/kiln-export-log.txt"
  if [ "$status" != ok ]; then
    { printf '### %s %s, rep %s: %s\n\n`%s`\n\n' "$phase" "$peer" "$rep" "$status" "$*"
      [ -n "$uncached" ] && printf 'Steps not reported as cache hits: %s\n\n' "$uncached"
      [ -n "$export_err" ] && printf 'Export step error: %s\n\n' "$export_err"
      printf '```\n'; grep -v '^{' "$logf" | tail -n 25; printf '```\n\n'; } >>"$FAILS"
    return 1
  fi
  return 0
}

skipped() { echo "$RUN_ID,$1,$2,$3,,,,,,,,,,,,,,,skipped" >>"$CSV"; }

# --- The two peers' commands -----------------------------------------------------------------

# kiln_build ROOTNAME - ARGS...: the kiln CLI against the root's daemon (the "-" stands where
# bk_build takes its trace file: kiln's progress is its own stderr). Both run as timed's
# background job and exec the client, so that CLIENT_PID is the client itself.
kiln_build() {
  local root=$WORK/roots/$1; shift 2
  exec "${KILN[@]}" --root "$root" build --progress=rawjson --build-arg "BASE=$BASE_REF" "$@" "$CTX"
}

kiln_image_id() { "${KILN[@]}" --root "$WORK/roots/$1" image inspect --format '{{.Id}}' bench/monorepo:ci 2>&1 | head -1; }

# bk_build ROOTNAME TRACE ARGS...: buildctl against the root's buildkitd, plain progress on
# stderr and the vertex stream as JSON in TRACE
bk_build() {
  local root=$WORK/roots/$1 trace=$2; shift 2
  exec "$BUILDCTL" --addr "unix://$root.sock" build --frontend dockerfile.v0 \
    --local context="$CTX" --local dockerfile="$CTX" --opt "build-arg:BASE=$BASE_REF" \
    --progress=plain --trace "$trace" "$@"
}

# peer_rep PEER REP: the four phases of one repetition for one peer
peer_rep() {
  local peer=$1 rep=$2 start ref a=r$2-$1-A b=r$2-$1-B c=r$2-$1-C
  local cache_ref=$REG/bench/cache-$1-r$2:buildcache
  python3 "$SCENARIO/mutate.py" "$CTX" 0
  if [ "$peer" = kiln ]; then start=start_kilnd; else start=start_buildkitd; fi

  $start "$a" || { note "$peer rep $rep: runner A's daemon did not start"; for p in export-cold import-cold import-cold-oci export-one-change; do skipped $p "$peer" "$rep"; done; return; }
  local apid=$DAEMON_PID exported=0
  if [ "$peer" = kiln ]; then
    timed export-cold kiln "$rep" "$apid" "$WORK/logs/export-cold-kiln-$rep.log" -- \
      kiln_build "$a" - -t bench/monorepo:ci --cache-to "type=registry,ref=$cache_ref,mode=max" && exported=1
    [ "$rep" = 1 ] && KILN_IMAGE_IDS="runner A $(kiln_image_id "$a")"
  else
    timed export-cold buildkit "$rep" "$apid" "$WORK/logs/export-cold-buildkit-$rep.trace" -- \
      bk_build "$a" "$WORK/logs/export-cold-buildkit-$rep.trace" --output type=image,name=bench/monorepo:ci \
      --export-cache "type=registry,ref=$cache_ref,mode=max" && exported=1
  fi

  if [ "$exported" = 1 ]; then
    import_on "$peer" "$rep" "$b" import-cold "$cache_ref"
    import_on "$peer" "$rep" "$c" import-cold-oci "$cache_ref"
  else
    skipped import-cold "$peer" "$rep"; skipped import-cold-oci "$peer" "$rep"
  fi

  python3 "$SCENARIO/mutate.py" "$CTX" "$rep"
  if [ "$peer" = kiln ]; then
    timed export-one-change kiln "$rep" "$apid" "$WORK/logs/export-one-change-kiln-$rep.log" -- \
      kiln_build "$a" - -t bench/monorepo:ci --cache-to "type=registry,ref=$cache_ref,mode=max"
  else
    timed export-one-change buildkit "$rep" "$apid" "$WORK/logs/export-one-change-buildkit-$rep.trace" -- \
      bk_build "$a" "$WORK/logs/export-one-change-buildkit-$rep.trace" --output type=image,name=bench/monorepo:ci \
      --export-cache "type=registry,ref=$cache_ref,mode=max"
  fi
  stop_pid "$apid"
  drop_root "$a"
}

# import_on PEER REP ROOTNAME PHASE CACHE_REF: a daemon on an empty root builds with the import
import_on() {
  local peer=$1 rep=$2 name=$3 phase=$4 cache_ref=$5 pid
  if [ "$peer" = kiln ]; then
    start_kilnd "$name" || { note "kiln rep $rep: runner $name's daemon did not start"; skipped "$phase" kiln "$rep"; return; }
    pid=$DAEMON_PID
    local output=(-t bench/monorepo:ci)
    [ "$phase" = import-cold-oci ] && output=(--output "type=oci,dest=$WORK/$name.tar")
    timed "$phase" kiln "$rep" "$pid" "$WORK/logs/$phase-kiln-$rep.log" -- \
      kiln_build "$name" - "${output[@]}" --cache-from "type=registry,ref=$cache_ref"
    [ "$phase" = import-cold ] && [ "$rep" = 1 ] && KILN_IMAGE_IDS+=", runner B $(kiln_image_id "$name")"
  else
    start_buildkitd "$name" || { note "buildkit rep $rep: runner $name's daemon did not start"; skipped "$phase" buildkit "$rep"; return; }
    pid=$DAEMON_PID
    local output=type=image,name=bench/monorepo:ci
    [ "$phase" = import-cold-oci ] && output=type=oci,dest=$WORK/$name.tar
    timed "$phase" buildkit "$rep" "$pid" "$WORK/logs/$phase-buildkit-$rep.trace" -- \
      bk_build "$name" "$WORK/logs/$phase-buildkit-$rep.trace" --output "$output" \
      --import-cache "type=registry,ref=$cache_ref"
  fi
  stop_pid "$pid"
  rm -f "$WORK/$name.tar"
  drop_root "$name"
}

# --- Run -------------------------------------------------------------------------------------

REG=127.0.0.1:$(free_port)
BASE_REF=$REG/bench/base/busybox:local
CTX=$WORK/ctx
KILN_IMAGE_IDS=
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "work dir: $WORK; registry $REG"

registry_start || { echo "the registry did not start" >&2; exit 1; }
log "seeding $BASE_REF (busybox-static rootfs, built by a throw-away buildkitd)"
seed_base || { echo "could not put the base image into the registry" >&2; exit 1; }
log "generating the monorepo-one-change context"
python3 "$SCENARIO/gen.py" "$CTX" >/dev/null || { echo "gen.py failed" >&2; exit 1; }

for rep in $(seq 1 "$REPS"); do
  log "rep $rep/$REPS"
  # Alternate which peer goes first, so that a slow drift of the shared machine hits both.
  if [ $((rep % 2)) = 1 ]; then order=(kiln buildkit); else order=(buildkit kiln); fi
  for peer in "${order[@]}"; do peer_rep "$peer" "$rep"; done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report ----------------------------------------------------------------------------------

KILN_VERSION="kiln $("${KILN[@]}" --version 2>/dev/null) (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted src'))"
BK_VERSION=$("$BUILDKITD" --version 2>/dev/null | awk '{ print "buildkitd " $3 " (" substr($4, 1, 12) ")" }')
{
  echo "# Registry build cache: kiln vs BuildKit ($RUN_ID)"
  echo
  echo "Context: the shared \`monorepo-one-change\` scenario (5,000 files, ~60 MB, 8 stages, 22 COPY/RUN steps),"
  echo "base \`$BASE_REF\` (busybox-static rootfs) pulled from the same registry by both peers."
  echo "Registry: docker-registry $(docker-registry --version 2>/dev/null | awk '{ print $NF }'), filesystem storage, plain HTTP on loopback; a fresh cache repository per peer and rep (\`bench/cache-PEER-rREP:buildcache\`)."
  echo "Peers: $KILN_VERSION, node $(node --version), its daemon kilnd on a private root; $BK_VERSION with \`$("$BUILDCTL" --version | awk '{ print "buildctl " $3 }')\`, OCI worker, $(runc --version | head -1)."
  echo "Every runner is a fresh daemon on an empty root, started before its timed command (daemon start-up is not timed for either). $REPS reps; the peer going first alternates."
  echo "Machine: $(nproc) cores, $(uname -r), $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo) RAM, shared with other work: load average $LOAD_START at the start, $LOAD_END at the end (load1 before each command in the CSV)."
  echo
  python3 - "$CSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
peers = ["kiln", "buildkit"]
label = {"kiln": "kiln", "buildkit": "BuildKit"}
phases = [("export-cold", "A, empty root: build + export mode=max to a fresh ref"),
          ("import-cold", "B, empty root: build with the import; kiln: image into B's store, BuildKit: type=image (see below)"),
          ("import-cold-oci", "the same on another empty root, image written as an OCI tar by both (headline)"),
          ("export-one-change", "A, warm: one file edited, build + export to the same ref")]

def ok(phase, peer):
    return [r for r in rows if r["phase"] == phase and r["peer"] == peer and r["status"] == "ok"]

def of(phase, peer):
    return [r for r in rows if r["phase"] == phase and r["peer"] == peer]

def med(values):
    return statistics.median(values) if values else None

def cell(values, fmt="{:.2f}"):
    if not values:
        return "—"
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"

def column(phase, peer, key):
    return [float(r[key]) for r in ok(phase, peer) if r[key] != ""]

headline = [(p, column(p, "kiln", "wall_s"), column(p, "buildkit", "wall_s")) for p in ["import-cold-oci", "import-cold"]]
print("**Headline — a cold CI runner with a warm registry cache:** " + "; ".join(
    f"{p}: kiln {med(k):.2f} s, BuildKit {med(b):.2f} s, ratio {med(k) / med(b):.2f}" if k and b else f"{p}: —" for p, k, b in headline) + ".")
print()
print("## Wall time per command, seconds: median (min–max)")
print()
print("| phase | what | kiln | BuildKit | kiln / BuildKit | ok reps (kiln, BuildKit) |")
print("|---|---|---:|---:|---:|---|")
for phase, what in phases:
    k, b = column(phase, "kiln", "wall_s"), column(phase, "buildkit", "wall_s")
    ratio = f"{med(k) / med(b):.2f}" if k and b else "—"
    counts = ", ".join(f"{len(ok(phase, p))}/{len(of(phase, p))}" for p in peers)
    print(f"| {phase} | {what} | {cell(k)} | {cell(b)} | {ratio} | {counts} |")
for phase in ["export-cold", "export-one-change"]:
    k, b = column(phase, "kiln", "export_step_s"), column(phase, "buildkit", "export_step_s")
    ratio = f"{med(k) / med(b):.2f}" if k and b else "—"
    print(f"| {phase}: export step | kiln \"exporting cache to registry\", BuildKit \"exporting content cache\" | {cell(k, '{:.3f}')} | {cell(b, '{:.3f}')} | {ratio} | |")
print()
print("## Registry traffic per command (medians over the ok reps), from the registry's access log")
print()
print("| phase | peer | blob uploads | uploaded MB | cross-repo mounts | blob HEADs | manifest PUTs | blob GETs | downloaded MB |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for phase, _ in phases:
    for p in peers:
        sel = ok(phase, p)
        if not sel:
            continue
        m = lambda key: med([float(r[key]) for r in sel])
        print(f"| {phase} | {label[p]} | {m('uploads'):.0f} | {m('upload_bytes') / 1e6:.2f} | {m('mounts'):.0f} | {m('blob_heads'):.0f} | "
              f"{m('manifest_puts'):.0f} | {m('downloads'):.0f} | {m('download_bytes') / 1e6:.2f} |")
print()
print("## Cache hits on the cold runner B (COPY/RUN steps reported as cached / steps)")
print()
print("| phase | peer | per rep | status per rep |")
print("|---|---|---|---|")
for phase in ["import-cold", "import-cold-oci"]:
    for p in peers:
        sel = of(phase, p)
        print(f"| {phase} | {label[p]} | {', '.join(r['steps_cached'] + '/' + r['steps'] for r in sel)} | {', '.join(r['status'] for r in sel)} |")
print()
print("## Daemon and registry CPU per command, seconds (median)")
print()
print("| phase | kiln daemon | BuildKit daemon | registry (kiln run) | registry (BuildKit run) |")
print("|---|---:|---:|---:|---:|")
for phase, _ in phases:
    c = lambda p, key: (f"{med(column(phase, p, key)):.2f}" if column(phase, p, key) else "—")
    print(f"| {phase} | {c('kiln', 'daemon_cpu_s')} | {c('buildkit', 'daemon_cpu_s')} | {c('kiln', 'registry_cpu_s')} | {c('buildkit', 'registry_cpu_s')} |")
EOF
  echo
  echo "How to read it:"
  echo "- **Headline: import-cold-oci**, where both peers end with the same thing: the image's layers fetched from the registry"
  echo "  and written out as an OCI tar (the blob GETs column shows the same blobs downloaded by both). import-cold gives BuildKit"
  echo "  \`--output type=image,name=...\` without push, as asked, but standalone buildkitd's OCI worker has no image store"
  echo "  (worker/runc/runc.go: \`ImageStore: nil\`): the exporter then names no image (no \"naming to\" line) and never fetches the"
  echo "  lazy layers it takes from the cache (only the configs are read, see blob GETs), so BuildKit's import-cold is a lower"
  echo "  bound that ends with no usable image, while kiln's import-cold ends with the image and its layers in B's store."
  echo "- Cache hits: the Dockerfile's 22 COPY/RUN steps, FROM excluded (an empty runner resolves and pulls the base; BuildKit never"
  echo "  reports that as CACHED). kiln: the last rawjson event of a step has \`cached: true\`; BuildKit: some report of the step in the"
  echo "  \`buildctl --trace\` stream (the vertex stream \`--progress=plain\` prints) has \`Cached\` — a cached step is reported again,"
  echo "  not cached, while its lazy layers are fetched for a step that needs them."
  echo "- Export step: from the progress vertex's start to its completion (kiln: rawjson \`started\`..\`completed\`; BuildKit: the"
  echo "  first \`Started\` to the last \`Completed\` of \"exporting content cache\" in the trace). It runs after the build's steps for both."
  echo "- Uploads: \`PUT .../blobs/uploads/...\` answered 201 (bytes: the size of that blob in the registry's storage); mounts: \`POST"
  echo "  ...?mount=\` answered 201; downloads: blob GETs answered 200/206 (bytes as the registry logged them)."
  echo "- Wall time includes each client's start-up: node for kiln's CLI ($(a=$EPOCHREALTIME; node -e 0; b=$EPOCHREALTIME; awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f ms", (b - a) * 1000 }') for \`node -e 0\` here), the Go binary for buildctl."
  echo "- Daemon CPU: the daemon process and its reaped children (runc), from /proc; the registry's the same."
  if [ -s "$WORK/kiln-export-log.txt" ]; then
    echo
    echo "kiln's own export log lines:"
    echo
    sed 's/^/- /; s/;/,/g' "$WORK/kiln-export-log.txt"
  fi
  if [ -n "$KILN_IMAGE_IDS" ]; then echo; echo "kiln's image IDs in rep 1 (the cache import should give B A's image): $KILN_IMAGE_IDS"; fi
  if [ -s "$NOTES" ]; then echo; echo "Notes:"; cat "$NOTES"; fi
  if [ -s "$FAILS" ]; then echo; echo "## Failures"; echo; cat "$FAILS"; fi
} >"$MD"
cp "$CSV" "$OUT_CSV"

cat "$MD"
echo
echo "written: $MD" >&2
echo "written: $OUT_CSV" >&2
