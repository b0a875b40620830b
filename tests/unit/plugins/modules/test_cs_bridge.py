# SPDX-License-Identifier: GPL-3.0-or-later
"""cs_bridge: planning against a simulated host, validators, check mode, diff, files."""
from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import FakeCommands, fail_module, run_module

from ansible_collections.cloudstack.hypervisors.plugins.modules import cs_bridge
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _iproute, _netpersist, _rollback


class FakeHost(object):
    """A tiny iproute2: answers the JSON reads and applies the mutations the module runs."""

    def __init__(self, vlan_ok=False):
        self.links = {}
        self.addrs = {}
        self.defaults = []
        self.vlan_ok = vlan_ok

    def nic(self, name, master=None, up=True, mtu=1500, kind='veth'):
        self.links[name] = dict(kind=kind, master=master, mtu=mtu, up=up, parent=None, vlan_id=None,
                                stp_state=None, forward_delay=None)
        return self

    def br(self, name, stp=0, fd=500, up=True, mtu=1500):
        self.links[name] = dict(kind='bridge', master=None, mtu=mtu, up=up, parent=None, vlan_id=None,
                                stp_state=stp, forward_delay=fd)
        return self

    def addr(self, dev, cidr):
        self.addrs.setdefault(dev, []).append(cidr)
        return self

    # -- reads -------------------------------------------------------------
    def _link_json(self):
        out = []
        for name, l in self.links.items():
            ent = {'ifname': name, 'mtu': l['mtu'], 'flags': ['BROADCAST'] + (['UP'] if l['up'] else [])}
            if l['master']:
                ent['master'] = l['master']
            if l['parent']:
                ent['link'] = l['parent']
            info = {'info_kind': l['kind']}
            if l['kind'] == 'bridge':
                info['info_data'] = {'stp_state': l['stp_state'], 'forward_delay': l['forward_delay']}
            if l['kind'] == 'vlan':
                info['info_data'] = {'protocol': '802.1Q', 'id': l['vlan_id']}
            ent['linkinfo'] = info
            out.append(ent)
        return json.dumps(out)

    def __call__(self, argv):
        cmd = [argv[0].rsplit('/', 1)[-1]] + argv[1:]
        if cmd == ['ip', '-j', '-d', 'link', 'show']:
            return 0, self._link_json(), ''
        if cmd == ['ip', '-j', '-4', 'addr', 'show']:
            return 0, json.dumps([{'ifname': d, 'addr_info': [
                {'family': 'inet', 'local': c.split('/')[0], 'prefixlen': int(c.split('/')[1]), 'scope': 'global'}
                for c in cs]} for d, cs in self.addrs.items() if d in self.links]), ''
        if cmd == ['ip', '-j', '-4', 'route', 'show', 'default']:
            return 0, json.dumps([{'dst': 'default', 'gateway': g, 'dev': d} for g, d in self.defaults]), ''
        if cmd == ['bridge', '-j', 'link', 'show']:
            return 0, json.dumps([{'ifname': n, 'master': l['master']} for n, l in self.links.items() if l['master']]), ''
        if cmd[0] == 'modprobe':
            return (0 if self.vlan_ok else 1), '', 'modprobe: FATAL: Module 8021q not found'
        if cmd[0] == 'ip':
            return self._mutate(cmd[1:])
        return 0, '', ''

    def _mutate(self, w):
        if w[:2] == ['link', 'add'] and w[2] == 'name':
            name = w[3]
            tail = w[w.index('type') + 2:]
            if any(word not in ('stp_state', 'forward_delay') for word in tail[::2]):
                return 1, '', 'bridge: unknown command "%s"?' % tail[::2]
            stp = int(w[w.index('stp_state') + 1])
            fd = int(w[w.index('forward_delay') + 1])
            self.br(name, stp=stp, fd=fd, up=False, mtu=int(w[w.index('mtu') + 1]) if 'mtu' in w else 1500)
        elif w[:3] == ['link', 'add', 'link']:
            if not self.vlan_ok:
                return 2, '', 'Error: Unknown device type.'
            self.nic(w[5], up=False, kind='vlan')
            self.links[w[5]].update(parent=w[3], vlan_id=int(w[-1]))
        elif w[:2] == ['link', 'del']:
            name = w[3]
            del self.links[name]
            self.addrs.pop(name, None)
            self.defaults = [(g, d) for g, d in self.defaults if d != name]
            for l in self.links.values():
                if l['master'] == name:
                    l['master'] = None
        elif w[:2] == ['link', 'set']:
            name, rest = w[3], w[4:]
            link = self.links[name]
            while rest:
                if rest[0] == 'master':
                    link['master'] = rest[1]
                    rest = rest[2:]
                elif rest[0] == 'nomaster':
                    link['master'] = None
                    rest = rest[1:]
                elif rest[0] in ('up', 'down'):
                    link['up'] = rest[0] == 'up'
                    rest = rest[1:]
                elif rest[0] == 'mtu':
                    link['mtu'] = int(rest[1])
                    rest = rest[2:]
                elif rest[0] == 'type':
                    rest = rest[2:]
                elif rest[0] == 'stp_state':
                    if int(rest[1]) and not 200 <= link['forward_delay'] <= 3000:
                        return 2, '', 'Error: out of range'
                    link['stp_state'] = int(rest[1])
                    rest = rest[2:]
                elif rest[0] == 'forward_delay':
                    if link['stp_state'] and not 200 <= int(rest[1]) <= 3000:
                        return 2, '', 'Error: out of range'
                    link['forward_delay'] = int(rest[1])
                    rest = rest[2:]
                else:
                    raise AssertionError('unknown ip link set word %r' % rest)
        elif w[:2] == ['addr', 'add']:
            self.addrs.setdefault(w[4], []).append(w[2])
        elif w[:2] == ['addr', 'del']:
            self.addrs[w[4]].remove(w[2])
            self.defaults = [(g, d) for g, d in self.defaults if d != w[4] or self.addrs[w[4]]]
        elif w[:3] == ['route', 'replace', 'default']:
            self.defaults = [(w[4], w[6])]
        else:
            raise AssertionError('unexpected ip command %r' % w)
        return 0, '', ''


