# SPDX-License-Identifier: GPL-3.0-or-later
"""The kvm role's libvirt end state and CloudStack's Add Host agree (issue 17, kind 3).

Runs the lab's Add Host stand-in (tests/lab/addhost/cloudstack_add_host.py, written
from CloudStack's keystore-setup, keystore-cert-import and cloudstack-setup-agent -a -s)
on a copy of a Debian 12 host's files, replays the systemctl calls it made on the fake
systemd of test_libvirt_listen, and then runs libvirt_listen the way the kvm role does
(``activation: traditional``, ``keep_tls: true``):

* after Add Host, and after the next boot, libvirtd listens on TLS 16514 only - also for
  a host that had been switched to socket activation by hand before the role ran;
* the next run changes nothing and the listener stays on 16514;
* the stand-in itself is checked against what its sources do (the test double is tested):
  configFileOps line rules, the libvirtd_opts line, masks, links, modes.

The old defaults (``activation: auto``, no ``keep_tls``) are run too, to show the two
field failures this guards against: the flip back to TCP, and the hand-switched host
that listens on nothing after Add Host.
"""
from __future__ import annotations

import os
import shutil
import stat
import sys

import pytest
import yaml

# the sibling test module's fakes
from ansible_collections.cloudstack.hypervisors.tests.unit.plugins.modules import test_libvirt_listen as tl
from ansible_collections.cloudstack.hypervisors.tests.unit.plugins.modules.test_libvirt_listen import host_factory  # noqa: F401  pylint: disable=unused-import

from ansible_collections.cloudstack.hypervisors.plugins.modules import libvirt_listen  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..')
sys.path.insert(0, os.path.join(REPO, 'tests', 'lab', 'addhost'))
import cloudstack_add_host as standin  # noqa: E402  pylint: disable=wrong-import-position

AGENT = os.path.join(REPO, 'tests', 'lab', 'fixture-agent', 'root', 'etc', 'cloudstack', 'agent', 'agent.properties')
with open(os.path.join(REPO, 'roles', 'kvm', 'defaults', 'main.yml')) as _f:
    ROLE = yaml.safe_load(_f)
ROLE_ARGS = {'mode': ROLE['kvm_libvirt_listen_mode'], 'activation': ROLE['kvm_libvirt_activation'],
             'keep_tls': ROLE['kvm_libvirt_keep_tls']}
OLD_ARGS = {'mode': 'tcp', 'activation': 'auto'}
PEM = '-----BEGIN CERTIFICATE-----\nMIIlab\n-----END CERTIFICATE-----'


def prepare(host):
    """What the package and the role left on the host that the stand-in reads."""
    os.makedirs(os.path.join(host.root, 'etc/cloudstack/agent'), exist_ok=True)
    shutil.copy(AGENT, os.path.join(host.root, 'etc/cloudstack/agent/agent.properties'))
    os.chmod(os.path.join(host.root, 'etc/cloudstack/agent/agent.properties'), 0o644)
    os.makedirs(os.path.join(host.root, 'lib/systemd/system'), exist_ok=True)
    open(os.path.join(host.root, 'lib/systemd/system/libvirtd.socket'), 'w').close()


def add_host(host, tmp_path):
    """Run the stand-in on the host's files, then replay its systemctl calls on the fake."""
    record = str(tmp_path / 'systemctl.log')
    if os.path.exists(record):
        os.unlink(record)
    enc = PEM.replace('\n', '^').replace(' ', '~')
    standin.main(['--root', host.root, '--record', record, '--cert=' + enc, '--cacert=' + enc,
                  '--key=' + enc.replace('CERTIFICATE', 'PRIVATE~KEY'), '--passphrase', 's3cret',
                  '--mgmt', '10.99.0.1', '--zone', '1', '--pod', '1', '--cluster', '1', '--guid', 'g-1',
                  '--pub', 'cloudbr0', '--prv', 'cloudbr0', '--guest', 'cloudbr0'])
    with open(record) as f:
        calls = [line.split() for line in f]
    for argv in calls:
        if argv[1] == 'restart':
            assert host(['/usr/bin/systemctl', 'stop'] + argv[2:])[0] == 0
            argv = ['systemctl', 'start'] + argv[2:]
        units = [u if '.' in u else u + '.service' for u in argv[2:]]
        if units[0] == 'cloudstack-agent.service':
            continue                       # not part of the libvirt fake
        host(['/usr/bin/systemctl', argv[1]] + units)
    return calls


def reboot(host):
    """Power-cycle the fake: everything stops; enabled, unmasked units start (sockets first)."""
    for u in host.units.values():
        u['active'] = 'inactive'
    host.running = None
    for name, u in sorted(host.units.items(), key=lambda kv: not kv[0].endswith('.socket')):
        if u['file'] in ('enabled', 'static') and name != host.service:
            host._start_one(name)
    if host.units[host.service]['file'] in ('enabled', 'static'):
        host._start_one(host.service)


def props(host):
    return os.path.join(host.root, 'etc/cloudstack/agent/agent.properties')


def test_role_defaults_are_what_add_host_keeps():
    assert ROLE['kvm_libvirt_activation'] == 'traditional'
    assert ROLE['kvm_libvirt_keep_tls'] is True


