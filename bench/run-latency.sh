#!/usr/bin/env bash
# Container start latency: `kiln run --rm IMAGE true` end to end from the CLI against bare
# `runc run` and `docker run --rm`, on the same busybox image, in one run; then the engine's
# own work beyond `runc run`, in-process (bench/run-op.ts).
#
# usage: bench/run-latency.sh [-n REPS] [--out DIR] [--keep]
#
# Targets (the issue): kiln run --rm <= 1/3 of docker run --rm; runContainer - bare runc run
# < 10 ms. Reported, never enforced. See bench/README.md.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
REPS=10
KEEP=0
OUT=$ROOT/bench/results
STARTUP_RUNS=10
IMAGE=busybox:1

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
[ "$(id -u)" = 0 ] || { echo "run as root: runc, overlay mounts and dockerd need it" >&2; exit 1; }
for tool in node runc tar python3 busybox; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
[ -f "$ROOT/dist/cli/main.js" ] || { echo "no dist/cli/main.js: run 'npm run build' first" >&2; exit 1; }
if [ -n "$(find "$ROOT/src" -newer "$ROOT/dist/cli/main.js" -name '*.ts' -print -quit)" ]; then
  echo "warning: src/ has changes newer than dist/ — 'npm run build' to measure them" >&2
fi

WORK=$(mktemp -d /tmp/kiln-run-bench.XXXXXX)
mkdir -p "$WORK/logs" "$OUT"
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
# Rows collect in the work dir and reach OUT with the report: an interrupted run leaves nothing.
CSV=$WORK/run-latency-$RUN_ID.csv
MD=$OUT/run-latency-$RUN_ID.md
NOTES=$WORK/notes.md
: >"$NOTES"
echo "run_id,case,rep,ms,status" >"$CSV"
KILN=("$ROOT/bin/kiln" --root "$WORK/kiln")  # the command users run
BARE_RUNC_ROOT=$WORK/runc
DOCKER=
DOCKERD_PID=
DOCKER_SOURCE=
DOCKER_IMAGE=$IMAGE

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
note() { printf -- '- %s\n' "$*" >>"$NOTES"; log "note: $*"; }

# --- Cleanup: every path out of the script, Ctrl-C included ---------------------------------

# Processes whose command line names the work dir (the private dockerd's containerd and shims,
# should dockerd die without stopping them), by pid.
pids_in_work() {
  local p cmd
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = $$ ] && continue
    cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
    [[ $cmd == *"$WORK/"* ]] && echo "${p#/proc/}"
  done
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill -TERM "$DOCKERD_PID" 2>/dev/null
  local i
  for i in $(seq 1 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID" 2>/dev/null
  wait "$DOCKERD_PID" 2>/dev/null
  DOCKERD_PID=
  local p
  for p in $(pids_in_work); do kill -KILL "$p" 2>/dev/null; done
}

