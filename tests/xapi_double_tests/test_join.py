# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""pool.join / join_force / eject, each rule of xapi_pool.ml seen through the real client."""
from __future__ import annotations

import pytest
import XenAPI

from tests.xapi_double.testing import PASSWORD, address, failure, host_by_name, pif_by_device, session

MASTER = address(1)


def join(d, name, master=MASTER, password=PASSWORD, force=False):
    x = session(d, name).xenapi
    call = x.pool.join_force if force else x.pool.join
    return call(master, 'root', password)


def join_error(d, name, master=MASTER, password=PASSWORD, force=False):
    x = session(d, name).xenapi
    call = x.pool.join_force if force else x.pool.join
    return failure(call, master, 'root', password)


def test_join_accepted_member_becomes_slave(make_double):
    d = make_double(2)
    join(d, 'xs2')
    s = XenAPI.Session(d.endpoints['xs2'])
    assert failure(s.xenapi.login_with_password, 'root', PASSWORD, '2.21', 't') == ['HOST_IS_SLAVE', MASTER]
    x = session(d, 'xs1').xenapi
    assert len(x.pool.get_all()) == 1
    h2 = host_by_name(x, 'xs2')
    assert x.host.get_enabled(h2) is True
    assert x.host.get_address(h2) == address(2)
    assert d.master_of('xs2') == 'xs1'


def test_slave_refuses_login_even_with_wrong_password(make_double):
    # xapi_session.ml: the slave check comes before authentication
    d = make_double(2)
    join(d, 'xs2')
    s = XenAPI.Session(d.endpoints['xs2'])
    assert failure(s.xenapi.login_with_password, 'root', 'wrong', '2.21', 't') == ['HOST_IS_SLAVE', MASTER]


def test_old_session_on_joiner_is_invalid_then_relogin_says_slave(make_double):
    d = make_double(2)
    s = session(d, 'xs2')
    s.xenapi.pool.join(MASTER, 'root', PASSWORD)
    # the client gets SESSION_INVALID, logs in again, and that login answers HOST_IS_SLAVE
    assert failure(s.xenapi.pool.get_all) == ['HOST_IS_SLAVE', MASTER]


def test_wrong_master_password_checked_before_prechecks(make_double):
    d = make_double(2, overrides={'xs2': {'bonds': [{'members': ['eth2', 'eth3']}]}})
    before = d.fingerprint()
    assert join_error(d, 'xs2', password='bad') == ['SESSION_AUTHENTICATION_FAILED', 'root', 'Authentication failure']
    assert join_error(d, 'xs2') == ['POOL_JOINING_HOST_HAS_BONDS']
    assert d.fingerprint() == before


def test_unknown_master_address(make_double):
    d = make_double(2)
    assert join_error(d, 'xs2', master='192.168.43.99') == ['JOINING_HOST_CONNECTION_FAILED']


def test_master_address_of_a_slave_gives_host_is_slave(make_double):
    d = make_double(3)
    join(d, 'xs2')
    assert join_error(d, 'xs3', master=address(2)) == ['HOST_IS_SLAVE', MASTER]


def test_join_myself(make_double):
    d = make_double(1)
    assert join_error(d, 'xs1') == ['OPERATION_NOT_ALLOWED', 'Host cannot become slave of itself']


def test_master_of_a_pool_joining_itself(make_double):
    d = make_double(2)
    join(d, 'xs2')
    assert join_error(d, 'xs1') == ['OPERATION_NOT_ALLOWED', 'Host is already part of a pool']


def test_master_of_other_hosts_cannot_join(make_double):
    d = make_double(3)
    join(d, 'xs3', master=address(2))
    assert join_error(d, 'xs2') == ['JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS']


def test_in_pool_of_override(make_double):
    d = make_double(3, overrides={'xs3': {'in_pool_of': 'xs2'}})
    s = XenAPI.Session(d.endpoints['xs3'])
    assert failure(s.xenapi.login_with_password, 'root', PASSWORD, '2.21', 't') == ['HOST_IS_SLAVE', address(2)]
    assert join_error(d, 'xs2') == ['JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS']


