# SPDX-License-Identifier: GPL-3.0-or-later
"""The kvm role's "Restart libvirtd" handler, its conditions evaluated by Ansible's own templar.

qemu.conf changes notify it; it stands aside only when libvirt_listen really stopped and
started libvirtd in the same run, after qemu.conf was written (``restarted``). Keyed on
``changed`` instead, a run where libvirt_listen changed only the client side (libvirt.conf,
with modular daemons) left a qemu.conf change unapplied (issue 14).
"""
from __future__ import annotations

import os

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

HANDLERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles', 'kvm', 'handlers', 'main.yml')


def restart_runs(listen_result, check_fresh=False):
    loader = DataLoader()
    handler = [h for h in loader.load_from_file(HANDLERS) if h['name'] == 'Restart libvirtd'][0]
    templar = Templar(loader=loader, variables={'__kvm_libvirt_listen': listen_result, '__kvm_check_fresh': check_fresh})
    return all(templar.evaluate_conditional(trust_as_template(c)) for c in handler['when'])


@pytest.mark.parametrize('listen, runs', [
    ({'changed': False, 'restarted': False}, True),    # only qemu.conf changed
    ({'changed': True, 'restarted': False}, True),     # libvirt_listen changed libvirt.conf only: no restart of its own
    ({'changed': True, 'restarted': True}, False),     # libvirt_listen restarted libvirtd after qemu.conf was written
])
def test_restart_libvirtd_unless_libvirt_listen_restarted_it(listen, runs):
    assert restart_runs(listen) is runs


def test_no_restart_on_a_fresh_host_in_check_mode():
    assert restart_runs({'changed': True, 'restarted': False}, check_fresh=True) is False
