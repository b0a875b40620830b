# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm role with Open vSwitch and firewalld: end state on ovs1."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvm_checks import *  # noqa: E402,F401,F403  pylint: disable=wildcard-import,unused-wildcard-import

testinfra_hosts = ['ansible://ovs1']


@pytest.fixture
def expect():
    return {
        'hypervisor_type': 'kvm',
        'bridge_type': 'openvswitch',
        'firewall': 'firewalld',
        'agent_keys': {'guest.cpu.mode': 'host-passthrough'},
        'ovs_bridges': [{'name': 'cloudbr', 'uplinks': ['eth1']},
                        {'name': 'cloudbr0', 'parent': 'cloudbr', 'vlan': 200},
                        {'name': 'cloudbr1', 'parent': 'cloudbr', 'vlan': 300}],
    }


def test_no_linux_bridges_made(host):
    assert not host.file('/sys/class/net/cloudbr0/bridge').exists


def test_fake_bridges_listed_before_parent_still_converge(host):
    # molecule.yml lists the fake bridges first: the role makes real bridges first.
    assert host.check_output('ovs-vsctl list-br').split() == ['cloudbr', 'cloudbr0', 'cloudbr1']
