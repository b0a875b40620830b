# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistence backends: every backend renders the golden files from stock starting points.

Golden files live in tests/unit/fixtures/golden/<case>/ as the tree the backend
leaves under its root.  Regenerate with UPDATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

import os
import shutil
from unittest import mock

import pytest

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _netpersist

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, '..', '..', 'fixtures', 'golden')

# stock files a host has before we touch it (what the guides start from)
STOCK = {
    'ifupdown': {
        'etc/network/interfaces': (
            '# This file describes the network interfaces available on your system\n'
            'source /etc/network/interfaces.d/*\n\n'
            'auto lo\niface lo inet loopback\n\n'
            '# The primary network interface\nauto eth0\niface eth0 inet static\n'
            '    address 192.0.2.11/24\n    gateway 192.0.2.1\n    dns-nameservers 192.0.2.1\n'
            '    # keep this comment\n    mtu 1500\n\n'
            'allow-hotplug eth1\niface eth1 inet dhcp\n'),
    },
    'ifcfg': {
        'etc/sysconfig/network-scripts/ifcfg-eth0': (
            'DEVICE=eth0\nHWADDR=00:04:00:00:00:01\nONBOOT=yes\nHOTPLUG=no\nBOOTPROTO=none\nTYPE=Ethernet\n'
            'IPADDR=192.0.2.11\nNETMASK=255.255.255.0\nGATEWAY=192.0.2.1\n'),
    },
    'networkmanager': {},
    'netplan': {},
}

BRIDGE = dict(name='cloudbr0', ports=[
    {'device': 'eth0', 'vlan': None, 'ifname': 'eth0'},
    {'device': 'eth1', 'vlan': 200, 'ifname': 'eth1.200'}],
    ipv4='192.0.2.11/24', gateway='192.0.2.1', dns=['192.0.2.1', '192.0.2.2'], dns_search=['lab.example.org'],
    stp=False, forward_delay=5, mtu=9000)
PLAIN = dict(name='cloudbr1', ports=[{'device': 'eth2', 'vlan': None, 'ifname': 'eth2'}], ipv4=None, gateway=None,
             dns=[], dns_search=[], stp=True, forward_delay=5, mtu=None)
DHCP = dict(PLAIN, name='cloudbr2', ipv4='dhcp', ports=[], stp=False)
OVS_PARENT = dict(name='cloudbr', parent=None, vlan=None, uplinks=['eth0'], trunks=[0, 100, 200, 300],
                  datapath_type='netdev', ipv4=None, gateway=None, dns=[], dns_search=[], ports=[])
OVS_MGMT = dict(name='mgmt0', parent='cloudbr', vlan=100, uplinks=[], trunks=None, datapath_type='system',
                ipv4='192.0.2.11/24', gateway='192.0.2.1', dns=[], dns_search=[], ports=[])
OVS_GUEST = dict(OVS_MGMT, name='cloudbr0', vlan=200, ipv4=None, gateway=None)

CASES = [
    ('ifupdown', 'bridge', [BRIDGE, PLAIN, DHCP]),
    ('ifcfg', 'bridge', [BRIDGE, PLAIN, DHCP]),
    ('networkmanager', 'bridge', [BRIDGE, PLAIN, DHCP]),
    ('netplan', 'bridge', [BRIDGE, PLAIN, DHCP]),
    ('ifupdown', 'ovs', [OVS_PARENT, OVS_MGMT, OVS_GUEST]),
    ('ifcfg', 'ovs', [OVS_PARENT, OVS_MGMT, OVS_GUEST]),
]


class Mod(object):
    def __init__(self):
        self.fail_json = mock.Mock(side_effect=AssertionError)

    def atomic_move(self, src, dst, unsafe_writes=False):
        os.rename(src, dst)

    def backup_local(self, fn):
        shutil.copy(fn, fn + '.bak')
        return fn + '.bak'


def tree(root):
    out = {}
    for d, dummy, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p) as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(_netpersist, 'ROOT', str(tmp_path))
    return tmp_path


def seed(root, backend):
    for rel, text in STOCK[backend].items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.mark.parametrize('backend, kind, specs', CASES, ids=['%s-%s' % (b, k) for b, k, s in CASES])
def test_backend_renders_golden_tree_and_is_idempotent(root, backend, kind, specs):
    seed(root, backend)
    mod = Mod()
    for spec in specs:
        changes = _netpersist.changes_for(mod, backend, spec, kind, 'present')
        assert changes, 'first render of %s changes nothing' % spec['name']
        _netpersist.write_all(changes)
        assert _netpersist.changes_for(mod, backend, spec, kind, 'present') == []
    got = tree(str(root))
    golden = os.path.join(GOLDEN, '%s-%s' % (backend, kind))
    if os.environ.get('UPDATE_GOLDEN'):
        shutil.rmtree(golden, ignore_errors=True)
        for rel, text in got.items():
            os.makedirs(os.path.dirname(os.path.join(golden, rel)), exist_ok=True)
            with open(os.path.join(golden, rel), 'w') as f:
                f.write(text)
    assert got == tree(golden)


