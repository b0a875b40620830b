# SPDX-License-Identifier: GPL-3.0-or-later
"""ovs_fakebridge: the guides' layout against a simulated ovs-vsctl, drift, validators."""
from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic

from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import FakeCommands, fail_module, run_module

from ansible_collections.cloudstack.hypervisors.plugins.modules import ovs_fakebridge
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _iproute, _netpersist


class FakeOvs(object):
    """ovs-vsctl over an in-memory OVSDB (bridges, fake bridges, ports, trunks) plus static ip reads."""

    def __init__(self):
        self.bridges = {}   # name -> dict(parent, vlan, datapath_type, fail_mode)
        self.ports = {}     # port -> dict(bridge, trunks)
        self.links = {'lo': {}, 'host0': {'addrs': ['10.99.3.11/24']}, 'eth1': {}}
        self.defaults = [('10.99.3.1', 'host0')]
        self.ip_changes = []

    def __call__(self, argv):
        cmd = [argv[0].rsplit('/', 1)[-1]] + argv[1:]
        if cmd[0] == 'ip':
            return self._ip(cmd[1:])
        assert cmd[:3] == ['ovs-vsctl', '-t', '10'], cmd
        words, out = cmd[3:], []
        txn = [[]]
        for w in words:
            if w == '--':
                txn.append([])
            else:
                txn[-1].append(w)
        for c in txn:
            rc, o = self._one(c)
            if rc:
                return rc, '', o
            out.append(o)
        return 0, '\n'.join(o for o in out if o), ''

    def _ip(self, w):
        if w == ['-j', '-d', 'link', 'show']:
            # OVS internal ports appear as links once their bridge exists (down until set up)
            for b in self.bridges:
                self.links.setdefault(b, {'up': False, 'kind': 'openvswitch'})
            for gone in [n for n, l in self.links.items() if l.get('kind') == 'openvswitch' and n not in self.bridges]:
                del self.links[gone]
            return 0, json.dumps([{'ifname': n, 'flags': ['UP'] if l.get('up', True) else [], 'mtu': 1500,
                                   'linkinfo': {'info_kind': l.get('kind', 'veth')}} for n, l in self.links.items()]), ''
        if w == ['-j', '-4', 'addr', 'show']:
            return 0, json.dumps([{'ifname': n, 'addr_info': [
                {'family': 'inet', 'local': a.split('/')[0], 'prefixlen': int(a.split('/')[1]), 'scope': 'global'}
                for a in l.get('addrs', [])]} for n, l in self.links.items()]), ''
        if w == ['-j', '-4', 'route', 'show', 'default']:
            return 0, json.dumps([{'dst': 'default', 'gateway': g, 'dev': d} for g, d in self.defaults]), ''
        self.ip_changes.append(' '.join(['ip'] + w))
        if w[:2] in (['addr', 'add'], ['addr', 'replace']):
            self.links.setdefault(w[4], {}).setdefault('addrs', []).append(w[2])
        if w[:2] == ['link', 'set'] and w[-1] == 'up':
            self.links.setdefault(w[3], {'kind': 'openvswitch'})['up'] = True
        return 0, '', ''

    def _one(self, c):
        ifx = c[0] == '--if-exists'
        if ifx:
            c = c[1:]
        op = c[0]
        if op == 'br-exists':
            return (0 if c[1] in self.bridges else 2), ''
        if op in ('br-to-parent', 'br-to-vlan', 'get-fail-mode', 'list-ports'):
            if c[1] not in self.bridges:
                return 1, 'ovs-vsctl: no bridge named %s' % c[1]
            b = self.bridges[c[1]]
            if op == 'br-to-parent':
                return 0, b['parent'] or c[1]
            if op == 'br-to-vlan':
                return 0, str(b['vlan'] or 0)
            if op == 'get-fail-mode':
                return 0, b['fail_mode'] or ''
            return 0, '\n'.join(sorted(p for p, v in self.ports.items() if v['bridge'] == c[1]))
        if op == 'port-to-br':
            return (0, self.ports[c[1]]['bridge']) if c[1] in self.ports else (1, 'no port named %s' % c[1])
        if op == 'get':
            table, rec, col = c[1:4]
            if table == 'port':
                if rec not in self.ports:
                    return (0, '') if ifx else (1, 'no row')
                t = self.ports[rec]['trunks']
                return 0, '[%s]' % ', '.join(str(x) for x in t)
            b = self.bridges.get(rec)
            if b is None:
                return (0, '') if ifx else (1, 'no row')
            return 0, '"%s"' % b['datapath_type'] if b['datapath_type'] else '""'
        if op == 'add-br':
            if c[1] in self.bridges:
                return 1, 'ovs-vsctl: cannot create a bridge named %s because a bridge named %s already exists' % (c[1], c[1])
            if len(c) == 4:
                if c[2] not in self.bridges or self.bridges[c[2]]['parent']:
                    return 1, 'ovs-vsctl: parent bridge %s does not exist' % c[2]
                self.bridges[c[1]] = dict(parent=c[2], vlan=int(c[3]), datapath_type='', fail_mode=None)
            else:
                self.bridges[c[1]] = dict(parent=None, vlan=0, datapath_type='', fail_mode=None)
            return 0, ''
        if op == 'del-br':
            if c[1] not in self.bridges:
                return (0, '') if ifx else (1, 'no bridge named %s' % c[1])
            doomed = [c[1]] + [n for n, b in self.bridges.items() if b['parent'] == c[1]]
            for n in doomed:
                del self.bridges[n]
            self.ports = dict((p, v) for p, v in self.ports.items() if v['bridge'] not in doomed)
            return 0, ''
        if op == 'set' and c[1] == 'bridge':
            self.bridges[c[2]]['datapath_type'] = c[3].split('=')[1]
            return 0, ''
        if op == 'set' and c[1] == 'port':
            self.ports[c[2]]['trunks'] = [int(x) for x in c[3].split('=')[1].split(',')]
            return 0, ''
        if op == 'clear':
            self.ports[c[2]]['trunks'] = []
            return 0, ''
        if op == 'set-fail-mode':
            self.bridges[c[1]]['fail_mode'] = c[2]
            return 0, ''
        if op == 'del-port':
            if c[-1] in self.ports:
                del self.ports[c[-1]]
            return 0, ''
        if op == 'add-port':
            if c[2] in self.ports:
                return 1, 'ovs-vsctl: cannot create a port named %s because a port named %s already exists' % (c[2], c[2])
            trunks = [int(x) for x in c[3].split('=')[1].split(',')] if len(c) > 3 else []
            self.ports[c[2]] = dict(bridge=c[1], trunks=trunks)
            return 0, ''
        raise AssertionError('unexpected ovs-vsctl %r' % c)


