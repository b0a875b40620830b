# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The canary plan of the compute rollout (issue 13): one host of every cluster first.

``rollout_plan`` takes the hosts of the planning play (``ansible_play_hosts_all``:
``--limit`` already applied), Ansible's ``groups`` and ``hostvars`` and the tags of
the run, and returns one ``{host, group, canary, cluster}`` per host to roll out:
the first host of each cluster (in inventory order) goes to the group
``cshv_rollout_canaries``, every other host to ``cshv_rollout_rest`` with the
name of its cluster's canary. The rollout play takes the canaries as its first
batch (one host of every KVM and LXC cluster side by side) and the rest as its
second, so the number of batches does not grow with the number of clusters; a
host of the rest whose canary did not finish stays untouched.

A cluster is the placement ``cshv_zone/cshv_pod/cshv_cluster`` (the preflight
refuses a KVM/LXC host without it; a host that lacks it anyway counts as a
cluster of its hypervisor group). Tags: ``--tags kvm`` rolls out only the KVM
hosts, ``--tags lxc`` only the LXC hosts, ``--skip-tags kvm`` leaves the KVM
hosts out (docs/playbooks.md, Tags).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudstack.hypervisors.plugins.module_utils._cluster import hypervisor_of

CANARIES = 'cshv_rollout_canaries'
REST = 'cshv_rollout_rest'
COMPUTE = ('kvm', 'lxc')  # the hypervisors (and the tags) of the compute rollout
ALL_TAGS = ('all', 'tagged', 'rollout')


def _hypervisor(groups, host):
    """'kvm' or 'lxc' (the preflight's own group map), None for any other host."""
    return next((hv for hv in hypervisor_of(groups, host) if hv in COMPUTE), None)


def _selected(tag, run_tags, skip_tags):
    if tag in skip_tags or 'rollout' in skip_tags:
        return False
    return any(t in run_tags for t in ALL_TAGS + (tag,))


def rollout_plan(hosts, groups, hostvars, run_tags=None, skip_tags=None):
    """``[{host, group, canary, cluster}]``: canaries first, then the rest, each in *hosts* order."""
    if not isinstance(groups, dict):
        raise AnsibleFilterError('rollout_plan: groups must be a mapping of group names to host lists')
    run_tags = list(run_tags or ['all'])
    skip_tags = list(skip_tags or [])
    canary_of = {}
    canaries, rest = [], []
    for host in hosts or []:
        tag = _hypervisor(groups, host)
        if tag is None or not _selected(tag, run_tags, skip_tags):
            continue
        hv = hostvars[host] if host in hostvars else {}
        place = [hv.get(k) for k in ('cshv_zone', 'cshv_pod', 'cshv_cluster')]
        cluster = '/'.join(str(p) for p in place) if all(place) else '(%s hosts)' % tag
        if cluster not in canary_of:
            canary_of[cluster] = host
            canaries.append({'host': host, 'group': CANARIES, 'canary': host, 'cluster': cluster})
        else:
            rest.append({'host': host, 'group': REST, 'canary': canary_of[cluster], 'cluster': cluster})
    return canaries + rest


class FilterModule(object):
    def filters(self):
        return {'rollout_plan': rollout_plan}