INTERFACES = ('auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n\n'
              '# The primary network interface\nallow-hotplug host0\niface host0 inet static\n'
              '    address 10.99.3.11/24\n    gateway 10.99.3.1\n    mtu 1500\n')


@pytest.fixture(autouse=True)
def seams(tmp_path, monkeypatch):
    return ifupdown_seams(tmp_path, monkeypatch)


def ifupdown_seams(tmp_path, monkeypatch, interfaces=INTERFACES):
    """An ifupdown host under tmp_path: /etc/network as Debian ships it, the modules' file and sysfs seams."""
    root = tmp_path / 'root'
    (root / 'etc/network/interfaces.d').mkdir(parents=True)
    (root / 'etc/network/interfaces').write_text(interfaces)
    (root / 'etc/network/if-pre-up.d').mkdir(parents=True)
    (root / 'etc/network/if-pre-up.d/bridge').write_text('#!/bin/sh\n')
    monkeypatch.setattr(_netpersist, 'ROOT', str(root))
    monkeypatch.setattr(_iproute, 'SYS_CLASS_NET', str(tmp_path / 'sys'))
    monkeypatch.setattr(_iproute, 'PROC_NET_VLAN', str(tmp_path / 'proc-net-vlan'))
    for var in ('SSH_CONNECTION', _rollback.ENV_TOKEN, _rollback.ENV_RUN_DIR, _rollback.ENV_CONTROLLER):
        monkeypatch.delenv(var, raising=False)
    return root


def lab_host():
    """host0 carries management (10.99.3.11, default route); eth1 and veth9 are free NICs."""
    h = FakeHost().nic('lo', kind=None).nic('host0').nic('eth1').nic('veth9', up=False)
    h.addr('host0', '10.99.3.11/24')
    h.defaults = [('10.99.3.1', 'host0')]
    return h


def run(host, check_mode=False, **args):
    args.setdefault('backend', 'ifupdown')
    return run_module(cs_bridge.main, args, fake=FakeCommands(default=host), check_mode=check_mode)


