# SPDX-License-Identifier: GPL-3.0-or-later
"""End-state checks shared by the three hosts of the kvm scenario.

Each host's test module (test_kvm.py: kvm1, test_kvm_ovs.py: ovs1, test_lxc.py:
lxc1) names its host in ``testinfra_hosts``, defines an ``expect`` fixture (what
molecule.yml asked for that host) and imports these tests.
"""
from __future__ import annotations

import json
import os

import pytest
import testinfra.utils.ansible_runner

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ['MOLECULE_INVENTORY_FILE'])
# 16514: CloudStack's TLS listener after Add Host (kvm_libvirt_keep_tls, open from the first run)
PORTS = ['22', '1798', '5900:6100', '49152:49216', '16509', '16514']


def name_of(host):
    return host.backend.get_hostname()


def hostvars(host):
    return RUNNER.get_variables(name_of(host))


def peer_address(host):
    me = name_of(host)
    peer = [h for h in RUNNER.get_hosts('all') if h != me][0]
    return RUNNER.get_variables(peer)['ansible_host']


def properties(host):
    keys = {}
    for line in host.file('/etc/cloudstack/agent/agent.properties').content_string.splitlines():
        line = line.strip()
        if line and not line.startswith('#') and '=' in line:
            k, v = line.split('=', 1)
            keys[k.strip()] = v.strip()
    return keys


def test_agent_is_the_lab_fixture_package(host):
    pkg = host.package('cloudstack-agent')
    assert pkg.is_installed
    assert 'fixture' in pkg.version, 'the lab installs the FIXTURE package, got %s' % pkg.version
    assert host.file('/etc/apt/sources.list.d/cloudstack.sources').contains('Signed-By: /etc/apt/keyrings/cloudstack.gpg')


def test_agent_properties_owned_keys(host, expect):
    keys = properties(host)
    gateway = hostvars(host)['ansible_host'].rsplit('.', 1)[0] + '.1'
    want = {'hypervisor.type': expect['hypervisor_type'],
            'network.bridge.type': expect['bridge_type'],
            'host': gateway}
    want.update(expect.get('agent_keys', {}))
    for key, value in want.items():
        assert keys.get(key) == value, (key, keys.get(key), value)


def test_agent_properties_mode_is_what_add_host_leaves(host):
    # keystore-setup makes it 0600 (it holds keystore.passphrase); the role never loosens it
    assert host.file('/etc/cloudstack/agent/agent.properties').mode == 0o600


def test_libvirt_activation_survives_add_host(host):
    # traditional: --listen in LIBVIRTD_ARGS and the sockets masked, as cloudstack-setup-agent leaves them
    assert host.file('/etc/default/libvirtd').contains('^LIBVIRTD_ARGS=.*--listen')
    for unit in ('libvirtd.socket', 'libvirtd-tcp.socket', 'libvirtd-tls.socket'):
        assert host.run('systemctl is-enabled %s' % unit).stdout.strip() == 'masked', unit


def test_agent_properties_other_keys_untouched(host):
    text = host.file('/etc/cloudstack/agent/agent.properties').content_string
    # the fixture's own lines and comments are still there: the file was edited key by key
    assert '# FIXTURE agent.properties' in text
    assert 'resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource' in text
    assert 'Ansible managed' not in text
    keys = [ln.split('=', 1)[0] for ln in text.splitlines() if ln and not ln.startswith('#') and '=' in ln]
    assert len(keys) == len(set(keys)), 'a key appears twice'


def test_qemu_conf_keys(host):
    lines = host.file('/etc/libvirt/qemu.conf').content_string.splitlines()
    for want in ('vnc_listen="0.0.0.0"', 'security_driver="none"', 'user="root"', 'group="root"'):
        assert lines.count(want) == 1, want
    assert '#vnc_listen = "0.0.0.0"' in lines, 'stock comments kept'


def test_libvirtd_running_and_enabled(host):
    svc = host.service('libvirtd')
    assert svc.is_running
    assert svc.is_enabled


def test_peer_reaches_libvirtd_over_tcp(host):
    out = host.run('virsh -c qemu+tcp://%s/system version', peer_address(host))
    assert out.rc == 0, out.stderr
    assert 'Running hypervisor' in out.stdout


def test_linux_bridges(host, expect):
    for br in expect.get('linux_bridges', []):
        link = json.loads(host.check_output('ip -j -d link show dev %s', br['name']))[0]
        assert link['linkinfo']['info_kind'] == 'bridge', br['name']
        assert link['linkinfo']['info_data']['stp_state'] == (1 if br['stp'] else 0), br['name']
        ports = sorted(p['ifname'] for p in json.loads(host.check_output('ip -j link show master %s', br['name'])))
        assert ports == sorted(br['ports']), (br['name'], ports)
        assert 'iface %s inet manual' % br['name'] in host.check_output(
            'cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null')


