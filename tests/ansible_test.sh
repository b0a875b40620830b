#!/usr/bin/env bash
# `tests/ansible_test.sh sanity|units [ansible-test options]`: ansible-test on
# this collection. ansible-test needs the collection at
# .../ansible_collections/<ns>/<name> as a real directory (it resolves
# symlinks), so it runs on a copy of the checkout (tracked and new files).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/cshv-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/cloudstack/hypervisors"
mkdir -p "$dest"
git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$dest")
cd "$dest"
git init -q && git add -A && git -c user.name=ci -c user.email=ci@invalid commit -qm ansible-test
# ansible-test fetches get-pip.py from a host we cannot reach: give it our own.
pipver=$("$root/.venv/bin/python" -c 'from ansible_test._internal.python_requirements import PipBootstrap' 2>/dev/null; \
  grep -oP "pip='\\K[0-9.]+" "$("$root/.venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -n1)
mkdir -p ~/.ansible/test/cache
cp "$root/tests/sanity_get_pip.py" ~/.ansible/test/cache/get_pip_${pipver//./_}.py
py=$("$root/.venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
command=$1; shift
export ANSIBLE_COLLECTIONS_PATH="$work"
"$root/.venv/bin/ansible-test" "$command" --venv --python "$py" --color no "$@"