def mutations(fake):
    return [c for c in fake.ran() if not ('-j' in c.split()[:3] or c.startswith('modprobe'))]


# --------------------------------------------------------------------------
# create, no-op, drift
# --------------------------------------------------------------------------
def test_create_bridge_with_port_and_file(seams):
    host = lab_host()
    result, fake = run(host, name='cloudbr0', ports=['eth1'], ipv4='10.99.200.11/24')
    assert result['changed']
    assert result['commands'] == [
        'ip link add name cloudbr0 type bridge stp_state 0 forward_delay 500',
        'ip link set dev cloudbr0 up',
        'ip link set dev eth1 master cloudbr0',
        'ip addr add 10.99.200.11/24 dev cloudbr0',
    ]
    assert mutations(fake) == result['commands']
    assert host.links['eth1']['master'] == 'cloudbr0'
    assert host.addrs['cloudbr0'] == ['10.99.200.11/24']
    text = (seams / 'etc/network/interfaces.d/cshv-cloudbr0').read_text()
    assert 'bridge_ports eth1\n' in text and 'address 10.99.200.11/24' in text
    assert result['files'] == [str(seams / 'etc/network/interfaces.d/cshv-cloudbr0')]
    # second run: nothing to do, nothing run
    again, fake2 = run(host, name='cloudbr0', ports=['eth1'], ipv4='10.99.200.11/24')
    assert not again['changed'] and again['commands'] == [] and mutations(fake2) == []


def test_check_mode_predicts_real_run_exactly(seams):
    host = lab_host()
    before = copy.deepcopy(host.links)
    checked, fake = run(host, check_mode=True, name='cloudbr1', ports=['eth1', 'veth9'], stp=True, forward_delay=4, mtu=1400)
    assert checked['changed'] and mutations(fake) == []
    assert host.links == before
    assert not (seams / 'etc/network/interfaces.d/cshv-cloudbr1').exists()
    real, fake = run(host, name='cloudbr1', ports=['eth1', 'veth9'], stp=True, forward_delay=4, mtu=1400)
    assert real['commands'] == checked['commands'] == mutations(fake)
    assert host.links['cloudbr1']['stp_state'] == 1 and host.links['cloudbr1']['forward_delay'] == 400
    assert host.links['veth9']['up'] and host.links['veth9']['mtu'] == 1400


def test_drift_deleted_bridge_is_recreated(seams):
    host = lab_host()
    run(host, name='cloudbr0', ports=['eth1'])
    host._mutate(['link', 'del', 'dev', 'cloudbr0'])
    result, fake = run(host, name='cloudbr0', ports=['eth1'])
    assert result['changed']
    assert 'ip link add name cloudbr0 type bridge stp_state 0 forward_delay 500' in result['commands']
    assert 'ip link set dev eth1 master cloudbr0' in result['commands']


def test_drift_port_moved_to_other_bridge_comes_back(seams):
    host = lab_host().br('cloudbr9')
    run(host, name='cloudbr0', ports=['eth1'])
    host.links['eth1']['master'] = 'cloudbr9'
    result, fake = run(host, name='cloudbr0', ports=['eth1'])
    assert result['commands'] == ['ip link set dev eth1 master cloudbr0']
    assert host.links['eth1']['master'] == 'cloudbr0'


def test_drift_stp_and_forward_delay_are_repaired_in_kernel_order(seams):
    host = lab_host()
    run(host, name='cloudbr0', ports=['eth1'])
    host.links['cloudbr0'].update(stp_state=1, forward_delay=1500)
    result, fake = run(host, name='cloudbr0', ports=['eth1'], forward_delay=0)
    # STP off first: the kernel refuses forward_delay 0 while STP is on
    assert result['commands'] == ['ip link set dev cloudbr0 type bridge stp_state 0',
                                  'ip link set dev cloudbr0 type bridge forward_delay 0']
    assert host.links['cloudbr0']['stp_state'] == 0
    result, fake = run(host, name='cloudbr0', ports=['eth1'], stp=True, forward_delay=15)
    assert result['commands'] == ['ip link set dev cloudbr0 type bridge forward_delay 1500',
                                  'ip link set dev cloudbr0 type bridge stp_state 1']