@pytest.fixture(autouse=True)
def seams(tmp_path, monkeypatch):
    monkeypatch.setattr(_netpersist, 'ROOT', str(tmp_path / 'root'))
    monkeypatch.setattr(_iproute, 'SYS_CLASS_NET', str(tmp_path / 'sys'))
    monkeypatch.delenv('SSH_CONNECTION', raising=False)
    return tmp_path / 'root'


def run(ovs, check_mode=False, **args):
    args.setdefault('backend', 'none')
    return run_module(ovs_fakebridge.main, args, fake=FakeCommands(default=ovs), check_mode=check_mode)


def fail(ovs, **args):
    args.setdefault('backend', 'none')
    return fail_module(ovs_fakebridge.main, args, fake=FakeCommands(default=ovs))


READS = ('get', 'br-exists', 'br-to-parent', 'br-to-vlan', 'list-ports', 'port-to-br', 'get-fail-mode')


def changes(fake):
    """The ovs-vsctl calls that are not reads."""
    return [c for c in fake.ran() if c.startswith('ovs-vsctl') and not set(c.split()[3:5]) & set(READS)]


def guide_layout(ovs):
    run(ovs, name='cloudbr', uplinks=['eth1'], trunks=[0, 100, 200, 300], datapath_type='netdev')
    for name, vlan in (('mgmt0', 100), ('cloudbr0', 200), ('cloudbr1', 300)):
        run(ovs, name=name, parent='cloudbr', vlan=vlan)


def test_guide_layout_commands_and_state():
    ovs = FakeOvs()
    result, fake = run(ovs, name='cloudbr', uplinks=['eth1'], trunks=[300, 100, 200, 0], datapath_type='netdev')
    assert result['commands'] == [
        'ovs-vsctl -t 10 add-br cloudbr -- set bridge cloudbr datapath_type=netdev',
        'ovs-vsctl -t 10 add-port cloudbr eth1 trunks=0,100,200,300',
        'ip link set dev cloudbr up',
    ]
    result, fake = run(ovs, name='cloudbr0', parent='cloudbr', vlan=200)
    assert result['commands'] == ['ovs-vsctl -t 10 add-br cloudbr0 cloudbr 200', 'ip link set dev cloudbr0 up']
    assert ovs.bridges['cloudbr0'] == dict(parent='cloudbr', vlan=200, datapath_type='', fail_mode=None)
    assert ovs.ports['eth1'] == dict(bridge='cloudbr', trunks=[0, 100, 200, 300])


