#!/usr/bin/env bash
# Registry push and pull of one ~1 GiB image (the shared big-layer scenario): kiln against
# buildah and skopeo, in one run, on the same image and the same kind of registry.
#
# usage: bench/registry-transfer.sh [-n REPS] [--keep] [--workdir DIR] [--out DIR]
#
# The image is built once by buildah, exported once to an OCI layout (gzip layers) and loaded
# into a private kiln store, so all three tools ship byte-identical layer content. Every cold
# push goes to an empty registry (restarted with wiped storage). See bench/README.md.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED_BENCH=$(cd "${SHARED_BENCH:-$ROOT/../shared/bench}" && pwd)
# BENCH_SCENARIO: another scenario directory (gen.py + Dockerfile), e.g. to try the harness quickly.
SCENARIO=${BENCH_SCENARIO:-$SHARED_BENCH/scenarios/big-layer}
KILN=("$ROOT/bin/kiln")  # the command users run

REPS=3
KEEP=0
WORK=
OUT=$ROOT/bench/results
STARTUP_RUNS=10

usage() { sed -n '5p' "$0" | sed 's/^# //'; }

while [ $# -gt 0 ]; do
  case $1 in
    -n) REPS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --workdir) WORK=$2; KEEP=1; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "-n wants a positive count, got '$REPS'" >&2; exit 2; }

for tool in buildah skopeo docker-registry curl python3 /usr/bin/time node; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
[ -f "$ROOT/dist/cli/main.js" ] || { echo "no dist/cli/main.js: run 'npm run build' first" >&2; exit 1; }
if [ -n "$(find "$ROOT/src" -newer "$ROOT/dist/cli/main.js" -name '*.ts' -print -quit)" ]; then
  echo "warning: src/ has changes newer than dist/ — 'npm run build' to measure them" >&2
fi

# shellcheck source=../../shared/bench/lib/registry.sh
source "$SHARED_BENCH/lib/registry.sh"

if [ -z "$WORK" ]; then WORK=$(mktemp -d /tmp/kiln-registry-bench.XXXXXX); fi
mkdir -p "$WORK/logs" "$OUT"
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
CSV=$OUT/registry-transfer-$RUN_ID.csv
MD=$OUT/registry-transfer-$RUN_ID.md
NOTES=$WORK/notes.md
FAILS=$WORK/failures.md
: >"$NOTES"; : >"$FAILS"
echo "run_id,phase,tool,rep,wall_s,user_s,sys_s,client_cpu_s,registry_cpu_s,bytes,status" >"$CSV"
CLK_TCK=$(getconf CLK_TCK)
BUILDAH_NEW_IMAGES=()