def test_running_vms(make_double):
    d = make_double(2, overrides={'xs2': {'running_vms': 1}})
    assert join_error(d, 'xs2') == ['JOINING_HOST_CANNOT_HAVE_RUNNING_VMS']
    assert join_error(d, 'xs2', force=True) == ['JOINING_HOST_CANNOT_HAVE_RUNNING_VMS']


def test_platform_version_differs_not_compatible_even_forced(make_double):
    d = make_double(2, overrides={'xs2': {'profile': 'xcp-ng-8.2'}})
    assert join_error(d, 'xs2') == ['HOSTS_NOT_COMPATIBLE']
    assert join_error(d, 'xs2', force=True) == ['HOSTS_NOT_COMPATIBLE']


def test_brand_differs_not_compatible(make_double):
    d = make_double(2, overrides={'xs2': {'profile': 'xenserver-8.4'}})
    assert join_error(d, 'xs2') == ['HOSTS_NOT_COMPATIBLE']


def test_xapi_version_differs_not_homogeneous_join_force_skips(make_double):
    # 8.3 at release (xapi 24.19) into an updated 8.3 pool (26.1.4): same platform, other xapi
    d = make_double(2, overrides={'xs2': {'profile': 'xcp-ng-8.3-ga'}})
    assert join_error(d, 'xs2') == ['HOSTS_NOT_HOMOGENEOUS', 'Software version differs']
    # join_force skips homogeneity; the next check that differs is the DB schema
    assert join_error(d, 'xs2', force=True)[0] == 'POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA'


def test_product_version_alone_is_not_checked(make_double):
    # xapi_pool.ml: assert_hosts_homogeneous compares xapi version, brand, git id -- not product_version
    d = make_double(2, overrides={'xs2': {'product_version': '8.3.1'}})
    join(d, 'xs2')
    assert d.master_of('xs2') == 'xs1'


def test_cpu_vendor_differs(make_double):
    d = make_double(2, overrides={'xs2': {'cpu_vendor': 'AuthenticAMD'}})
    assert join_error(d, 'xs2') == ['HOSTS_NOT_HOMOGENEOUS', 'CPUs differ']


def test_shared_sr(make_double):
    d = make_double(2, overrides={'xs2': {'shared_sr': True}})
    assert join_error(d, 'xs2') == ['JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS']


def test_bonds_on_joiner(make_double):
    d = make_double(2, overrides={'xs2': {'bonds': [{'members': ['eth0', 'eth1'], 'mode': 'active-backup'}]}})
    assert join_error(d, 'xs2') == ['POOL_JOINING_HOST_HAS_BONDS']
    assert join_error(d, 'xs2', force=True) == ['POOL_JOINING_HOST_HAS_BONDS']


def test_bond_made_through_api_then_destroyed_allows_join(make_double):
    d = make_double(2)
    x2 = session(d, 'xs2').xenapi
    net = x2.network.create({'name_label': 'b', 'name_description': '', 'other_config': {}})
    bond = x2.Bond.create(net, [pif_by_device(x2, 'eth2'), pif_by_device(x2, 'eth3')], '', 'balance-slb', {})
    assert failure(x2.pool.join, MASTER, 'root', PASSWORD) == ['POOL_JOINING_HOST_HAS_BONDS']
    x2.Bond.destroy(bond)
    x2.pool.join(MASTER, 'root', PASSWORD)
    assert d.master_of('xs2') == 'xs1'


def test_non_management_vlan(make_double):
    d = make_double(2, overrides={'xs2': {'vlans': [{'device': 'eth1', 'tag': 20}]}})
    assert join_error(d, 'xs2') == ['POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS']


def test_management_vlan_does_not_match(make_double):
    d = make_double(2, overrides={'xs2': {'management_vlan': 30}})
    assert join_error(d, 'xs2') == ['POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH', '30', '-1']