def test_sysfs_is_read_for_stp_state(seams, tmp_path):
    host = lab_host()
    run(host, name='cloudbr0', ports=['eth1'])
    d = tmp_path / 'sys/cloudbr0/bridge'
    d.mkdir(parents=True)
    (d / 'stp_state').write_text('1\n')
    (d / 'forward_delay').write_text('500\n')
    result, fake = run(host, check_mode=True, name='cloudbr0', ports=['eth1'])
    assert result['commands'] == ['ip link set dev cloudbr0 type bridge stp_state 0']


def test_drift_changed_address_is_repaired(seams):
    host = lab_host()
    run(host, name='cloudbr0', ports=['eth1'], ipv4='10.99.200.11/24')
    host.addrs['cloudbr0'] = ['10.99.201.11/24']
    result, fake = run(host, name='cloudbr0', ports=['eth1'], ipv4='10.99.200.11/24')
    assert result['commands'] == ['ip addr del 10.99.201.11/24 dev cloudbr0', 'ip addr add 10.99.200.11/24 dev cloudbr0']


def test_address_removed_when_ipv4_omitted(seams):
    host = lab_host()
    run(host, name='cloudbr0', ports=['eth1'], ipv4='10.99.200.11/24')
    result, fake = run(host, name='cloudbr0', ports=['eth1'])
    assert result['commands'] == ['ip addr del 10.99.200.11/24 dev cloudbr0']


def test_hand_edited_file_is_repaired_and_only_file_changes(seams):
    host = lab_host()
    run(host, name='cloudbr0', ports=['eth1'])
    f = seams / 'etc/network/interfaces.d/cshv-cloudbr0'
    good = f.read_text()
    f.write_text(good.replace('bridge_stp off', 'bridge_stp on'))
    result, fake = run(host, name='cloudbr0', ports=['eth1'])
    assert result['changed'] and result['commands'] == []
    assert f.read_text() == good
    file_diff = [d for d in result['diff'] if d['after_header'] == str(f)][0]
    assert 'bridge_stp on' in file_diff['before'] and 'bridge_stp off' in file_diff['after']


def test_purge_ports_detaches_unlisted_but_never_taps(seams):
    host = lab_host().nic('vnet0', kind='tun')
    run(host, name='cloudbr0', ports=['eth1', 'veth9'])
    host.links['vnet0']['master'] = 'cloudbr0'
    result, fake = run(host, name='cloudbr0', ports=['eth1'])
    assert result['commands'] == []          # default: unlisted ports stay
    result, fake = run(host, name='cloudbr0', ports=['eth1'], purge_ports=True)
    assert result['commands'] == ['ip link set dev veth9 nomaster']
    assert host.links['vnet0']['master'] == 'cloudbr0'


def test_absent_deletes_bridge_and_file(seams):
    host = lab_host()
    run(host, name='cloudbr0', ports=['eth1'])
    result, fake = run(host, name='cloudbr0', state='absent')
    assert result['commands'] == ['ip link del dev cloudbr0']
    assert not (seams / 'etc/network/interfaces.d/cshv-cloudbr0').exists()
    assert host.links['eth1']['master'] is None
    again, fake = run(host, name='cloudbr0', state='absent')
    assert not again['changed']


def test_diff_shows_runtime_and_file(seams):
    host = lab_host()
    result, fake = run(host, check_mode=True, name='cloudbr0', ports=['eth1'])
    runtime = result['diff'][0]
    assert runtime['before'] == 'bridge cloudbr0: absent\n'
    assert 'ports: eth1' in runtime['after']
    assert result['diff'][1]['before_header'].endswith('(absent)')


# --------------------------------------------------------------------------
# VLAN ports
# --------------------------------------------------------------------------
def test_vlan_port_without_8021q_fails_before_any_change(seams):
    host = lab_host()
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr1', ports=[{'device': 'eth1', 'vlan': 300}],
                                                    backend='ifupdown'), fake=FakeCommands(default=host))
    assert 'Cannot create VLAN sub-interface eth1.300 (VLAN 300 on eth1)' in result['msg']
    assert 'Nothing was changed' in result['msg']
    assert mutations(fake) == []
    assert not (seams / 'etc/network/interfaces.d/cshv-cloudbr1').exists()


