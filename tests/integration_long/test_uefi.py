# SPDX-License-Identifier: GPL-3.0-or-later
"""UEFI on a real host (issue 17, kind 8): the kvm role's uefi tasks on a lab host.

Starts its own lab (CSHV_UEFI_LAB, default "b17uefi": one host of LAB_SUITE) and runs
tests/integration/uefi/converge.yml (the role's uefi.yml with its defaults):

* the distribution's OVMF package is installed from the archive and every file the
  per-distro table names exists on the host (the role checks that itself, and so does
  this test); uefi.properties names them, with guest.nvram.path;
* a second run changes nothing;
* ``kvm_uefi_files`` with a secure-boot CODE image as NVRAM template stops the run with
  the key and file named, and uefi.properties is left as it was.

Skips, saying why, when the lab cannot be started. CSHV_KEEP_LAB=1 keeps the lab.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

LAB = os.environ.get('CSHV_UEFI_LAB', 'b17uefi')
HOST = 'u1'
SUITE = os.environ.get('LAB_SUITE', 'bookworm')
PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'uefi', 'converge.yml')
PROPS = '/etc/cloudstack/agent/uefi.properties'


@pytest.fixture(scope='module')
def lab():
    yield from cshvlab.own_lab(LAB, [HOST], SUITE, 'uefi test')


def ssh(script):
    return cshvlab.labctl('ssh', LAB, HOST, '--', 'sh', '-c', cshvlab.repr_sh(script), check=False, timeout=120)


def run(inv, **extra):
    res, took, data = cshvlab.playbook(PLAYBOOK, [inv], extra_vars=extra or None, json_output=True, timeout=1800)
    assert data is not None, res.stderr[-3000:]
    print('\n%s: %.0f s, rc %d' % (extra or 'converge', took, res.returncode))
    return res, cshvlab.json_stats(data)[HOST], data


def test_uefi_firmware_and_properties_on_a_real_host(lab):
    res, stats, data = run(lab)
    assert res.returncode == 0, res.stdout[-4000:]
    assert stats['changed'] > 0
    props = {}
    for line in ssh('cat ' + PROPS).stdout.splitlines():
        key, _s, value = line.partition('=')
        props[key] = value
    assert set(props) == {'guest.loader.legacy', 'guest.loader.secure', 'guest.nvram.template.legacy',
                          'guest.nvram.template.secure', 'guest.nvram.path'}, props
    for key, path in props.items():
        if key != 'guest.nvram.path':
            assert ssh('test -f ' + path).returncode == 0, '%s=%s missing on the host' % (key, path)
            assert ssh('dpkg -S ' + path).returncode == 0, '%s=%s belongs to no package' % (key, path)
    # templates are VARS stores (< 1 MiB), loaders CODE images (larger), by size on the host
    for key, path in props.items():
        if key.startswith('guest.loader.') or key.startswith('guest.nvram.template.'):
            size = int(ssh('stat -L -c %s ' + path).stdout.strip())
            assert (size > 1 << 20) == key.startswith('guest.loader.'), (key, path, size)

    res, stats, data = run(lab)
    assert res.returncode == 0 and stats['changed'] == 0, res.stdout[-4000:]

    before = ssh('cat ' + PROPS).stdout
    code = props['guest.loader.secure']
    res, stats, data = run(lab, kvm_uefi_files={'guest.nvram.template.secure': code})
    assert res.returncode != 0
    assert 'guest.nvram.template.secure=%s names a firmware CODE image' % code in res.stdout, res.stdout[-3000:]
    assert stats.get('changed', 0) == 0
    assert ssh('cat ' + PROPS).stdout == before