def test_management_vlan_same_on_both_is_accepted(make_double):
    d = make_double(2, overrides={'xs1': {'management_vlan': 30}, 'xs2': {'management_vlan': 30}})
    join(d, 'xs2')
    assert d.master_of('xs2') == 'xs1'


def test_network_backends_differ(make_double):
    d = make_double(2, overrides={'xs2': {'backend': 'bridge'}})
    assert join_error(d, 'xs2') == ['OPERATION_NOT_ALLOWED', 'Network backends differ']
    assert join_error(d, 'xs2', force=True) == ['OPERATION_NOT_ALLOWED', 'Network backends differ']


def test_bridge_backend_on_all_hosts_joins(make_double):
    d = make_double(2, overrides={'xs1': {'backend': 'bridge'}, 'xs2': {'backend': 'bridge'}})
    join(d, 'xs2')
    x = session(d, 'xs1').xenapi
    assert x.host.get_software_version(host_by_name(x, 'xs2'))['network_backend'] == 'bridge'


def test_api_version_differs(make_double):
    d = make_double(2)
    with d.world.lock:
        d.world.rec('host', d.host_ref('xs2'))['API_version_minor'] = 20
    assert join_error(d, 'xs2', force=True) == ['POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION', '2.20', '2.21']


def test_tls_verification_mismatch(make_double):
    d = make_double(2, overrides={'xs2': {'tls_verification_enabled': False}})
    assert join_error(d, 'xs2') == ['POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH']


def test_ha_enabled(make_double):
    d = make_double(2, overrides={'xs1': {'ha_enabled': True}})
    assert join_error(d, 'xs2') == ['HA_IS_ENABLED']


def test_licence_restricted_pool_size(make_double):
    d = make_double(4, overrides={'xs1': {'restricted_pool_size': True}})
    join(d, 'xs2')
    join(d, 'xs3')
    assert join_error(d, 'xs4') == ['LICENCE_RESTRICTION', 'Pool_size']


# -------------------------------------------------------------------- order of the checks
ORDER = [
    # (override on the joiner, expected first error) in xapi's pre_join_checks order
    ({'running_vms': 1}, ['JOINING_HOST_CANNOT_HAVE_RUNNING_VMS']),
    ({'profile': 'xcp-ng-8.2'}, ['HOSTS_NOT_COMPATIBLE']),
    ({'cpu_vendor': 'AuthenticAMD'}, ['HOSTS_NOT_HOMOGENEOUS', 'CPUs differ']),
    ({'shared_sr': True}, ['JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS']),
    ({'bonds': [{'members': ['eth2', 'eth3']}]}, ['POOL_JOINING_HOST_HAS_BONDS']),
    ({'vlans': [{'device': 'eth4', 'tag': 5}]}, ['POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS']),
    ({'management_vlan': 7}, ['POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH', '7', '-1']),
    ({'backend': 'bridge'}, ['OPERATION_NOT_ALLOWED', 'Network backends differ']),
    ({'tls_verification_enabled': False}, ['POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH']),
]


@pytest.mark.parametrize('upto', range(len(ORDER)))
def test_precheck_order(make_double, upto):
    """With every fault from position ``upto`` on, the first of them is the one reported."""
    spec = {}
    for override, _err in ORDER[upto:]:
        for key, value in override.items():
            if key == 'vlans' and 'vlans' in spec:
                continue
            spec[key] = value
    d = make_double(2, overrides={'xs2': spec})
    assert join_error(d, 'xs2') == ORDER[upto][1]