def test_vlan_port_created_when_kernel_supports_it(seams, tmp_path):
    host = lab_host()
    host.vlan_ok = True
    (tmp_path / 'proc-net-vlan').mkdir()
    result, fake = run(host, name='cloudbr1', ports=[{'device': 'eth1', 'vlan': 300}])
    assert 'ip link add link eth1 name eth1.300 type vlan id 300' in result['commands']
    assert host.links['eth1.300']['master'] == 'cloudbr1'
    again, fake = run(host, name='cloudbr1', ports=[{'device': 'eth1', 'vlan': 300}])
    assert not again['changed']
    host.links['eth1.300']['vlan_id'] = 301           # wrong VLAN: recreated
    fixed, fake = run(host, name='cloudbr1', ports=[{'device': 'eth1', 'vlan': 300}])
    assert fixed['commands'][:2] == ['ip link del dev eth1.300', 'ip link add link eth1 name eth1.300 type vlan id 300']


# --------------------------------------------------------------------------
# management path
# --------------------------------------------------------------------------
def test_management_port_refused_without_opt_in(seams):
    host = lab_host()
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr0', ports=['host0'], ipv4='10.99.3.11/24',
                                                    gateway='10.99.3.1', backend='ifupdown'),
                               fake=FakeCommands(default=host))
    assert 'would touch the management path (host0' in result['msg']
    assert 'Set management: true' in result['msg'] and 'Nothing was changed' in result['msg']
    assert mutations(fake) == []
    assert 'iface host0 inet static' in (seams / 'etc/network/interfaces').read_text()


def test_controller_address_from_the_action_plugin_counts(seams, monkeypatch):
    host = lab_host().nic('eth2')
    host.addr('eth2', '10.99.50.5/24')
    monkeypatch.setenv(_rollback.ENV_CONTROLLER, '10.99.50.5')
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr0', ports=['eth2'], backend='none'),
                               fake=FakeCommands(default=host))
    assert 'eth2' in result['msg'] and '10.99.50.5' in result['msg']


def test_controller_address_from_ssh_connection_counts(seams, monkeypatch):
    host = lab_host().nic('eth2')
    host.addr('eth2', '10.99.50.5/24')
    monkeypatch.setenv('SSH_CONNECTION', '10.99.50.1 40000 10.99.50.5 22')
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr0', ports=['eth2'], backend='none'),
                               fake=FakeCommands(default=host))
    assert 'eth2' in result['msg'] and '10.99.50.5' in result['msg']


def test_management_move_in_check_mode_plans_the_move(seams):
    host = lab_host()
    result, fake = run(host, check_mode=True, name='cloudbr0', ports=['host0'], ipv4='10.99.3.11/24',
                       gateway='10.99.3.1', management=True)
    assert result['management_touched']
    assert result['commands'] == [
        'ip link add name cloudbr0 type bridge stp_state 0 forward_delay 500',
        'ip link set dev cloudbr0 up',
        'ip addr del 10.99.3.11/24 dev host0',
        'ip link set dev host0 master cloudbr0',
        'ip addr add 10.99.3.11/24 dev cloudbr0',
        'ip route replace default via 10.99.3.1 dev cloudbr0',
    ]
    iface = [d for d in result['diff'] if d['after_header'].endswith('/etc/network/interfaces')][0]
    assert 'iface host0 inet manual' in iface['after'] and 'address 10.99.3.11/24' not in iface['after']
    assert '    mtu 1500' in iface['after']


def test_management_change_needs_the_action_plugin(seams):
    host = lab_host()
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr0', ports=['host0'], ipv4='10.99.3.11/24',
                                                    gateway='10.99.3.1', management=True, backend='ifupdown'),
                               fake=FakeCommands(default=host))
    assert 'needs the cloudstack.hypervisors.cs_bridge action plugin' in result['msg']
    assert mutations(fake) == []


