# SPDX-License-Identifier: GPL-3.0-or-later
"""libvirt_listen: real parsing/rendering on stock files of every distro, fake systemd at the process boundary.

``FakeHost`` stands in for ``run_command`` only: it answers ``libvirtd --version``
and ``systemctl show`` from a per-distro description (fixtures/libvirt/hosts.json)
and applies ``systemctl stop/start/mask/unmask/enable/disable`` to that state with
the failure rules real hosts showed (masked units do not start, a TCP/TLS socket
does not start while libvirtd.service runs, libvirtd dies with ``--listen`` while
activation sockets are active, ``Wants=`` pulls unmasked sockets in).
``listening()`` then says which ports the host would listen on.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from contextlib import contextmanager
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import FakeCommands, ModuleExit, ModuleFail, fail_module, module_env, run_module

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _libvirt as lv
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _systemd
from ansible_collections.cloudstack.hypervisors.plugins.modules import libvirt_listen

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'libvirt')
with open(os.path.join(FIXTURES, 'hosts.json')) as _f:
    HOSTS = dict((k, v) for k, v in json.load(_f).items() if not k.startswith('_'))
DISTROS = sorted(HOSTS)
SOCKET_DISTROS = [d for d in DISTROS if 'libvirtd-tcp.socket' in HOSTS[d]['units']]
LIBVIRTD_SOCKETS = ('libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket',
                    'libvirtd-tcp.socket', 'libvirtd-tls.socket')
OWNED = ('listen_tcp', 'listen_tls', 'tcp_port', 'tls_port', 'auth_tcp', 'auth_tls', 'mdns_adv',
         'key_file', 'cert_file', 'ca_file', 'crl_file')


class FakeHost(object):
    """A systemd host with libvirt installed, at the run_command boundary."""

    def __init__(self, root, distro):
        desc = HOSTS[distro]
        self.root = root
        self.desc = desc
        self.service = desc['service']
        self.units = dict((u, {'file': s[0], 'active': s[1]}) for u, s in desc['units'].items())
        self.before_mask = {}
        m = re.search(r'^(\S+)', desc['environment_files'])
        self.args_file = m.group(1)
        self.args_var = re.search(r'\$(\w+)', desc['exec_start']).group(1)
        # what the running libvirtd read when it started: (daemon args, libvirtd.conf keys)
        self.running = (self.daemon_args() or [], self.conf()) if self.is_active(self.service) else None

    # -- state helpers
    def state(self, unit):
        u = self.units.get(unit)
        if u is None:
            return None
        return u

    def is_active(self, unit):
        u = self.units.get(unit)
        return bool(u) and u['active'] == 'active'

    def daemon_args(self):
        path = os.path.join(self.root, self.args_file.lstrip('/'))
        if not os.path.exists(path):
            return None
        value = None
        with open(path) as f:
            for line in f:
                m = re.match(r'^\s*(?:export\s+)?%s=(.*)$' % self.args_var, line)
                if m:
                    value = m.group(1)
        if value is None:
            return None
        return shlex.split(' '.join(shlex.split(value, comments=True)))

    def conf(self):
        path = os.path.join(self.root, 'etc/libvirt/libvirtd.conf')
        with open(path) as f:
            text = f.read()
        keys = {}
        for line in text.splitlines():
            m = re.match(r'^\s*(\w+)\s*=\s*["\']?([^"\']*)["\']?\s*(?:#.*)?$', line)
            if m:
                keys[m.group(1)] = m.group(2)
        return keys

    def listening(self):
        """Ports libvirt listens on in this state."""
        ports = set()
        if self.is_active('libvirtd-tcp.socket'):
            ports.add(16509)
        if self.is_active('libvirtd-tls.socket'):
            ports.add(16514)
        if not self.is_active(self.service):
            self.running = None
            return ports
        args, conf = self.running
        if '--listen' in args or '-l' in args:
            if conf.get('listen_tcp', '0') == '1':
                ports.add(int(conf.get('tcp_port', 16509)))
            if conf.get('listen_tls', '1') == '1':
                ports.add(int(conf.get('tls_port', 16514)))
        return ports

    # -- the process boundary
    def __call__(self, argv):
        name = argv[0].rsplit('/', 1)[-1]
        if name == 'libvirtd' and argv[1:] == ['--version']:
            return 0, self.desc['version'] + '\n', ''
        if name != 'systemctl':
            return 127, '', '%s: not faked' % name
        verb, units = argv[1], argv[2:]
        if verb == 'show':
            props = argv[2].split('=', 1)[1].split(',')
            return 0, self.show(props, argv[3:]), ''
        return getattr(self, 'do_' + verb.replace('-', '_'))(units)

    def show(self, props, units):
        blocks = []
        for unit in units:
            u = self.units.get(unit)
            values = {'Id': unit}
            if u is None:
                values.update(LoadState='not-found', UnitFileState='', ActiveState='inactive')
            else:
                values.update(LoadState='masked' if u['file'] == 'masked' else 'loaded',
                              UnitFileState=u['file'], ActiveState=u['active'])
            if unit == self.service:
                values.update(EnvironmentFiles=self.desc['environment_files'], ExecStart=self.desc['exec_start'])
            blocks.append('\n'.join('%s=%s' % (p, values.get(p, '')) for p in props))
        return '\n\n'.join(blocks) + '\n'

    def do_stop(self, units):
        for unit in units:
            if unit in self.units:
                self.units[unit]['active'] = 'inactive'
                if unit == 'libvirtd.socket':       # BindsTo=libvirtd.socket
                    for s in ('libvirtd-tcp.socket', 'libvirtd-tls.socket'):
                        if s in self.units:
                            self.units[s]['active'] = 'inactive'
        return 0, '', ''

    def _start_one(self, unit):
        u = self.units.get(unit)
        if u is None:
            return 5, '', 'Failed to start %s: Unit %s not found.' % (unit, unit)
        if u['file'] == 'masked':
            return 1, '', 'Failed to start %s: Unit %s is masked.' % (unit, unit)
        if unit in ('libvirtd-tcp.socket', 'libvirtd-tls.socket'):
            if self.is_active(self.service):
                return 1, '', 'Job for %s failed.' % unit
            self._start_one('libvirtd.socket')
        if unit in ('libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket'):
            if any(self.is_active(v) for v in ('virtproxyd.socket', 'virtproxyd-ro.socket', 'virtproxyd-admin.socket')):
                return 1, '', 'Job for %s failed: Address already in use.' % unit
        if unit == self.service:
            for s in ('libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket'):   # Wants=
                if s in self.units and self.units[s]['file'] != 'masked':
                    rc, out, err = self._start_one(s)
                    if rc:
                        return rc, out, err
            args = self.daemon_args() or []
            if '-d' in args or '--daemon' in args:
                return 1, '', 'Job for %s failed: timeout waiting for READY=1.' % unit
            if ('--listen' in args or '-l' in args) and any(self.is_active(s) for s in LIBVIRTD_SOCKETS):
                return 1, '', ('Job for %s failed: --listen parameter not permitted with systemd '
                               'activation sockets.' % unit)
        u['active'] = 'active'
        if unit == self.service:
            self.running = (self.daemon_args() or [], self.conf())
        return 0, '', ''

    def do_start(self, units):
        for unit in units:
            rc, out, err = self._start_one(unit)
            if rc:
                return rc, out, err
        return 0, '', ''

    def do_mask(self, units):
        for unit in units:
            u = self.units.setdefault(unit, {'file': 'masked', 'active': 'inactive'})
            if u['file'] != 'masked':
                self.before_mask[unit] = u['file']
            u['file'] = 'masked'
        return 0, '', ''

    def do_unmask(self, units):
        for unit in units:
            if unit in self.units and self.units[unit]['file'] == 'masked':
                self.units[unit]['file'] = self.before_mask.pop(unit, 'disabled')
        return 0, '', ''

    def do_enable(self, units):
        for unit in units:
            u = self.units.get(unit)
            if u is None or u['file'] == 'masked':
                return 1, '', 'Failed to enable unit: Unit file %s is masked or missing.' % unit
            u['file'] = 'enabled'
        return 0, '', ''

    def do_disable(self, units):
        for unit in units:
            u = self.units.get(unit)
            if u is not None and u['file'] != 'masked':
                u['file'] = 'disabled'
        return 0, '', ''


@pytest.fixture
def host_factory(tmp_path, monkeypatch):
    def make(distro):
        root = tmp_path / distro
        shutil.copytree(os.path.join(FIXTURES, distro), str(root))
        monkeypatch.setattr(lv, 'ROOT', str(root))
        return FakeHost(str(root), distro)
    return make


def fake(host):
    return FakeCommands(default=host)


def mutations(fake_cmds):
    return [c for c in fake_cmds.ran() if not c.startswith(('systemctl show', 'libvirtd --version', 'lsattr'))]


def snapshot(root):
    out = {}
    for base, dirs, files in os.walk(root):
        for fn in files:
            p = os.path.join(base, fn)
            with open(p, 'rb') as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def converge(host, args, check_first=True):
    """Check-mode run, then the real run; asserts the prediction was exact. Returns the real result."""
    if check_first:
        before = snapshot(host.root)
        units_before = json.dumps(host.units, sort_keys=True)
        cres, cfake = run_module(libvirt_listen.main, args, fake(host), check_mode=True)
        assert mutations(cfake) == [], 'check mode must not change anything'
        assert snapshot(host.root) == before
        assert json.dumps(host.units, sort_keys=True) == units_before
    res, rfake = run_module(libvirt_listen.main, args, fake(host))
    assert res['commands'] == mutations(rfake)
    if check_first:
        assert cres['commands'] == res['commands']
        assert cres['changed'] == res['changed']
        assert cres['diff'] == res['diff']
        assert cres['pending_commands'] == res['pending_commands']
    return res


def changed_lines(before, after):
    """Lines that differ between two texts, as (removed, added) sets."""
    b, a = before.splitlines(), after.splitlines()
    return set(b) - set(a), set(a) - set(b)


def key_of(line):
    m = re.match(r'^\s*#?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=', line)
    return m.group(1) if m else None


# ---------------------------------------------------------------- every distro
@pytest.mark.parametrize('distro', DISTROS)
@pytest.mark.parametrize('mode', ['tcp', 'off'])
def test_create_noop_on_stock_host(host_factory, distro, mode):
    host = host_factory(distro)
    stock = snapshot(host.root)
    res = converge(host, {'mode': mode})
    assert res['changed'] is True
    assert res['activation'] == 'traditional'      # fresh host, auto -> CloudStack's own style
    assert res['restart_required'] is False and res['pending_commands'] == []
    assert host.listening() == ({16509} if mode == 'tcp' else set())
    assert host.is_active(host.service)
    assert all(host.units[s]['file'] == 'masked' for s in LIBVIRTD_SOCKETS if s in host.units)

    # only owned keys changed; every other line, comment and the order kept
    after = snapshot(host.root)
    for rel, text in after.items():
        if stock.get(rel) == text:
            continue
        removed, added = changed_lines(stock.get(rel, b'').decode(), text.decode())
        for line in removed | added:
            assert key_of(line) in OWNED + ('LIBVIRTD_ARGS', 'libvirtd_opts', 'remote_mode'), line
        kept = [ln for ln in stock.get(rel, b'').decode().splitlines() if ln not in removed]
        assert [ln for ln in text.decode().splitlines() if ln in kept] == kept   # order kept

    conf = host.conf()
    assert conf['listen_tcp'] == ('1' if mode == 'tcp' else '0')
    assert conf['listen_tls'] == '0'
    assert ('mdns_adv' in conf) == ('mdns_adv' in stock['etc/libvirt/libvirtd.conf'].decode())
    if mode == 'tcp':
        assert conf['tcp_port'] == '16509' and conf['auth_tcp'] == 'none'
    assert '--listen' in host.daemon_args() or '-l' in host.daemon_args()

    again = converge(host, {'mode': mode})
    assert res['restarted'] is True
    assert again['changed'] is False and again['restarted'] is False
    assert again['commands'] == [] and again['diff'] == []
    assert again['activation'] == 'traditional'
    assert 'already uses --listen' in again['activation_reason'] or distro in ('el7', 'ubuntu1604')


@pytest.mark.parametrize('distro', SOCKET_DISTROS)
@pytest.mark.parametrize('mode', ['tcp', 'off'])
def test_socket_activation(host_factory, distro, mode):
    host = host_factory(distro)
    res = converge(host, {'mode': mode, 'activation': 'socket'})
    assert res['changed'] is True and res['activation'] == 'socket'
    assert host.listening() == ({16509} if mode == 'tcp' else set())
    args = host.daemon_args() or []
    assert '--listen' not in args and '-l' not in args
    assert host.units['libvirtd-tcp.socket']['file'] == ('enabled' if mode == 'tcp' else 'masked')
    assert host.units['libvirtd-tls.socket']['file'] == 'masked'
    again = converge(host, {'mode': mode, 'activation': 'socket'})
    assert again['changed'] is False and again['commands'] == []
    auto = converge(host, {'mode': mode})
    assert auto['changed'] is False and auto['activation'] == 'socket'
    assert 'already uses socket activation' in auto['activation_reason']


@pytest.mark.parametrize('distro', DISTROS)
@pytest.mark.parametrize('mode', ['tcp', 'off', 'tls'])
@pytest.mark.parametrize('activation', ['traditional', 'socket', 'auto'])
@pytest.mark.parametrize('start', ['stock', 'traditional', 'socket'])
def test_auto_keeps_every_state_it_can_reach(host_factory, distro, mode, activation, start):
    """From any start, converge with any activation, then auto with the same mode changes nothing."""
    host = host_factory(distro)
    socket_ok = distro in SOCKET_DISTROS
    if (activation == 'socket' or start == 'socket') and not socket_ok:
        pytest.skip('no socket activation in this libvirt')
    for name in ('CA/cacert.pem', 'libvirt/servercert.pem', 'libvirt/private/serverkey.pem'):
        p = os.path.join(host.root, 'etc/pki', name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, 'w').close()
    if start != 'stock':
        converge(host, {'mode': 'tcp', 'activation': start})
    first = converge(host, {'mode': mode, 'activation': activation})
    expected_ports = {'tcp': {16509}, 'tls': {16514}, 'off': set()}[mode]
    assert host.listening() == expected_ports
    auto = converge(host, {'mode': mode})
    assert auto['changed'] is False and auto['commands'] == [], auto['activation_reason']
    assert auto['activation'] == first['activation']
    assert host.listening() == expected_ports


def test_debian12_exact_traditional_sequence(host_factory):
    host = host_factory('debian12')
    res = converge(host, {'mode': 'tcp'})
    assert res['commands'] == [
        'systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket',
        'systemctl mask libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tls.socket '
        'libvirtd-tcp.socket',
        'systemctl start libvirtd.service',
    ]
    assert [d['after_header'] for d in res['diff']] == ['/etc/libvirt/libvirtd.conf', '/etc/default/libvirtd']
    conf_diff = res['diff'][0]
    assert '#listen_tcp = 1\nlisten_tcp = 1\n' in conf_diff['after']
    assert '#tcp_port = "16509"\ntcp_port = "16509"\n' in conf_diff['after']
    assert '#auth_tcp = "sasl"\nauth_tcp = "none"\n' in conf_diff['after']
    assert '#LIBVIRTD_ARGS="--listen"\nLIBVIRTD_ARGS="--listen"\n' in res['diff'][1]['after']
    assert res['files'] == {'libvirtd_conf': '/etc/libvirt/libvirtd.conf', 'daemon_args': '/etc/default/libvirtd',
                            'daemon_args_variable': 'LIBVIRTD_ARGS', 'libvirt_conf': None}
    assert res['libvirt_version'] == '9.0.0'
    assert res['detected']['current_activation'] == 'none'
    assert 'cloudstack-setup-agent' in res['activation_reason']


def test_debian12_exact_socket_sequence(host_factory):
    host = host_factory('debian12')
    res = converge(host, {'mode': 'tcp', 'activation': 'socket'})
    assert res['commands'] == [
        'systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket',
        'systemctl mask libvirtd-tls.socket',
        'systemctl enable libvirtd-tcp.socket',
        'systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tcp.socket',
        'systemctl start libvirtd.service',
    ]


def test_el9_modular_daemons_masked_and_legacy_remote_mode(host_factory):
    host = host_factory('el9')
    res = converge(host, {'mode': 'tcp'})
    modular = [u for u in host.units if u.startswith('virt')]
    assert all(host.units[u]['file'] == 'masked' and host.units[u]['active'] == 'inactive' for u in modular)
    assert host.units['libvirtd.service'] == {'file': 'enabled', 'active': 'active'}
    assert host.listening() == {16509}
    with open(os.path.join(host.root, 'etc/libvirt/libvirt.conf')) as f:
        assert re.search(r'^remote_mode = "legacy"$', f.read(), re.M)
    assert res['files']['libvirt_conf'] == '/etc/libvirt/libvirt.conf'
    assert sorted(res['detected']['modular_daemons']) == sorted(modular)
    # only the client-side libvirt.conf drifts: changed, but no restart
    with open(os.path.join(host.root, 'etc/libvirt/libvirt.conf'), 'a') as f:
        f.write('remote_mode = "direct"\n')
    drift = converge(host, {'mode': 'tcp'})
    assert drift['changed'] is True and drift['restarted'] is False and drift['commands'] == []
    assert [d['after_header'] for d in drift['diff']] == ['/etc/libvirt/libvirt.conf']
    assert 'systemctl enable libvirtd.service' in res['commands']
    assert converge(host, {'mode': 'tcp'})['changed'] is False


def test_el9_socket_activation_after_modular(host_factory):
    host = host_factory('el9')
    converge(host, {'mode': 'tcp', 'activation': 'socket'})
    assert host.listening() == {16509}
    assert host.units['virtproxyd.socket']['file'] == 'masked'


def test_el8_timeout_dropped_in_traditional_mode(host_factory):
    host = host_factory('el8')
    converge(host, {'mode': 'tcp'})
    assert host.daemon_args() == ['--listen']


def test_el7_no_socket_activation(host_factory):
    host = host_factory('el7')
    res = converge(host, {'mode': 'tcp'})
    assert res['activation'] == 'traditional'
    assert 'has no systemd socket activation' in res['activation_reason']
    assert res['commands'] == ['systemctl stop libvirtd.service', 'systemctl start libvirtd.service']
    assert host.conf()['mdns_adv'] == '0'
    result, f = fail_module(libvirt_listen.main, {'mode': 'tcp', 'activation': 'socket'}, fake(host))
    assert 'activation=socket needs libvirt 5.6' in result['msg'] and '4.5.0' in result['msg']
    assert mutations(f) == []


def test_ubuntu2004_uses_libvirtd_opts(host_factory):
    host = host_factory('ubuntu2004')
    res = converge(host, {'mode': 'tcp'})
    assert res['files']['daemon_args_variable'] == 'libvirtd_opts'
    with open(os.path.join(host.root, 'etc/default/libvirtd')) as f:
        text = f.read()
    assert '#libvirtd_opts=""\nlibvirtd_opts="--listen"\n' in text
    assert 'LIBVIRTD_ARGS' not in text
    assert host.listening() == {16509}


def test_ubuntu1604_legacy_libvirt_bin_drops_daemon_flag(host_factory):
    host = host_factory('ubuntu1604')
    res = converge(host, {'mode': 'tcp'})
    assert res['detected']['service'] == 'libvirt-bin.service'
    assert res['files']['daemon_args'] == '/etc/default/libvirt-bin'
    assert host.daemon_args() == ['--listen']
    assert host.listening() == {16509}


def test_daemon_args_file_guessed_without_unit_information(host_factory):
    host = host_factory('ubuntu2204')
    host.desc = dict(host.desc, environment_files='', exec_start='')
    res = converge(host, {'mode': 'off'})
    assert res['files']['daemon_args'] == '/etc/default/libvirtd'
    assert res['files']['daemon_args_variable'] == 'libvirtd_opts'


# ---------------------------------------------------------------- transitions and drift
def test_tcp_to_off_to_tls_and_back(host_factory):
    host = host_factory('debian12')
    converge(host, {'mode': 'tcp'})
    res = converge(host, {'mode': 'off'})
    assert res['changed'] and host.listening() == set()
    assert res['commands'] == ['systemctl stop libvirtd.service', 'systemctl start libvirtd.service']
    for name in ('CA/cacert.pem', 'libvirt/servercert.pem', 'libvirt/private/serverkey.pem'):
        p = os.path.join(host.root, 'etc/pki', name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, 'w').close()
    res = converge(host, {'mode': 'tls'})
    assert host.listening() == {16514}
    conf = host.conf()
    assert conf['key_file'] == '/etc/pki/libvirt/private/serverkey.pem'
    assert conf['cert_file'] == '/etc/pki/libvirt/servercert.pem'
    assert conf['ca_file'] == '/etc/pki/CA/cacert.pem' and conf['auth_tls'] == 'none'
    assert converge(host, {'mode': 'tls'})['changed'] is False
    converge(host, {'mode': 'tcp'})
    assert host.listening() == {16509}


@pytest.mark.parametrize('distro', SOCKET_DISTROS)
def test_traditional_to_socket_and_back(host_factory, distro):
    host = host_factory(distro)
    converge(host, {'mode': 'tcp', 'activation': 'traditional'})
    res = converge(host, {'mode': 'tcp', 'activation': 'socket'})
    assert res['commands'][:2] == [
        'systemctl stop libvirtd.service',
        'systemctl unmask libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tcp.socket']
    assert host.listening() == {16509}
    assert host.units['libvirtd-tls.socket']['file'] == 'masked'
    converge(host, {'mode': 'tcp', 'activation': 'traditional'})
    assert host.listening() == {16509}
    assert converge(host, {'mode': 'tcp'})['changed'] is False


def test_drift_is_put_back(host_factory):
    host = host_factory('debian12')
    converge(host, {'mode': 'tcp'})
    conf = os.path.join(host.root, 'etc/libvirt/libvirtd.conf')
    with open(conf) as f:
        text = f.read()
    with open(conf, 'w') as f:
        f.write(text.replace('listen_tcp = 1\n', "listen_tcp = 0\n").replace('tcp_port = "16509"', "tcp_port = '16509'"))
    host.do_unmask(['libvirtd.socket'])
    host.do_stop(['libvirtd.service'])
    host._start_one('libvirtd.socket')
    res = converge(host, {'mode': 'tcp'})
    assert res['changed'] is True
    assert res['commands'] == ['systemctl stop libvirtd.socket', 'systemctl mask libvirtd.socket',
                               'systemctl start libvirtd.service']
    assert len(res['diff']) == 1
    # the differently quoted but equal tcp_port is not rewritten
    assert "tcp_port = '16509'" in res['diff'][0]['after']
    assert host.listening() == {16509}


def test_stopped_daemon_is_started(host_factory):
    host = host_factory('debian11')
    converge(host, {'mode': 'tcp'})
    host.do_stop(['libvirtd.service'])
    res = converge(host, {'mode': 'tcp'})
    assert res['changed'] and res['commands'] == ['systemctl start libvirtd.service'] and res['diff'] == []


def test_duplicate_and_garbage_free_keys_collapsed(host_factory):
    host = host_factory('debian12')
    conf = os.path.join(host.root, 'etc/libvirt/libvirtd.conf')
    with open(conf, 'a') as f:
        f.write('listen_tcp = 0\nlisten_tcp = 0  # twice\nunix_sock_group = "libvirt"\n')
    converge(host, {'mode': 'tcp'})
    with open(conf) as f:
        text = f.read()
    assert len(re.findall(r'^listen_tcp\b', text, re.M)) == 1
    assert 'unix_sock_group = "libvirt"\n' in text


def test_custom_port_and_sasl(host_factory):
    host = host_factory('debian12')
    res = converge(host, {'mode': 'tcp', 'tcp_port': 16600, 'auth_tcp': 'sasl'})
    assert res['activation'] == 'traditional' and 'tcp_port=16600' in res['activation_reason']
    assert host.conf()['tcp_port'] == '16600' and host.conf()['auth_tcp'] == 'sasl'
    assert host.listening() == {16600}


def test_socket_activation_rejects_custom_port(host_factory):
    host = host_factory('debian12')
    before = snapshot(host.root)
    result, f = fail_module(libvirt_listen.main, {'mode': 'tcp', 'activation': 'socket', 'tcp_port': 16600},
                            fake(host))
    assert 'tcp_port=16600 needs activation=traditional' in result['msg']
    assert mutations(f) == [] and snapshot(host.root) == before


# ---------------------------------------------------------------- restart: false
def test_restart_false_hands_the_restart_over(host_factory):
    host = host_factory('debian12')
    res = converge(host, {'mode': 'tcp', 'restart': False})
    assert res['changed'] is True and res['restart_required'] is True and res['restarted'] is False
    assert res['commands'] == ['systemctl mask libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket '
                               'libvirtd-tls.socket libvirtd-tcp.socket']
    assert res['pending_commands'] == [
        'systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket',
        'systemctl start libvirtd.service']
    assert host.listening() == set()          # nothing restarted yet
    for cmd in res['pending_commands']:       # what a handler does
        assert host(cmd.split())[0] == 0
    assert host.listening() == {16509}
    again = converge(host, {'mode': 'tcp', 'restart': False})
    assert again['changed'] is False and again['restart_required'] is False and again['pending_commands'] == []


# ---------------------------------------------------------------- check mode / diff / backup
def test_check_mode_on_fresh_host_changes_nothing_and_predicts(host_factory):
    host = host_factory('debian13')
    before = snapshot(host.root)
    res, f = run_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host), check_mode=True)
    assert res['changed'] is True and len(res['commands']) == 3
    assert snapshot(host.root) == before and mutations(f) == []
    real, f2 = run_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host))
    assert real['commands'] == res['commands'] == mutations(f2)


def test_diff_off_when_not_asked(host_factory):
    host = host_factory('debian12')
    res, f = run_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host), diff=False)
    assert 'diff' not in res


def test_backup(host_factory):
    host = host_factory('debian12')
    res = converge(host, {'mode': 'tcp', 'backup': True})
    assert set(res['backup_files']) == {'/etc/libvirt/libvirtd.conf', '/etc/default/libvirtd'}
    for path in res['backup_files'].values():
        assert os.path.exists(path)


def test_file_mode_kept(host_factory):
    host = host_factory('debian12')
    conf = os.path.join(host.root, 'etc/libvirt/libvirtd.conf')
    os.chmod(conf, 0o600)
    converge(host, {'mode': 'tcp'})
    assert os.stat(conf).st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- bad input
def assert_untouched(host, call):
    before = snapshot(host.root)
    units = json.dumps(host.units, sort_keys=True)
    result, f = call()
    assert result['failed'] is True
    assert mutations(f) == []
    assert snapshot(host.root) == before and json.dumps(host.units, sort_keys=True) == units
    return result


@pytest.mark.parametrize('port', [0, -1, 65536, 100000])
@pytest.mark.parametrize('name', ['tcp_port', 'tls_port'])
def test_bad_port(host_factory, name, port):
    host = host_factory('debian12')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tcp', name: port}, fake(host)))
    assert result['msg'] == '%s=%s is not a TCP port; use a number from 1 to 65535.' % (name, port)


def test_unknown_mode(host_factory):
    host = host_factory('debian12')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'udp'}, fake(host)))
    assert 'mode' in result['msg'] and 'udp' in result['msg']


def test_unknown_activation(host_factory):
    host = host_factory('debian12')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tcp', 'activation': 'inetd'},
                                                        fake(host)))
    assert 'inetd' in result['msg']


def test_mode_is_required(host_factory):
    host = host_factory('debian12')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {}, fake(host)))
    assert 'mode' in result['msg']


@pytest.mark.parametrize('missing', ['ca_file', 'cert_file', 'key_file', 'crl_file'])
def test_tls_without_certificates(host_factory, missing):
    host = host_factory('debian12')
    paths = {'ca_file': '/etc/pki/CA/cacert.pem', 'cert_file': '/etc/pki/libvirt/servercert.pem',
             'key_file': '/etc/pki/libvirt/private/serverkey.pem', 'crl_file': '/etc/pki/CA/crl.pem'}
    for name, path in paths.items():
        if name != missing:
            p = os.path.join(host.root, path.lstrip('/'))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, 'w').close()
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tls', 'crl_file': paths['crl_file']},
                                                        fake(host)))
    assert result['msg'] == ('mode=tls needs %s %s, which does not exist on the host; place the certificates first.'
                             % (missing, paths[missing]))


def test_tls_check_mode_also_refuses_missing_certificates(host_factory):
    host = host_factory('debian12')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tls'}, fake(host),
                                                        check_mode=True))
    assert 'ca_file /etc/pki/CA/cacert.pem' in result['msg']


@pytest.mark.parametrize('line,why', [
    ('listen_tcp = yes', 'the value must be a number or a quoted string'),
    ('tcp_port = "16509', 'the value must be a number or a quoted string'),
    ('this is not a setting', 'not a "name = value" assignment'),
    ('access_drivers = [ "polkit"', 'list "[" is never closed'),
])
def test_unparseable_libvirtd_conf(host_factory, line, why):
    host = host_factory('debian12')
    with open(os.path.join(host.root, 'etc/libvirt/libvirtd.conf'), 'a') as f:
        f.write(line + '\n')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host)))
    assert result['msg'].startswith('Cannot parse /etc/libvirt/libvirtd.conf line 537 (%r): %s' % (line, why))


def test_unparseable_daemon_args(host_factory):
    host = host_factory('debian12')
    with open(os.path.join(host.root, 'etc/default/libvirtd'), 'a') as f:
        f.write('LIBVIRTD_ARGS="--listen\n')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host)))
    assert result['msg'].startswith('Cannot parse /etc/default/libvirtd line')
    assert 'LIBVIRTD_ARGS="--listen' in result['msg']


def test_unparseable_libvirt_conf_on_modular_host(host_factory):
    host = host_factory('el9')
    with open(os.path.join(host.root, 'etc/libvirt/libvirt.conf'), 'a') as f:
        f.write('remote_mode = legacy\n')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host)))
    assert 'Cannot parse /etc/libvirt/libvirt.conf' in result['msg'] and 'remote_mode = legacy' in result['msg']


def test_unreadable_version(host_factory):
    host = host_factory('debian12')
    host.desc = dict(host.desc, version='libvirtd (libvirt) unknown')
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host)))
    assert "libvirtd (libvirt) unknown" in result['msg']


def test_no_libvirtd_service_unit(host_factory):
    host = host_factory('debian12')
    del host.units['libvirtd.service']
    result = assert_untouched(host, lambda: fail_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host)))
    assert result['msg'].startswith('No libvirtd.service unit is installed (libvirt 9.0.0)')


@contextmanager
def missing_binaries(*names):
    """Inside module_env: get_bin_path finds nothing for *names* (the process boundary again)."""
    def _bin(self, arg, required=False, opt_dirs=None):
        if arg in names:
            if required:
                self.fail_json(msg='Failed to find required executable "%s"' % arg)
            return None
        return '/usr/bin/%s' % arg
    with mock.patch.object(basic.AnsibleModule, 'get_bin_path', _bin):
        yield


def run_without(main, args, host, names, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)
    f = fake(host)
    with module_env(f), missing_binaries(*names), patch_module_args(args):
        with pytest.raises((ModuleExit, ModuleFail)) as exc:
            main()
    return exc.value.result, f


def test_libvirt_not_installed(host_factory):
    host = host_factory('debian12')
    result = assert_untouched(host, lambda: run_without(libvirt_listen.main, {'mode': 'tcp'}, host, ['libvirtd']))
    assert result['msg'].startswith('libvirtd was not found on the host')


def test_libvirt_not_installed_check_mode_predicts_change(host_factory):
    host = host_factory('debian12')
    result, f = run_without(libvirt_listen.main, {'mode': 'tcp'}, host, ['libvirtd'], check_mode=True)
    assert result.get('failed') is None and result['changed'] is True and result['commands'] == []
    assert 'not installed' in result['msg']
    assert f.calls == []


def test_no_systemctl(host_factory):
    host = host_factory('debian12')
    result = assert_untouched(host, lambda: run_without(libvirt_listen.main, {'mode': 'tcp'}, host, ['systemctl']))
    assert result['msg'] == 'systemctl was not found; libvirt_listen manages systemd hosts only.'


def test_failing_command_reports_it(host_factory, monkeypatch):
    monkeypatch.setattr(libvirt_listen, 'START_SETTLE_SECONDS', 1)
    host = host_factory('debian12')
    real_start = host.do_start
    host.do_start = lambda units: (1, '', 'Job for libvirtd.service failed.') if units == ['libvirtd.service'] \
        else real_start(units)
    result, f = fail_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host))
    assert 'systemctl start libvirtd.service' in result['msg'] and 'Job for libvirtd.service failed.' in result['msg']
    assert result['commands'][-1] == 'systemctl start libvirtd.service'


def test_failing_start_names_the_daemons_own_reason(host_factory, monkeypatch):
    """systemctl says only "control process exited with error code": the unit's last journal
    lines (libvirtd's own reason) are added to the message and returned as why."""
    monkeypatch.setattr(libvirt_listen, 'START_SETTLE_SECONDS', 1)
    host = host_factory('debian12')
    real_start = host.do_start
    host.do_start = lambda units: (1, '', 'Job for libvirtd.service failed because the control process exited '
                                          'with error code.') if units == ['libvirtd.service'] else real_start(units)
    journal = 'error : virPidFileAcquirePath:422 : Failed to acquire pid file \'/run/libvirtd.pid\': Resource temporarily unavailable'
    cmds = FakeCommands({('journalctl', '--no-pager', '-o', 'cat', '-n', '15', '-u', 'libvirtd.service'): (0, journal + '\n', '')},
                        default=host)
    result, f = fail_module(libvirt_listen.main, {'mode': 'tcp'}, cmds)
    assert 'systemctl start libvirtd.service' in result['msg']
    assert 'Last journal lines of libvirtd.service:' in result['msg'] and 'Failed to acquire pid file' in result['msg']
    assert result['why'].endswith('Resource temporarily unavailable')
    assert result['changed'] is True


def test_a_start_that_systemd_restarts_itself_counts(host_factory):
    """systemctl start fails (219/CGROUP right after the stop, Debian 11 in the lab) and systemd's
    Restart=on-failure brings the unit up a moment later: the module goes on and says so."""
    host = host_factory('debian12')
    real_start = host.do_start

    def start(units):
        real_start(units)  # systemd's own restart made it active
        if units == ['libvirtd.service']:
            return 1, '', 'Job for libvirtd.service failed because the control process exited with error code.'
        return 0, '', ''
    host.do_start = start
    result, f = run_module(libvirt_listen.main, {'mode': 'tcp'}, fake(host))
    assert result['changed'] is True and result['restarted'] is True
    assert result['commands'][-1] == 'systemctl start libvirtd.service'
    assert len(result['start_notes']) == 1
    assert result['start_notes'][0].startswith('systemctl start libvirtd.service failed at first (Job for')


# ---------------------------------------------------------------- module_utils
@pytest.mark.parametrize('distro', DISTROS)
def test_every_stock_file_parses(distro):
    base = os.path.join(FIXTURES, distro)
    for rel in ('etc/libvirt/libvirtd.conf', 'etc/libvirt/libvirt.conf'):
        with open(os.path.join(base, rel)) as f:
            assert lv.check_conf_syntax(f.read()) is None, rel
    for rel in ('etc/default/libvirtd', 'etc/sysconfig/libvirtd', 'etc/default/libvirt-bin'):
        p = os.path.join(base, rel)
        if os.path.exists(p):
            with open(p) as f:
                assert lv.check_shell_syntax(f.read()) is None, rel


def test_conf_syntax_accepts_multiline_lists_and_comments():
    text = 'a = [\n  "x", # one\n  "y",\n]\nb = 1  # c\nc = \'s\'\n'
    assert lv.check_conf_syntax(text) is None
    assert lv.check_conf_syntax('a = ["x" "y"]\n')[0] == 1


@pytest.mark.parametrize('raw,value', [('1', 1), ('"none"', 'none'), ("'16509'", '16509'), ('"x" # c', 'x'),
                                       ('0  # off', 0), (None, None)])
def test_conf_value(raw, value):
    assert lv.conf_value(raw) == value


@pytest.mark.parametrize('words,listen,out', [
    ([], True, ['--listen']),
    (['--timeout', '120'], True, ['--listen']),
    (['--timeout=120', '-v'], True, ['-v', '--listen']),
    (['-d'], True, ['--listen']),
    (['-d', '-l'], True, ['-l']),
    (['--listen', '--timeout', '120'], False, ['--timeout', '120']),
    (['-l', '--listen'], True, ['-l']),
    (['--config', '/etc/x.conf'], False, ['--config', '/etc/x.conf']),
])
def test_edit_daemon_args(words, listen, out):
    assert lv.edit_daemon_args(words, listen) == out


def test_parse_version():
    assert lv.parse_version('libvirtd (libvirt) 9.0.0\n') == (9, 0, 0)
    assert lv.parse_version('libvirtd (libvirt) 10.5') == (10, 5, 0)
    assert lv.parse_version('nothing') is None


def test_systemd_parse_show_by_position_and_id():
    out = 'Id=a.service\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\n\n' \
          'Id=b.socket\nLoadState=masked\nUnitFileState=masked\nActiveState=inactive\n'
    units = _systemd.parse_show(out, ['a.service', 'b.socket'])
    assert units['a.service'].enabled and units['a.service'].active and not units['a.service'].masked
    assert units['b.socket'].masked and units['b.socket'].exists and not units['b.socket'].enabled
    units = _systemd.parse_show(out, ['a.service', 'b.socket', 'c.socket'])
    assert units['c.socket'].exists is False and units['a.service'].enabled


def test_systemd_unit_environment_and_exec():
    u = _systemd.Unit('x', {'EnvironmentFiles': '/etc/default/libvirtd (ignore_errors=yes) /etc/x (ignore_errors=no)',
                            'ExecStart': '{ path=/usr/sbin/libvirtd ; argv[]=/usr/sbin/libvirtd $LIBVIRTD_ARGS ; '
                                         'ignore_errors=no }'})
    assert u.environment_files() == ['/etc/default/libvirtd', '/etc/x']
    assert u.exec_start_variables() == ['LIBVIRTD_ARGS']


@pytest.mark.parametrize('text', [
    'mdns_adv = 1\n',                                     # the first line
    '# local settings\nlisten_tcp = 1\nmdns_adv = 1\n',   # below the first line (issue 14: was never found)
    'listen_tcp = 1\n  mdns_adv=1\n',                     # indented, no spaces around =
    'listen_tcp = 1\n#mdns_adv = 1\n',                    # a commented example of the key
])
def test_mdns_adv_is_turned_off_wherever_the_file_names_it(text):
    module = mock.Mock(params={'mode': 'tcp', 'tcp_port': 16509, 'auth_tcp': 'none'})
    assert libvirt_listen.want_libvirtd_conf(module, text)['mdns_adv'] == 0


def test_mdns_adv_is_not_written_where_this_libvirt_does_not_know_it():
    module = mock.Mock(params={'mode': 'tcp', 'tcp_port': 16509, 'auth_tcp': 'none'})
    assert 'mdns_adv' not in libvirt_listen.want_libvirtd_conf(module, '# stock\nlisten_tcp = 0\n# mdns_advx = 1\n')