# -------------------------------------------------------------------- what the join leaves
def test_networks_merged_by_bridge_and_pif_config_kept(make_double):
    d = make_double(2)
    x1 = session(d, 'xs1').xenapi
    x2 = session(d, 'xs2').xenapi
    net1 = x1.PIF.get_network(pif_by_device(x1, 'eth5'))
    x1.network.set_name_label(net1, 'cloud-storage')
    p5 = pif_by_device(x2, 'eth5')
    x2.PIF.reconfigure_ip(p5, 'Static', '172.16.0.12', '255.255.255.0', '', '')
    x2.PIF.add_to_other_config(p5, 'management_purpose', 'cloud-storage')
    x2.PIF.set_disallow_unplug(p5, True)
    x2.pool.join(MASTER, 'root', PASSWORD)
    h2 = host_by_name(x1, 'xs2')
    rec = x1.PIF.get_record(pif_by_device(x1, 'eth5', host=h2))
    assert rec['network'] == net1
    assert (rec['IP'], rec['netmask'], rec['ip_configuration_mode']) == ('172.16.0.12', '255.255.255.0', 'Static')
    assert rec['other_config'] == {'management_purpose': 'cloud-storage'}
    assert rec['disallow_unplug'] is True
    assert len(x1.network.get_record(net1)['PIFs']) == 2
    assert len(x1.network.get_by_name_label('cloud-storage')) == 1
    # one network per bridge in the pool
    bridges = [r['bridge'] for r in x1.network.get_all_records().values()]
    assert len(bridges) == len(set(bridges))


def test_master_bonds_copied_by_position_with_mode_and_properties(make_double):
    d = make_double(2)
    x1 = session(d, 'xs1').xenapi
    net = x1.network.create({'name_label': 'cloud-private', 'name_description': '', 'other_config': {}})
    x1.Bond.create(net, [pif_by_device(x1, 'eth0'), pif_by_device(x1, 'eth1')], '', 'active-backup', {})
    pub = x1.network.create({'name_label': 'cloud-public', 'name_description': '', 'other_config': {}})
    x1.Bond.create(pub, [pif_by_device(x1, 'eth2'), pif_by_device(x1, 'eth3')], '', 'lacp',
                   {'hashing_algorithm': 'src_mac'})
    join(d, 'xs2')
    h2 = host_by_name(x1, 'xs2')
    bonds = {x1.PIF.get_network(r['master']): r for r in x1.Bond.get_all_records().values()
             if x1.PIF.get_host(r['master']) == h2}
    assert set(bonds) == {net, pub}
    assert bonds[net]['mode'] == 'active-backup'
    assert sorted(x1.PIF.get_device(p) for p in bonds[net]['slaves']) == ['eth0', 'eth1']
    assert bonds[pub]['mode'] == 'lacp'
    assert bonds[pub]['properties']['hashing_algorithm'] == 'src_mac'
    assert sorted(x1.PIF.get_device(p) for p in bonds[pub]['slaves']) == ['eth2', 'eth3']
    # management of the new member moved onto its bond, with its own address
    mgmt = x1.host.get_management_interface(h2)
    assert mgmt == bonds[net]['master']
    assert x1.PIF.get_IP(mgmt) == address(2)
    assert x1.PIF.get_device(mgmt) == 'bond0'


def test_partial_bond_when_member_lacks_a_nic(make_double):
    d = make_double(2, overrides={'xs2': {'nics': ['eth0', 'eth1', 'eth2']}})
    x1 = session(d, 'xs1').xenapi
    pub = x1.network.create({'name_label': 'cloud-public', 'name_description': '', 'other_config': {}})
    x1.Bond.create(pub, [pif_by_device(x1, 'eth2'), pif_by_device(x1, 'eth3')], '', 'balance-slb', {})
    join(d, 'xs2')
    h2 = host_by_name(x1, 'xs2')
    mine = [r for r in x1.Bond.get_all_records().values() if x1.PIF.get_host(r['master']) == h2]
    assert len(mine) == 1
    assert [x1.PIF.get_device(p) for p in mine[0]['slaves']] == ['eth2']


