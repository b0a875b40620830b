# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the vSphere inventory rules (plugins/plugin_utils/_vsphere_rules.py),
through the same entry point the preflight uses (_cluster.validate_inventory)."""
from __future__ import annotations

import pytest

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster
from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils import _vsphere_rules as rules

THUMB = ':'.join(['AB'] * 20)
SECRETS = ('vc-Secret-1', 'esx-Secret-2')


def vsphere_host(n):
    return {
        'cshv_zone': 'zone1', 'cshv_pod': 'pod1', 'cshv_cluster': 'cs-cluster1',
        'cshv_management_address': '192.168.50.%d/24' % (10 + n),
        'cshv_management_gateway': '192.168.50.1',
        'cshv_vcenter_hostname': 'vcenter.example', 'cshv_vcenter_username': 'administrator@vsphere.local',
        'cshv_vcenter_password': SECRETS[0],
        'cshv_esxi_username': 'root', 'cshv_esxi_password': SECRETS[1], 'cshv_esxi_ssl_thumbprint': THUMB,
        'cshv_vsphere_vswitches': [{'name': 'vSwitch0', 'nics': ['vmnic0'], 'mtu': 1500, 'ports': 4088},
                                   {'name': 'vSwitch1', 'nics': ['vmnic1'], 'mtu': 9000, 'ports': 4088}],
        'cshv_vsphere_portgroups': [{'name': 'vMotion', 'vswitch': 'vSwitch1', 'vlan': 300, 'service': 'vmotion'},
                                    {'name': 'Storage', 'vswitch': 'vSwitch1', 'vlan': 400, 'service': 'storage'}],
        'cshv_vsphere_vmkernel_addresses': {'vMotion': '10.30.0.%d/24' % (10 + n), 'Storage': '10.40.0.%d/24' % (10 + n)},
        'cshv_vsphere_management_vlan': 100,
        'cshv_traffic_labels': {'management': 'vSwitch0,,vmwaresvs', 'storage': 'vSwitch1',
                                'guest': 'vSwitch1,,vmwaresvs', 'public': 'vSwitch1,200,vmwaresvs'},
    }


def inventory(n=3):
    hosts = ['esxi%d.lab.example' % i for i in range(1, n + 1)]
    return {'vsphere_hosts': list(hosts)}, {h: vsphere_host(i) for i, h in enumerate(hosts, 1)}


def check(groups, hv):
    return _cluster.validate_inventory(groups, hv)[0]


def only(problems, check_name):
    assert len(problems) == 1, problems
    assert problems[0]['check'] == check_name, problems
    return problems[0]


def test_good_inventory_passes():
    groups, hv = inventory(3)
    assert check(groups, hv) == []


@pytest.mark.parametrize('bad,what', [('cs cluster', 'a space'), ('cs/cluster', '"/"'), ('cs%cluster', '"%"')])
def test_cluster_name_with_space_slash_or_percent(bad, what):
    groups, hv = inventory(2)
    for v in hv.values():
        v['cshv_cluster'] = bad
    problems = check(groups, hv)
    msgs = [p['msg'] for p in problems if p['check'] == 'names' or p['check'] == 'placement']
    assert msgs and all(bad in m for m in msgs), problems
    assert any(what in m for m in msgs) or '/' in bad, problems


@pytest.mark.parametrize('name', ['esx 1', 'esx%1'])
def test_host_name_with_space_or_percent(name):
    groups, hv = inventory(1)
    old = groups['vsphere_hosts'][0]
    groups['vsphere_hosts'] = [name]
    hv = {name: hv[old]}
    p = only(check(groups, hv), 'names')
    assert p['host'] == name and p['value'] == name


def test_vswitch_and_portgroup_names():
    groups, hv = inventory(1)
    v = hv['esxi1.lab.example']
    v['cshv_vsphere_portgroups'][0]['name'] = 'v Motion'
    v['cshv_vsphere_vmkernel_addresses'] = {'v Motion': '10.30.0.11/24', 'Storage': '10.40.0.11/24'}
    p = only(check(groups, hv), 'names')
    assert "'v Motion'" in p['msg'] and 'esxi1.lab.example' in p['msg']


@pytest.mark.parametrize('traffic', ['management', 'storage'])
def test_management_or_storage_label_on_distributed_switch(traffic):
    groups, hv = inventory(2)
    for v in hv.values():
        v['cshv_traffic_labels'][traffic] = 'dvSwitch0,,vmwaredvs'
    problems = check(groups, hv)
    assert len(problems) == 2 and all(p['check'] == 'labels' for p in problems), problems
    assert "'dvSwitch0,,vmwaredvs'" in problems[0]['msg'] and 'esxi1.lab.example' in problems[0]['msg']


def test_guest_label_on_distributed_switch_is_fine():
    groups, hv = inventory(2)
    for v in hv.values():
        v['cshv_traffic_labels']['guest'] = 'dvSwitch1,,vmwaredvs'
    assert check(groups, hv) == []


def test_nine_hosts():
    groups, hv = inventory(9)
    p = only(check(groups, hv), 'size')
    assert p['host'] == 'esxi9.lab.example' and '9 vsphere hosts' in p['msg'] and 'at most 8' in p['msg']


def test_host_without_thumbprint():
    groups, hv = inventory(3)
    del hv['esxi2.lab.example']['cshv_esxi_ssl_thumbprint']
    p = only(check(groups, hv), 'thumbprint')
    assert p['host'] == 'esxi2.lab.example' and 'esxi2.lab.example' in p['msg']


def test_thumbprint_not_a_fingerprint():
    groups, hv = inventory(1)
    hv['esxi1.lab.example']['cshv_esxi_ssl_thumbprint'] = 'AB:CD'
    p = only(check(groups, hv), 'thumbprint')
    assert "'AB:CD'" in p['msg']


def test_sha256_thumbprint_accepted():
    groups, hv = inventory(1)
    hv['esxi1.lab.example']['cshv_esxi_ssl_thumbprint'] = ':'.join(['0f'] * 32)
    assert check(groups, hv) == []


@pytest.mark.parametrize('vlan,why', [(4095, '4095'), (4096, 'outside 1-4094'), ('x', 'not a number'), (True, 'boolean')])
def test_management_vlan_invalid(vlan, why):
    groups, hv = inventory(1)
    hv['esxi1.lab.example']['cshv_vsphere_management_vlan'] = vlan
    p = only(check(groups, hv), 'vlan')
    assert why in p['msg'] and 'esxi1.lab.example' in p['msg'] and 'management VLAN' in p['msg']


def test_portgroup_vlan_4095_refused():
    groups, hv = inventory(1)
    hv['esxi1.lab.example']['cshv_vsphere_portgroups'][0]['vlan'] = 4095
    p = only(check(groups, hv), 'vlan')
    assert "'vMotion'" in p['msg'] and '4095' in p['msg']


def test_vswitch_names_differ_in_cluster():
    groups, hv = inventory(3)
    v = hv['esxi3.lab.example']
    v['cshv_vsphere_vswitches'][1]['name'] = 'vSwitch2'
    for pg in v['cshv_vsphere_portgroups']:
        pg['vswitch'] = 'vSwitch2'
    v['cshv_traffic_labels'] = {k: l.replace('vSwitch1', 'vSwitch2') for k, l in v['cshv_traffic_labels'].items()}
    problems = check(groups, hv)
    hosts = {p['host'] for p in problems}
    assert hosts == {'esxi3.lab.example'}, problems
    assert any("'vSwitch2'" in p['msg'] and 'vSwitch names' in p['msg'] for p in problems), problems


@pytest.mark.parametrize('var', ['cshv_vcenter_password', 'cshv_esxi_password'])
def test_missing_password(var):
    groups, hv = inventory(2)
    del hv['esxi2.lab.example'][var]
    p = only(check(groups, hv), 'secrets')
    assert p['host'] == 'esxi2.lab.example' and var in p['msg']


@pytest.mark.parametrize('value', ['', 'changeme', '<vault>'])
def test_placeholder_password_never_shown(value):
    groups, hv = inventory(1)
    hv['esxi1.lab.example']['cshv_vcenter_password'] = value
    p = only(check(groups, hv), 'secrets')
    assert 'cshv_vcenter_password' in p['msg']
    if value:
        assert value not in p['msg']


def test_secret_values_never_in_any_message():
    groups, hv = inventory(2)
    for v in hv.values():
        v['cshv_cluster'] = 'a b'
        v['cshv_vsphere_management_vlan'] = 4095
        del v['cshv_esxi_ssl_thumbprint']
    problems = check(groups, hv)
    assert problems
    for p in problems:
        for s in SECRETS:
            assert s not in p['msg'] and s not in str(p['value'])


def test_missing_vcenter_hostname():
    groups, hv = inventory(1)
    del hv['esxi1.lab.example']['cshv_vcenter_hostname']
    p = only(check(groups, hv), 'vcenter')
    assert 'cshv_vcenter_hostname' in p['msg']


def test_cloud_portgroup_refused():
    groups, hv = inventory(1)
    v = hv['esxi1.lab.example']
    v['cshv_vsphere_portgroups'][0]['name'] = 'cloud.guest.200'
    v['cshv_vsphere_vmkernel_addresses'] = {'cloud.guest.200': '10.30.0.11/24', 'Storage': '10.40.0.11/24'}
    p = only(check(groups, hv), 'portgroups')
    assert 'cloud.*' in p['msg']


def test_label_names_unknown_vswitch():
    groups, hv = inventory(1)
    hv['esxi1.lab.example']['cshv_traffic_labels']['guest'] = 'vSwitch7'
    p = only(check(groups, hv), 'labels')
    assert "'vSwitch7'" in p['msg']


@pytest.mark.parametrize('label,parsed', [
    ('vSwitch0', {'name': 'vSwitch0', 'vlan': None, 'type': 'vmwaresvs'}),
    ('vSwitch1,200', {'name': 'vSwitch1', 'vlan': 200, 'type': 'vmwaresvs'}),
    ('dvs,,vmwaredvs', {'name': 'dvs', 'vlan': None, 'type': 'vmwaredvs'}),
])
def test_parse_label(label, parsed):
    assert rules.parse_label(label) == (parsed, None)


@pytest.mark.parametrize('label', ['', ',,', 'a,b,c,d', 'a,5000', 'a,,ovs'])
def test_parse_label_bad(label):
    assert rules.parse_label(label)[1]


def test_format_label():
    assert rules.format_label('vSwitch1', 200) == 'vSwitch1,200,vmwaresvs'
    assert rules.format_label('vSwitch0') == 'vSwitch0,,vmwaresvs'


@pytest.mark.parametrize('vc,cs,ok', [
    ('8.0.2', '4.20', True), ('7.0.3', '4.22', True), ('8.0.3', '4.23', True),
    ('6.7.0', '4.20', False), ('6.7.0', '4.19', True), ('8.0.1', '4.19', False), ('8.0.0', '4.19', True),
    ('9.0.0', '4.22', False), ('7.0.3', '4.18', False), ('', '4.20', False),
])
def test_vcenter_version(vc, cs, ok):
    err = rules.check_vcenter_version(vc, cs)
    assert (err is None) == ok, err
    if not ok and vc:
        assert "'%s'" % vc in err or '4.18' in err


def test_example_vsphere_inventory_needs_its_vaulted_secrets():
    """The shipped example passes the rules once its vaulted passwords exist, and names them while they don't."""
    import os
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager
    from ansible_collections.cloudstack.hypervisors.plugins.action import cluster_preflight as action

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))

    def run(extra):
        loader = DataLoader()
        inventory = InventoryManager(loader=loader, sources=[os.path.join(root, 'inventories', 'example-vsphere')])
        vm = VariableManager(loader=loader, inventory=inventory)
        vm._extra_vars = dict(extra)
        groups, model = action.collect_inventory(inventory.get_groups_dict(),
                                                 HostVars(inventory=inventory, variable_manager=vm, loader=loader))
        return _cluster.validate_inventory(groups, model)

    problems, _c = run({})
    assert problems and {p['check'] for p in problems} <= {'secrets', 'template'}, problems
    problems, clusters = run({'vault_vcenter_password': 'example-only-1', 'vault_esxi_password': 'example-only-2'})
    assert problems == []
    assert {n: c['hosts'] for n, c in clusters.items()} == {
        'zone2/pod1/vmw-cluster1': ['esxi1.example.org', 'esxi2.example.org', 'esxi3.example.org']}


