#!/usr/bin/env bash
# The integration stage (tests/run_all.sh, `make integration`): every test under
# tests/integration on real lab hosts. The main lab (inventories/lab) serves the
# site (README's main command) and bad-input tests; the drift and lost-host
# tests start labs of their own. A skipped test here means a lab test that did
# not run: the stage fails.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$PWD/.collections"
rc=0 out=tests/output/integration.log
mkdir -p tests/output
python3 tests/lab/labctl.py up --name lab --suite "${LAB_SUITE:-bookworm}" --hosts kvm1,kvm2,lxc1,lxc2 --subnet-index 0 --reuse || exit 1
pytest -p no:cacheprovider -rs -s tests/integration 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
python3 tests/lab/labctl.py down --name lab || rc=1
if grep -Eq '^SKIPPED|[0-9]+ skipped' "$out"; then echo "integration: a lab test was skipped"; rc=1; fi
exit $rc
