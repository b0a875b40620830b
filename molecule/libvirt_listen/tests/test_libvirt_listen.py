# SPDX-License-Identifier: GPL-3.0-or-later
"""libvirt_listen / selinux_permissive end state on real lab hosts.

lv1 listens the traditional way, lv2 by socket activation (molecule.yml); each
host must reach the other's libvirtd over unauthenticated TCP 16509.
"""
import os

import pytest
import testinfra.utils.ansible_runner

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ['MOLECULE_INVENTORY_FILE'])
SOCKETS = ('libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket', 'libvirtd-tls.socket',
           'libvirtd-tcp.socket')


def name_of(host):
    return host.backend.get_hostname()


def peer_address(host):
    me = name_of(host)
    peer = [h for h in RUNNER.get_hosts('all') if h != me][0]
    return RUNNER.get_variables(peer)['ansible_host']


def activation(host):
    return RUNNER.get_variables(name_of(host))['lv_activation']


def test_peer_libvirt_answers_over_tcp(host):
    out = host.run('virsh -c qemu+tcp://%s/system version', peer_address(host))
    assert out.rc == 0, out.stderr
    assert 'Running hypervisor' in out.stdout or 'Using API' in out.stdout


def test_libvirtd_listens_on_16509(host):
    out = host.check_output("ss -Hltn 'sport = :16509'")
    assert 'LISTEN' in out, out


def test_libvirtd_conf_has_the_guides_settings_and_keeps_the_rest(host):
    conf = host.file('/etc/libvirt/libvirtd.conf').content_string
    lines = conf.splitlines()
    for want in ('listen_tcp = 1', 'listen_tls = 0', 'tcp_port = "16509"', 'auth_tcp = "none"'):
        assert lines.count(want) == 1, want
    # stock comments are still there, and each setting sits under its commented example
    assert '#listen_tcp = 1' in lines
    assert lines[lines.index('#listen_tcp = 1') + 1] == 'listen_tcp = 1'
    assert '#unix_sock_group = "libvirt"' in lines


def test_activation_style(host):
    args = host.file('/etc/default/libvirtd').content_string
    active = [ln for ln in args.splitlines() if ln.startswith('LIBVIRTD_ARGS=')]
    if activation(host) == 'traditional':
        assert active == ['LIBVIRTD_ARGS="--listen"']
        for sock in SOCKETS:
            assert host.run('systemctl is-enabled %s', sock).stdout.strip() == 'masked', sock
            assert not host.service(sock).is_running, sock
        assert host.service('libvirtd').is_enabled
    else:
        assert not [ln for ln in active if '--listen' in ln]
        assert host.service('libvirtd-tcp.socket').is_enabled
        assert host.service('libvirtd-tcp.socket').is_running
        assert not host.service('libvirtd-tls.socket').is_running
    assert host.service('libvirtd').is_running or activation(host) == 'socket'


def test_libvirtd_journal_has_no_listen_conflict(host):
    log = host.run('journalctl -u libvirtd --no-pager -o cat').stdout
    assert 'not permitted with systemd activation sockets' not in log


@pytest.mark.parametrize('hostname', ['lv1'])
def test_selinux_config_permissive_rest_kept(host, hostname):
    if name_of(host) != hostname:
        pytest.skip('SELinux file logic is exercised on lv1 only')
    lines = host.file('/etc/selinux/config').content_string.splitlines()
    assert [ln for ln in lines if ln.startswith('SELINUX=')] == ['SELINUX=permissive']
    assert 'SELINUXTYPE=targeted' in lines
    assert '#    grubby --update-kernel ALL --args selinux=0' in lines
    assert host.run('getenforce').stdout.strip() == 'Disabled'
