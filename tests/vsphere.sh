#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The vSphere stage (make vsphere; run_all.sh in the background): the vCenter
# simulator (tests/vcsim/build.sh, cached by recipe), then two pytest runs side
# by side, each test on a simulator of its own (127.0.0.1 only):
#   - the vsphere role's lifecycle (tests/vsphere/test_lifecycle.py): six
#     playbook runs one after another, the longest single test;
#   - everything else: the simulator extension's own tests (tests/vcsim_tests)
#     and the bad inputs (tests/vsphere/test_bad_inputs.py).
# Prints each part's time and the stage's; exits non-zero when either part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
mkdir -p tests/output
CSHV_VCSIM_BINARY=$(tests/vcsim/build.sh) || exit 1
export CSHV_VCSIM_BINARY
echo "vsphere: simulator ready in $((SECONDS - t0)) s ($CSHV_VCSIM_BINARY)"

life_log=tests/output/vsphere-lifecycle.log
( t=$SECONDS; pytest -q -p no:cacheprovider -rs tests/vsphere/test_lifecycle.py >"$life_log" 2>&1
  rc=$?; echo "vsphere: lifecycle rc=$rc in $((SECONDS - t)) s" >>"$life_log"; exit $rc ) &
life=$!

t=$SECONDS
pytest -q -p no:cacheprovider -rs tests/vcsim_tests tests/vsphere --ignore=tests/vsphere/test_lifecycle.py
rest=$?
echo "vsphere: simulator tests and bad inputs rc=$rest in $((SECONDS - t)) s"
wait "$life"; life_rc=$?
cat "$life_log"
echo "vsphere: stage $((SECONDS - t0)) s"
exit $(( rest != 0 || life_rc != 0 ))
