# SPDX-License-Identifier: GPL-3.0-or-later
"""The role-input rules (module_utils/_role_inputs.py) the preflight and the kvm role share.

Each bad input is named with its host and value; each good one passes; the
model translation gives the kvm role exactly the bridges the preflight checked.
The specs are the roles' real meta/argument_specs.yml.
"""
from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster, _role_inputs
from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils.role_specs import role_specs

SPECS = role_specs()

MODEL = {
    'cshv_bridge_type': 'linux',
    'cshv_bridges': [{'name': 'cloudbr0', 'ports': ['eth0'], 'stp': False},
                     {'name': 'cloudbr1', 'ports': ['eth0'], 'vlan': 200}],
    'cshv_traffic_labels': {'management': 'cloudbr0', 'guest': 'cloudbr1'},
    'cshv_management_address': '192.168.42.11/24',
    'cshv_management_gateway': '192.168.42.1',
}


def run(defined, hypervisor='kvm', model=None, exists=lambda p: p == '/srv/ok.deb' or p == '/srv/hook.sh'):
    problems = _cluster.Problems()
    values = _role_inputs.check_inputs(problems, 'kvm7', hypervisor, SPECS, defined,
                                       copy.deepcopy(MODEL if model is None else model), exists)
    return problems.items, values


def test_defaults_and_the_model_pass():
    problems, values = run({})
    assert problems == []
    assert values['kvm_network_bridge_type'] == 'native'
    assert values['kvm_bridges'] == [
        {'name': 'cloudbr0', 'ports': ['eth0'], 'stp': False, 'ipv4': '192.168.42.11/24',
         'gateway': '192.168.42.1', 'management': True},
        {'name': 'cloudbr1', 'ports': [{'device': 'eth0', 'vlan': 200}]}]
    assert values['kvm_ovs_bridges'] == []
    assert (values['kvm_private_network_device'], values['kvm_guest_network_device'],
            values['kvm_public_network_device']) == ('cloudbr0', 'cloudbr1', 'cloudbr1')


def test_openvswitch_model():
    model = dict(MODEL, cshv_bridge_type='openvswitch', cshv_bridges=[
        {'name': 'cloudbr', 'ports': ['eth0'], 'trunks': [0, '100']},
        {'name': 'mgmt0', 'parent': 'cloudbr', 'vlan': 100}],
        cshv_traffic_labels={'management': 'mgmt0'})
    problems, values = run({}, model=model)
    assert problems == []
    assert values['kvm_network_bridge_type'] == 'openvswitch' and values['kvm_bridges'] == []
    assert values['kvm_ovs_bridges'][0] == {'name': 'cloudbr', 'uplinks': ['eth0'], 'trunks': [0, 100]}
    assert values['kvm_ovs_bridges'][1]['management'] is True
    assert values['kvm_guest_network_device'] == 'mgmt0'


def test_explicit_inputs_win_over_the_model_only_without_one():
    bridges = [{'name': 'br0', 'ports': ['eth3']}]
    problems, values = run({'kvm_bridges': bridges}, model={})
    assert problems == [] and values['kvm_bridges'] == bridges
    problems, _v = run({'kvm_bridges': bridges})
    assert len(problems) == 1 and 'cshv_bridges describes its bridges' in problems[0]['msg']