def test_ovs_bridges(host, expect):
    for br in expect.get('ovs_bridges', []):
        assert host.run('ovs-vsctl br-exists %s', br['name']).rc == 0, br['name']
        if 'parent' in br:
            assert host.check_output('ovs-vsctl br-to-parent %s', br['name']) == br['parent']
            assert host.check_output('ovs-vsctl br-to-vlan %s', br['name']) == str(br['vlan'])
        else:
            assert host.check_output('ovs-vsctl get bridge %s datapath_type', br['name']).strip('"') == 'netdev'
            ports = host.check_output('ovs-vsctl list-ports %s', br['name']).split()
            for port in br['uplinks']:
                assert port in ports


def test_bridge_module_blacklisted_with_ovs(host, expect):
    f = host.file('/etc/modprobe.d/cloudstack-hypervisors-ovs.conf')
    if expect['bridge_type'] == 'openvswitch':
        assert f.contains('^blacklist bridge$')
    else:
        assert not f.exists


def test_firewall_rules_present_and_persistent(host, expect):
    kind = expect['firewall']
    if kind == 'iptables':
        running = host.check_output('iptables -S INPUT')
        saved = host.file('/etc/iptables/rules.v4').content_string
        for port in PORTS:
            rule = '-A INPUT -p tcp -m tcp --dport %s -m comment --comment cloudstack-hypervisors -j ACCEPT' % port
            assert rule in running, port
            assert rule in saved, port
        if host.package('ufw').is_installed:
            # the agent brought ufw, which breaks netfilter-persistent: the role's own unit loads the rules
            assert host.service('cloudstack-hypervisors-iptables').is_enabled
            assert not host.package('iptables-persistent').is_installed
            assert not host.package('netfilter-persistent').is_installed
        else:
            assert host.service('netfilter-persistent').is_enabled
    elif kind == 'ufw':
        status = host.check_output('ufw status')
        assert 'Status: active' in status
        saved = host.file('/etc/ufw/user.rules').content_string
        for port in PORTS:
            assert '%s/tcp' % port in status, port
            # ufw saves a range as a multiport match
            assert ('--dports %s ' if ':' in port else '--dport %s ') % port in saved, port
    elif kind == 'firewalld':
        running = host.check_output('firewall-cmd --list-ports').split()
        saved = host.check_output('firewall-cmd --permanent --list-ports').split()
        for port in PORTS:
            want = port.replace(':', '-') + '/tcp'
            assert want in running and want in saved, port
    else:
        pytest.fail('unknown firewall %s' % kind)


def test_apparmor_libvirt_profiles_not_loaded(host):
    for name in ('usr.sbin.libvirtd', 'usr.lib.libvirt.virt-aa-helper'):
        if host.file('/etc/apparmor.d/%s' % name).exists:
            link = host.file('/etc/apparmor.d/disable/%s' % name)
            assert link.is_symlink and link.linked_to == '/etc/apparmor.d/%s' % name
    profiles = host.file('/sys/kernel/security/apparmor/profiles')
    if not profiles.exists:
        pytest.skip('no AppArmor in this kernel (lab); only the disable links were checked')
    loaded = profiles.content_string
    assert 'libvirtd' not in loaded and 'virt-aa-helper' not in loaded


def test_hook_includes_executable(host):
    for name in ('start_cshv-log.sh', 'all_cshv-noop.py'):
        f = host.file('/etc/libvirt/hooks/custom/%s' % name)
        assert f.is_file and f.mode == 0o755 and f.user == 'root', name


def test_sudoers_entry_valid(host):
    f = host.file('/etc/sudoers.d/cloudstack-hypervisors')
    assert f.mode == 0o440
    assert 'cloudstack ALL=(root) NOPASSWD: /usr/bin/cloudstack-setup-agent' in f.content_string
    assert host.run('visudo -cf /etc/sudoers.d/cloudstack-hypervisors').rc == 0


def test_chrony_configured_and_running(host):
    gateway = hostvars(host)['ansible_host'].rsplit('.', 1)[0] + '.1'
    conf = host.file('/etc/chrony/chrony.conf').content_string.splitlines()
    assert 'server %s iburst' % gateway in conf
    assert not [ln for ln in conf if ln.startswith('pool ')]
    assert host.service('chrony').is_running
    assert gateway in host.check_output('chronyc -n sources')
