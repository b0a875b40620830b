# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad inputs: each inventory (or host state) is stopped before any change, with a message
naming the host and the value, and the double's state fingerprint is unchanged.

The first group is caught by the whole-inventory preflight (no host contacted); the second
needs the hosts' state and is caught by the read-only XenAPI preflight
(xenserver_pool_info + the rules of plugin_utils/_xenserver_rules.py). The cases run in a
few threads, each with its own double.
"""
from __future__ import annotations

import os
import tempfile
import threading

import pytest

from tests.xenserver import xenlab

PROFILE = 'xcp-ng-8.3-current'
BOND_PUBLIC = {'name_label': 'cloud-public', 'members': ['eth2', 'eth3', 'eth6'], 'mode': 'balance-slb'}
BOND_PRIVATE = {'name_label': 'cloud-private', 'members': ['eth0', 'eth1'], 'mode': 'active-backup'}

# name -> dict(n, overrides, extra_hosts, group_vars, host_vars, expect=[substrings], host)
CASES = {
    'nine_hosts_in_a_pool': dict(n=9, expect=['xen-pool1', '9 xenserver hosts', 'at most 8', 'xs9'], host='xs9'),
    'one_member_bond': dict(group_vars={'xenserver_pool_bonds': [BOND_PRIVATE, dict(BOND_PUBLIC, members=['eth2'])]},
                            expect=['bond cloud-public of xs1', "['eth2']", 'at least two']),
    'two_networks_one_label': dict(group_vars={'xenserver_pool_networks': [{'device': 'eth4', 'name_label': 'cloud-guest'},
                                                                           {'device': 'eth5', 'name_label': 'cloud-guest'}]},
                                   expect=['label cloud-guest is given to two networks of xs1', 'eth4', 'eth5']),
    'label_not_a_traffic_label': dict(group_vars={'xenserver_pool_networks': [{'device': 'eth4', 'name_label': 'cloud-gest'},
                                                                              {'device': 'eth5', 'name_label': 'cloud-storage'}]},
                                      expect=['label cloud-gest (eth4) of xs1 is not one of the traffic labels']),
    'join_password_missing': dict(group_vars={'xenserver_pool_password': ''},
                                  expect=['xenserver_pool_password', 'not set for xs1']),
    'bond_members_differ_between_hosts': dict(host_vars={'xs2': {'xenserver_pool_bonds': [BOND_PRIVATE, dict(BOND_PUBLIC, members=['eth2', 'eth3'])]}},
                                              expect=['bonds (members and modes) of xs2 differ from those of xs1']),
    'bond_member_missing_on_one_host': dict(overrides={'xs2': {'nics': ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5']}},
                                            expect=['xs2 has no NIC eth6 for bond cloud-public']),
    'lacp_with_bridge_backend': dict(overrides=dict((h, {'backend': 'bridge'}) for h in ('xs1', 'xs2', 'xs3')),
                                     group_vars={'xenserver_pool_bonds': [BOND_PRIVATE, dict(BOND_PUBLIC, mode='lacp')]},
                                     expect=['bond cloud-public is lacp', 'xs1 uses bridge']),
    'management_on_a_vlan': dict(overrides={'xs2': {'management_vlan': 43}}, expect=['management of xs2 is on VLAN 43']),
    'mixed_product_versions': dict(overrides={'xs3': {'profile': 'xcp-ng-8.2'}}, expect=['xs3 runs XCP-ng 8.2.1', 'XCP-ng 8.3.0']),
    'host_already_in_another_pool': dict(overrides={'xs3': {'in_pool_of': 'xs9'}},
                                         extra_hosts=[{'name': 'xs9', 'address': '192.168.43.29', 'nics': list(xenlab.NICS)}],
                                         expect=['xs3 is already a member of another pool', '192.168.43.29']),
    'bonds_on_a_joining_host': dict(overrides={'xs2': {'bonds': [{'members': ['eth4', 'eth5'], 'mode': 'active-backup'}]}},
                                    expect=['xs2 has bond(s)', 'eth4, eth5', 'POOL_JOINING_HOST_HAS_BONDS']),
    'running_vms_on_a_joining_host': dict(overrides={'xs3': {'running_vms': 1}}, expect=['xs3 has running VMs']),
    'cloudstack_too_old_for_the_product': dict(group_vars={'xenserver_pool_cloudstack_version': '4.19.1'},
                                               expect=['XCP-ng 8.3.0 needs CloudStack 4.20.1', '4.19.1']),
}


def attempt(name, case, out):
    res = {}
    try:
        n = case.get('n', 3)
        in_double = min(n, 3)
        d = xenlab.start_double(PROFILE, in_double, case.get('overrides'), case.get('extra_hosts', ()))
        res['before'] = d.fingerprint()
        tmp = tempfile.mkdtemp(prefix='xen-bad-%s-' % name)
        spec = xenlab.hosts_spec(n, case.get('overrides'))
        inv = xenlab.write_inventory(os.path.join(tmp, 'hosts.yml'), d, spec, case.get('group_vars'),
                                     case.get('host_vars'), report_dir=tmp)
        res['run'] = xenlab.playbook(inv)
        res['after'] = d.fingerprint()
        xenlab.stop_double(d)
    except Exception as e:  # pragma: no cover - shown by the test
        res['error'] = repr(e)
    out[name] = res


@pytest.fixture(scope='module')
def outcomes():
    out = {}
    names = sorted(CASES)
    for i in range(0, len(names), 4):
        threads = [threading.Thread(target=attempt, args=(n, CASES[n], out)) for n in names[i:i + 4]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return out


def test_at_least_ten_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize('name', sorted(CASES))
def test_bad_input_stops_before_any_change(outcomes, name):
    res = outcomes[name]
    assert 'error' not in res, res.get('error')
    run = res['run']
    assert run.rc != 0, 'the run did not fail'
    msgs = run.all_messages()
    for part in CASES[name]['expect']:
        assert part in msgs, (part, msgs)
    assert CASES[name].get('host', 'xs') in msgs
    # Stopped in a preflight play: no rollout task ran, nothing changed anywhere.
    assert not any('xenserver_pool : ' in t and 'Read the host' not in t and 'Validat' not in t and 'Check ' not in t
                   and 'Stop before' not in t and 'Remember' not in t and 'Talk to' not in t
                   for _p, t, _h, _r in run.tasks() if _p.startswith('XenServer pools')), run.tasks()
    assert run.changed() == set()
    assert res['after'] == res['before'], 'the double changed'