def _rollback_args(tmp_path, monkeypatch, token='t0k3n'):
    monkeypatch.setenv(_rollback.ENV_TOKEN, token)
    monkeypatch.setenv(_rollback.ENV_RUN_DIR, str(tmp_path))
    return dict(name='cloudbr0', ports=['host0'], ipv4='10.99.3.11/24', gateway='10.99.3.1', management=True,
                backend='ifupdown', rollback_timeout=10)


def test_management_move_confirmed_keeps_the_change(seams, tmp_path, monkeypatch):
    host = lab_host()
    start, applied, confirm = _rollback.paths('cloudbr0', str(tmp_path))
    (tmp_path / os.path.basename(start)).write_text('t0k3n')
    real_wait = _rollback.wait_for

    def controller(fpath, token, timeout, interval=0.5):
        if fpath == confirm:     # the controller confirms once the module says "applied"
            assert open(applied).read().strip() == token
            with open(confirm, 'w') as f:
                f.write(token)
        return real_wait(fpath, token, timeout, 0.01)
    monkeypatch.setattr(_rollback, 'wait_for', controller)
    result, fake = run(host, **_rollback_args(tmp_path, monkeypatch))
    assert result['confirmed'] and not result['rolled_back']
    assert host.addrs['cloudbr0'] == ['10.99.3.11/24'] and host.addrs['host0'] == []
    assert host.defaults == [('10.99.3.1', 'cloudbr0')]
    assert not os.path.exists(start) and not os.path.exists(confirm) and not os.path.exists(applied)


def test_management_move_unconfirmed_rolls_back_links_routes_and_files(seams, tmp_path, monkeypatch):
    host = lab_host()
    interfaces = (seams / 'etc/network/interfaces').read_text()
    start, applied, confirm = _rollback.paths('cloudbr0', str(tmp_path))
    (tmp_path / os.path.basename(start)).write_text('t0k3n')
    (tmp_path / os.path.basename(confirm)).write_text('stale-token-of-an-old-run')
    monkeypatch.setattr(_rollback.time, 'sleep', lambda s: None)
    clock = iter(range(0, 10000, 5))
    monkeypatch.setattr(_rollback.time, 'time', lambda: next(clock))
    result, fake = fail_module(cs_bridge.main, _rollback_args(tmp_path, monkeypatch), fake=FakeCommands(default=host))
    assert result['rolled_back'] and not result['confirmed']
    assert 'the host rolled back to its previous addresses (host0 10.99.3.11/24)' in result['msg']
    assert 'cloudbr0' not in host.links
    assert host.addrs['host0'] == ['10.99.3.11/24']
    assert host.defaults == [('10.99.3.1', 'host0')]
    assert host.links['host0']['master'] is None
    assert (seams / 'etc/network/interfaces').read_text() == interfaces
    assert not (seams / 'etc/network/interfaces.d/cshv-cloudbr0').exists()
    assert 'ip link del dev cloudbr0' in result['rollback_commands']


def test_no_start_signal_changes_nothing(seams, tmp_path, monkeypatch):
    host = lab_host()
    monkeypatch.setattr(_rollback.time, 'sleep', lambda s: None)
    clock = iter(range(0, 10000, 5))
    monkeypatch.setattr(_rollback.time, 'time', lambda: next(clock))
    result, fake = fail_module(cs_bridge.main, _rollback_args(tmp_path, monkeypatch), fake=FakeCommands(default=host))
    assert 'did not start the change' in result['msg']
    assert mutations(fake) == [] and 'cloudbr0' not in host.links


