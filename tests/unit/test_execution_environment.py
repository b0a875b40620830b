# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment declares every library the collection imports.

ansible-builder builds an AWX / Automation Platform execution environment from
the Python and system requirements that each collection declares in
meta/execution-environment.yml.  A plugin that imports a library the EE lacks
fails only when a job runs in AWX, so this test compares the two:

* every third-party top-level import in plugins/ (stdlib, ansible and
  ansible_collections left out) must map to a distribution that
  `ansible-builder introspect` reports for this collection, or that
  ansible-core itself requires (PyYAML, jinja2, ...: every EE has them);
* `ansible-builder create` must produce a build context from
  ee/execution-environment.yml.

test_missing_requirement_is_reported shows the comparison can fail.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# Import names whose distribution is named differently on PyPI, for the case
# where the library is not installed in the test venv (packages_distributions
# then cannot answer).
KNOWN = {'XenAPI': 'xenapi', 'pyVmomi': 'pyvmomi', 'yaml': 'pyyaml', 'OpenSSL': 'pyopenssl'}


def third_party_imports(root):
    """{top-level import name: [files]} for every non-stdlib, non-Ansible import under plugins/."""
    found = {}
    for dirpath, _dirs, files in os.walk(os.path.join(root, 'plugins')):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding='utf-8') as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    tops = [a.name.split('.')[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    tops = [node.module.split('.')[0]]
                else:
                    continue
                for top in tops:
                    if top in sys.stdlib_module_names or top in ('ansible', 'ansible_collections', '__future__'):
                        continue
                    found.setdefault(top, []).append(os.path.relpath(path, root))
    return found


def distribution_of(import_name):
    dists = metadata.packages_distributions().get(import_name)
    if dists:
        return dists[0].lower()
    return KNOWN.get(import_name, import_name).lower()


def requirement_names(lines):
    names = set()
    for line in lines:
        line = line.split('#', 1)[0].strip()
        if line:
            names.add(re.split(r'[<>=!~;\[ ]', line, 1)[0].lower().replace('_', '-'))
    return names


def provided_by_every_ee():
    """What every EE has without the collection asking for it.

    ansible-builder drops these names from a collection's requirements when it
    introspects (``EXCLUDE_REQUIREMENTS``: ansible-core, PyYAML, ...), plus
    ansible-core's own requirements (jinja2, cryptography, ...) where its metadata
    is installed. Under ``ansible-test units`` only ansible-builder's list is there:
    the test interpreter has a copy of ansible-core's code without its metadata."""
    from ansible_builder._target_scripts.introspect import EXCLUDE_REQUIREMENTS  # pylint: disable=import-outside-toplevel
    provided = set(EXCLUDE_REQUIREMENTS)
    try:
        provided |= requirement_names(metadata.requires('ansible-core') or [])
    except metadata.PackageNotFoundError:
        pass
    return provided


def missing_requirements(imports, declared):
    """Import names whose distribution is neither among *declared* requirement names nor in every EE."""
    provided = set(declared) | provided_by_every_ee()
    return sorted(i for i in imports if distribution_of(i).replace('_', '-') not in provided)


def introspect(collections_path):
    out = subprocess.run([os.path.join(BIN, 'ansible-builder'), 'introspect', collections_path],
                         capture_output=True, text=True, check=True).stdout
    data = yaml.safe_load(out.split('\n', 1)[1]) or {}
    ours = [r for r in data.get('python') or [] if 'cloudstack.hypervisors' in r]
    return requirement_names(ours)


@pytest.fixture(scope='module')
def collection_path(tmp_path_factory):
    """A collections path holding only this collection (a copy of what the tarball carries)."""
    base = tmp_path_factory.mktemp('ee')
    dest = base / 'ansible_collections' / 'cloudstack' / 'hypervisors'
    dest.mkdir(parents=True)
    for part in ('meta', 'plugins', 'galaxy.yml'):
        src = os.path.join(ROOT, part)
        if os.path.isdir(src):
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copy(src, dest / part)
    return base


def test_every_imported_library_is_declared_for_the_ee(collection_path):
    imports = third_party_imports(ROOT)
    assert 'netaddr' in imports, 'the scan found no third-party import at all: the scanner is broken'
    declared = introspect(str(collection_path))
    missing = missing_requirements(imports, declared)
    assert not missing, 'imported by plugins but not in meta/ee-requirements.txt: %s' % {
        m: imports[m] for m in missing}


def test_missing_requirement_is_reported(collection_path, tmp_path):
    """Leave netaddr out of the EE requirements: the comparison names it."""
    reqs = collection_path / 'ansible_collections' / 'cloudstack' / 'hypervisors' / 'meta' / 'ee-requirements.txt'
    broken = tmp_path / 'coll'
    shutil.copytree(collection_path, broken)
    breqs = broken / 'ansible_collections' / 'cloudstack' / 'hypervisors' / 'meta' / 'ee-requirements.txt'
    breqs.write_text(''.join(line for line in reqs.read_text().splitlines(True) if not line.startswith('netaddr')))
    missing = missing_requirements(third_party_imports(ROOT), introspect(str(broken)))
    assert missing == ['netaddr']


def test_ee_definition_builds_a_context(tmp_path):
    """`ansible-builder create` accepts ee/execution-environment.yml (no registry needed)."""
    ee = tmp_path / 'ee'
    shutil.copytree(os.path.join(ROOT, 'ee'), ee, ignore=shutil.ignore_patterns('context', '*.tar.gz'))
    (ee / 'cloudstack-hypervisors.tar.gz').write_bytes(b'')
    res = subprocess.run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', str(ee / 'execution-environment.yml'),
                          '-c', str(tmp_path / 'ctx')], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    with open(tmp_path / 'ctx' / '_build' / 'requirements.yml') as f:
        reqs = yaml.safe_load(f)
    names = [c['name'] for c in reqs['collections']]
    assert '/tmp/cshv/cloudstack-hypervisors.tar.gz' in names
    for needed in ('ansible.posix', 'community.general', 'vmware.vmware', 'community.vmware'):
        assert needed in names
    assert (tmp_path / 'ctx' / '_build' / 'cshv' / 'cloudstack-hypervisors.tar.gz').exists()
