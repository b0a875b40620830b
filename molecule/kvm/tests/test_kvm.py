# SPDX-License-Identifier: GPL-3.0-or-later
"""kvm role with Linux bridges and iptables: end state on kvm1 (its peer is ovs1)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvm_checks import *  # noqa: E402,F401,F403  pylint: disable=wildcard-import,unused-wildcard-import

testinfra_hosts = ['ansible://kvm1']


@pytest.fixture
def expect():
    return {
        'hypervisor_type': 'kvm',
        'bridge_type': 'native',
        'firewall': 'iptables',
        'agent_keys': {'guest.cpu.mode': 'custom', 'guest.cpu.model': 'Haswell-noTSX',
                       'guest.cpu.features': 'vmx -hle', 'private.network.device': 'cloudbr0'},
        'linux_bridges': [{'name': 'cloudbr0', 'ports': ['eth1'], 'stp': False},
                          {'name': 'cloudbr1', 'ports': [], 'stp': True}],
    }