# --------------------------------------------------------------------------
# validators
# --------------------------------------------------------------------------
@pytest.mark.parametrize('args, msg', [
    (dict(name='cloudbr0123456789'), 'Bridge name "cloudbr0123456789" is not a valid interface name'),
    (dict(name='cloud br'), 'is not a valid interface name'),
    (dict(name='cloudbr0', ports=[{'device': 'eth1', 'vlan': 0}]), 'VLAN "0" of port eth1 is not an integer from 1 to 4094'),
    (dict(name='cloudbr0', ports=[{'device': 'eth1', 'vlan': 4095}]), 'VLAN "4095" of port eth1'),
    (dict(name='cloudbr0', ports=[{'device': 'eth1', 'vlan': 'abc'}]), 'VLAN "abc" of port eth1'),
    (dict(name='cloudbr0', ports=[{'device': 'eth1', 'tag': 5}]), 'unknown keys: tag'),
    (dict(name='cloudbr0', ports=[{'device': 'enp0s31f6abc', 'vlan': 100}]), 'VLAN sub-interface "enp0s31f6abc.100"'),
    (dict(name='cloudbr0', ports=['eth1', 'eth1']), 'Port eth1 is listed twice'),
    (dict(name='cloudbr0', ports=['cloudbr0']), 'cannot be its own port'),
    (dict(name='cloudbr0', ipv4='10.99.200.300/24'), 'ipv4 "10.99.200.300/24" is not an IPv4 address'),
    (dict(name='cloudbr0', ipv4='10.99.200.11/33'), 'is not an IPv4 address with a prefix length'),
    (dict(name='cloudbr0', ipv4='10.99.200.11'), 'needs a prefix length'),
    (dict(name='cloudbr0', ipv4='fd00::1/64'), 'is not an IPv4 address'),
    (dict(name='cloudbr0', ipv4='10.99.200.0/24'), 'is the network or broadcast address'),
    (dict(name='cloudbr0', ipv4='10.99.200.11/24', gateway='10.99.201.1'), 'gateway 10.99.201.1 is outside the subnet 10.99.200.0/24'),
    (dict(name='cloudbr0', ipv4='10.99.200.11/24', gateway='banana'), 'gateway "banana" is not an IPv4 address'),
    (dict(name='cloudbr0', ipv4='dhcp', gateway='10.99.200.1'), 'cannot be combined with ipv4: dhcp'),
    (dict(name='cloudbr0', gateway='10.99.200.1'), 'missing parameter(s) required by \'gateway\': ipv4'),
    (dict(name='cloudbr0', dns=['8.8.8']), 'dns server "8.8.8" is not an IPv4 address'),
    (dict(name='cloudbr0', stp=True, forward_delay=1), 'forward_delay 1 is out of range'),
    (dict(name='cloudbr0', forward_delay=31), 'forward_delay 31 is out of range'),
    (dict(name='cloudbr0', mtu=60), 'mtu 60 is out of range'),
    (dict(name='cloudbr0', rollback_timeout=3, management=True), 'rollback_timeout 3 is too short'),
    (dict(name='cloudbr0', confirm_host='10.99.3.12'), 'confirm_host 10.99.3.12 is only used with management: true'),
    (dict(name='cloudbr0', ports=['eth7']), 'Port eth7 does not exist on this host'),
    (dict(name='host0'), 'host0 exists and is a veth device, not a bridge'),
])
def test_bad_input_fails_before_anything(seams, args, msg):
    host = lab_host()
    args = dict(args, backend='ifupdown')
    result, fake = fail_module(cs_bridge.main, args, fake=FakeCommands(default=host))
    assert msg in result['msg']
    assert mutations(fake) == []
    assert os.listdir(str(seams / 'etc/network/interfaces.d')) == []


def test_auto_backend_detects_ifupdown_and_fails_when_nothing_found(seams, tmp_path, monkeypatch):
    host = lab_host()
    result, fake = run(host, check_mode=True, name='cloudbr0', ports=['eth1'], backend='auto')
    assert result['backend'] == 'ifupdown'
    monkeypatch.setattr(_netpersist, 'ROOT', str(tmp_path / 'empty'))
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr0', backend='auto'), fake=FakeCommands(default=host))
    assert 'backend auto found no known network configuration' in result['msg']


def test_stdlib_fallback_validates_without_netaddr(seams, monkeypatch):
    monkeypatch.setattr(_iproute, 'HAS_NETADDR', False)
    host = lab_host()
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr0', ipv4='10.99.200.11/24', gateway='10.99.201.1',
                                                    backend='none'), fake=FakeCommands(default=host))
    assert 'outside the subnet 10.99.200.0/24' in result['msg']
    result, fake = run(host, check_mode=True, name='cloudbr0', ipv4='10.99.200.11/24', gateway='10.99.200.1',
                       backend='none', management=True)
    assert 'ip route replace default via 10.99.200.1 dev cloudbr0' in result['commands']
