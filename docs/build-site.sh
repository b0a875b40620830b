#!/usr/bin/env bash
# `make docs`: the collection's HTML documentation site, the way collections on
# docs.ansible.com build theirs: antsibull-docs sphinx-init lays out a Sphinx
# project (generated anew each time, not kept in git), antsibull-docs renders
# every module, plugin and role (argument specs) plus docs/docsite/ into RST,
# and Sphinx builds the HTML in build/docsite/html (open index.html).
#
# Offline, Sphinx cannot load the intersphinx inventories of docs.ansible.com
# and docs.python.org, so references into them (ansible.builtin modules,
# common_return_values, ...) stay unresolved. Those warnings are listed and
# allowed; any other warning, or an unresolved reference into this collection,
# fails the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$root/.collections}"
site="$root/build/docsite"
rm -rf "$site"; mkdir -p "$site"
antsibull-docs sphinx-init --use-current --dest-dir "$site" cloudstack.hypervisors >/dev/null
cd "$site"
mkdir -p rst; chmod og-w rst
antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --use-current \
  --dest-dir rst cloudstack.hypervisors
set +e
sphinx-build -M html rst build -c . -q 2>warnings.txt
rc=$?
set -e
[ $rc -eq 0 ] || { cat warnings.txt; echo "docs: sphinx-build failed (rc=$rc)"; exit 1; }
mv build/html html && rm -rf build
bad=$(grep 'WARNING' warnings.txt \
  | grep -v "failed to reach any of the inventories" \
  | grep -v "undefined label: '\(ansible_collections\.\(ansible\|community\|openvswitch\)\.\|common_return_values\|action_plugins\|ansible_configuration_settings\)" || true)
offline=$(grep -c 'WARNING' warnings.txt || true)
if [ -n "$bad" ]; then echo "$bad"; echo "docs: warnings other than offline intersphinx references"; exit 1; fi
echo "docs: built $site/html/index.html ($(find html -name '*.html' | wc -l) pages; $offline warning(s), all unresolved references into docs.ansible.com/docs.python.org, which need the network)"
