# SPDX-License-Identifier: GPL-3.0-or-later
"""bridge_params: the validated inventory model -> the bridge modules' items."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudstack.hypervisors.plugins.filter.inventory_model import bridge_params

LINUX = [{'name': 'cloudbr0', 'ports': ['eth0'], 'stp': False, 'forward_delay': 5},
         {'name': 'cloudbr1', 'ports': ['eth0'], 'vlan': 200, 'mtu': 9000}]
OVS = [{'name': 'cloudbr', 'ports': ['eth0'], 'trunks': [100, 200, 300]},
       {'name': 'mgmt0', 'parent': 'cloudbr', 'vlan': 100},
       {'name': 'cloudbr1', 'parent': 'cloudbr', 'vlan': '300'}]


def test_linux_basic_example():
    out = bridge_params(LINUX, 'linux', 'linux', {'management': 'cloudbr0', 'guest': 'cloudbr1'},
                        '192.168.42.11/24', '192.168.42.1')
    assert out == [
        {'name': 'cloudbr0', 'ports': ['eth0'], 'stp': False, 'forward_delay': 5,
         'ipv4': '192.168.42.11/24', 'gateway': '192.168.42.1', 'management': True},
        {'name': 'cloudbr1', 'ports': [{'device': 'eth0', 'vlan': 200}], 'mtu': 9000},
    ]


def test_other_kind_is_empty():
    assert bridge_params(LINUX, 'openvswitch', 'linux') == []
    assert bridge_params(OVS, 'linux', 'openvswitch') == []


def test_ovs_example():
    out = bridge_params(OVS, 'openvswitch', 'openvswitch', {'management': 'mgmt0'}, '10.0.0.5/24', None,
                        {'rollback_timeout': 90})
    assert out == [
        {'name': 'cloudbr', 'uplinks': ['eth0'], 'trunks': [100, 200, 300]},
        {'name': 'mgmt0', 'parent': 'cloudbr', 'vlan': 100, 'ipv4': '10.0.0.5/24', 'management': True,
         'rollback_timeout': 90},
        {'name': 'cloudbr1', 'parent': 'cloudbr', 'vlan': 300},
    ]


def test_no_address_no_management():
    out = bridge_params(LINUX, 'linux', 'linux', {'management': 'cloudbr0'})
    assert 'management' not in out[0] and 'ipv4' not in out[0]


def test_bad_input():
    with pytest.raises(AnsibleFilterError):
        bridge_params([{'ports': ['eth0']}], 'linux')
    with pytest.raises(AnsibleFilterError):
        bridge_params(LINUX, 'ovs')
