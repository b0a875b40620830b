# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the whole-inventory preflight rules (no hosts, no Ansible run)."""
from __future__ import annotations

import base64
import copy

import pytest

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster
from ansible_collections.cloudstack.hypervisors.plugins.action import cluster_preflight as action

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz
flags\t\t: fpu vme de pse sse sse2 vmx avx avx2

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz
flags\t\t: fpu vme de pse sse sse2 vmx avx avx2
"""


def linux_host(n):
    return {
        'cshv_zone': 'zone1', 'cshv_pod': 'pod1', 'cshv_cluster': 'c1',
        'cshv_management_address': '192.168.42.%d/24' % (10 + n),
        'cshv_management_gateway': '192.168.42.1',
        'cshv_bridge_type': 'linux',
        'cshv_bridges': [
            {'name': 'cloudbr0', 'ports': ['eth0']},
            {'name': 'cloudbr1', 'vlan': 200, 'ports': ['eth0']},
        ],
        'cshv_traffic_labels': {'management': 'cloudbr0', 'guest': 'cloudbr1'},
        'ansible_host': '192.168.42.%d' % (10 + n),
    }


def ovs_host(n):
    v = linux_host(n)
    v['cshv_bridge_type'] = 'openvswitch'
    v['cshv_bridges'] = [
        {'name': 'cloudbr', 'ports': ['eth0'], 'trunks': [0, 100, 200, 300]},
        {'name': 'mgmt0', 'parent': 'cloudbr', 'vlan': 100},
        {'name': 'cloudbr0', 'parent': 'cloudbr', 'vlan': 200},
        {'name': 'cloudbr1', 'parent': 'cloudbr', 'vlan': 300},
    ]
    v['cshv_traffic_labels'] = {'management': 'mgmt0', 'public': 'cloudbr0', 'guest': 'cloudbr1'}
    return v


def vsphere_host(n):
    """A vSphere host of the inventory model (the vSphere rules need credentials, thumbprint, vSwitches)."""
    v = linux_host(n)
    del v['cshv_bridge_type'], v['cshv_bridges']
    v.update({'cshv_vcenter_hostname': 'vc.example', 'cshv_vcenter_username': 'admin', 'cshv_vcenter_password': 'vc-pw-1',
              'cshv_esxi_username': 'root', 'cshv_esxi_password': 'esx-pw-1', 'cshv_esxi_ssl_thumbprint': ':'.join(['AB'] * 20),
              'cshv_vsphere_vswitches': [{'name': 'vSwitch0'}],
              'cshv_traffic_labels': {'management': 'vSwitch0', 'guest': 'vSwitch0,,vmwaresvs'}})
    return v


def inventory(n=3, make=linux_host, group='kvm_hosts'):
    hosts = ['kvm%d' % i for i in range(1, n + 1)]
    return {group: list(hosts)}, {h: make(i) for i, h in enumerate(hosts, 1)}


def check(groups, hostvars):
    problems, clusters = _cluster.validate_inventory(groups, hostvars)
    return problems, clusters


def only(problems, check_name=None):
    """Assert there is exactly one problem (of *check_name*) and return it."""
    assert len(problems) == 1, problems
    if check_name:
        assert problems[0]['check'] == check_name, problems
    return problems[0]


# ---------------------------------------------------------------- good input

@pytest.mark.parametrize('make', [linux_host, ovs_host])
def test_good_inventory_has_no_problems(make):
    groups, hv = inventory(3, make)
    problems, clusters = check(groups, hv)
    assert problems == []
    assert clusters == {'zone1/pod1/c1': {'key': ['zone1', 'pod1', 'c1'], 'hosts': ['kvm1', 'kvm2', 'kvm3'],
                                          'hypervisor': 'kvm'}}


def test_vlan_as_digit_string_is_accepted():
    groups, hv = inventory(2)
    for h in hv.values():
        h['cshv_bridges'][1]['vlan'] = '200'
    assert check(groups, hv)[0] == []


def test_hosts_outside_hypervisor_groups_are_ignored():
    groups, hv = inventory(2)
    hv['mgmt'] = {'ansible_host': '192.168.42.11'}
    assert check(groups, hv)[0] == []


# ---------------------------------------------------------------- VLANs

@pytest.mark.parametrize('vlan,why', [
    (0, 'outside 1-4094'), (4095, 'outside 1-4094'), (5000, 'outside 1-4094'), (-1, 'outside 1-4094'),
    ('20O', 'not a number'), (True, 'boolean'), (2.5, 'not a number'),
])
def test_bad_vlan_is_named(vlan, why):
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['vlan'] = vlan
    p = only(check(groups, hv)[0], 'vlan')
    assert p['host'] == 'kvm1' and why in p['msg'] and repr(vlan) in p['msg'].replace("'%s'" % vlan, repr(vlan))
    assert 'kvm1' in p['msg'] and 'cloudbr1' in p['msg']


def test_same_vlan_twice_on_one_uplink():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'].append({'name': 'cloudbr2', 'vlan': 200, 'ports': ['eth0']})
    hv['kvm1']['cshv_traffic_labels']['public'] = 'cloudbr2'
    p = only(check(groups, hv)[0], 'vlan')
    assert 'VLAN 200' in p['msg'] and 'cloudbr1' in p['msg'] and 'cloudbr2' in p['msg'] and 'kvm1' in p['msg']


def test_vlan_differs_within_cluster():
    groups, hv = inventory(3)
    hv['kvm3']['cshv_bridges'][1]['vlan'] = 201
    p = only(check(groups, hv)[0], 'vlan')
    assert p['host'] == 'kvm3'
    assert 'bridge cloudbr1 on VLAN 201 (kvm1: 200)' in p['msg'] and 'zone1/pod1/c1' in p['msg']


def test_ovs_fake_bridge_vlan_not_trunked():
    groups, hv = inventory(1, ovs_host)
    hv['kvm1']['cshv_bridges'][3]['vlan'] = 400
    p = only(check(groups, hv)[0], 'vlan')
    assert 'VLAN 400' in p['msg'] and 'cloudbr1' in p['msg'] and 'trunks' in p['msg']


def test_ovs_bad_trunk_id():
    groups, hv = inventory(1, ovs_host)
    hv['kvm1']['cshv_bridges'][0]['trunks'] = [0, 100, 200, 300, 9999]
    problems = check(groups, hv)[0]
    assert any(p['check'] == 'vlan' and '9999' in p['msg'] for p in problems), problems


def test_ovs_trunk_zero_is_the_native_vlan():
    # 0 is not a VLAN id: "trunks: [0, ...]" keeps untagged traffic in the lab (LAB.md),
    # but a VLAN id of 0 is refused.
    groups, hv = inventory(1, ovs_host)
    problems = check(groups, hv)[0]
    assert problems == []


# ---------------------------------------------------------------- bridge names

def test_bridge_name_too_long():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['name'] = 'cloudbr-guest-200'
    hv['kvm1']['cshv_traffic_labels']['guest'] = 'cloudbr-guest-200'
    p = only(check(groups, hv)[0], 'bridges')
    assert "'cloudbr-guest-200'" in p['msg'] and '17 characters' in p['msg'] and 'kvm1' in p['msg']


def test_bridge_name_of_exactly_15_is_fine():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['name'] = 'a' * 15
    hv['kvm1']['cshv_traffic_labels']['guest'] = 'a' * 15
    assert check(groups, hv)[0] == []


def test_vlan_subinterface_name_too_long():
    groups, hv = inventory(1)
    for b in hv['kvm1']['cshv_bridges']:
        b['ports'] = ['enp129s0f0np0']
    problems = check(groups, hv)[0]
    p = only([x for x in problems if x['check'] == 'bridges'], 'bridges')
    assert "'enp129s0f0np0.200'" in p['msg'] and 'kvm1' in p['msg']
    # the guest bridge's uplink also makes the agent's VLAN bridge names too long (kind 7)
    assert [x['check'] for x in problems if x['check'] != 'bridges'] == ['agent'], problems


@pytest.mark.parametrize('name', ['cloud br0', 'br/0', 'br:0', '', '-br'])
def test_bridge_name_bad_characters(name):
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['name'] = name
    problems = check(groups, hv)[0]
    assert any(p['check'] == 'bridges' and p['value'] == name for p in problems), problems


def test_bridge_defined_twice():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'].append({'name': 'cloudbr1', 'vlan': 300, 'ports': ['eth0']})
    p = only(check(groups, hv)[0], 'bridges')
    assert 'cloudbr1 is defined twice on kvm1' in p['msg']


def test_port_in_two_bridges():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'].append({'name': 'cloudbr2', 'ports': ['eth0']})
    p = only(check(groups, hv)[0], 'bridges')
    assert 'port eth0' in p['msg'] and 'cloudbr0' in p['msg'] and 'cloudbr2' in p['msg']


def test_unknown_bridge_key_is_a_typo():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['vlna'] = 200
    p = only(check(groups, hv)[0], 'bridges')
    assert 'vlna' in p['msg']


def test_linux_vlan_bridge_needs_one_port():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['ports'] = []
    p = only(check(groups, hv)[0], 'bridges')
    assert 'exactly one port' in p['msg'] and 'cloudbr1' in p['msg']


def test_linux_bridge_with_parent():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['parent'] = 'cloudbr0'
    problems = check(groups, hv)[0]
    assert any('only for openvswitch' in p['msg'] for p in problems), problems


def test_ovs_tagged_bridge_without_parent():
    groups, hv = inventory(1, ovs_host)
    del hv['kvm1']['cshv_bridges'][2]['parent']
    p = only(check(groups, hv)[0], 'bridges')
    assert 'cloudbr0' in p['msg'] and 'no parent' in p['msg']


def test_ovs_parent_missing():
    groups, hv = inventory(1, ovs_host)
    hv['kvm1']['cshv_bridges'][2]['parent'] = 'cloudbrX'
    p = only(check(groups, hv)[0], 'bridges')
    assert "'cloudbrX'" in p['msg'] and 'not in cshv_bridges' in p['msg']


def test_ovs_parent_without_vlan():
    groups, hv = inventory(1, ovs_host)
    del hv['kvm1']['cshv_bridges'][2]['vlan']
    problems = check(groups, hv)[0]
    assert any('has parent' in p['msg'] and 'no vlan' in p['msg'] for p in problems), problems


def test_bad_bridge_type():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridge_type'] = 'ovs'
    p = only(check(groups, hv)[0], 'bridges')
    assert "'ovs'" in p['msg']


def test_bridge_type_differs_in_cluster():
    groups, hv = inventory(3, ovs_host)
    hv['kvm2'] = ovs_host(2)
    hv['kvm2']['cshv_bridge_type'] = 'linux'
    hv['kvm2']['cshv_bridges'] = [{'name': 'cloudbr', 'ports': ['eth0']},
                                  {'name': 'mgmt0', 'vlan': 100, 'ports': ['eth1']},
                                  {'name': 'cloudbr0', 'vlan': 200, 'ports': ['eth1']},
                                  {'name': 'cloudbr1', 'vlan': 300, 'ports': ['eth1']}]
    p = only(check(groups, hv)[0], 'bridges')
    assert p['host'] == 'kvm2' and "'linux' (kvm1: 'openvswitch')" in p['msg']


def test_no_bridges():
    groups, hv = inventory(1)
    del hv['kvm1']['cshv_bridges']
    problems = check(groups, hv)[0]
    assert problems[0]['check'] == 'bridges' and 'no cshv_bridges' in problems[0]['msg']


# ---------------------------------------------------------------- addresses

@pytest.mark.parametrize('addr,why', [
    ('192.168.42.11', 'address/prefix'),
    ('192.168.42.300/24', 'not a valid IP'),
    ('192.168.42/24', 'not a valid IP'),
    ('192.168.42.11/33', 'prefix length /33'),
    ('192.168.42.11/x', 'not a number'),
    ('192.168.42.0/24', 'network address'),
    ('192.168.42.255/24', 'broadcast address'),
    ('127.0.0.1/8', 'unicast'),
])
def test_bad_management_address(addr, why):
    groups, hv = inventory(1)
    hv['kvm1']['cshv_management_address'] = addr
    p = only(check(groups, hv)[0], 'management')
    assert why in p['msg'] and ("'%s'" % addr) in p['msg'] and 'kvm1' in p['msg']


@pytest.mark.parametrize('gw,why', [
    ('192.168.43.1', 'outside its management network 192.168.42.0/24'),
    ('192.168.42.11', "host's own address"),
    ('192.168.42.255', 'broadcast'),
    ('192.168.42.1.1', 'not a valid IP'),
    ('gateway', 'not a valid IP'),
    ('fe80::1', 'outside'),
])
def test_bad_gateway(gw, why):
    groups, hv = inventory(1)
    hv['kvm1']['cshv_management_gateway'] = gw
    p = only(check(groups, hv)[0], 'management')
    assert why in p['msg'] and ("'%s'" % gw) in p['msg']


def test_missing_management_address_and_gateway():
    groups, hv = inventory(2)
    del hv['kvm1']['cshv_management_address']
    del hv['kvm2']['cshv_management_gateway']
    problems = check(groups, hv)[0]
    assert [(p['host'], p['check']) for p in problems] == [('kvm1', 'management'), ('kvm2', 'management')]


def test_ipv6_management_is_fine():
    groups, hv = inventory(2)
    for i, h in enumerate(('kvm1', 'kvm2'), 1):
        hv[h]['cshv_management_address'] = '2001:db8::%d/64' % (10 + i)
        hv[h]['cshv_management_gateway'] = '2001:db8::1'
    assert check(groups, hv)[0] == []


def test_duplicate_management_address_names_both_hosts():
    groups, hv = inventory(3)
    hv['kvm3']['cshv_management_address'] = '192.168.42.12/24'
    hv['kvm3']['ansible_host'] = '192.168.42.13'
    p = only(check(groups, hv)[0], 'duplicate')
    assert p['host'] == 'kvm3' and '192.168.42.12' in p['msg'] and 'kvm2' in p['msg']


def test_duplicate_ansible_host_port():
    groups, hv = inventory(2)
    hv['kvm2']['ansible_host'] = '192.168.42.11'
    p = only(check(groups, hv)[0], 'duplicate')
    assert 'ansible_host 192.168.42.11' in p['msg'] and 'kvm1' in p['msg'] and 'kvm2' in p['msg']


def test_same_ansible_host_different_ports_is_fine():
    groups, hv = inventory(2)
    hv['kvm1']['ansible_host'] = hv['kvm2']['ansible_host'] = 'jump.example'
    hv['kvm1']['ansible_port'] = 2201
    hv['kvm2']['ansible_port'] = 2202
    assert check(groups, hv)[0] == []


def test_gateway_is_another_hosts_address():
    groups, hv = inventory(2)
    hv['kvm1']['cshv_management_gateway'] = '192.168.42.12'
    p = only(check(groups, hv)[0], 'duplicate')
    assert 'kvm1' in p['msg'] and 'kvm2' in p['msg']


# ---------------------------------------------------------------- labels

def test_labels_differ_in_cluster():
    groups, hv = inventory(3)
    hv['kvm2']['cshv_bridges'][1]['name'] = 'cloudbr9'
    hv['kvm2']['cshv_traffic_labels']['guest'] = 'cloudbr9'
    problems = check(groups, hv)[0]
    labels = [p for p in problems if p['check'] == 'labels']
    assert len(labels) == 1 and labels[0]['host'] == 'kvm2'
    assert "guest='cloudbr9' (kvm1: 'cloudbr1')" in labels[0]['msg']


def test_label_names_missing_bridge():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_traffic_labels']['public'] = 'cloudbr7'
    p = only(check(groups, hv)[0], 'labels')
    assert "'cloudbr7'" in p['msg'] and 'public' in p['msg']


def test_unknown_traffic_type():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_traffic_labels']['storgae'] = 'cloudbr1'
    p = only(check(groups, hv)[0], 'labels')
    assert "'storgae'" in p['msg']


def test_management_label_required():
    groups, hv = inventory(1)
    del hv['kvm1']['cshv_traffic_labels']['management']
    p = only(check(groups, hv)[0], 'labels')
    assert 'no management label' in p['msg']


def test_majority_is_the_reference():
    groups, hv = inventory(3)
    hv['kvm1']['cshv_traffic_labels'] = {'management': 'cloudbr0', 'guest': 'cloudbr0'}
    problems = check(groups, hv)[0]
    assert [p['host'] for p in problems] == ['kvm1']


# ---------------------------------------------------------------- placement, types, sizes

def test_missing_cluster():
    groups, hv = inventory(2)
    del hv['kvm2']['cshv_cluster']
    p = only(check(groups, hv)[0], 'placement')
    assert 'kvm2 has no cshv_cluster' in p['msg']


def test_host_in_two_hypervisor_groups():
    groups, hv = inventory(2)
    groups['lxc_hosts'] = ['kvm2']
    problems = check(groups, hv)[0]
    assert any(p['check'] == 'hypervisor' and 'kvm2 is in more than one hypervisor group (kvm_hosts, lxc_hosts)'
               in p['msg'] for p in problems), problems


def test_mixed_hypervisors_in_one_cluster():
    groups, hv = inventory(3)
    groups['kvm_hosts'].remove('kvm3')
    groups['lxc_hosts'] = ['kvm3']
    problems = check(groups, hv)[0]
    p = only(problems, 'hypervisor')
    assert p['host'] == 'kvm3'
    assert 'mixes hypervisor types (kvm: kvm1, kvm2; lxc: kvm3): kvm3 is a lxc host' in p['msg']


def test_cluster_sets_without_hypervisor_group():
    groups, hv = inventory(2)
    hv['stray'] = {'cshv_cluster': 'c1'}
    p = only(check(groups, hv)[0], 'hypervisor')
    assert p['host'] == 'stray' and "'c1'" in p['msg']


@pytest.mark.parametrize('group,limit', [('kvm_hosts', 16), ('lxc_hosts', 16), ('xenserver_hosts', 8),
                                         ('vsphere_hosts', 8)])
def test_cluster_size_limits(group, limit):
    def make(i):
        if group == 'vsphere_hosts':
            return vsphere_host(i)
        v = linux_host(i)
        if group == 'xenserver_hosts':  # a XenServer pool also needs its join password (_xenserver_rules)
            v['xenserver_pool_password'] = 'pool-root-pw'
        return v
    groups, hv = inventory(limit, make=make, group=group)
    assert check(groups, hv)[0] == []
    groups, hv = inventory(limit + 1, make=make, group=group)
    p = only(check(groups, hv)[0], 'size')
    assert p['host'] == 'kvm%d' % (limit + 1) and 'at most %d' % limit in p['msg'] and '%d ' % (limit + 1) in p['msg']


def test_same_cluster_name_in_two_pods_are_two_clusters():
    groups, hv = inventory(18)
    for i in range(10, 19):
        hv['kvm%d' % i]['cshv_pod'] = 'pod2'
    problems, clusters = check(groups, hv)
    assert problems == [] and sorted(clusters) == ['zone1/pod1/c1', 'zone1/pod2/c1']


def test_xenserver_labels_are_not_bridges():
    groups, hv = inventory(2, group='xenserver_hosts')
    for h in hv.values():
        del h['cshv_bridges']
        h['cshv_traffic_labels'] = {'management': 'cloud-private', 'guest': 'cloud-guest'}
        h['xenserver_pool_password'] = 'pool-root-pw'  # a pool of two needs the join password (_xenserver_rules)
    assert check(groups, hv)[0] == []


# ---------------------------------------------------------------- secrets

def test_required_secret_missing_empty_placeholder_and_ok():
    groups, hv = inventory(4)
    for h in hv.values():
        h['cshv_required_secrets'] = ['pool_password']
    hv['kvm2']['__secrets'] = {'pool_password': ''}
    hv['kvm3']['__secrets'] = {'pool_password': 'CHANGEME'}
    hv['kvm4']['__secrets'] = {'pool_password': 's3cr3t-value'}
    problems = check(groups, hv)[0]
    assert [(p['host'], p['value']) for p in problems] == [('kvm1', 'pool_password'), ('kvm2', 'pool_password'),
                                                           ('kvm3', 'pool_password')]
    assert 'not defined for kvm1' in problems[0]['msg']
    assert 'empty' in problems[1]['msg'] and 'placeholder' in problems[2]['msg']
    assert all('s3cr3t' not in p['msg'] and 'CHANGEME' not in p['msg'] for p in problems)


def test_template_error_is_reported():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_cluster'] = ValueError("'undefined_thing' is undefined")
    problems = check(groups, hv)[0]
    assert any(p['check'] == 'template' and 'cshv_cluster of kvm1' in p['msg'] for p in problems), problems


def test_require_vt_must_be_bool():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_require_vt'] = 'no'
    p = only(check(groups, hv)[0], 'vt')
    assert "'no'" in p['msg']


# ---------------------------------------------------------------- facts stage

def probe(distro='Debian', version='12.7', cpuinfo=CPUINFO, dev_kvm=True):
    return {'distribution': distro, 'distribution_version': version, 'cpuinfo': cpuinfo, 'dev_kvm': dev_kvm}


CLUSTERS = {'zone1/pod1/c1': ['kvm1', 'kvm2', 'kvm3']}
KVM = {'kvm1': 'kvm', 'kvm2': 'kvm', 'kvm3': 'kvm'}


def test_parse_cpuinfo():
    model, flags, count = _cluster.parse_cpuinfo(CPUINFO)
    assert model == 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz' and count == 2 and 'vmx' in flags


def test_parse_cpuinfo_arm64():
    text = 'processor\t: 0\nFeatures\t: fp asimd evtstrm\nCPU part\t: 0xd0c\n\nprocessor\t: 1\n'
    assert _cluster.parse_cpuinfo(text) == ('cpu part 0xd0c', frozenset(['fp', 'asimd', 'evtstrm']), 2)


def test_facts_homogeneous():
    probes = {h: probe() for h in KVM}
    assert _cluster.validate_facts(probes, CLUSTERS, hypervisors=KVM) == []


def test_facts_distro_version_differs():
    probes = {h: probe() for h in KVM}
    probes['kvm2'] = probe(version='11.9')
    p = only(_cluster.validate_facts(probes, CLUSTERS, hypervisors=KVM), 'distro')
    assert p['host'] == 'kvm2' and "'Debian 11.9'" in p['msg'] and "'Debian 12.7'" in p['msg']


def test_facts_cpu_model_and_flags_differ():
    probes = {h: probe() for h in KVM}
    probes['kvm3'] = probe(cpuinfo=CPUINFO.replace('Gold 6230', 'Gold 6130').replace(' avx2', ' avx512f'))
    problems = _cluster.validate_facts(probes, CLUSTERS, hypervisors=KVM)
    assert [p['check'] for p in problems] == ['cpu', 'cpu']
    assert 'Gold 6130' in problems[0]['msg'] and 'kvm3' in problems[0]['msg']
    assert 'lacks avx2 (against kvm1); has extra avx512f' in problems[1]['msg']


def test_facts_cpu_count_differs():
    probes = {h: probe() for h in KVM}
    probes['kvm1'] = probe(cpuinfo=CPUINFO.split('\n\n', maxsplit=1)[0])
    p = only(_cluster.validate_facts(probes, CLUSTERS, hypervisors=KVM), 'cpu')
    assert 'mismatch in CPU count between kvm1 and kvm2' in p['msg'] and '1 (kvm2: 2)' in p['msg']


def test_facts_no_vt():
    no_vmx = CPUINFO.replace(' vmx', '')
    probes = {h: probe(cpuinfo=no_vmx) for h in KVM}
    probes['kvm1'] = probe(cpuinfo=no_vmx, dev_kvm=False)
    p = only(_cluster.validate_facts(probes, CLUSTERS, hypervisors=KVM), 'vt')
    assert p['host'] == 'kvm1' and 'neither vmx nor svm' in p['msg']
    # the override, and LXC hosts, do not need VT
    assert _cluster.validate_facts(probes, CLUSTERS, require_vt={'kvm1': False}, hypervisors=KVM) == []
    assert _cluster.validate_facts(probes, CLUSTERS, hypervisors={'kvm1': 'lxc'}) == []


def test_facts_unprobed_hosts_are_skipped():
    probes = {'kvm1': probe(), 'kvm2': probe(version='11')}
    assert len(_cluster.validate_facts(probes, CLUSTERS, hypervisors=KVM)) == 1
    assert _cluster.validate_facts({'kvm1': probe()}, CLUSTERS, hypervisors=KVM) == []


# ---------------------------------------------------------------- the action plugin's extraction

class FakeHostVars(dict):
    """hostvars[host][var] templating raises for values that are exceptions."""

    class Vars(dict):
        def __getitem__(self, key):
            value = dict.__getitem__(self, key)
            if isinstance(value, Exception):
                raise value
            return value

    def __init__(self, data):
        super().__init__({h: self.Vars(v) for h, v in data.items()})


def test_collect_inventory_reads_model_and_only_named_secrets():
    from ansible.errors import AnsibleUndefinedVariable
    groups, hv = inventory(2)
    hv['kvm1']['cshv_required_secrets'] = ['pw']
    hv['kvm1']['pw'] = 'x-real-secret'
    hv['kvm1']['other_secret'] = 'not read'
    hv['kvm2']['cshv_pod'] = AnsibleUndefinedVariable("'pod_name' is undefined")
    hv['other'] = {'cshv_cluster': 'c1', 'unrelated': 1}
    groups['all'] = ['kvm1', 'kvm2', 'other']
    plain_groups, model = action.collect_inventory(groups, FakeHostVars(hv))
    assert plain_groups['kvm_hosts'] == ['kvm1', 'kvm2'] and plain_groups['vsphere_hosts'] == []
    assert model['kvm1']['__secrets'] == {'pw': 'x-real-secret'} and 'other_secret' not in model['kvm1']
    assert isinstance(model['kvm2']['cshv_pod'], AnsibleUndefinedVariable)
    assert model['other'] == {'cshv_cluster': 'c1'}
    problems, _c = _cluster.validate_inventory(plain_groups, model)
    msgs = ' | '.join(p['msg'] for p in problems)
    assert 'cshv_pod of kvm2 cannot be evaluated' in msgs and 'other sets cshv_cluster' in msgs


def test_collect_probes_decodes_slurp_and_stat():
    data = {
        'kvm1': {'ansible_facts': {'distribution': 'Debian', 'distribution_version': '12.7'},
                 '__cshv_cpuinfo': {'content': base64.b64encode(CPUINFO.encode()).decode()},
                 '__cshv_dev_kvm': {'stat': {'exists': True}}, 'cshv_require_vt': False},
        'kvm2': {'ansible_facts': {}},
    }
    probes, require_vt = action.collect_probes(['kvm1', 'kvm2', 'kvm9'], FakeHostVars(data))
    assert list(probes) == ['kvm1'] and probes['kvm1']['dev_kvm'] is True
    assert _cluster.parse_cpuinfo(probes['kvm1']['cpuinfo'])[2] == 2
    assert require_vt == {'kvm1': False}


def test_format_problems():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['vlan'] = 4095
    text = _cluster.format_problems(check(groups, hv)[0])
    assert text.splitlines()[0].startswith('Preflight found 1 problem(s); nothing was changed')
    assert '[vlan] VLAN id 4095 of bridge cloudbr1 on kvm1 is outside 1-4094.' in text


def test_input_is_not_mutated():
    groups, hv = inventory(3, ovs_host)
    before = copy.deepcopy(hv)
    check(groups, hv)
    assert hv == before


@pytest.mark.parametrize('mtu', [0, 67, 70000, '9000', True])
def test_bad_mtu(mtu):
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['mtu'] = mtu
    p = only(check(groups, hv)[0], 'bridges')
    assert 'MTU' in p['msg'] and 'cloudbr1' in p['msg']


def test_good_mtu():
    groups, hv = inventory(1)
    hv['kvm1']['cshv_bridges'][1]['mtu'] = 9000
    assert check(groups, hv)[0] == []
