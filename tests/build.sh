#!/usr/bin/env bash
# Build the collection tarball and check what is (not) in it, then check that
# ansible-doc lists the modules of the built and installed collection.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/cshv-build.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$root/.venv/bin/ansible-galaxy" collection build "$root" --output-path "$out" --force
tarball=$(ls "$out"/cloudstack-hypervisors-*.tar.gz)
echo "built $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
files=$(tar -tzf "$tarball")
bad=$(echo "$files" | grep -E '(^|/)(tests|molecule|\.venv|\.collections|lab-state|\.git|__pycache__)(/|$)|\.pyc$' || true)
if [ -n "$bad" ]; then
  echo "FAIL: the tarball carries files that must stay out:"; echo "$bad" | head -20; exit 1
fi
for must in MANIFEST.json FILES.json README.md meta/runtime.yml plugins/modules; do
  grep -q "^${must}" <<<"$files" || { echo "FAIL: $must missing from tarball"; exit 1; }
done
(cd "$out" && ANSIBLE_COLLECTIONS_PATH="$out/installed" "$root/.venv/bin/ansible-galaxy" collection install --no-deps --force -p "$out/installed" "$tarball" >/dev/null)
listed=$(cd "$out" && ANSIBLE_COLLECTIONS_PATH="$out/installed" "$root/.venv/bin/ansible-doc" -l cloudstack.hypervisors)
echo "$listed"
for m in "$root"/plugins/modules/*.py; do
  name=$(basename "$m" .py)
  echo "$listed" | grep -q "^cloudstack.hypervisors.$name " || { echo "FAIL: ansible-doc -l does not list $name"; exit 1; }
done
echo "tarball clean; ansible-doc lists every module"
