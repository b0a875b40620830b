# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the compute rollout's canary plan (plugins/filter/rollout.py, issue 13)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudstack.hypervisors.plugins.filter.rollout import rollout_plan


def _place(cluster, zone='z1', pod='p1'):
    return {'cshv_zone': zone, 'cshv_pod': pod, 'cshv_cluster': cluster}


def _inventory(clusters):
    """clusters: [(hypervisor group, cluster name, [hosts])] -> (hosts, groups, hostvars)."""
    hosts, groups, hostvars = [], {'kvm_hosts': [], 'lxc_hosts': []}, {}
    for group, cluster, members in clusters:
        for h in members:
            hosts.append(h)
            groups[group].append(h)
            hostvars[h] = _place(cluster)
    return hosts, groups, hostvars


def _batches(plan):
    return ([p['host'] for p in plan if p['group'] == 'cshv_rollout_canaries'],
            [p['host'] for p in plan if p['group'] == 'cshv_rollout_rest'])


def test_one_canary_per_cluster_kvm_and_lxc_side_by_side():
    hosts, groups, hostvars = _inventory([('kvm_hosts', 'kvm-a', ['kvm1', 'kvm2']),
                                          ('lxc_hosts', 'lxc-a', ['lxc1', 'lxc2'])])
    plan = rollout_plan(hosts, groups, hostvars)
    assert _batches(plan) == (['kvm1', 'lxc1'], ['kvm2', 'lxc2'])
    assert {p['host']: p['canary'] for p in plan} == {'kvm1': 'kvm1', 'lxc1': 'lxc1', 'kvm2': 'kvm1', 'lxc2': 'lxc1'}
    assert {p['cluster'] for p in plan} == {'z1/p1/kvm-a', 'z1/p1/lxc-a'}


def test_the_number_of_batches_does_not_grow_with_the_clusters():
    spec = [('kvm_hosts', 'c%d' % c, ['h%d-%d' % (c, i) for i in range(4)]) for c in range(10)]
    plan = rollout_plan(*_inventory(spec))
    canaries, rest = _batches(plan)
    assert canaries == ['h%d-0' % c for c in range(10)]
    assert len(rest) == 30 and all(p['canary'] == p['host'].split('-')[0] + '-0' for p in plan)


def test_same_cluster_name_in_another_pod_is_another_cluster():
    hosts = ['a1', 'a2', 'b1']
    groups = {'kvm_hosts': hosts}
    hostvars = {'a1': _place('c', pod='p1'), 'a2': _place('c', pod='p1'), 'b1': _place('c', pod='p2')}
    assert _batches(rollout_plan(hosts, groups, hostvars)) == (['a1', 'b1'], ['a2'])


def test_a_cluster_of_one_host_has_only_its_canary():
    hosts, groups, hostvars = _inventory([('kvm_hosts', 'solo', ['kvm1'])])
    assert _batches(rollout_plan(hosts, groups, hostvars)) == (['kvm1'], [])


def test_the_order_of_the_play_hosts_decides_the_canary():
    hosts, groups, hostvars = _inventory([('kvm_hosts', 'c', ['kvm1', 'kvm2', 'kvm3'])])
    assert _batches(rollout_plan(['kvm3', 'kvm1', 'kvm2'], groups, hostvars)) == (['kvm3'], ['kvm1', 'kvm2'])


@pytest.mark.parametrize('run_tags, skip_tags, expected', [
    (['all'], [], ['kvm1', 'lxc1', 'kvm2', 'lxc2']),
    (['kvm'], [], ['kvm1', 'kvm2']),
    (['lxc', 'verify'], [], ['lxc1', 'lxc2']),
    (['rollout'], [], ['kvm1', 'lxc1', 'kvm2', 'lxc2']),
    (['all'], ['lxc'], ['kvm1', 'kvm2']),
    (['all'], ['rollout'], []),
    (['verify'], [], []),
])
def test_tags_select_the_hypervisors(run_tags, skip_tags, expected):
    hosts, groups, hostvars = _inventory([('kvm_hosts', 'kvm-a', ['kvm1', 'kvm2']),
                                          ('lxc_hosts', 'lxc-a', ['lxc1', 'lxc2'])])
    plan = rollout_plan(hosts, groups, hostvars, run_tags, skip_tags)
    assert [p['host'] for p in plan] == expected


def test_hosts_of_other_hypervisors_are_not_rolled_out_here():
    groups = {'kvm_hosts': ['kvm1'], 'xenserver_hosts': ['xen1'], 'vsphere_hosts': ['esx1']}
    hostvars = {h: _place('c-' + h) for h in ('kvm1', 'xen1', 'esx1')}
    assert [p['host'] for p in rollout_plan(['kvm1', 'xen1', 'esx1'], groups, hostvars)] == ['kvm1']


def test_a_host_without_placement_counts_as_a_cluster_of_its_group():
    groups = {'kvm_hosts': ['kvm1', 'kvm2'], 'lxc_hosts': ['lxc1']}
    plan = rollout_plan(['kvm1', 'kvm2', 'lxc1'], groups, {'kvm1': {}, 'kvm2': {'cshv_zone': 'z'}, 'lxc1': {}})
    assert _batches(plan) == (['kvm1', 'lxc1'], ['kvm2'])
    assert plan[0]['cluster'] == '(kvm hosts)'


def test_groups_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError, match='groups must be a mapping'):
        rollout_plan(['kvm1'], ['kvm_hosts'], {})