def test_bond_added_after_join_lands_only_on_master(make_double):
    d = make_double(2)
    join(d, 'xs2')
    x1 = session(d, 'xs1').xenapi
    net = x1.network.create({'name_label': 'cloud-public', 'name_description': '', 'other_config': {}})
    h1 = host_by_name(x1, 'xs1')
    h2 = host_by_name(x1, 'xs2')
    x1.Bond.create(net, [pif_by_device(x1, 'eth2', h1), pif_by_device(x1, 'eth3', h1)], '', 'balance-slb', {})
    assert [x1.PIF.get_host(r['master']) for r in x1.Bond.get_all_records().values()] == [h1]
    assert not [p for p, r in x1.PIF.get_all_records().items() if r['network'] == net and r['host'] == h2]
    # the member gets it only when Bond.create is called with its own PIFs
    x1.Bond.create(net, [pif_by_device(x1, 'eth2', h2), pif_by_device(x1, 'eth3', h2)], '', 'balance-slb', {})
    assert sorted(x1.PIF.get_host(r['master']) for r in x1.Bond.get_all_records().values()) == sorted([h1, h2])


def test_joined_host_record_in_master_db(make_double):
    d = make_double(3)
    join(d, 'xs2')
    join(d, 'xs3')
    x = session(d, 'xs1').xenapi
    pool = x.pool.get_all()[0]
    assert x.pool.get_master(pool) == host_by_name(x, 'xs1')
    assert sorted(x.host.get_name_label(h) for h in x.host.get_all()) == ['xs1', 'xs2', 'xs3']
    dom0s = [r for r in x.VM.get_all_records().values() if r['is_control_domain']]
    assert len(dom0s) == 3


# -------------------------------------------------------------------- eject
def test_eject_returns_fresh_standalone_host(make_double):
    d = make_double(2)
    x1 = session(d, 'xs1').xenapi
    net = x1.network.create({'name_label': 'cloud-private', 'name_description': '', 'other_config': {}})
    x1.Bond.create(net, [pif_by_device(x1, 'eth0'), pif_by_device(x1, 'eth1')], '', 'active-backup', {})
    join(d, 'xs2')
    h2 = host_by_name(x1, 'xs2')
    x1.pool.eject(h2)
    assert sorted(x1.host.get_name_label(h) for h in x1.host.get_all()) == ['xs1']
    assert len(x1.Bond.get_all()) == 1
    x2 = session(d, 'xs2').xenapi
    assert x2.Bond.get_all() == []
    assert len(x2.host.get_all()) == 1
    mgmt = x2.host.get_management_interface(x2.host.get_all()[0])
    assert (x2.PIF.get_device(mgmt), x2.PIF.get_IP(mgmt)) == ('eth0', address(2))
    labels = {r['name_label'] for r in x2.network.get_all_records().values()}
    assert 'cloud-private' not in labels
    # and it can join again
    x2.pool.join(MASTER, 'root', PASSWORD)
    assert d.master_of('xs2') == 'xs1'


def test_eject_master_refused(make_double):
    d = make_double(2)
    join(d, 'xs2')
    x = session(d, 'xs1').xenapi
    assert failure(x.pool.eject, host_by_name(x, 'xs1'))[0] == 'INTERNAL_ERROR'


