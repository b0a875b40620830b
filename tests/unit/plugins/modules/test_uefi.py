# SPDX-License-Identifier: GPL-3.0-or-later
"""UEFI (issue 17, kind 8): the uefi.properties rule, the per-distro table, the readiness column.

* conf_keys refuses a firmware CODE image given as NVRAM template (the field mistake) and a
  VARS image given as loader, before writing anything;
* the kvm role's per-distro table names, for Debian 11/12/13, files that the distribution's
  ``ovmf`` package ships (checked against the package listings in tests/unit/fixtures/uefi),
  secure and legacy pairs that match, and templates that are VARS images;
* the readiness filter's ``uefi`` column: off, ok, and each failure named.
"""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import fail_module, run_module

from ansible_collections.cloudstack.hypervisors.plugins.filter import readiness
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _uefi
from ansible_collections.cloudstack.hypervisors.plugins.modules import conf_keys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..')
LISTINGS = os.path.join(REPO, 'tests', 'unit', 'fixtures', 'uefi')
with open(os.path.join(REPO, 'roles', 'kvm', 'vars', 'main.yml')) as _f:
    TABLE = yaml.safe_load(_f)['__kvm_uefi_table']
GOOD = {'guest.loader.legacy': '/usr/share/OVMF/OVMF_CODE_4M.fd',
        'guest.loader.secure': '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd',
        'guest.nvram.template.legacy': '/usr/share/OVMF/OVMF_VARS_4M.fd',
        'guest.nvram.template.secure': '/usr/share/OVMF/OVMF_VARS_4M.ms.fd',
        'guest.nvram.path': '/var/lib/libvirt/qemu/nvram/'}


def test_conf_keys_writes_good_uefi_properties(tmp_path):
    path = str(tmp_path / 'uefi.properties')
    res, fake = run_module(conf_keys.main, {'path': path, 'keys': GOOD, 'create': True})
    assert res['changed'] and res['created']
    with open(path) as f:
        assert sorted(f.read().split()) == sorted('%s=%s' % kv for kv in GOOD.items())


@pytest.mark.parametrize('key, value, words', [
    ('guest.nvram.template.secure', '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd', 'a firmware CODE image'),
    ('guest.nvram.template.legacy', '/usr/share/edk2/ovmf/OVMF_CODE.fd', 'a firmware CODE image'),
    ('guest.loader.secure', '/usr/share/OVMF/OVMF_VARS_4M.fd', 'an NVRAM VARS image'),
])
def test_conf_keys_refuses_a_wrong_kind_of_firmware_file(tmp_path, key, value, words):
    path = str(tmp_path / 'uefi.properties')
    result, fake = fail_module(conf_keys.main, {'path': path, 'keys': dict(GOOD, **{key: value}), 'create': True})
    assert '%s=%s names %s' % (key, value, words) in result['msg'] and 'nothing was changed' in result['msg']
    assert not os.path.exists(path)


def test_template_equal_to_a_loader_is_refused():
    values = dict(GOOD, **{'guest.nvram.template.secure': '/usr/share/OVMF/secure.fd',
                           'guest.loader.secure': '/usr/share/OVMF/secure.fd'})
    assert _uefi.problems(values) and not _uefi.problems(GOOD)


def listing(name):
    """path -> size in bytes (links resolved) from a package listing."""
    sizes, links = {}, {}
    with open(os.path.join(LISTINGS, name)) as f:
        for line in f:
            if not line.startswith('/'):
                continue
            parts = line.split()
            if len(parts) >= 4 and parts[2] == '->':
                links[parts[0]] = os.path.join(os.path.dirname(parts[0]), parts[3])
            else:
                sizes[parts[0]] = int(parts[1])
    for path, target in links.items():
        sizes[path] = sizes[target]
    return sizes


@pytest.mark.parametrize('distro, listing_file', [
    ('Debian-11', 'ovmf-debian11.txt'), ('Debian-12', 'ovmf-debian12.txt'), ('Debian-13', 'ovmf-debian13.txt')])
def test_debian_table_names_files_the_package_ships(distro, listing_file):
    entry = TABLE[distro]
    shipped = listing(listing_file)
    for key in _uefi.FILE_KEYS:
        assert entry[key] in shipped, '%s %s=%s is not in the %s listing' % (distro, key, entry[key], listing_file)
    # by content, not only by name: a firmware CODE image is megabytes, a VARS store under 1 MiB
    for key in _uefi.LOADER_KEYS:
        assert shipped[entry[key]] > 1 << 20, (distro, key, entry[key])
    for key in _uefi.TEMPLATE_KEYS:
        assert shipped[entry[key]] < 1 << 20, (distro, key, entry[key])


@pytest.mark.parametrize('distro', sorted(TABLE))
def test_every_table_entry_is_consistent(distro):
    entry = TABLE[distro]
    assert set(entry) >= set(_uefi.FILE_KEYS), distro
    assert _uefi.problems(entry) == [], distro
    # secure and legacy of one size family: a 4M CODE image needs a 4M VARS template
    for kind in ('legacy', 'secure'):
        code, var = entry['guest.loader.' + kind], entry['guest.nvram.template.' + kind]
        assert ('_4M' in code) == ('_4M' in var), (distro, code, var)


def raw(**kw):
    base = {'bridges_expected': ['cloudbr0'], 'links': [{'ifname': 'cloudbr0', 'flags': ['UP'],
                                                        'linkinfo': {'info_kind': 'bridge'}}],
            'peers': [], 'agent_expected': None}
    base.update(kw)
    return base


def test_readiness_uefi_column():
    assert 'uefi' in readiness.COLUMNS
    off = readiness.verify_checks(raw())['uefi']
    assert off == {'ok': True, 'detail': 'off'}
    files = dict((v, True) for k, v in GOOD.items() if k in _uefi.FILE_KEYS)
    content = ''.join('%s=%s\n' % kv for kv in GOOD.items())
    ok = readiness.verify_checks(raw(uefi_expected=GOOD, uefi_exists=True, uefi_content=content,
                                     uefi_files=files))['uefi']
    assert ok['ok'] and ok['detail'].startswith('ok'), ok
    missing = readiness.verify_checks(raw(uefi_expected=GOOD, uefi_exists=False, uefi_content='',
                                          uefi_files=files))['uefi']
    assert not missing['ok'] and 'uefi.properties missing' in missing['detail']
    gone = dict(files, **{GOOD['guest.loader.secure']: False})
    nofile = readiness.verify_checks(raw(uefi_expected=GOOD, uefi_exists=True, uefi_content=content,
                                         uefi_files=gone))['uefi']
    assert not nofile['ok'] and GOOD['guest.loader.secure'] in nofile['detail'] and 'missing' in nofile['detail']
    bad = content.replace('OVMF_VARS_4M.ms.fd', 'OVMF_CODE_4M.secboot.fd')
    wrong = readiness.verify_checks(raw(uefi_expected=GOOD, uefi_exists=True, uefi_content=bad,
                                        uefi_files=files))['uefi']
    assert not wrong['ok'] and 'firmware CODE image' in wrong['detail']
