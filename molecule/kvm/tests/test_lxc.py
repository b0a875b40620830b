# SPDX-License-Identifier: GPL-3.0-or-later
"""lxc role: the kvm end state with hypervisor.type=lxc, direct networking and ufw, on lxc1."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvm_checks import *  # noqa: E402,F401,F403  pylint: disable=wildcard-import,unused-wildcard-import

testinfra_hosts = ['ansible://lxc1']


@pytest.fixture
def expect():
    return {
        'hypervisor_type': 'lxc',
        'bridge_type': 'native',
        'firewall': 'ufw',
        'agent_keys': {'libvirt.vif.driver': 'com.cloud.hypervisor.kvm.resource.DirectVifDriver',
                       'network.direct.source.mode': 'bridge',
                       'network.direct.device': 'cloudbr0'},
        'linux_bridges': [{'name': 'cloudbr0', 'ports': ['eth1'], 'stp': False}],
    }


def test_libvirt_lxc_driver_answers(host):
    assert host.package('libvirt-daemon-driver-lxc').is_installed
    out = host.run('virsh -c lxc:/// version')
    assert out.rc == 0, out.stderr
    assert 'Using API: LXC' in out.stdout


def test_kvm_still_available_for_system_vms(host):
    out = host.run('virsh -c qemu:///system version')
    assert out.rc == 0 and 'QEMU' in out.stdout