@pytest.mark.parametrize('value,allow,want', [
    (None, True, (0, None)), ('', True, (0, None)), (0, True, (0, None)), ('0', True, (0, None)),
    (200, True, (200, None)), ('4094', False, (4094, None)),
])
def test_parse_vlan_accepts(value, allow, want):
    assert rules.parse_vlan(value, allow_untagged=allow) == want


@pytest.mark.parametrize('value,allow,why', [
    (4095, True, '4095 (all VLANs'), ('4095', True, '4095 (all VLANs'), (0, False, 'outside 1-4094'),
    (4096, True, 'outside 1-4094'), (-1, True, 'outside 1-4094'), ('-1', True, 'not a number'),
    (True, True, 'boolean'), (200.0, True, 'not a number'), ('guest', True, 'not a number'),
    # issue 17 kind 2: "200 " is a typo somewhere, not VLAN 200
    (' 200 ', True, 'not a number'), ('200 ', True, 'not a number'),
])
def test_parse_vlan_refuses(value, allow, why):
    vlan, err = rules.parse_vlan(value, allow_untagged=allow)
    assert vlan is None and why in err


@pytest.mark.parametrize('targets,words', [
    ([{'address': '10.40.0.5 '}], ["'10.40.0.5 '", 'neither an IP address nor a host name']),
    ([{'address': '300.1.1.1'}], ["'300.1.1.1'", 'neither']),
    ([{}], ['address unset']),
    ([{'address': 'iscsi.lab.example', 'port': 0}], ['port 0', '1-65535']),
    ([{'address': 'fd00::5', 'port': '3260'}], ["port '3260', which is not a number", 'without quotes']),
    ([{'address': 'fd00::5', 'port': 70000}], ['port 70000; use 1-65535']),
    ([{'address': '10.40.0.5', 'vmhba': 'hba65'}], ["adapter 'hba65'"]),
    (['10.40.0.5'], ["is '10.40.0.5'", '{address, port, vmhba}']),
    ({'address': '10.40.0.5'}, ['use a list']),
])
def test_iscsi_send_targets(targets, words):
    """The software iSCSI targets (a role variable) are checked with the inventory, host named."""
    groups, hv = inventory(2)
    hv['esxi2.lab.example']['vsphere_iscsi_send_targets'] = targets
    p = only(check(groups, hv), 'iscsi')
    assert p['host'] == 'esxi2.lab.example' and 'esxi2.lab.example' in p['msg']
    for w in words:
        assert w in p['msg'], p['msg']


def test_iscsi_send_targets_good():
    groups, hv = inventory(1)
    hv['esxi1.lab.example']['vsphere_iscsi_send_targets'] = [
        {'address': '10.40.0.5'}, {'address': 'iscsi-a.lab.example', 'port': 3260, 'vmhba': 'vmhba64'},
        {'address': 'fd00::5'}]
    assert check(groups, hv) == []
