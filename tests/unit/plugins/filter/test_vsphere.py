# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the vsphere role's filters (plugins/filter/vsphere.py)."""
from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudstack.hypervisors.plugins.filter import vsphere as f

H = 'esxi1'
WANT = {
    'vswitches': [{'name': 'vSwitch0', 'nics': ['vmnic0'], 'mtu': 1500, 'ports': 4088},
                  {'name': 'vSwitch1', 'nics': ['vmnic1'], 'mtu': 9000, 'ports': 4088}],
    'portgroups': [{'name': 'vMotion', 'vswitch': 'vSwitch1', 'vlan': 300, 'service': 'vmotion'}],
    'vmkernel_addresses': {'vMotion': '10.30.0.11/24'},
    'management_portgroup': 'Management Network',
    'ntp_servers': ['ntp1', 'ntp2'],
    'firewall_rulesets': ['gdbserver'],
    'advanced_options': {'UserVars.SuppressShellWarning': 1},
    'iscsi': {'enabled': True, 'send_targets': [{'address': '10.40.0.5'}]},
}
RAW = {
    'vswitches': {H: {'vSwitch0': {'mtu': 1500, 'num_ports': 4088, 'pnics': ['vmnic0']},
                      'vSwitch1': {'mtu': 9000, 'num_ports': 4088, 'pnics': ['vmnic1']}}},
    'portgroups': {H: [{'portgroup': 'Management Network', 'vswitch': 'vSwitch0', 'vlan_id': 0},
                       {'portgroup': 'vMotion', 'vswitch': 'vSwitch1', 'vlan_id': 300}]},
    'vmkernel': {H: [{'device': 'vmk0', 'portgroup': 'Management Network', 'ipv4_address': '192.168.60.11'},
                     {'device': 'vmk1', 'portgroup': 'vMotion', 'ipv4_address': '10.30.0.11', 'enable_vmotion': True}]},
    'ntp': {H: [{'ntp_servers': ['ntp1', 'ntp2']}]},
    'services': {H: [{'key': 'ntpd', 'running': True, 'policy': 'on'}]},
    'firewall': {H: [{'key': 'gdbserver', 'enabled': True}]},
    'options': {H: {'UserVars.SuppressShellWarning': 1}},
    # vmware_host_iscsi_info's iscsi_properties (one host per call)
    'iscsi': {'iscsi_enabled': True, 'vmhba_name': 'vmhba65',
              'iscsi_send_targets': [{'address': '10.40.0.5', 'port': 3260}]},
}


def test_everything_in_place_is_ok():
    checks = f.vsphere_checks(RAW, H, WANT)
    assert all(c['ok'] for c in checks.values()), checks
    assert set(checks) == {'bridges', 'libvirt_peers', 'agent'}


@pytest.mark.parametrize('path,value,column,words', [
    (('vswitches', H, 'vSwitch1', 'mtu'), 1500, 'bridges', ['vSwitch1 MTU 1500', 'want 9000']),
    (('vswitches', H, 'vSwitch1', 'num_ports'), 128, 'bridges', ['128 ports']),
    (('vswitches', H, 'vSwitch1', 'pnics'), [], 'bridges', ['uplinks']),
    (('portgroups', H, 1, 'vlan_id'), 999, 'bridges', ['vMotion', 'VLAN 999']),
    (('vmkernel', H, 1, 'enable_vmotion'), False, 'libvirt_peers', ['not selected for vMotion']),
    (('vmkernel', H, 1, 'ipv4_address'), '10.30.0.99', 'libvirt_peers', ['10.30.0.99']),
    (('ntp', H, 0, 'ntp_servers'), ['ntp1'], 'agent', ['NTP servers']),
    (('services', H, 0, 'running'), False, 'agent', ['ntpd not running']),
    (('services', H, 0, 'policy'), 'off', 'agent', ['ntpd policy off']),
    (('firewall', H, 0, 'enabled'), False, 'agent', ['gdbserver disabled']),
    (('options', H, 'UserVars.SuppressShellWarning'), 0, 'agent', ['SuppressShellWarning=0']),
    (('iscsi', 'iscsi_enabled'), False, 'agent', ['software iSCSI disabled']),
    (('iscsi', 'iscsi_send_targets'), [], 'agent', ['iSCSI send target 10.40.0.5:3260 missing on vmhba65']),
    (('iscsi', 'iscsi_send_targets', 0, 'port'), 3261, 'agent', ['10.40.0.5:3260 missing']),
])
def test_each_difference_is_named(path, value, column, words):
    raw = copy.deepcopy(RAW)
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    checks = f.vsphere_checks(raw, H, WANT)
    assert not checks[column]['ok']
    for w in words:
        assert w in checks[column]['detail'], checks[column]
    assert [c for c, v in checks.items() if not v['ok']] == [column]