def test_standin_does_what_its_sources_do(host_factory, tmp_path):
    host = host_factory('debian12')
    prepare(host)
    tl.converge(host, ROLE_ARGS)
    calls = add_host(host, tmp_path)
    assert calls == [['systemctl', 'mask', u] for u in standin.SOCKETS] + [
        ['systemctl', 'restart', 'libvirtd'], ['systemctl', 'stop', 'cloudstack-agent'],
        ['systemctl', 'enable', 'cloudstack-agent']]
    conf = host.conf()
    assert conf['listen_tls'] == '1' and conf['listen_tcp'] == '0' and conf['tls_port'] == '16514'
    with open(os.path.join(host.root, 'etc/libvirt/libvirtd.conf')) as f:
        text = f.read()
    assert '\nlisten_tls=1\n' in text and '#listen_tls = 0' in text   # commented examples untouched
    with open(os.path.join(host.root, 'etc/default/libvirtd')) as f:
        assert "libvirtd_opts='-l'" in f.read().splitlines()
    with open(props(host)) as f:
        text = f.read()
    assert 'keystore.passphrase=s3cret\n' in text and '\nguid=g-1\n' in text and 'resource=com.cloud' in text
    assert stat.S_IMODE(os.stat(props(host)).st_mode) == 0o600
    for link, target in standin.LINKS:
        assert os.readlink(os.path.join(host.root, link.lstrip('/'))) == '/etc/cloudstack/agent/' + target
    for name in ('cloud.crt', 'cloud.key', 'cloud.ca.crt'):
        assert stat.S_IMODE(os.stat(os.path.join(host.root, 'etc/cloudstack/agent', name)).st_mode) == 0o600
    # a second Add Host (or a certificate renewal) keeps the passphrase
    add_host(host, tmp_path)
    with open(props(host)) as f:
        assert f.read().count('keystore.passphrase=') == 1


def _certificates_resolve(host):
    """The stand-in links to /etc/cloudstack/agent (absolute): make them resolve inside the copy."""
    for link, target in standin.LINKS:
        p = os.path.join(host.root, link.lstrip('/'))
        os.unlink(p)
        os.symlink(os.path.join(host.root, 'etc/cloudstack/agent', target), p)


@pytest.mark.parametrize('start', ['stock', 'traditional', 'sockets'])
def test_add_host_then_rerun_changes_nothing_and_keeps_tls(host_factory, tmp_path, start):
    host = host_factory('debian12')
    prepare(host)
    if start == 'traditional':
        tl.converge(host, {'mode': 'tcp', 'activation': 'traditional'})
    elif start == 'sockets':                        # switched to socket activation by hand
        tl.converge(host, {'mode': 'tcp', 'activation': 'socket'})
    res = tl.converge(host, ROLE_ARGS)
    assert res['activation'] == 'traditional' and host.listening() == {16509}
    add_host(host, tmp_path)
    _certificates_resolve(host)
    assert host.listening() == {16514}, 'Add Host must leave a TLS listener'
    reboot(host)
    assert host.listening() == {16514}, 'and so must the next boot'
    again = tl.converge(host, ROLE_ARGS)
    assert again['changed'] is False, again['commands']
    assert again['mode'] == 'tls' and 'CloudStack set up TLS' in again['mode_reason']
    assert host.listening() == {16514}
    assert stat.S_IMODE(os.stat(props(host)).st_mode) == 0o600


def test_old_defaults_flip_tls_back_to_tcp(host_factory, tmp_path):
    """What main did: the run after Add Host takes CloudStack's TLS listener away."""
    host = host_factory('debian12')
    prepare(host)
    tl.converge(host, OLD_ARGS)
    add_host(host, tmp_path)
    _certificates_resolve(host)
    res = tl.converge(host, OLD_ARGS)
    assert res['changed'] is True and host.listening() == {16509}


def test_old_defaults_leave_a_hand_switched_host_deaf_after_add_host(host_factory, tmp_path):
    """activation=auto keeps socket activation; Add Host masks the sockets and nothing listens."""
    host = host_factory('debian12')
    prepare(host)
    tl.converge(host, {'mode': 'tcp', 'activation': 'socket'})
    tl.converge(host, OLD_ARGS)
    add_host(host, tmp_path)
    reboot(host)
    assert host.listening() == set()


def test_keep_tls_needs_the_certificates(host_factory, tmp_path):
    """listen_tls = 1 without certificates is not CloudStack's set-up: the requested mode wins."""
    host = host_factory('debian12')
    with open(os.path.join(host.root, 'etc/libvirt/libvirtd.conf'), 'a') as f:
        f.write('listen_tls = 1\n')
    res = tl.converge(host, ROLE_ARGS)
    assert res['mode'] == 'tcp' and res['mode_reason'] == 'requested (mode=tcp)'
    assert host.listening() == {16509}


def test_keep_tls_false_applies_the_requested_mode(host_factory, tmp_path):
    host = host_factory('debian12')
    prepare(host)
    tl.converge(host, ROLE_ARGS)
    add_host(host, tmp_path)
    _certificates_resolve(host)
    res = tl.converge(host, dict(ROLE_ARGS, keep_tls=False))
    assert res['mode'] == 'tcp' and host.listening() == {16509}
    assert libvirt_listen.cloudstack_tls('listen_tls = 0\n') is False