def test_eject_bad_ref(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    assert failure(x.pool.eject, 'OpaqueRef:gone') == ['HANDLE_INVALID', 'host', 'OpaqueRef:gone']


def test_joined_host_enabled_after_polls(make_double):
    from tests.xapi_double import XapiDouble
    d = XapiDouble(hosts=[{'name': 'xs1', 'address': address(1)}, {'name': 'xs2', 'address': address(2)}],
                   password=PASSWORD, join_enable_after=3)
    d.start()
    try:
        join(d, 'xs2')
        x = session(d, 'xs1').xenapi
        h2 = [h for h, r in x.host.get_all_records().items() if r['name_label'] == 'xs2'][0]   # read 1
        seen = [x.host.get_enabled(h2), x.host.get_enabled(h2), x.host.get_enabled(h2)]     # reads 2..4
        assert seen == [False, False, True]
        assert x.host.get_record(h2)['enabled'] is True
    finally:
        d.stop()


def test_internal_network_of_joiner_gets_a_fresh_bridge(make_double):
    d = make_double(2)
    x1 = session(d, 'xs1').xenapi
    x2 = session(d, 'xs2').xenapi
    n1 = x1.network.create({'name_label': 'int1', 'name_description': '', 'other_config': {}})
    n2 = x2.network.create({'name_label': 'int2', 'name_description': '', 'other_config': {}})
    assert x1.network.get_bridge(n1) == x2.network.get_bridge(n2) == 'xapi0'    # each host picks its own
    x2.pool.join(MASTER, 'root', PASSWORD)
    bridges = [r['bridge'] for r in x1.network.get_all_records().values()]
    assert len(bridges) == len(set(bridges))
    assert {'int1', 'int2'} <= {r['name_label'] for r in x1.network.get_all_records().values()}


def test_management_vlan_pif_lands_on_master_management_network(make_double):
    d = make_double(2, overrides={'xs1': {'management_vlan': 30}, 'xs2': {'management_vlan': 30}})
    join(d, 'xs2')
    x = session(d, 'xs1').xenapi
    m1 = x.host.get_management_interface(host_by_name(x, 'xs1'))
    m2 = x.host.get_management_interface(host_by_name(x, 'xs2'))
    assert x.PIF.get_network(m1) == x.PIF.get_network(m2)
    assert x.PIF.get_VLAN(m2) == '30' and x.PIF.get_IP(m2) == address(2)


def test_toolstack_restart_syncs_bonds_on_a_member(make_double):
    d = make_double(2)
    join(d, 'xs2')
    x1 = session(d, 'xs1').xenapi
    h1, h2 = host_by_name(x1, 'xs1'), host_by_name(x1, 'xs2')
    net = x1.network.create({'name_label': 'cloud-public', 'name_description': '', 'other_config': {}})
    x1.Bond.create(net, [pif_by_device(x1, 'eth2', h1), pif_by_device(x1, 'eth3', h1)], '', 'lacp', {})
    assert [x1.PIF.get_host(r['master']) for r in x1.Bond.get_all_records().values()] == [h1]
    d.restart_toolstack('xs2')
    x1 = session(d, 'xs1').xenapi          # sessions on the master are untouched, this one is fresh
    mine = [r for r in x1.Bond.get_all_records().values() if x1.PIF.get_host(r['master']) == h2]
    assert len(mine) == 1 and mine[0]['mode'] == 'lacp'
    assert sorted(x1.PIF.get_device(p) for p in mine[0]['slaves']) == ['eth2', 'eth3']


def test_toolstack_restart_recreates_a_partial_bond_but_not_a_mode_change(make_double):
    d = make_double(2)
    x1 = session(d, 'xs1').xenapi
    net = x1.network.create({'name_label': 'cloud-public', 'name_description': '', 'other_config': {}})
    x1.Bond.create(net, [pif_by_device(x1, 'eth2'), pif_by_device(x1, 'eth3')], '', 'balance-slb', {})
    join(d, 'xs2')
    h2 = host_by_name(x1, 'xs2')
    bond2 = [b for b, r in x1.Bond.get_all_records().items() if x1.PIF.get_host(r['master']) == h2][0]
    # a member "left the bond": destroyed and rebuilt with one NIC, and its mode changed
    x1.Bond.destroy(bond2)
    bond2 = x1.Bond.create(net, [pif_by_device(x1, 'eth2', h2)], '', 'active-backup', {})
    d.restart_toolstack('xs2')
    mine = [r for r in x1.Bond.get_all_records().values() if x1.PIF.get_host(r['master']) == h2]
    assert sorted(x1.PIF.get_device(p) for p in mine[0]['slaves']) == ['eth2', 'eth3']
    assert mine[0]['mode'] == 'balance-slb'      # recreated from the master's bond
    # same slaves, other mode: left as it is
    b = [b for b, r in x1.Bond.get_all_records().items() if x1.PIF.get_host(r['master']) == h2][0]
    x1.Bond.set_mode(b, 'active-backup')
    d.restart_toolstack('xs2')
    assert x1.Bond.get_mode(b) == 'active-backup'
