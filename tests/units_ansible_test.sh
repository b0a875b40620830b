#!/usr/bin/env bash
# The unit tests under `ansible-test units` (the collection-standard runner,
# in its own venv with tests/unit/requirements.txt), then a check that it ran
# as many tests as the project's own runner collects (`pytest tests/unit`).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp /tmp/cshv-units.XXXXXX)
trap 'rm -f "$log"' EXIT
"$root/tests/ansible_test.sh" units "$@" 2>&1 | tee "$log"; rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || { echo "units: ansible-test units failed (rc=$rc)"; exit "$rc"; }
ran=$(grep -E '^=+ .*(passed|skipped).* in [0-9.]+s' "$log" \
  | grep -oE '[0-9]+ (passed|skipped)' | awk '{n += $1} END {print n + 0}')
collected=$(cd "$root" && "$root/.venv/bin/pytest" -q --collect-only tests/unit 2>/dev/null \
  | grep -oE '^[0-9]+ tests? collected' | grep -oE '^[0-9]+')
echo "units: ansible-test ran $ran test(s); the project's runner collects ${collected:-?}"
[ -n "$collected" ] && [ "$ran" -eq "$collected" ] || { echo "units: the counts differ"; exit 1; }
