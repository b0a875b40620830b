# SPDX-License-Identifier: GPL-3.0-or-later
"""A module that changed the host before a later step failed says so (issue 17, kind 4).

Every module of the collection that writes a file or runs a mutating command must
return ``changed: true`` (and, in diff mode, the diff of what it wrote) when a
later step fails: an operator reading a failed task has to know the host is no
longer as it was. One case per module, each with the process boundary (or the
file system) failing after the first change; plus the field case: a libvirtd
forked by ``LIBVIRTD_ARGS="-d -l"`` outside the unit holds ``/run/libvirtd.pid``,
which ``libvirt_listen`` must name (and refuse before touching anything) instead
of failing the unit start on every run with no word about it.
"""
from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import FakeCommands, fail_module

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _iproute, _netpersist
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _libvirt as lv
from ansible_collections.cloudstack.hypervisors.plugins.modules import (
    conf_keys, cs_bridge, libvirt_listen, ovs_fakebridge, selinux_permissive)

# the sibling test modules' fakes
from ansible_collections.cloudstack.hypervisors.tests.unit.plugins.modules import (  # noqa: E402
    test_cs_bridge, test_libvirt_listen, test_ovs_fakebridge, test_selinux_permissive)
from ansible_collections.cloudstack.hypervisors.tests.unit.plugins.modules.test_libvirt_listen import host_factory  # noqa: F401,E402  pylint: disable=unused-import


@pytest.fixture
def seams_cs(tmp_path, monkeypatch):
    """The file-system seams of test_cs_bridge (an ifupdown host)."""
    return test_cs_bridge.ifupdown_seams(tmp_path, monkeypatch, interfaces=(
        'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n\n'
        'allow-hotplug host0\niface host0 inet static\n    address 10.99.3.11/24\n    gateway 10.99.3.1\n'))


@pytest.fixture
def seams_ovs(tmp_path, monkeypatch):
    monkeypatch.setattr(_netpersist, 'ROOT', str(tmp_path / 'root'))
    monkeypatch.setattr(_iproute, 'SYS_CLASS_NET', str(tmp_path / 'sys'))
    monkeypatch.delenv('SSH_CONNECTION', raising=False)
    return tmp_path / 'root'


def failing(host, bad, err='boom'):
    """A process boundary that fails the one command *bad* (a prefix of short argv words)."""
    def call(argv):
        short = [argv[0].rsplit('/', 1)[-1]] + argv[1:]
        if short[:len(bad)] == bad:
            return 1, '', err
        return host(argv)
    return FakeCommands(default=call)


def assert_changed_with_diff(result):
    assert result.get('failed') is True
    assert result.get('changed') is True, result
    diffs = result.get('diff')
    diffs = diffs if isinstance(diffs, list) else [diffs]
    assert diffs and any(d.get('before') != d.get('after') for d in diffs), result


# ---------------------------------------------------------------- libvirt_listen
def test_libvirt_listen_start_failure_after_writing_reports_changed(host_factory):
    host = host_factory('debian12')
    conf = os.path.join(host.root, 'etc/libvirt/libvirtd.conf')
    with open(conf) as f:
        before = f.read()
    result, fake = fail_module(libvirt_listen.main, {'mode': 'tcp', '_ansible_diff': True},
                               failing(host, ['systemctl', 'start', 'libvirtd.service'], 'Job failed.'))
    with open(conf) as f:
        assert f.read() != before          # the file was written before the start failed
    assert_changed_with_diff(result)
    assert any(d['after_header'] == lv.LIBVIRTD_CONF for d in result['diff'])
    assert 'systemctl start libvirtd.service' in result['msg']


def _stray_daemon(host, pid=4242):
    """LIBVIRTD_ARGS="-d -l" + a restart: a forked libvirtd outside the unit holds the pid file."""
    args = os.path.join(host.root, 'etc/default/libvirtd')
    with open(args, 'a') as f:
        f.write('LIBVIRTD_ARGS="-d -l"\n')
    os.makedirs(os.path.join(host.root, 'run'), exist_ok=True)
    with open(os.path.join(host.root, 'run/libvirtd.pid'), 'w') as f:
        f.write('%d\n' % pid)
    os.makedirs(os.path.join(host.root, 'proc', str(pid)))
    with open(os.path.join(host.root, 'proc', str(pid), 'comm'), 'w') as f:
        f.write('libvirtd\n')
    host.units[host.service]['active'] = 'failed'
    real = host._start_one

    def start(unit):
        if unit == host.service:
            return 1, '', 'Job for libvirtd.service failed: Failed to acquire pid file: /run/libvirtd.pid: Resource busy'
        return real(unit)
    host._start_one = start
    return args


