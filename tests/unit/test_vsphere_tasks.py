# SPDX-License-Identifier: GPL-3.0-or-later
"""Expressions of the vsphere role's tasks, evaluated by Ansible's own templar.

A vSwitch may leave out ``mtu`` (the argument spec and the preflight default it to
1500); the vmkernel NIC task took the MTU with ``map(attribute='mtu')`` and failed
with "object of type 'dict' has no attribute 'mtu'" for a port group on such a
vSwitch (found by a new-user trial against the simulator, issue 11).
"""
from __future__ import annotations

import os

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

NETWORK = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles', 'vsphere', 'tasks', 'network.yml')


def vmkernel_mtu(vswitches, portgroup):
    loader = DataLoader()
    task = [t for t in loader.load_from_file(NETWORK) if t['name'].startswith('Vmkernel NICs')][0]
    templar = Templar(loader=loader, variables={'__vsphere_vswitches': vswitches, 'item': portgroup})
    return int(templar.template(trust_as_template(task['community.vmware.vmware_vmkernel']['mtu'])))


@pytest.mark.parametrize('vswitch, mtu', [
    ({'name': 'vSwitch1', 'nics': ['vmnic1']}, 1500),
    ({'name': 'vSwitch1', 'nics': ['vmnic1'], 'mtu': 9000}, 9000),
])
def test_vmkernel_mtu_is_the_vswitch_mtu(vswitch, mtu):
    assert vmkernel_mtu([{'name': 'vSwitch0', 'mtu': 1600}, vswitch], {'name': 'vMotion', 'vswitch': 'vSwitch1'}) == mtu


def test_vmkernel_mtu_of_a_vswitch_not_listed_is_1500():
    assert vmkernel_mtu([{'name': 'vSwitch1', 'mtu': 9000}], {'name': 'Storage', 'vswitch': 'vSwitch0'}) == 1500


def test_management_vlan_is_checked_before_any_vswitch_or_port_group_change():
    names = [t['name'] for t in DataLoader().load_from_file(NETWORK)]
    verified = [i for i, n in enumerate(names) if n.startswith('Management port group VLAN verified')][0]
    changes = [i for i, n in enumerate(names) if n.startswith(('Standard vSwitches', 'VMotion and storage port groups'))]
    assert changes and verified < min(changes), names
