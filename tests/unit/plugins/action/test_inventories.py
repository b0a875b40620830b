# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped inventories pass the inventory preflight; every bad fixture fails it.

Inventories are loaded through Ansible's own InventoryManager/VariableManager,
so group_vars, precedence and templating are Ansible's; the preflight
extraction is the action plugin's own (collect_inventory). No host is contacted.
"""
from __future__ import annotations

import os

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.cloudstack.hypervisors.plugins.action import cluster_preflight as action

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
LAB = os.path.join(ROOT, 'inventories', 'lab')
BAD = os.path.join(ROOT, 'tests', 'integration', 'bad_inventories')
FIXTURES = sorted(d for d in os.listdir(BAD) if os.path.isfile(os.path.join(BAD, d, 'expect.yml')))


def preflight(sources, extra_vars=None):
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=sources)
    vm = VariableManager(loader=loader, inventory=inventory)
    if extra_vars:
        vm._extra_vars = dict(extra_vars)
    hostvars = HostVars(inventory=inventory, variable_manager=vm, loader=loader)
    groups = inventory.get_groups_dict()
    problems, clusters, _g, _m, _i = action.validate(groups, hostvars)
    return problems, clusters


def test_lab_inventory_passes():
    problems, clusters = preflight([LAB])
    assert problems == []
    assert {n: c['hosts'] for n, c in clusters.items()} == {
        'lab/lab-pod1/lab-kvm': ['kvm1', 'kvm2'], 'lab/lab-pod1/lab-lxc': ['lxc1', 'lxc2']}


def test_example_basic_passes():
    problems, clusters = preflight([os.path.join(ROOT, 'inventories', 'example-basic')])
    assert problems == []
    assert list(clusters) == ['zone1/pod1/cluster1']


def test_example_advanced_needs_its_vaulted_secret():
    path = os.path.join(ROOT, 'inventories', 'example-advanced')
    problems, _c = preflight([path])
    assert {p['host'] for p in problems} == {'xen21', 'xen22'}
    assert all(p['check'] in ('secrets', 'template') for p in problems), problems
    problems, clusters = preflight([path], {'vault_xenserver_pool_password': 'an-example-only-value'})
    assert problems == []
    assert {n: c['hypervisor'] for n, c in clusters.items()} == {'zone1/pod1/kvm-ovs1': 'kvm',
                                                                 'zone1/pod2/xen-pool1': 'xenserver'}


def test_there_are_at_least_20_bad_inventories():
    assert len(FIXTURES) >= 20, FIXTURES


@pytest.mark.parametrize('name', FIXTURES)
def test_bad_inventory_fails_naming_host_and_value(name):
    with open(os.path.join(BAD, name, 'expect.yml')) as f:
        expect = yaml.safe_load(f)
    problems, _c = preflight([LAB, os.path.join(BAD, name, 'hosts.yml')])
    if expect.get('stage') in ('facts', 'host'):
        # only the fact probe on the lab can find it: the inventory itself must pass
        assert problems == [], problems
        return
    assert problems, '%s passed the preflight' % name
    hits = [p for p in problems if p['host'] == expect['host'] and p['check'] == expect['check']
            and all(s in p['msg'] for s in expect['contains'])]
    assert hits, 'no %s problem on %s containing %s in:\n%s' % (
        expect['check'], expect['host'], expect['contains'], '\n'.join(p['msg'] for p in problems))
    for s in expect.get('not_contains', []):
        assert all(s not in p['msg'] for p in problems)


@pytest.mark.parametrize('example,extra,btype,key', [
    ('example-basic', None, 'native', 'kvm_bridges'),
    ('example-advanced', {'vault_xenserver_pool_password': 'an-example-only-value'}, 'openvswitch', 'kvm_ovs_bridges'),
])
def test_examples_give_the_kvm_role_the_bridges_the_preflight_checked(example, extra, btype, key):
    """Issue 17 kind 1: an inventory in the documented model, with no kvm_* of its own,
    must hand the kvm role its bridges and agent devices (before: kvm_bridges defaulted to [])."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[os.path.join(ROOT, 'inventories', example)])
    vm = VariableManager(loader=loader, inventory=inventory)
    if extra:
        vm._extra_vars = dict(extra)
    hostvars = HostVars(inventory=inventory, variable_manager=vm, loader=loader)
    problems, _c, groups, model, inputs = action.validate(inventory.get_groups_dict(), hostvars)
    assert problems == []
    assert sorted(inputs) == sorted(groups['kvm_hosts'])
    for h, values in inputs.items():
        labels = model[h]['cshv_traffic_labels']
        assert values['kvm_network_bridge_type'] == btype
        assert [b['name'] for b in values[key]] == [b['name'] for b in model[h]['cshv_bridges']]
        mgmt = [b for b in values[key] if b.get('management')]
        assert [b['name'] for b in mgmt] == [labels['management']]
        assert mgmt[0]['ipv4'] == model[h]['cshv_management_address']
        assert values['kvm_private_network_device'] == labels['management']
        assert values['kvm_guest_network_device'] == labels['guest']
        assert values['kvm_public_network_device'] == labels.get('public', labels['guest'])