@pytest.mark.parametrize('defined,name,words', [
    ({'kvm_guest_cpu_mode': 'custom'}, 'kvm_guest_cpu_mode', ["'custom'", 'kvm_guest_cpu_model']),
    ({'kvm_guest_cpu_model': 'Skylake'}, 'kvm_guest_cpu_model', ["'Skylake'", 'only used']),
    ({'kvm_guest_cpu_mode': 'custom', 'kvm_guest_cpu_model': 'Sky lake'}, 'kvm_guest_cpu_model', ["'Sky lake'"]),
    ({'kvm_guest_cpu_features': ['vmx', 'no such']}, 'kvm_guest_cpu_features', ["'no such'"]),
    ({'kvm_firewall_sources': ['10.0.0.0/33']}, 'kvm_firewall_sources', ["'10.0.0.0/33'", '0-32']),
    ({'kvm_firewall_sources': ['10.0.0.1/8']}, 'kvm_firewall_sources', ["'10.0.0.1/8'", '10.0.0.0/8']),
    ({'kvm_firewall_sources': ['10.0.0.256']}, 'kvm_firewall_sources', ["'10.0.0.256'"]),
    ({'kvm_firewall_sources': ['']}, 'kvm_firewall_sources', ["''", 'empty']),
    ({'kvm_firewall_sources': ['fd00::/129']}, 'kvm_firewall_sources', ["'fd00::/129'", '0-128']),
    ({'kvm_firewall_sources': '10.0.0.0/8'}, 'kvm_firewall_sources', ["'10.0.0.0/8'", 'not a list']),
    ({'kvm_firewall_extra_ports': ['70000']}, 'kvm_firewall_extra_ports', ["'70000'"]),
    ({'kvm_firewall_extra_ports': ['9000:8000']}, 'kvm_firewall_extra_ports', ["'9000:8000'"]),
    ({'kvm_firewall_zone': 'a zone'}, 'kvm_firewall_zone', ["'a zone'"]),
    ({'kvm_nftables_table': 'filter'}, 'kvm_nftables_table', ["'filter'", 'inet filter']),
    ({'kvm_nftables_chain': 'in put'}, 'kvm_nftables_chain', ["'in put'"]),
    ({'kvm_agent_hosts': ['']}, 'kvm_agent_hosts', ["''"]),
    ({'kvm_agent_hosts': ['ms1,ms2']}, 'kvm_agent_hosts', ["'ms1,ms2'"]),
    ({'kvm_agent_hosts': ['10.0.0.300']}, 'kvm_agent_hosts', ["'10.0.0.300'"]),
    ({'kvm_agent_hosts': ['ms1', 'ms1']}, 'kvm_agent_hosts', ['twice']),
    ({'kvm_agent_install_method': 'file'}, 'kvm_agent_package_file', ['kvm_agent_package_file is empty']),
    ({'kvm_agent_install_method': 'file', 'kvm_agent_package_file': '/srv/no.deb'}, 'kvm_agent_package_file',
     ["'/srv/no.deb'", 'controller']),
    ({'kvm_agent_install_method': 'file', 'kvm_agent_package_file': '/srv/ok.tar'}, 'kvm_agent_package_file',
     ["'/srv/ok.tar'", '.deb']),
    ({'kvm_agent_version': '4.20; rm'}, 'kvm_agent_version', ["'4.20; rm'"]),
    ({'kvm_cloudstack_version': 4.2}, 'kvm_cloudstack_version', ['4.2', 'not a string', 'quote']),
    ({'kvm_cloudstack_version': 'latest'}, 'kvm_cloudstack_version', ["'latest'"]),
    ({'kvm_repo_url': 'download.cloudstack.org'}, 'kvm_repo_url', ["'download.cloudstack.org'"]),
    ({'kvm_extra_packages': ['vim', '']}, 'kvm_extra_packages', ["''"]),
    ({'kvm_agent_properties': {'guid': 'x'}}, 'kvm_agent_properties', ['guid', 'Add Host']),
    ({'kvm_agent_properties': {'host': 'x'}}, 'kvm_agent_properties', ['kvm_agent_hosts']),
    ({'kvm_agent_properties': {'a': 'b\nc=d'}}, 'kvm_agent_properties', ['one-line']),
    ({'kvm_qemu_conf': {'vnc listen': '"0.0.0.0"'}}, 'kvm_qemu_conf', ["'vnc listen'"]),
    ({'kvm_libvirt_listen_mode': 'tls'}, 'cluster_verify_libvirt_transport', ["'tcp'", "'tls'"]),
    ({'kvm_libvirt_auth_tcp': 'sasl', 'kvm_libvirt_listen_mode': 'off'}, 'kvm_libvirt_auth_tcp', ["'off'"]),
    ({'kvm_libvirt_activation': 'sockets'}, 'kvm_libvirt_activation', ["'sockets'", "'traditional'"]),
    ({'kvm_libvirt_hooks': [{'action': 'boot', 'name': 'a', 'content': ''}]}, 'kvm_libvirt_hooks', ["'boot'"]),
    ({'kvm_libvirt_hooks': [{'action': 'start', 'name': '../a', 'content': ''}]}, 'kvm_libvirt_hooks', ["'../a'"]),
    ({'kvm_libvirt_hooks': [{'action': 'start', 'name': 'a'}]}, 'kvm_libvirt_hooks', ['exactly one']),
    ({'kvm_libvirt_hooks': [{'action': 'start', 'name': 'a', 'src': '/srv/nope'}]}, 'kvm_libvirt_hooks',
     ["'/srv/nope'", 'controller']),
    ({'kvm_libvirt_hooks': [{'action': 'start', 'name': 'a', 'content': '', 'mode': '0755'}]}, 'kvm_libvirt_hooks',
     ['mode']),
    ({'kvm_sudo_user': 'root'}, 'kvm_sudo_user', ["'root'"]),
    ({'kvm_sudo_user': 'Cloud Stack'}, 'kvm_sudo_user', ["'Cloud Stack'"]),
    ({'kvm_sudo_commands': ['cloudstack-setup-agent']}, 'kvm_sudo_commands', ["'cloudstack-setup-agent'"]),
    ({'kvm_network_bridge_type': 'openvswitch'}, 'kvm_network_bridge_type', ["'openvswitch'", "'native'"]),
    ({'kvm_guest_network_device': 'cloudbr9'}, 'kvm_guest_network_device', ["'cloudbr9'", "'cloudbr1'"]),
    ({'kvm_host_prep': 'yes'}, 'kvm_host_prep', ["'yes'", 'true or false']),
    ({'kvm_libvirt_listen': 'tcp'}, 'kvm_libvirt_listen', ['not an input of the kvm role', 'kvm_libvirt_listen_mode']),
    ({'kvm_bridges': None, 'kvm_agent_hosts': None}, 'kvm_agent_hosts', ['null']),
    ({'host_prep_ntp_servers': ['']}, 'host_prep_ntp_servers', ["''"]),
    ({'host_prep_ntp_servers': [], 'host_prep_ntp_pools': []}, 'host_prep_ntp_manage', ['no time source']),
    ({'host_prep_fqdn': 'kvm7'}, 'host_prep_fqdn', ["'kvm7'", 'dotted']),
    ({'host_prep_fqdn_address': 'kvm7.example'}, 'host_prep_fqdn_address', ["'kvm7.example'"]),
    ({'host_prep_min_memory_mb': '4096'}, 'host_prep_min_memory_mb', ["'4096'", 'whole number']),
    ({'host_prep_architectures': []}, 'host_prep_architectures', ['empty']),
    ({'host_prep_require_vt': 'false'}, 'host_prep_require_vt', ["'false'", 'true or false']),
    ({'cluster_verify_peers': 'everyone'}, 'cluster_verify_peers', ["'everyone'"]),
    ({'cluster_verify_libvirt_transport': 'tls'}, 'cluster_verify_libvirt_transport', ["'tls'", "'tcp'"]),
])
def test_bad_input_is_named_with_host_and_value(defined, name, words):
    problems, _v = run(defined)
    assert problems, '%s passed' % defined
    hits = [p for p in problems if p['host'] == 'kvm7' and p['check'] == 'inputs' and name in p['msg']
            and 'kvm7' in p['msg'] and all(w in p['msg'] for w in words)]
    assert hits, problems


