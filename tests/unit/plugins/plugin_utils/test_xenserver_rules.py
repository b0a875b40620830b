# SPDX-License-Identifier: GPL-3.0-or-later
"""The XenServer pool rules (plugins/plugin_utils/_xenserver_rules.py) on plain data."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudstack.hypervisors.plugins.filter import xenserver as xfilter
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster

LABELS = {'management': 'cloud-private', 'guest': 'cloud-guest', 'public': 'cloud-public'}
BONDS = [{'name_label': 'cloud-private', 'members': ['eth0', 'eth1'], 'mode': 'active-backup'}]
NETS = [{'device': 'eth4', 'name_label': 'cloud-guest'}, {'device': 'eth2', 'name_label': 'cloud-public'}]


def host(i, **kw):
    v = {'cshv_zone': 'z1', 'cshv_pod': 'p1', 'cshv_cluster': 'xen1',
         'cshv_management_address': '192.168.43.%d/24' % (20 + i), 'cshv_management_gateway': '192.168.43.1',
         'cshv_traffic_labels': dict(LABELS), 'xenserver_pool_password': 'pool-root-pw',
         'xenserver_pool_bonds': copy.deepcopy(BONDS), 'xenserver_pool_networks': copy.deepcopy(NETS)}
    v.update(kw)
    return v


def check(n=3, **per_host):
    hosts = ['xs%d' % i for i in range(1, n + 1)]
    hv = {h: host(i, **per_host.get(h, {})) for i, h in enumerate(hosts, 1)}
    problems, _clusters = _cluster.validate_inventory({'xenserver_hosts': hosts}, hv)
    return problems


def msgs(problems):
    return ' | '.join(p['msg'] for p in problems)


def test_good_pool_passes():
    assert check() == []


def test_pool_size_default_and_configurable():
    assert 'cluster z1/p1/xen1 has 9 xenserver hosts' in msgs(check(9))
    assert check(9, **{'xs%d' % i: {'xenserver_pool_max_hosts': 12} for i in range(1, 10)}) == []
    assert 'use 1..64' in msgs(check(3, xs1={'xenserver_pool_max_hosts': 65}))


@pytest.mark.parametrize('bonds,part', [
    ([{'name_label': 'cloud-private', 'members': ['eth0']}], "bond cloud-private of xs1 has members ['eth0']"),
    ([{'name_label': 'cloud-private', 'members': ['eth0', 'eth1'], 'mode': 'slb'}], "mode 'slb'"),
    ([{'name_label': 'cloud-private', 'members': ['eth0', 'eth1']}, {'name_label': 'cloud-public', 'members': ['eth1', 'eth3']}],
     'NIC eth1 of xs1 is in bond cloud-private and in bond cloud-public'),
])
def test_bond_rules(bonds, part):
    assert part in msgs(check(**{h: {'xenserver_pool_bonds': bonds} for h in ('xs1', 'xs2', 'xs3')}))


def test_lacp_with_security_groups():
    v = {'xenserver_pool_bonds': [dict(BONDS[0], mode='lacp')], 'xenserver_pool_security_groups': True}
    assert 'lacp, which needs the openvswitch backend' in msgs(check(**{h: v for h in ('xs1', 'xs2', 'xs3')}))


def test_labels_unique_and_traffic_labels():
    nets = [{'device': 'eth4', 'name_label': 'cloud-guest'}, {'device': 'eth5', 'name_label': 'cloud-guest'}]
    assert 'label cloud-guest is given to two networks of xs1 (eth4 and eth5)' in msgs(
        check(**{h: {'xenserver_pool_networks': nets} for h in ('xs1', 'xs2', 'xs3')}))
    nets = [{'device': 'eth4', 'name_label': 'guest'}]
    assert 'label guest (eth4) of xs2 is not one of the traffic labels' in msgs(
        check(**{h: {'xenserver_pool_networks': nets} for h in ('xs1', 'xs2', 'xs3')}))


def test_labelled_nic_that_is_a_bond_member():
    nets = [{'device': 'eth0', 'name_label': 'cloud-guest'}]
    assert 'NIC eth0 of xs1 is labelled cloud-guest but is a member of bond cloud-private' in msgs(
        check(**{h: {'xenserver_pool_networks': nets} for h in ('xs1', 'xs2', 'xs3')}))


def test_same_bonds_and_networks_on_every_host():
    p = check(xs3={'xenserver_pool_bonds': [dict(BONDS[0], members=['eth0', 'eth3'])]})
    assert [x['host'] for x in p] == ['xs3'] and 'bonds (members and modes) of xs3 differ from those of xs1' in msgs(p)
    p = check(xs2={'xenserver_pool_networks': NETS[:1]})
    assert 'network labels of xs2 differ' in msgs(p)


@pytest.mark.parametrize('value', ['', '   ', None])
def test_join_password_required_for_a_pool_of_two(value):
    kw = {'xenserver_pool_password': value}
    p = check(2, xs1=kw, xs2=kw)
    assert 'xenserver_pool_password' in msgs(p) and 'not set for xs1' in msgs(p) and 'not set for xs2' in msgs(p)
    assert check(1, xs1=kw) == []   # a pool of one joins nobody


# ------------------------------------------------------------------ API rules

def info(name, i, **kw):
    facts = {'name_label': name, 'address': '192.168.43.%d' % (20 + i), 'is_master': True, 'product_brand': 'XCP-ng',
             'product_version': '8.3.0', 'network_backend': 'openvswitch', 'hvm': True, 'management_vlan': -1,
             'bonds': [], 'vlans': [], 'running_vms': [],
             'pifs': [{'device': 'eth%d' % n, 'VLAN': -1} for n in range(6)]}
    facts.update(kw)
    return {'is_member': False, 'master_address': '', 'hosts': [facts]}


def api(infos, **settings):
    s = {'bonds': BONDS, 'networks': NETS, 'cloudstack_version': '4.20.1', 'master_address': '192.168.43.21'}
    s.update(settings)
    return xfilter.xenserver_api_problems(infos, 'xs1', s)


def fresh():
    return {'xs1': info('xs1', 1), 'xs2': info('xs2', 2), 'xs3': info('xs3', 3)}


def test_api_good_pool():
    assert api(fresh()) == []


def test_api_members_of_this_pool_are_fine_and_others_not():
    i = fresh()
    i['xs2'] = {'is_member': True, 'master_address': '192.168.43.21', 'hosts': []}
    assert api(i) == []
    i['xs3'] = {'is_member': True, 'master_address': '10.0.0.9', 'hosts': []}
    assert 'xs3 is already a member of another pool, whose master is 10.0.0.9' in msgs(api(i))


@pytest.mark.parametrize('host,kw,part', [
    ('xs3', {'product_version': '8.2.1'}, 'xs3 runs XCP-ng 8.2.1, the master xs1 runs XCP-ng 8.3.0'),
    ('xs2', {'hvm': False}, 'xs2 has no hardware virtualisation'),
    ('xs2', {'management_vlan': 43}, 'management of xs2 is on VLAN 43'),
    ('xs2', {'bonds': [{'device': 'bond0', 'members': ['eth4', 'eth5']}]}, 'xs2 has bond(s) bond0 (eth4, eth5)'),
    ('xs2', {'vlans': [100]}, 'xs2 has VLAN(s) 100'),
    ('xs3', {'running_vms': ['vm1']}, 'xs3 has running VMs (vm1)'),
    ('xs2', {'pifs': [{'device': 'eth%d' % n, 'VLAN': -1} for n in range(4)]}, 'xs2 has no NIC eth4 for network cloud-guest'),
    ('xs2', {'network_backend': 'bridge'}, 'network backend of xs2 is bridge, of the master xs1 openvswitch'),
])
def test_api_rules(host, kw, part):
    i = fresh()
    i[host] = info(host, int(host[-1]), **kw)
    p = api(i)
    assert part in msgs(p) and all(x['host'] == host for x in p), p


def test_api_master_may_have_bonds_and_lacp_needs_openvswitch():
    i = fresh()
    i['xs1'] = info('xs1', 1, bonds=[{'device': 'bond0', 'members': ['eth0', 'eth1']}])
    assert api(i) == []
    assert 'bond cloud-private is lacp' in msgs(api({'xs1': info('xs1', 1, network_backend='bridge')},
                                                    bonds=[dict(BONDS[0], mode='lacp')]))
    assert 'needs bridge' in msgs(api({'xs1': info('xs1', 1)}, security_groups=True))


def test_api_cloudstack_version():
    assert 'XCP-ng 8.3.0 needs CloudStack 4.20.1 or later, the zone runs 4.19.1' in msgs(api(fresh(), cloudstack_version='4.19.1'))
    assert 'not a product version' in msgs(api({'xs1': info('xs1', 1, product_version='7.6.0')}))


def test_report_checks():
    check = {'master_address': '192.168.43.21', 'problems': [],
             'hosts': {'xs1': {'address': '192.168.43.21'}, 'xs2': {'address': '192.168.43.22'}}}
    c = xfilter.xenserver_report_checks(check, '192.168.43.22')
    assert c['bridges']['ok'] and c['libvirt_peers']['ok'] and c['agent']['ok']
    c = xfilter.xenserver_report_checks(check, '192.168.43.23')
    assert not c['libvirt_peers']['ok'] and 'not in the pool' in c['libvirt_peers']['detail']
    check['problems'] = [{'host': 'xs2', 'check': 'network', 'msg': 'host xs2 has no PIF on network cloud-guest'}]
    assert not xfilter.xenserver_report_checks(check, '192.168.43.22')['bridges']['ok']
    assert xfilter.xenserver_report_checks(check, '192.168.43.21')['bridges']['ok']
