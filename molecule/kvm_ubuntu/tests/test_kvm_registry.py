# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm role on registry images (Ubuntu, EL): the essential end state."""
import os

import testinfra.utils.ansible_runner

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ['MOLECULE_INVENTORY_FILE'])


def peer(host):
    me = host.backend.get_hostname()
    return [h for h in RUNNER.get_hosts('all') if h != me][0]


def test_agent_installed_and_keys_set(host):
    assert host.package('cloudstack-agent').is_installed
    text = host.file('/etc/cloudstack/agent/agent.properties').content_string.splitlines()
    for want in ('hypervisor.type=kvm', 'network.bridge.type=native', 'guest.cpu.mode=host-model'):
        assert want in text


def test_qemu_conf(host):
    lines = host.file('/etc/libvirt/qemu.conf').content_string.splitlines()
    assert 'vnc_listen="0.0.0.0"' in lines


def test_libvirtd_answers_peer_over_tcp(host):
    assert host.service('libvirtd').is_running
    out = host.run('virsh -c qemu+tcp://%s/system version', peer(host))
    assert out.rc == 0, out.stderr


def test_bridge_exists(host):
    assert host.file('/sys/class/net/cloudbr0/bridge').exists


def test_hook_executable(host):
    assert host.file('/etc/libvirt/hooks/custom/start_cshv-log.sh').mode == 0o755


def test_chrony_configured(host):
    conf = host.file('/etc/chrony/chrony.conf') if host.file('/etc/chrony/chrony.conf').exists \
        else host.file('/etc/chrony.conf')
    assert 'pool pool.ntp.org iburst' in conf.content_string
