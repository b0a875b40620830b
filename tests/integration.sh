#!/usr/bin/env bash
# The integration stage (tests/run_all.sh, `make integration`): every test under
# tests/integration on real lab hosts. The main lab (inventories/lab) serves the
# site (README's main command) and bad-input tests; the other tests start labs
# of their own. A skipped test here means a lab test that did not run: the
# stage fails.
#
# The tests run in CSHV_INTEGRATION_JOBS groups side by side (default 3: the
# main lab's tests, drift, lost host; 1 runs them one after another). Much of a
# lab test waits on SSH round trips, so the groups overlap well even on 2 cores:
# checked with all three side by side while two molecule runs loaded the
# machine as well (load 14-20). Group 1 holds the tests on the main lab, in order
# (bad inputs must see the lab before the site run changes it); the others
# hold tests that bring their own labs. A test file not named below joins the
# last group, so a new test is never left out. Output lines carry their group.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$PWD/.collections"
jobs=${CSHV_INTEGRATION_JOBS:-3}
mkdir -p tests/output
groups=(
  "test_bad_inputs.py test_site.py test_report_default_dir.py"
  "test_drift.py"
  "test_lost_host.py"
)
all=$(cd tests/integration && ls test_*.py)
named=" ${groups[*]} "
for f in $all; do
  case "$named" in *" $f "*) ;; *) groups[-1]="${groups[-1]} $f";; esac
done
present() { local f out=""; for f in $1; do [ -f "tests/integration/$f" ] && out="$out tests/integration/$f"; done; echo "$out"; }
if [ "$jobs" -le 1 ]; then
  groups=("${groups[*]}")
fi
python3 tests/lab/labctl.py up --name lab --suite "${LAB_SUITE:-bookworm}" --hosts kvm1,kvm2,lxc1,lxc2 --subnet-index 0 --reuse || exit 1
pids=() logs=()
for i in "${!groups[@]}"; do
  files=$(present "${groups[$i]}")
  [ -n "$files" ] || continue
  log=tests/output/integration-$((i + 1)).log
  logs+=("$log")
  echo "integration: group $((i + 1)):$files"
  ( t0=$SECONDS
    pytest -p no:cacheprovider -rs -s $files 2>&1 | sed -u "s/^/[g$((i + 1))] /" | tee "$log"
    rc=${PIPESTATUS[0]}
    echo "[g$((i + 1))] group $((i + 1)) finished rc=$rc in $((SECONDS - t0)) s"
    exit "$rc" ) &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
python3 tests/lab/labctl.py down --name lab || rc=1
for log in "${logs[@]}"; do
  if grep -Eq '^\[g[0-9]+\] (SKIPPED|.*[0-9]+ skipped)' "$log"; then echo "integration: a lab test was skipped ($log)"; rc=1; fi
done
exit $rc