# The kiln daemon the first `kiln run` started for the bench's root (kilnd.pid beside it).
stop_kilnd() {
  local pid i
  pid=$(cat "$WORK/kiln/kilnd.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

# runc state left by an interrupted run, under the bare root and kiln's.
delete_runc_state() {
  local runc_root id
  for runc_root in "$BARE_RUNC_ROOT" "$WORK/kiln/runc"; do
    [ -d "$runc_root" ] || continue
    for id in $(runc --root "$runc_root" list -q 2>/dev/null); do
      runc --root "$runc_root" delete --force "$id" >/dev/null 2>&1
    done
  done
}

# Mounts under the work dir (kiln rootfs overlays, dockerd's overlay2, netns), deepest first.
unmount_work() {
  local m
  for m in $(awk -v w="$WORK/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
}

cleanup() {
  trap - EXIT INT TERM
  stop_kilnd
  delete_runc_state
  if [ -n "$DOCKER_SOURCE" ] && [ -z "$DOCKERD_PID" ]; then "$DOCKER" rmi "$DOCKER_IMAGE" >/dev/null 2>&1; fi
  stop_dockerd
  unmount_work
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else echo "kept: $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Setup (untimed) ---------------------------------------------------------------------------

# The test suite's busybox image (test/helpers/busybox-image.ts) as an OCI layout; prints the
# digest of its single layer.
build_fixture() {
  (cd "$ROOT" && node --import tsx --input-type=module -e "
    import { buildBusyboxImage } from './test/helpers/busybox-image.ts';
    console.log((await buildBusyboxImage(process.argv[1])).layerDigest);" "$WORK/layout")
}

# The layout's entry is a bare tag, so kiln loads it untagged and prints its ID; tag that.
load_into_kiln() {
  local out id
  out=$("${KILN[@]}" load -i "$WORK/layout" 2>&1) || { echo "kiln load failed: $out" >&2; return 1; }
  id=$(echo "$out" | sed -n 's/^Loaded image ID: //p; s/^Loaded image: //p' | head -1)
  "${KILN[@]}" tag "$id" "$IMAGE" >/dev/null
}

# The bare bundle: the layer unpacked once, `runc spec`'s config with no terminal and `true`.
make_bundle() {
  local layer=$1 b=$WORK/bundle
  mkdir -p "$b/rootfs" && tar -xzf "$WORK/layout/blobs/sha256/${layer#sha256:}" -C "$b/rootfs" || return 1
  (cd "$b" && runc spec) || return 1
  node -e '
    const fs = require("node:fs"), path = process.argv[1];
    const spec = JSON.parse(fs.readFileSync(path, "utf8"));
    spec.process.terminal = false;
    spec.process.args = ["true"];
    fs.writeFileSync(path, JSON.stringify(spec, null, 2));' "$b/config.json"
}

docker_ready() { DOCKER_HOST=$1 "$DOCKER" version >/dev/null 2>&1; }

# A private dockerd with docker's default networking (the docker0 bridge, iptables), its own
# data, exec root, socket and pidfile; it shares docker0 with any other dockerd on the host.
start_private_dockerd() {
  local d=$WORK/docker i
  mkdir -p "$d"
  # A session of its own: a Ctrl-C at the terminal reaches the script, which stops dockerd
  # after the command in flight, rather than dockerd itself mid-measurement. Without job
  # control the job is no group leader, so setsid execs dockerd in place and $! is its pid.
  setsid dockerd --data-root "$d/data" --exec-root "$d/exec" -H "unix://$d/docker.sock" --pidfile "$d/docker.pid" \
    >"$WORK/logs/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for i in $(seq 1 150); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    if docker_ready "unix://$d/docker.sock"; then export DOCKER_HOST=unix://$d/docker.sock; return 0; fi
    sleep 0.2
  done
  note "the private dockerd did not come up: $(tail -n 3 "$WORK/logs/dockerd.log" | tr '\n' ' ')"
  stop_dockerd
  return 1
}

# Sets DOCKER_SOURCE (and DOCKER_IMAGE) only once docker holds the image; a failure is a note.
setup_docker() {
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=$(command -v docker) || DOCKER=; fi
  [ -n "$DOCKER" ] || { note "no docker client: docker was not measured"; return 1; }
  local given=${DOCKER_HOST:-} source
  if command -v dockerd >/dev/null && start_private_dockerd; then
    source="a private dockerd started for this run (default networking)"
  elif [ -n "$given" ] && docker_ready "$given"; then
    export DOCKER_HOST=$given
    # Someone else's daemon: its own busybox:1 stays; ours goes under a name of its own.
    DOCKER_IMAGE=kiln-bench/busybox:1
    "${KILN[@]}" tag "$IMAGE" "$DOCKER_IMAGE" >/dev/null || return 1
    source="the running dockerd at DOCKER_HOST=$given (not started by this script)"
    note "the private dockerd could not be used; measured the dockerd at $given with image $DOCKER_IMAGE"
  else
    note "no dockerd installed (or it would not start) and no reachable DOCKER_HOST: docker was not measured"
    return 1
  fi
  "${KILN[@]}" save "$DOCKER_IMAGE" | "$DOCKER" load >"$WORK/logs/docker-load.log" 2>&1 ||
    { note "kiln save | docker load failed: $(tail -n 3 "$WORK/logs/docker-load.log" | tr '\n' ' ')"; return 1; }
  DOCKER_SOURCE=$source
}

# --- Timing ----------------------------------------------------------------------------------

# timed CASE REP CMD...: wall time from bash's clock (no fork around the command), a CSV row;
# REP "warmup" is run and logged but not recorded.
timed() {
  local case=$1 rep=$2; shift 2
  local t0 t1 rc
  t0=$EPOCHREALTIME
  "$@" </dev/null >>"$WORK/logs/$case.log" 2>&1
  rc=$?
  t1=$EPOCHREALTIME
  [ "$rep" = warmup ] && return 0
  local status=ok
  [ "$rc" = 0 ] || status="fail($rc)"
  awk -v id="$RUN_ID" -v c="$case" -v r="$rep" -v a="$t0" -v b="$t1" -v s="$status" \
    'BEGIN { printf "%s,%s,%s,%.2f,%s\n", id, c, r, (b - a) * 1000, s }' >>"$CSV"
  [ "$rc" = 0 ] || log "$case rep $rep: exit $rc (see logs/$case.log)"
}

run_cases() {
  local rep=$1
  timed bare-runc "$rep" runc --root "$BARE_RUNC_ROOT" run --bundle "$WORK/bundle" "bench-$rep"
  [ -n "$DOCKER_SOURCE" ] && timed docker-run "$rep" "$DOCKER" run --rm "$DOCKER_IMAGE" true
  timed kiln-run "$rep" "${KILN[@]}" run --rm "$IMAGE" true
  timed kiln-run-net-none "$rep" "${KILN[@]}" run --rm --network none "$IMAGE" true
  [ -n "$DOCKER_SOURCE" ] && timed docker-run-net-none "$rep" "$DOCKER" run --rm --network none "$DOCKER_IMAGE" true
  return 0
}

startup_floor() {
  local label=$1 i t0 t1; shift
  for i in $(seq 1 "$STARTUP_RUNS"); do
    t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
  done | sort -n | awk -v l="$label" '{ a[NR] = $1 } END { printf "| `%s` | %.1f ms |\n", l, (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

log "work dir: $WORK"
log "building the busybox fixture image"
LAYER=$(build_fixture) || { echo "could not build the busybox fixture" >&2; exit 1; }
load_into_kiln || exit 1
make_bundle "$LAYER" || { echo "could not make the bare runc bundle" >&2; exit 1; }
setup_docker

log "$REPS reps (one warm-up each), interleaved"
run_cases warmup
for rep in $(seq 1 "$REPS"); do log "rep $rep/$REPS"; run_cases "$rep"; done

log "in-process: bench/run-op.ts"
OP_TABLE=$(cd "$ROOT" && node --import tsx bench/run-op.ts --root "$WORK/kiln" --image "$IMAGE" \
  --rootfs "$WORK/bundle/rootfs" -n "$REPS" --pool --csv "$CSV" --run-id "$RUN_ID" 2>"$WORK/logs/run-op.log") ||
  note "bench/run-op.ts failed: $(tail -n 3 "$WORK/logs/run-op.log" | tr '\n' ' ')"
LEFT=$(ls "$WORK/kiln/containers" 2>/dev/null | wc -l)
[ "$LEFT" = 0 ] || note "$LEFT container(s) left in kiln's store after --rm runs"

log "node start-up floor"
# bin/kiln unsets NODE_EXTRA_CA_CERTS (see there); the floor is node's start as kiln gets it.
FLOOR=$(startup_floor "node -e 0" env -u NODE_EXTRA_CA_CERTS node -e 0; startup_floor "kiln --version" "${KILN[@]}" --version)

# --- Report ----------------------------------------------------------------------------------

{
  echo "# Container start latency: kiln vs docker vs bare runc ($RUN_ID)"
  echo
  echo "Image: the test suite's busybox fixture (\`test/helpers/busybox-image.ts\`), loaded into a private kiln root as \`$IMAGE\`; docker got the same image by \`kiln save | docker load\`."
  echo "$REPS reps after one warm-up, the tools interleaved in each. Command: \`true\`."
  echo "Docker: ${DOCKER_SOURCE:-not measured}$([ -n "$DOCKER_SOURCE" ] && echo ", $("$DOCKER" version --format 'server {{.Server.Version}}, client {{.Client.Version}}' 2>/dev/null)")."
  echo "Tools: $(runc --version | head -1), kiln $("${KILN[@]}" --version) (git $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted src')), node $(node --version)."
  echo "Machine: $(nproc) cores, $(uname -r), $(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo) RAM."
  echo
  echo "Whole commands (wall ms, from bash's clock):"
  echo
  python3 - "$CSV" <<'EOF'
import csv, math, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cases = [
    ("bare-runc", "`runc run --bundle B ID` (runc spec config)"),
    ("docker-run", "`docker run --rm busybox:1 true`"),
    ("kiln-run", "`kiln run --rm busybox:1 true`"),
    ("kiln-run-net-none", "`kiln run --rm --network none busybox:1 true`"),
    ("docker-run-net-none", "`docker run --rm --network none busybox:1 true`"),
]
med = {}
print("| case | command | median | p90 | min | ok/reps |")
print("|---|---|---:|---:|---:|---:|")
for key, label in cases:
    sel = [r for r in rows if r["case"] == key]
    if not sel:
        print(f"| {key} | {label} | — | — | — | not measured |")
        continue
    ok = sorted(float(r["ms"]) for r in sel if r["status"] == "ok")
    if not ok:
        print(f"| {key} | {label} | — | — | — | 0/{len(sel)} |")
        continue
    med[key] = statistics.median(ok)
    p90 = ok[max(0, math.ceil(0.9 * len(ok)) - 1)]
    print(f"| {key} | {label} | {med[key]:.1f} | {p90:.1f} | {ok[0]:.1f} | {len(ok)}/{len(sel)} |")
print()
for kiln, docker, net in (("kiln-run", "docker-run", "default network"), ("kiln-run-net-none", "docker-run-net-none", "--network none")):
    if kiln in med and docker in med:
        ratio = med[kiln] / med[docker]
        verdict = "met" if ratio <= 1 / 3 else "not met"
        print(f"- kiln / docker, {net}: **{ratio:.2f}** (median {med[kiln]:.1f} / {med[docker]:.1f} ms; target <= 0.33: {verdict})")
    else:
        print(f"- kiln / docker, {net}: — (docker not measured)")
op = {r["case"]: [] for r in rows if r["case"].startswith("op-")}
for r in rows:
    if r["case"] in op and r["status"] == "ok":
        op[r["case"]].append(float(r["ms"]))
bare = op.get("op-bare-runc")
# The target is judged on the engine's own work per call (the call minus its runc process's
# lifetime); the difference of medians also carries runc's own variance between the cases.
for key in ("op-runContainer-none", "op-runContainer-default"):
    own = op.get(f"{key}-own")
    if own:
        verdict = "met" if statistics.median(own) < 10 else "not met"
        diff = f"; median runContainer - median bare runc: {statistics.median(op[key]) - statistics.median(bare):.1f} ms" if bare and op.get(key) else ""
        print(f"- engine's own work, {key}: **{statistics.median(own):.1f} ms** (per call: runContainer minus its runc run, in-process; target < 10 ms: {verdict}{diff})")
EOF
  echo
  echo "${OP_TABLE:-In-process: bench/run-op.ts did not run.}"
  echo
  echo "Node start-up floor (median of $STARTUP_RUNS; part of every kiln command):"
  echo
  echo "| command | median |"
  echo "|---|---:|"
  echo "$FLOOR"
  echo
  echo "Notes:"
  echo "- \`kiln run\` goes through kilnd, the store root's daemon, which the warm-up run starts (as dockerd runs before \`docker run\`); the script stops it at the end."
  echo "- kiln's default network is the kiln0 bridge (CNI bridge plugin; the daemon keeps two namespaces attached ahead of runs); docker's is docker0 (a veth and iptables per container)."
  echo "- op-* rows: bench/run-op.ts, one process, the dist engine's runContainer (--rm, with an endpoint pool as the daemon has) with stdout/stderr discarded vs bare \`runc run\` of a bundle with the spec kiln builds (network none, no /etc bind mounts), on the same rootfs. An engine's own work is, per call, runContainer's time minus the lifetime of the \`runc run\` process it started (spawn to exit, from the executor's diagnostics channel kiln:executor:runc-run)."
  echo "- The CLI rows include node's start-up and module loading (floor above) and, for docker, the Go client and the daemon round trips."
  if [ -s "$NOTES" ]; then cat "$NOTES"; fi
} >"$MD"
cp "$CSV" "$OUT/"

cat "$MD"
echo
echo "written: $MD" >&2
echo "written: $OUT/$(basename "$CSV")" >&2