def test_libvirt_listen_names_a_stray_libvirtd_and_changes_nothing(host_factory):
    host = host_factory('debian12')
    args = _stray_daemon(host)
    snap = test_libvirt_listen.snapshot(host.root)
    result, fake = fail_module(libvirt_listen.main, {'mode': 'tcp'}, test_libvirt_listen.fake(host))
    assert 'libvirtd (pid 4242)' in result['msg'] and '/run/libvirtd.pid' in result['msg']
    assert 'outside' in result['msg'] and 'nothing was changed' in result['msg'], result['msg']
    assert test_libvirt_listen.mutations(fake) == []
    assert test_libvirt_listen.snapshot(host.root) == snap
    assert result.get('changed') is not True
    with open(args) as f:
        assert 'LIBVIRTD_ARGS="-d -l"' in f.read()


def test_libvirt_listen_stray_check_ignores_the_units_own_daemon_and_stale_pid_files(host_factory):
    host = host_factory('debian12')
    os.makedirs(os.path.join(host.root, 'run'), exist_ok=True)
    with open(os.path.join(host.root, 'run/libvirtd.pid'), 'w') as f:
        f.write('999999\n')                 # stale: no such process
    res = test_libvirt_listen.converge(host, {'mode': 'tcp'})
    assert res['changed'] is True


# ---------------------------------------------------------------- conf_keys
def test_conf_keys_attribute_failure_after_writing_reports_changed(tmp_path):
    path = str(tmp_path / 'agent.properties')
    shutil.copy(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'lab', 'fixture-agent',
                             'root', 'etc', 'cloudstack', 'agent', 'agent.properties'), path)
    with open(path) as f:
        before = f.read()
    result, fake = fail_module(conf_keys.main, {'path': path, 'keys': {'hypervisor.type': 'lxc'},
                                                'owner': 'no-such-user-cshv', '_ansible_diff': True})
    with open(path) as f:
        assert f.read() != before
    assert_changed_with_diff(result)


# ---------------------------------------------------------------- selinux_permissive
def test_selinux_setenforce_failure_after_writing_reports_changed(tmp_path):
    path = str(tmp_path / 'config')
    shutil.copy(os.path.join(test_selinux_permissive.FIXTURES, 'el9.config'), path)
    sel = test_selinux_permissive.FakeSelinux('enforcing')
    result, fake = fail_module(selinux_permissive.main, {'config_file': path, '_ansible_diff': True},
                               failing(sel, ['setenforce'], 'setenforce: permission denied'))
    with open(path) as f:
        assert 'SELINUX=permissive' in f.read()
    assert_changed_with_diff(result)


# ---------------------------------------------------------------- cs_bridge
def test_cs_bridge_command_failure_after_writing_reports_changed(seams_cs):
    host = test_cs_bridge.lab_host()
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr0', ports=['eth1'], backend='ifupdown',
                                                    _ansible_diff=True),
                               failing(host, ['ip', 'link', 'set', 'dev', 'eth1', 'master'], 'RTNETLINK: busy'))
    assert (seams_cs / 'etc/network/interfaces.d/cshv-cloudbr0').exists()
    assert_changed_with_diff(result)


def test_cs_bridge_vlan_failure_after_writing_reports_changed(seams_cs, tmp_path):
    host = test_cs_bridge.lab_host()
    (tmp_path / 'proc-net-vlan').mkdir()
    result, fake = fail_module(cs_bridge.main, dict(name='cloudbr1', ports=[{'device': 'eth1', 'vlan': 300}],
                                                    backend='ifupdown', _ansible_diff=True),
                               failing(host, ['ip', 'link', 'add', 'link'], 'RTNETLINK: Operation not supported'))
    assert 'Cannot create VLAN sub-interface eth1.300' in result['msg']
    assert_changed_with_diff(result)


# ---------------------------------------------------------------- ovs_fakebridge
def test_ovs_fakebridge_command_failure_after_a_change_reports_changed(seams_ovs):
    ovs = test_ovs_fakebridge.FakeOvs()
    result, fake = fail_module(ovs_fakebridge.main, dict(name='cloudbr', uplinks=['eth1'], trunks=[0, 100],
                                                         datapath_type='netdev', backend='none', _ansible_diff=True),
                               failing(ovs, ['ovs-vsctl', '-t', '10', 'add-port'], 'ovs-vsctl: no such device'))
    assert 'cloudbr' in ovs.bridges
    assert_changed_with_diff(result)