@pytest.mark.parametrize('defined', [
    {'kvm_guest_cpu_mode': 'custom', 'kvm_guest_cpu_model': 'Skylake-Server', 'kvm_guest_cpu_features': ['vmx', '-svm']},
    {'kvm_firewall_sources': ['10.0.0.0/8', '192.168.1.7', 'fd00::/64', '0.0.0.0/0']},
    {'kvm_firewall_extra_ports': ['8000:8010', '443']},
    {'kvm_agent_hosts': ['10.1.1.5', 'ms1.example.org', 'fd00::5']},
    {'kvm_agent_install_method': 'file', 'kvm_agent_package_file': '/srv/ok.deb'},
    {'kvm_libvirt_hooks': [{'action': 'start', 'name': 'x.sh', 'src': '/srv/hook.sh'}]},
    {'kvm_libvirt_listen_mode': 'tls', 'cluster_verify_libvirt_transport': 'tls'},
    {'kvm_libvirt_listen_mode': 'off'},
    {'kvm_sudo_user': 'cloudstack'},
    {'kvm_network_bridge_type': 'native', 'kvm_guest_network_device': 'cloudbr1'},
    {'kvm_agent_properties': {'workers': 5, 'vm.memballoon.disable': True}},
    {'host_prep_fqdn': 'kvm7.example.org', 'host_prep_fqdn_address': '192.168.42.11'},
])
def test_good_input_passes(defined):
    assert run(defined)[0] == []