def test_layout_is_idempotent():
    ovs = FakeOvs()
    guide_layout(ovs)
    for args in (dict(name='cloudbr', uplinks=['eth1'], trunks=[0, 100, 200, 300], datapath_type='netdev'),
                 dict(name='mgmt0', parent='cloudbr', vlan=100), dict(name='cloudbr1', parent='cloudbr', vlan=300)):
        result, fake = run(ovs, **args)
        assert not result['changed'] and result['commands'] == [] and changes(fake) == []


def test_check_mode_predicts_and_changes_nothing():
    ovs = FakeOvs()
    checked, fake = run(ovs, check_mode=True, name='cloudbr', uplinks=['eth1'], trunks=[100], datapath_type='netdev')
    assert checked['changed'] and ovs.bridges == {} and changes(fake) == []
    real, fake = run(ovs, name='cloudbr', uplinks=['eth1'], trunks=[100], datapath_type='netdev')
    assert real['commands'] == checked['commands']
    assert [c for c in real['commands'] if c.startswith('ovs')] == changes(fake)
    assert [c for c in real['commands'] if c.startswith('ip')] == ovs.ip_changes


def test_check_mode_fake_bridge_of_a_parent_made_earlier_in_the_play_warns(monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, w: warnings.append(w))
    ovs = FakeOvs()
    result, fake = run(ovs, check_mode=True, name='cloudbr0', parent='cloudbr', vlan=200)
    assert result['commands'] == ['ovs-vsctl -t 10 add-br cloudbr0 cloudbr 200', 'ip link set dev cloudbr0 up']
    assert any('Parent bridge cloudbr does not exist' in w for w in warnings)


def test_missing_parent_fails_in_a_real_run():
    result, fake = fail(FakeOvs(), name='cloudbr0', parent='cloudbr', vlan=200)
    assert 'Parent bridge cloudbr of fake bridge cloudbr0 does not exist' in result['msg']


def test_drift_wrong_parent_is_recreated_in_one_transaction():
    ovs = FakeOvs()
    guide_layout(ovs)
    run(ovs, name='otherbr', datapath_type='netdev')
    ovs.bridges['cloudbr0']['parent'] = 'otherbr'
    result, fake = run(ovs, name='cloudbr0', parent='cloudbr', vlan=200)
    assert result['commands'] == ['ovs-vsctl -t 10 del-br cloudbr0 -- add-br cloudbr0 cloudbr 200',
                                  'ip link set dev cloudbr0 up']
    assert ovs.bridges['cloudbr0']['parent'] == 'cloudbr'


def test_drift_wrong_vlan_is_recreated():
    ovs = FakeOvs()
    guide_layout(ovs)
    ovs.bridges['cloudbr1']['vlan'] = 301
    result, fake = run(ovs, name='cloudbr1', parent='cloudbr', vlan=300)
    assert result['commands'] == ['ovs-vsctl -t 10 del-br cloudbr1 -- add-br cloudbr1 cloudbr 300',
                                  'ip link set dev cloudbr1 up']
    assert ovs.bridges['cloudbr1']['vlan'] == 300


def test_real_bridge_of_the_name_becomes_a_fake_bridge():
    ovs = FakeOvs()
    guide_layout(ovs)
    run(ovs, name='cloudbr1', state='absent')
    run(ovs, name='cloudbr1', datapath_type='netdev')
    result, fake = run(ovs, name='cloudbr1', parent='cloudbr', vlan=300)
    assert result['commands'] == ['ovs-vsctl -t 10 del-br cloudbr1 -- add-br cloudbr1 cloudbr 300',
                                  'ip link set dev cloudbr1 up']


def test_drift_trunks_reconciled_and_cleared():
    ovs = FakeOvs()
    guide_layout(ovs)
    ovs.ports['eth1']['trunks'] = [100, 200]
    result, fake = run(ovs, name='cloudbr', uplinks=['eth1'], trunks=[0, 100, 200, 300], datapath_type='netdev')
    assert result['commands'] == ['ovs-vsctl -t 10 set port eth1 trunks=0,100,200,300']
    result, fake = run(ovs, name='cloudbr', uplinks=['eth1'], trunks=[], datapath_type='netdev')
    assert result['commands'] == ['ovs-vsctl -t 10 clear port eth1 trunks']
    result, fake = run(ovs, name='cloudbr', uplinks=['eth1'], datapath_type='netdev')   # trunks omitted: left alone
    assert not result['changed']