def test_iscsi_not_asked_is_not_read():
    raw = copy.deepcopy(RAW)
    raw['iscsi'] = {}
    want = dict(WANT, iscsi={'enabled': False, 'send_targets': []})
    assert f.vsphere_checks(raw, H, want)['agent']['ok']
    assert 'software iSCSI' in f.vsphere_checks(RAW, H, WANT)['agent']['detail']


def test_missing_things():
    raw = copy.deepcopy(RAW)
    raw['portgroups'][H] = raw['portgroups'][H][1:]
    raw['vmkernel'][H] = raw['vmkernel'][H][:1]
    del raw['vswitches'][H]['vSwitch1']
    checks = f.vsphere_checks(raw, H, WANT)
    assert 'vSwitch vSwitch1 missing' in checks['bridges']['detail']
    assert 'management port group Management Network missing' in checks['bridges']['detail']
    assert 'no vmkernel NIC on vMotion' in checks['libvirt_peers']['detail']


def test_iscsi_missing_targets_only():
    have = RAW['iscsi']
    want = [{'address': '10.40.0.5'}, {'address': '10.40.0.5', 'port': 3261}, {'address': 'iscsi-b.lab.example', 'port': 3260}]
    assert f.vsphere_iscsi_missing(want, have) == want[1:]
    assert f.vsphere_iscsi_missing(want[:1], have) == []
    # adapter not enabled yet (vmware_host_iscsi_info returns only iscsi_enabled): every target is missing
    assert f.vsphere_iscsi_missing(want, {'iscsi_enabled': False}) == want
    assert f.vsphere_iscsi_missing([], None) == []


def test_traffic_labels_in_cloudstack_form():
    labels = {'guest': 'vSwitch0', 'management': 'vSwitch0,,vmwaresvs', 'public': 'vSwitch1,200'}
    assert f.vsphere_traffic_labels(labels) == ['management: vSwitch0,,vmwaresvs', 'public: vSwitch1,200,vmwaresvs',
                                                'guest: vSwitch0,,vmwaresvs']
    with pytest.raises(AnsibleFilterError):
        f.vsphere_traffic_labels({'guest': 'a,,ovs'})


def test_version_problem():
    assert f.vsphere_version_problem('8.0.2', '4.20') == ''
    assert "'6.7.0'" in f.vsphere_version_problem('6.7.0', '4.20')


def test_host_problems_use_the_same_rules():
    values = {'cshv_cluster': 'a b', 'cshv_vcenter_hostname': 'vc', 'cshv_vcenter_username': 'u',
              'cshv_vcenter_password': 'pw-1', 'cshv_esxi_username': 'root', 'cshv_esxi_password': 'pw-2',
              'cshv_esxi_ssl_thumbprint': ':'.join(['AB'] * 20), 'cshv_vsphere_management_vlan': ''}
    problems = f.vsphere_host_problems(H, values)
    assert [p['check'] for p in problems] == ['names'] and "'a b'" in problems[0]['msg']
    values['cshv_cluster'] = 'ab'
    assert f.vsphere_host_problems(H, values) == []