def test_lxc_rules_only_on_lxc_hosts():
    defined = {'lxc_direct_networking': True, 'lxc_direct_device': ''}
    assert run(defined, hypervisor='kvm')[0] == []
    problems = run(defined, hypervisor='lxc')[0]
    assert len(problems) == 1 and 'lxc_direct_device' in problems[0]['msg']
    assert 'lxc_vif_driver' in run({'lxc_vif_driver': 'not a class'}, hypervisor='lxc')[0][0]['msg']


def test_tls_certificates_are_a_fact_stage_rule():
    problems = _cluster.Problems()
    values = {'kvm_libvirt_listen_mode': 'tls'}
    _role_inputs.check_facts(problems, 'kvm7', values, set(_role_inputs.TLS_FILES[:3]))
    assert len(problems.items) == 1
    msg = problems.items[0]['msg']
    assert 'kvm7' in msg and '/etc/pki/libvirt/clientcert.pem' in msg and 'servercert' not in msg
    problems = _cluster.Problems()
    _role_inputs.check_facts(problems, 'kvm7', values, set(_role_inputs.TLS_FILES))
    _role_inputs.check_facts(problems, 'kvm7', {'kvm_libvirt_listen_mode': 'tcp'}, set())
    assert problems.items == []


def test_bridge_params_refuses_what_the_preflight_refuses():
    with pytest.raises(ValueError, match="'200 '"):
        _role_inputs.bridge_params([{'name': 'cloudbr1', 'ports': ['eth0'], 'vlan': '200 '}], 'linux')
    assert _role_inputs.bridge_params([{'name': 'b', 'ports': ['eth0'], 'vlan': '200'}], 'linux') == [
        {'name': 'b', 'ports': [{'device': 'eth0', 'vlan': 200}]}]


# ------------------------------------------------------------ kind 7: names the agent uses

def agent_problems(ports, vlan=None, labels=None, vmax=None, btype='linux'):
    v = copy.deepcopy(MODEL)
    v['cshv_bridge_type'] = btype
    v['cshv_bridges'] = [{'name': 'cloudbr0', 'ports': ['host0']}, {'name': 'cloudbr1', 'ports': ports}]
    if vlan:
        v['cshv_bridges'][1]['vlan'] = vlan
    if labels:
        v['cshv_traffic_labels'] = labels
    if vmax is not None:
        v['cshv_guest_vlan_max'] = vmax
    problems = _cluster.Problems()
    _cluster._check_agent_names(problems, 'kvm7', v)
    return problems.items


@pytest.mark.parametrize('port', ['eth1', 'bond0', 'ens3', 'eno1', 'enp3s0', 'enx001122', 'team0', 'em1', 'p1p1',
                                  'vlan5', 'vx7', 'dummy0'])
def test_agent_recognises_these_uplinks(port):
    # VLANs up to 9: only the prefix rule speaks
    assert agent_problems([port], vmax=9) == []


@pytest.mark.parametrize('port', ['uplink1', 'host0', 'wan0', 'p1x1', 'br-ex'])
def test_agent_does_not_recognise_these_uplinks(port):
    p = agent_problems([port])
    assert len(p) == 1 and p[0]['check'] == 'agent'
    assert "'%s'" % port in p[0]['msg'] and 'cloudbr1' in p[0]['msg'] and 'kvm7' in p[0]['msg']


def test_management_only_bridge_may_have_any_uplink_name():
    # host0 on cloudbr0 (management only) is not checked, as in the lab
    assert agent_problems(['eth1']) == []
    # without a guest label, guest traffic falls back to the management bridge
    p = agent_problems(['eth1'], labels={'management': 'cloudbr0', 'public': 'cloudbr1'})
    assert len(p) == 1 and "'host0'" in p[0]['msg'] and 'guest' in p[0]['msg']


def test_vlan_bridge_names_must_fit():
    p = agent_problems(['ens1f0np0'])
    assert len(p) == 1 and 'brens1f0np0-4094' in p[0]['msg'] and '16 characters' in p[0]['msg']
    assert agent_problems(['ens1f0np0'], vmax=999) == []
    assert agent_problems(['ens1f0np0'], vlan=200, vmax=999) == []
    assert agent_problems(['enp129s0f0'], vmax=999)[0]['value'] == 'enp129s0f0'
    assert 'cshv_guest_vlan_max' in agent_problems(['eth1'], vmax='99')[0]['msg']


def test_openvswitch_bridges_are_not_held_to_the_linux_bridge_rule():
    assert agent_problems(['uplink1'], btype='openvswitch') == []
