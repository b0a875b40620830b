#!/usr/bin/env bash
# Every gate and test, in order, each stage timed; a summary table at the end.
# `make test` runs this after installing what it needs (make deps).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$PWD/.collections" PY_COLORS=0 ANSIBLE_FORCE_COLOR=0
SUITES=${SUITES:-bullseye bookworm trixie}
declare -a names times results
# What a failure line looks like in a stage's output (pytest, Ansible, molecule, ansible-test, lint).
WHY='^FAILED |^ERROR|^E  |fatal: \[|failed=[1-9]|CRITICAL|^  \S+ \S+ failed: |Idempotence test failed|^[^ ]+:[0-9]+(:[0-9]+)?: |AssertionError'
failed=0
# CPU ticks "busy idle" from /proc/stat: a stage's line says how busy both cores
# were while it ran (how much a parallel stage could still gain).
cpu_ticks() { awk '/^cpu /{idle = $5 + $6; busy = 0; for (i = 2; i <= NF; i++) busy += $i; print busy - idle, idle}' /proc/stat; }
cpu_busy() {  # cpu_busy "<busy0> <idle0>": percent of CPU time busy since then
  local b0 i0 b1 i1; read -r b0 i0 <<<"$1"; read -r b1 i1 <<<"$(cpu_ticks)"
  echo $(( (b1 - b0) * 100 / ((b1 - b0) + (i1 - i0) + 1) ))
}
stage() {
  local name=$1; shift
  echo; echo "==== stage: $name ($(date -u +%H:%M:%S))"
  local t0=$SECONDS c0; c0=$(cpu_ticks)
  mkdir -p tests/output
  "$@" 2>&1 | tee "tests/output/stage-$name.log"; local rc=${PIPESTATUS[0]}
  names+=("$name"); times+=($((SECONDS - t0)))
  if [ $rc -eq 0 ]; then results+=("passed"); else results+=("FAILED rc=$rc"); failed=$((failed + 1)); fi
  echo "==== stage: $name ${results[-1]} in $((SECONDS - t0)) s (CPU $(cpu_busy "$c0") % busy, load $(cut -d' ' -f1-3 /proc/loadavg))"
}
images() {
  # The three images build in parallel: mostly network and dpkg bound.
  local pids=() rc=0 s
  for s in $SUITES; do python3 tests/lab/labctl.py image --suite "$s" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  python3 tests/lab/labctl.py fixture-repo >/dev/null || rc=1
  return $rc
}
leftovers() {
  # After every lab has gone down, nothing of the lab may remain (a few
  # seconds' grace for PID 1 to reap what exited).
  local left i
  for i in 1 2 3 4 5; do
    left=$(python3 tests/lab/labctl.py status; ip netns list | grep '^cshv-'; grep ' /var/tmp/cshv-lab/' /proc/mounts; pgrep -a -f 'systemd-nspawn|labctl.py|cshv-lab' | grep -v pgrep)
    [ "$left" = "no lab is up" ] && { echo "$left: no namespace, mount or process of a lab remains"; return 0; }
    sleep 2
  done
  echo "$left"
  return 1
}

# The lab images build in the background (network and dpkg bound) while the
# controller-only stages run; the images stage reports when they are waited for.
bg_start() {
  local name=$1; shift
  mkdir -p tests/output
  echo; echo "==== stage: $name started in the background ($(date -u +%H:%M:%S))"
  ( t0=$SECONDS; "$@" >"tests/output/stage-$name.log" 2>&1; echo "$? $((SECONDS - t0))" >"tests/output/stage-$name.rc" ) &
  bg_pids[$name]=$!
}
bg_wait() {
  local name=$1 rc took
  wait "${bg_pids[$name]}"
  echo; echo "==== stage: $name (background) output:"; cat "tests/output/stage-$name.log"
  read -r rc took <"tests/output/stage-$name.rc" || { rc=1; took=0; }
  names+=("$name"); times+=("$took")
  if [ "$rc" -eq 0 ]; then results+=("passed"); else results+=("FAILED rc=$rc"); failed=$((failed + 1)); fi
  echo "==== stage: $name ${results[-1]} in $took s (in the background)"
}
declare -A bg_pids

bg_start images    images
# XenServer (XAPI double) and vSphere (vCenter simulator) need no lab: they run
# on the controller, on 127.0.0.1, in the background from the start, beside the
# controller-only stages and the image builds (network and dpkg bound).
bg_start xenserver pytest -q -p no:cacheprovider -rs tests/xapi_double_tests tests/xenserver
bg_start vsphere   tests/vsphere.sh
stage unit          pytest -q tests/unit
stage units         tests/units_ansible_test.sh
stage lint          ansible-lint --profile production
stage sanity        tests/sanity.sh
stage build         tests/build.sh
stage docs          bash -c 'antsibull-docs lint-collection-docs --plugin-docs . && docs/build-site.sh && pytest -q -p no:cacheprovider tests/readme'
bg_wait images
stage molecule      python3 tests/molecule_matrix.py $SUITES
bg_wait xenserver
bg_wait vsphere
if [ "${CSHV_INTEGRATION:-1}" = 1 ]; then
  stage integration tests/integration.sh
else
  # CSHV_INTEGRATION=0 leaves out the lab-wide suites (a quicker local run).
  echo; echo "==== stage: integration SKIPPED (CSHV_INTEGRATION=0)"
  names+=("integration"); times+=(0); results+=("skipped: CSHV_INTEGRATION=0")
fi
stage lab-leftovers leftovers

echo; echo "==== summary"
printf '%-15s %8s  %s\n' stage time result
for i in "${!names[@]}"; do printf '%-15s %6d s  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"; done
passed=0; skipped=0
for r in "${results[@]}"; do case $r in passed) passed=$((passed + 1));; skipped*) skipped=$((skipped + 1));; esac; done
# Why each failed stage failed, last: a CI log is often read from its tail.
for i in "${!names[@]}"; do
  case ${results[$i]} in
    FAILED*)
      echo "---- ${names[$i]}: its failure lines (whole output: tests/output/stage-${names[$i]}.log)"
      grep -E "$WHY" "tests/output/stage-${names[$i]}.log" 2>/dev/null | grep -v -E '\.\.\.ignoring' | tail -n 8 | cut -c1-300
      ;;
  esac
done
echo "stages: $passed passed, $failed failed, $skipped skipped"
exit $(( failed > 0 ))
