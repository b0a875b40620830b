# SPDX-License-Identifier: GPL-3.0-or-later
"""The gate of the compute rollout play (playbooks/plays/compute.yml, issue 13), its conditions
evaluated by Ansible's own templar: a host is left untouched only when the canary of its cluster
ran in an earlier batch and did not finish. The lab runs (tests/integration/test_site.py) show
the default batches; these cases cover a ``cshv_serial`` of the operator's own.
"""
from __future__ import annotations

import os

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

PLAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'playbooks', 'plays', 'compute.yml')
GATE = 'Leave this host untouched when the canary of its cluster did not finish its rollout'


def left_untouched(host, canary, batch, done):
    loader = DataLoader()
    rollout = [p for p in loader.load_from_file(PLAY) if p['name'].startswith('Compute hosts | host preparation')][0]
    gate = [t for t in rollout['tasks'] if t.get('name') == GATE][0]
    hostvars = {h: ({'cshv_rollout_done': True} if h in done else {}) for h in ('kvm1', 'kvm2', 'kvm3', 'lxc1', 'lxc2')}
    templar = Templar(loader=loader, variables={'inventory_hostname': host, 'cshv_rollout_canary': canary,
                                                'ansible_play_batch': batch, 'hostvars': hostvars})
    return all(templar.evaluate_conditional(trust_as_template(c)) for c in gate['when'])


@pytest.mark.parametrize('host, canary, batch, done, untouched', [
    # default batches: [kvm1, lxc1], then [kvm2, lxc2]
    ('kvm2', 'kvm1', ['kvm2', 'lxc2'], ['kvm1', 'lxc1'], False),   # both canaries finished
    ('kvm2', 'kvm1', ['kvm2', 'lxc2'], ['lxc1'], True),            # kvm1 failed: its cluster stops
    ('lxc2', 'lxc1', ['kvm2', 'lxc2'], ['lxc1'], False),           # ... the other cluster goes on
    ('kvm1', 'kvm1', ['kvm1', 'lxc1'], [], False),                 # a canary is never held back
    # cshv_serial [1, 3, "100%"]: [kvm1], then [lxc1, kvm2, lxc2] - lxc2 shares a batch with its canary
    ('lxc2', 'lxc1', ['lxc1', 'kvm2', 'lxc2'], ['kvm1'], False),
    ('kvm3', 'kvm1', ['kvm3'], [], True),                          # kvm1 (batch 1) failed
])
def test_gate(host, canary, batch, done, untouched):
    assert left_untouched(host, canary, batch, done) is untouched