@pytest.mark.parametrize('backend', ['networkmanager', 'netplan'])
def test_secret_bearing_files_are_private(root, backend):
    seed(root, backend)
    _netpersist.write_all(_netpersist.changes_for(Mod(), backend, BRIDGE, 'bridge', 'present'))
    for rel in tree(str(root)):
        assert os.stat(str(root / rel)).st_mode & 0o077 == 0, rel
    os.chmod(str(root / rel), 0o644)          # drift in the mode alone is repaired
    changes = _netpersist.changes_for(Mod(), backend, BRIDGE, 'bridge', 'present')
    assert changes
    _netpersist.write_all(changes)
    assert os.stat(str(root / rel)).st_mode & 0o077 == 0


@pytest.mark.parametrize('backend', ['ifupdown', 'ifcfg', 'networkmanager', 'netplan'])
def test_absent_removes_our_files(root, backend):
    seed(root, backend)
    _netpersist.write_all(_netpersist.changes_for(Mod(), backend, BRIDGE, 'bridge', 'present'))
    changes = _netpersist.changes_for(Mod(), backend, BRIDGE, 'bridge', 'absent')
    assert changes and all(c.diff()['after_header'].endswith('(absent)') or not c.remove for c in changes)
    _netpersist.write_all(changes)
    left = ' '.join(tree(str(root)))
    assert 'cshv-cloudbr0' not in left and 'ifcfg-cloudbr0' not in left
    assert _netpersist.changes_for(Mod(), backend, BRIDGE, 'bridge', 'absent') == []
    if backend == 'ifcfg':
        assert 'BRIDGE=' not in (root / 'etc/sysconfig/network-scripts/ifcfg-eth0').read_text()


def test_ifupdown_hand_edit_of_port_stanza_is_set_back_to_manual(root):
    seed(root, 'ifupdown')
    _netpersist.write_all(_netpersist.changes_for(Mod(), 'ifupdown', BRIDGE, 'bridge', 'present'))
    main = root / 'etc/network/interfaces'
    main.write_text(main.read_text().replace('iface eth0 inet manual', 'iface eth0 inet dhcp'))
    changes = _netpersist.changes_for(Mod(), 'ifupdown', BRIDGE, 'bridge', 'present')
    assert [c.path for c in changes] == [str(main)]
    assert '-iface eth0 inet dhcp' not in changes[0].diff()['after'] and 'iface eth0 inet manual' in changes[0].diff()['after']


def test_ifupdown_adds_source_line_when_missing(root):
    (root / 'etc/network').mkdir(parents=True)
    (root / 'etc/network/interfaces').write_text('auto lo\niface lo inet loopback\n')
    _netpersist.write_all(_netpersist.changes_for(Mod(), 'ifupdown', PLAIN, 'bridge', 'present'))
    assert (root / 'etc/network/interfaces').read_text().endswith('source /etc/network/interfaces.d/*\n')


def test_backup_keeps_a_copy(root):
    seed(root, 'ifcfg')
    _netpersist.write_all(_netpersist.changes_for(Mod(), 'ifcfg', BRIDGE, 'bridge', 'present'), backup=True)
    assert (root / 'etc/sysconfig/network-scripts/ifcfg-eth0.bak').read_text() == STOCK['ifcfg'][
        'etc/sysconfig/network-scripts/ifcfg-eth0']


def test_detect_order(root):
    runner = mock.Mock()
    runner.has.return_value = True
    assert _netpersist.detect(runner) is None
    (root / 'etc/sysconfig/network-scripts').mkdir(parents=True)
    assert _netpersist.detect(runner) == 'ifcfg'
    (root / 'run/NetworkManager').mkdir(parents=True)
    assert _netpersist.detect(runner) == 'networkmanager'
    (root / 'etc/network').mkdir(parents=True)
    (root / 'etc/network/interfaces').write_text('')
    assert _netpersist.detect(runner) == 'ifupdown'
    (root / 'etc/netplan').mkdir(parents=True)
    (root / 'etc/netplan/50-cloud-init.yaml').write_text('network: {version: 2}\n')
    assert _netpersist.detect(runner) == 'netplan'
    runner.has.return_value = False          # files without the tools do not count
    assert _netpersist.detect(runner) == 'ifcfg'


def test_nm_uuid_is_stable():
    assert _netpersist.nm_uuid('cshv-cloudbr0') == _netpersist.nm_uuid('cshv-cloudbr0')
    assert _netpersist.nm_uuid('cshv-cloudbr0') != _netpersist.nm_uuid('cshv-cloudbr1')