def test_uplink_moved_from_another_bridge_and_datapath_fixed():
    ovs = FakeOvs()
    guide_layout(ovs)
    run(ovs, name='otherbr', uplinks=[], datapath_type='netdev')
    ovs.ports['eth1']['bridge'] = 'otherbr'
    ovs.bridges['cloudbr']['datapath_type'] = 'system'
    result, fake = run(ovs, name='cloudbr', uplinks=['eth1'], trunks=[0, 100, 200, 300], datapath_type='netdev',
                       fail_mode='standalone')
    assert result['commands'] == [
        'ovs-vsctl -t 10 set bridge cloudbr datapath_type=netdev',
        'ovs-vsctl -t 10 set-fail-mode cloudbr standalone',
        'ovs-vsctl -t 10 --if-exists del-port eth1 -- add-port cloudbr eth1 trunks=0,100,200,300',
    ]
    assert ovs.ports['eth1']['bridge'] == 'cloudbr'


def test_absent_and_diff():
    ovs = FakeOvs()
    guide_layout(ovs)
    result, fake = run(ovs, check_mode=True, name='cloudbr0', state='absent')
    assert result['diff'][0]['before'] == 'ovs bridge cloudbr0: fake, parent cloudbr, vlan 200\n'
    assert result['diff'][0]['after'] == 'ovs bridge cloudbr0: absent\n'
    result, fake = run(ovs, name='cloudbr0', state='absent')
    assert result['commands'] == ['ovs-vsctl -t 10 --if-exists del-br cloudbr0']
    again, fake = run(ovs, name='cloudbr0', state='absent')
    assert not again['changed']


def test_address_on_fake_bridge_and_uplink_with_management_address_refused():
    ovs = FakeOvs()
    guide_layout(ovs)
    result, fake = run(ovs, name='cloudbr0', parent='cloudbr', vlan=200, ipv4='10.99.201.11/24')
    assert result['commands'] == ['ip addr add 10.99.201.11/24 dev cloudbr0']
    result, fake = fail(ovs, name='cloudbr', uplinks=['eth1', 'host0'], datapath_type='netdev')
    assert 'would touch the management path (host0' in result['msg']
    assert 'Nothing was changed' in result['msg'] and 'host0' not in ovs.ports


def test_ifupdown_files_rendered(seams):
    (seams / 'etc/network/interfaces.d').mkdir(parents=True)
    (seams / 'etc/network/interfaces').write_text('source /etc/network/interfaces.d/*\n')
    ovs = FakeOvs()
    result, fake = run(ovs, name='cloudbr', uplinks=['eth1'], trunks=[0, 100], datapath_type='netdev', backend='ifupdown')
    text = (seams / 'etc/network/interfaces.d/cshv-cloudbr').read_text()
    assert 'allow-ovs cloudbr' in text and 'ovs_options trunks=0,100' in text


@pytest.mark.parametrize('args, msg', [
    (dict(name='cloudbr0', parent='cloudbr'), "missing parameter(s) required by 'parent': vlan"),
    (dict(name='cloudbr0', vlan=200), 'vlan 200 needs parent'),
    (dict(name='cloudbr0', parent='cloudbr', vlan=0), 'VLAN "0" of fake bridge cloudbr0 is not an integer from 1 to 4094'),
    (dict(name='cloudbr0', parent='cloudbr', vlan=4095), 'VLAN "4095"'),
    (dict(name='cloudbr0', parent='cloudbr', vlan='abc'), "'abc'"),
    (dict(name='cloudbr0', parent='cloudbr0', vlan=5), 'cannot be its own parent'),
    (dict(name='a-very-long-bridge', uplinks=['eth1']), 'is not a valid interface name'),
    (dict(name='cloudbr', uplinks=['eth1'], trunks=[4095]), 'Trunk VLAN 4095 is out of range'),
    (dict(name='cloudbr0', parent='cloudbr', vlan=200, uplinks=['eth1']), 'parameters are mutually exclusive: parent|uplinks'),
    (dict(name='mgmt0', parent='cloudbr', vlan=100, ipv4='10.99.3.11/24', gateway='10.99.4.1'), 'outside the subnet'),
])
def test_bad_input(args, msg):
    ovs = FakeOvs()
    result, fake = fail(ovs, **args)
    assert msg in result['msg']
    assert changes(fake) == [] and ovs.ip_changes == []


def test_recreated_fake_bridge_gets_its_address_with_replace():
    """A fake bridge recreated in one transaction may keep its address: 'replace' works either way."""
    ovs = FakeOvs()
    guide_layout(ovs)
    run(ovs, name='cloudbr1', parent='cloudbr', vlan=300, ipv4='10.99.203.12/24')
    ovs.bridges['cloudbr1']['vlan'] = 301
    result, fake = run(ovs, name='cloudbr1', parent='cloudbr', vlan=300, ipv4='10.99.203.12/24')
    assert result['commands'] == ['ovs-vsctl -t 10 del-br cloudbr1 -- add-br cloudbr1 cloudbr 300',
                                  'ip link set dev cloudbr1 up',
                                  'ip addr replace 10.99.203.12/24 dev cloudbr1']