cleanup() {
  registry_stop
  if [ "$KEEP" = 0 ]; then
    # Only the images this run's build created; the base image busybox:local stays.
    buildah rmi -f bench-big:buildah >/dev/null 2>&1 || true
    for id in "${BUILDAH_NEW_IMAGES[@]}"; do buildah rmi -f "$id" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
  else
    echo "kept: $WORK (and bench-big:buildah in containers-storage)" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
note() { printf -- '- %s\n' "$*" >>"$NOTES"; log "note: $*"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

registry_cpu_s() {
  [ -n "$REGISTRY_PID" ] && [ -r "/proc/$REGISTRY_PID/stat" ] || { echo 0; return; }
  awk -v hz="$CLK_TCK" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$REGISTRY_PID/stat"
}

# timed PHASE TOOL REP BYTES_PATH -- CMD...: one timed phase, a CSV row, its log kept.
# BYTES_PATH is measured with du after the phase (the registry storage, or the pull target).
timed() {
  local phase=$1 tool=$2 rep=$3 bytes_path=$4; shift 5
  local logf="$WORK/logs/$phase-$tool-$rep.log" tf="$WORK/logs/$phase-$tool-$rep.time"
  sync # earlier phases' dirty pages are written back outside the measurement
  local reg0 t0 t1 reg1 rc
  reg0=$(registry_cpu_s)
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$tf" "$@" >"$logf" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  reg1=$(registry_cpu_s)
  local user sys bytes status=ok
  read -r user sys < <(tail -1 "$tf")
  bytes=$(du -sb "$bytes_path" 2>/dev/null | cut -f1)
  [ "$rc" = 0 ] || status="fail($rc)"
  awk -v id="$RUN_ID" -v p="$phase" -v t="$tool" -v r="$rep" -v t0="$t0" -v t1="$t1" \
      -v u="${user:-0}" -v s="${sys:-0}" -v r0="$reg0" -v r1="$reg1" -v b="${bytes:-0}" -v st="$status" \
      'BEGIN { printf "%s,%s,%s,%s,%.3f,%.2f,%.2f,%.2f,%.2f,%s,%s\n", id, p, t, r, t1 - t0, u, s, u + s, r1 - r0, b, st }' >>"$CSV"
  log "$phase $tool rep $rep: $(tail -1 "$CSV" | cut -d, -f5)s $status"
  if [ "$rc" != 0 ]; then
    { printf '### %s %s, rep %s: exit %s\n\n`%s`\n\n```\n' "$phase" "$tool" "$rep" "$rc" "$*"
      tail -n 30 "$logf"; printf '```\n\n'; } >>"$FAILS"
  fi
  return "$rc"
}

skipped() { echo "$RUN_ID,$1,$2,$3,,,,,,,skipped" >>"$CSV"; }

manifest_digest() {
  curl -fsSI -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY_ADDR/v2/bench/big/manifests/$1" | awk 'tolower($1) == "docker-content-digest:" { print $2 }' | tr -d '\r'
}

median_of() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.3f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

startup_floor() {
  local label=$1; shift
  local i t0 t1
  for i in $(seq 1 "$STARTUP_RUNS"); do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
  done | median_of | awk -v l="$label" -v n="$STARTUP_RUNS" '{ printf "| `%s` | %d ms |\n", l, $1 * 1000 }'
  # (median of n runs)
}

# --- Setup (untimed) -------------------------------------------------------------------------

ensure_base_image() {
  buildah inspect --type image busybox:local >/dev/null 2>&1 && return 0
  log "creating busybox:local from /bin/busybox"
  local rootfs=$WORK/busybox-rootfs a c
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/"
  # busybox --list names busybox itself: linking it would replace the binary with a loop.
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"; done
  c=$(buildah from scratch) || return 1
  buildah copy -q "$c" "$rootfs" / >/dev/null &&
    buildah config --cmd '["sh"]' "$c" &&
    buildah commit -q "$c" busybox:local >/dev/null
  local rc=$?
  buildah rm "$c" >/dev/null
  return $rc
}

build_image() {
  log "generating the big-layer context"
  python3 "$SCENARIO/gen.py" "$WORK/ctx" || return 1
  local before after id
  before=$(buildah images -a -q --no-trunc | sort)
  log "buildah bud (untimed)"
  buildah bud --layers --pull=never -t bench-big:buildah -f "$WORK/ctx/Dockerfile" "$WORK/ctx" >"$WORK/logs/build.log" 2>&1 ||
    { tail -20 "$WORK/logs/build.log" >&2; return 1; }
  after=$(buildah images -a -q --no-trunc | sort)
  for id in $(comm -13 <(echo "$before") <(echo "$after")); do BUILDAH_NEW_IMAGES+=("$id"); done
  log "buildah push to the OCI layout (untimed)"
  buildah push -q bench-big:buildah "oci:$WORK/layout:big" >"$WORK/logs/export.log" 2>&1 ||
    { tail -20 "$WORK/logs/export.log" >&2; return 1; }
}

# The layout's entry is named by a bare tag ("big"), so kiln loads it as an untagged image and
# prints its ID; tagging that ID names it for the registry.
load_into_kiln() {
  local out id
  out=$("${KILN[@]}" --root "$WORK/kiln" load -i "$WORK/layout" 2>&1) ||
    { note "kiln load -i layout failed: $(echo "$out" | tr '\n' ' ')"; return 1; }
  log "kiln load: $out"
  id=$(echo "$out" | sed -n 's/^Loaded image ID: //p; s/^Loaded image: //p' | head -1)
  out=$("${KILN[@]}" --root "$WORK/kiln" tag "$id" "$KILN_REF" 2>&1) ||
    { note "kiln tag $id failed: $out"; return 1; }
}

log "work dir: $WORK"
REGISTRY_ADDR=127.0.0.1:$(free_port)
REG=$REGISTRY_ADDR
KILN_REF=$REG/bench/big:kiln

ensure_base_image || { echo "could not create busybox:local" >&2; exit 1; }
build_image || { echo "could not build/export the big-layer image" >&2; exit 1; }
KILN_OK=1
log "kiln load + tag (untimed)"
load_into_kiln || KILN_OK=0
LAYOUT_BYTES=$(du -sb "$WORK/layout" | cut -f1)

registry_start "$WORK/registry" "$REGISTRY_ADDR" || { echo "registry did not start" >&2; exit 1; }

# --- Repetitions ----------------------------------------------------------------------------

declare -A DIGEST
push_pair() { # TOOL REP CMD...: cold push to an empty registry, then the same push again
  local tool=$1 rep=$2; shift 2
  registry_reset || { note "registry restart failed before $tool rep $rep"; return 1; }
  if timed push-cold "$tool" "$rep" "$REGISTRY_DIR/data" -- "$@"; then
    timed push-warm "$tool" "$rep" "$REGISTRY_DIR/data" -- "$@"
    [ "$rep" = 1 ] && DIGEST[$tool]=$(manifest_digest "$tool")
    return 0
  fi
  skipped push-warm "$tool" "$rep"
  return 1
}

# push_op REP: the unchanged re-push inside one engine (bench/push-op.ts), without the CLI
# process: the first push of a fresh engine and the median of the warm ones after it.
push_op() {
  local out
  out=$(cd "$ROOT" && node --import tsx bench/push-op.ts "$WORK/kiln" "$KILN_REF" 6 2>&1) ||
    { note "rep $1: bench/push-op.ts failed: $(echo "$out" | tail -3 | tr '\n' ' ')"; return 1; }
  local first warm
  first=$(echo "$out" | awk '$1 == "first" { print $2 / 1000 }')
  warm=$(echo "$out" | awk '$1 == "warm" { print $2 / 1000 }' | median_of)
  echo "$RUN_ID,push-warm-op-first,kiln,$1,$first,,,,,,ok" >>"$CSV"
  echo "$RUN_ID,push-warm-op,kiln,$1,$warm,,,,,,ok" >>"$CSV"
  log "push-warm-op kiln rep $1: first ${first}s, warm median ${warm}s"
}

for rep in $(seq 1 "$REPS"); do
  log "rep $rep/$REPS"
  push_pair buildah "$rep" buildah push --tls-verify=false bench-big:buildah "docker://$REG/bench/big:buildah"
  push_pair skopeo "$rep" skopeo copy --insecure-policy --dest-tls-verify=false "oci:$WORK/layout:big" "docker://$REG/bench/big:skopeo"
  kiln_pushed=0
  if [ "$KILN_OK" = 1 ]; then
    push_pair kiln "$rep" "${KILN[@]}" --root "$WORK/kiln" push "$KILN_REF" && kiln_pushed=1
    [ "$kiln_pushed" = 1 ] && push_op "$rep"
  else
    registry_reset; skipped push-cold kiln "$rep"; skipped push-warm kiln "$rep"
  fi
  if [ "$kiln_pushed" = 0 ]; then
    # The pulls still need the image at :kiln; skopeo puts the identical blobs there.
    skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$WORK/layout:big" "docker://$KILN_REF" >/dev/null 2>&1 &&
      note "rep $rep: kiln push did not succeed; the pull source :kiln was seeded by skopeo from the same layout"
  fi
  rm -rf "$WORK/pull-skopeo-$rep" "$WORK/pull-kiln-$rep"
  mkdir -p "$WORK/pull-skopeo-$rep"
  timed pull skopeo "$rep" "$WORK/pull-skopeo-$rep" -- \
    skopeo copy --insecure-policy --src-tls-verify=false "docker://$KILN_REF" "oci:$WORK/pull-skopeo-$rep:big"
  timed pull kiln "$rep" "$WORK/pull-kiln-$rep" -- "${KILN[@]}" --root "$WORK/pull-kiln-$rep" pull "$KILN_REF"
  rm -rf "$WORK/pull-skopeo-$rep" "$WORK/pull-kiln-$rep"
done
registry_stop

# --- Report ---------------------------------------------------------------------------------

log "node start-up floor"
FLOOR=$(
  startup_floor "node -e 0" node -e 0
  startup_floor "bin/kiln --version" "${KILN[@]}" --version
)

{
  echo "# Registry push / pull: kiln vs buildah vs skopeo ($RUN_ID)"
  echo
  echo "Image: the $(basename "$SCENARIO") scenario (\`$SCENARIO\`), built once by buildah,"
  echo "exported once to an OCI layout with gzip layers ($((LAYOUT_BYTES / 1048576)) MiB), loaded into kiln."
  echo "Registry: docker-registry ($(docker-registry --version 2>/dev/null | awk '{print $NF}')), filesystem storage, plain HTTP on $REG; empty before every cold push."
  echo "$REPS reps. Tools: $(buildah version | awk '/^Version:/ {print "buildah " $2}'), $(skopeo --version), kiln $("${KILN[@]}" --version) (git $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted src')), node $(node --version)."
  echo "Machine: $(nproc) cores, $(uname -r), $(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo) RAM."
  echo
  python3 - "$CSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
phases = ["push-cold", "push-warm", "push-warm-op-first", "push-warm-op", "pull"]
tools = ["buildah", "skopeo", "kiln"]
print("| phase | tool | wall median (s) | wall min–max (s) | client CPU median (s) (user+sys) | client CPU min–max | registry CPU median (s) | bytes after (MiB) | ok/reps |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for p in phases:
    for t in tools:
        sel = [r for r in rows if r["phase"] == p and r["tool"] == t]
        if not sel:
            continue
        ok = [r for r in sel if r["status"] == "ok"]
        if not ok:
            print(f"| {p} | {t} | — | — | — | — | — | — | 0/{len(sel)} ({sel[0]['status']}) |")
            continue
        f = lambda k: [float(r[k]) for r in ok]
        if p.startswith("push-warm-op"):
            wall = f("wall_s")
            print(f"| {p} | {t} | {statistics.median(wall):.3f} | {min(wall):.3f}–{max(wall):.3f} | — | — | — | — | {len(ok)}/{len(sel)} |")
            continue
        wall, cpu, reg = f("wall_s"), f("client_cpu_s"), f("registry_cpu_s")
        mib = statistics.median(f("bytes")) / 1048576
        print(f"| {p} | {t} | {statistics.median(wall):.2f} | {min(wall):.2f}–{max(wall):.2f} | "
              f"{statistics.median(cpu):.2f} | {min(cpu):.2f}–{max(cpu):.2f} | {statistics.median(reg):.2f} | {mib:.0f} | {len(ok)}/{len(sel)} |")
EOF
  echo
  echo "Bytes after: the registry's storage after a push; the target directory / store after a pull."
  echo "push-warm-op = the unchanged re-push inside one engine (bench/push-op.ts, no CLI process): the first push of a fresh engine (\`-first\`, includes the HTTPS probe and JIT warm-up) and the median of five after it; what \`kiln push\` costs once the daemon holds the engine."
  echo "pull = from \`$REG/bench/big:kiln\` into an empty OCI layout (skopeo) or an empty kiln root (kiln)."
  echo
  echo "Node start-up floor (median of $STARTUP_RUNS; part of every kiln command's wall time):"
  echo
  echo "| command | median |"
  echo "|---|---:|"
  echo "$FLOOR"
  echo
  echo "Manifest digests pushed (rep 1):"
  for t in buildah skopeo kiln; do echo "- $t: \`${DIGEST[$t]:-—}\`"; done
  echo
  echo "Caveats:"
  echo "- Page cache cannot be dropped here: the layout, kiln's store and buildah's storage are warm; registry blobs read by the pulls were just written."
  echo "- buildah push compresses (gzip) and hashes the layers during the push; skopeo (from the OCI layout) and kiln (from its store, compressed like containerd's) send blobs that are already compressed."
  echo "- \`sync\` runs (untimed) before every phase, so earlier write-back is not charged to the next phase."
  if [ -s "$NOTES" ]; then echo; echo "Notes:"; cat "$NOTES"; fi
  if [ -s "$FAILS" ]; then echo; echo "## Failures"; echo; cat "$FAILS"; fi
} >"$MD"

cat "$MD"
echo
echo "written: $MD" >&2
echo "written: $CSV" >&2
