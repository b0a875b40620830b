# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bond.create / destroy / set_mode / set_property (xapi_bond.ml, message_forwarding.ml)."""
from __future__ import annotations

import pytest

from tests.xapi_double.testing import address, failure, host_by_name, pif_by_device, session


@pytest.fixture
def one(make_double):
    d = make_double(1)
    return d, session(d, 'xs1').xenapi


def new_net(x, label='cloud-private'):
    return x.network.create({'name_label': label, 'name_description': '', 'other_config': {}})


def test_bond_of_management_nics_moves_ip_and_management(one):
    d, x = one
    eth0, eth1 = pif_by_device(x, 'eth0'), pif_by_device(x, 'eth1')
    net = new_net(x)
    bond = x.Bond.create(net, [eth1, eth0], '', 'active-backup', {})
    rec = x.Bond.get_record(bond)
    master = x.PIF.get_record(rec['master'])
    assert master['device'] == 'bond0' and master['network'] == net and master['physical'] is False
    assert rec['primary_slave'] == eth0                 # the management member, not the first given
    assert (master['management'], master['IP'], master['ip_configuration_mode']) == (True, address(1), 'Static')
    assert master['MAC'] == x.PIF.get_MAC(eth0)
    assert x.PIF.get_management(eth0) is False and x.PIF.get_IP(eth0) == ''
    assert x.PIF.get_ip_configuration_mode(eth0) == 'None'
    assert sorted(rec['slaves']) == sorted([eth0, eth1])
    assert x.PIF.get_bond_slave_of(eth1) == bond
    assert x.PIF.get_bond_master_of(rec['master']) == [bond]
    assert rec['mode'] == 'active-backup' and rec['properties'] == {}
    assert x.host.get_management_interface(x.host.get_all()[0]) == rec['master']


def test_primary_is_member_with_ip_when_no_management(one):
    d, x = one
    eth2, eth3 = pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')
    x.PIF.reconfigure_ip(eth3, 'Static', '10.1.1.5', '255.255.255.0', '', '')
    bond = x.Bond.create(new_net(x), [eth2, eth3], '', 'balance-slb', {})
    assert x.Bond.get_primary_slave(bond) == eth3
    assert x.PIF.get_IP(x.Bond.get_master(bond)) == '10.1.1.5'


def test_given_mac_is_used_and_not_auto_updated(one):
    d, x = one
    bond = x.Bond.create(new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')],
                         '02:aa:bb:cc:dd:ee', 'balance-slb', {})
    assert x.PIF.get_MAC(x.Bond.get_master(bond)) == '02:aa:bb:cc:dd:ee'
    assert x.Bond.get_auto_update_mac(bond) is False


def test_invalid_mac(one):
    d, x = one
    assert failure(x.Bond.create, new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')],
                   'nonsense', 'balance-slb', {}) == ['MAC_INVALID', 'nonsense']


def test_device_names_first_free(one):
    d, x = one
    b0 = x.Bond.create(new_net(x, 'a'), [pif_by_device(x, 'eth0'), pif_by_device(x, 'eth1')], '', 'active-backup', {})
    b1 = x.Bond.create(new_net(x, 'b'), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '', 'balance-slb', {})
    assert [x.PIF.get_device(x.Bond.get_master(b)) for b in (b0, b1)] == ['bond0', 'bond1']
    x.Bond.destroy(b0)
    b2 = x.Bond.create(new_net(x, 'c'), [pif_by_device(x, 'eth4'), pif_by_device(x, 'eth5')], '', 'balance-slb', {})
    assert x.PIF.get_device(x.Bond.get_master(b2)) == 'bond0'


def test_empty_member_list(one):
    d, x = one
    assert failure(x.Bond.create, new_net(x), [], '', 'balance-slb', {}) == ['PIF_BOND_NEEDS_MORE_MEMBERS']


def test_single_member_is_accepted_as_xapi_does(one):
    # xapi refuses only the empty list (message_forwarding.ml); a one-member bond is created
    d, x = one
    bond = x.Bond.create(new_net(x), [pif_by_device(x, 'eth4')], '', 'balance-slb', {})
    assert len(x.Bond.get_slaves(bond)) == 1


def test_same_pif_twice_counts_once(one):
    d, x = one
    eth4 = pif_by_device(x, 'eth4')
    bond = x.Bond.create(new_net(x), [eth4, eth4], '', 'balance-slb', {})
    assert x.Bond.get_slaves(bond) == [eth4]


def test_member_already_bonded(one):
    d, x = one
    eth2, eth3, eth4 = (pif_by_device(x, n) for n in ('eth2', 'eth3', 'eth4'))
    x.Bond.create(new_net(x, 'a'), [eth2, eth3], '', 'balance-slb', {})
    assert failure(x.Bond.create, new_net(x, 'b'), [eth3, eth4], '', 'balance-slb', {}) == \
        ['PIF_ALREADY_BONDED', eth3]


def test_network_already_connected_on_host(one):
    d, x = one
    eth1 = pif_by_device(x, 'eth1')
    net1 = x.PIF.get_network(eth1)
    h = x.host.get_all()[0]
    assert failure(x.Bond.create, net1, [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '',
                   'balance-slb', {}) == ['NETWORK_ALREADY_CONNECTED', h, eth1]


def test_cross_host_members(make_double):
    d = make_double(2)
    x1 = session(d, 'xs1').xenapi
    session(d, 'xs2').xenapi.pool.join(address(1), 'root', 'secret')
    h1, h2 = host_by_name(x1, 'xs1'), host_by_name(x1, 'xs2')
    assert failure(x1.Bond.create, new_net(x1), [pif_by_device(x1, 'eth2', h1), pif_by_device(x1, 'eth3', h2)],
                   '', 'balance-slb', {}) == ['PIF_CANNOT_BOND_CROSS_HOST']


def test_more_than_one_ip(one):
    d, x = one
    eth2, eth3 = pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')
    x.PIF.reconfigure_ip(eth2, 'Static', '10.1.1.5', '255.255.255.0', '', '')
    x.PIF.reconfigure_ip(eth3, 'DHCP', '', '', '', '')
    assert failure(x.Bond.create, new_net(x), [eth2, eth3], '', 'balance-slb', {}) == ['PIF_BOND_MORE_THAN_ONE_IP']


def test_vlan_pif_cannot_be_member(make_double):
    d = make_double(1, overrides={'xs1': {'vlans': [{'device': 'eth3', 'tag': 12}]}})
    x = session(d, 'xs1').xenapi
    vlan_pif = [p for p, r in x.PIF.get_all_records().items() if r['VLAN'] == '12'][0]
    assert failure(x.Bond.create, new_net(x), [pif_by_device(x, 'eth2'), vlan_pif], '', 'balance-slb', {}) == \
        ['PIF_VLAN_EXISTS', 'eth3']


def test_bad_mode_rejected(one):
    d, x = one
    err = failure(x.Bond.create, new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '',
                  '802.3ad', {})
    assert err[0] == 'INTERNAL_ERROR'
    assert x.Bond.get_all() == []


def test_lacp_properties_validated_and_defaulted(one):
    d, x = one
    members = [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')]
    assert failure(x.Bond.create, new_net(x, 'a'), members, '', 'lacp', {'hashing_algorithm': 'round_robin'}) == \
        ['INVALID_VALUE', 'properties', 'hashing_algorithm = round_robin']
    assert failure(x.Bond.create, new_net(x, 'b'), members, '', 'lacp', {'colour': 'blue'}) == \
        ['INVALID_VALUE', 'properties', 'colour = blue']
    bond = x.Bond.create(new_net(x, 'c'), members, '', 'lacp', {'lacp-time': 'fast'})
    assert x.Bond.get_properties(bond) == {'lacp-time': 'fast', 'hashing_algorithm': 'tcpudp_ports',
                                           'lacp-fallback-ab': 'true'}


def test_non_lacp_mode_takes_no_properties(one):
    d, x = one
    assert failure(x.Bond.create, new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '',
                   'balance-slb', {'hashing_algorithm': 'src_mac'}) == \
        ['INVALID_VALUE', 'properties', 'hashing_algorithm = src_mac']


def test_lacp_accepted_on_bridge_backend(make_double):
    # xapi_bond.ml has no backend check: the refusal "lacp needs openvswitch" is the role's job
    d = make_double(1, overrides={'xs1': {'backend': 'bridge'}})
    x = session(d, 'xs1').xenapi
    bond = x.Bond.create(new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '', 'lacp', {})
    assert x.Bond.get_mode(bond) == 'lacp'


def test_disallow_unplug_moves_to_master_and_back(one):
    d, x = one
    eth2, eth3 = pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')
    x.PIF.set_disallow_unplug(eth3, True)
    bond = x.Bond.create(new_net(x), [eth2, eth3], '', 'balance-slb', {})
    master = x.Bond.get_master(bond)
    assert x.PIF.get_disallow_unplug(master) is True
    assert (x.PIF.get_disallow_unplug(eth2), x.PIF.get_disallow_unplug(eth3)) == (False, False)


def test_destroy_moves_config_back(one):
    d, x = one
    eth0, eth1 = pif_by_device(x, 'eth0'), pif_by_device(x, 'eth1')
    net = new_net(x)
    bond = x.Bond.create(net, [eth0, eth1], '', 'active-backup', {})
    master = x.Bond.get_master(bond)
    x.Bond.destroy(bond)
    assert x.Bond.get_all() == []
    assert failure(x.PIF.get_record, master) == ['HANDLE_INVALID', 'PIF', master]
    assert (x.PIF.get_management(eth0), x.PIF.get_IP(eth0)) == (True, address(1))
    assert x.PIF.get_bond_slave_of(eth1) == 'OpaqueRef:NULL'
    assert x.network.get_PIFs(net) == []


def test_set_mode_keeps_valid_properties_and_adds_defaults(one):
    d, x = one
    bond = x.Bond.create(new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '', 'balance-slb', {})
    x.Bond.set_mode(bond, 'lacp')
    assert x.Bond.get_properties(bond) == {'hashing_algorithm': 'tcpudp_ports', 'lacp-time': 'slow',
                                           'lacp-fallback-ab': 'true'}
    x.Bond.set_property(bond, 'hashing_algorithm', 'src_mac')
    x.Bond.set_mode(bond, 'active-backup')
    assert x.Bond.get_properties(bond) == {}
    assert x.Bond.get_mode(bond) == 'active-backup'


def test_set_property_validated_against_current_mode(one):
    d, x = one
    bond = x.Bond.create(new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '', 'balance-slb', {})
    assert failure(x.Bond.set_property, bond, 'lacp-time', 'fast') == \
        ['INVALID_VALUE', 'properties', 'lacp-time = fast']
    x.Bond.set_mode(bond, 'lacp')
    x.Bond.set_property(bond, 'lacp-time', 'fast')
    assert x.Bond.get_properties(bond)['lacp-time'] == 'fast'
    assert failure(x.Bond.set_property, bond, 'lacp-time', 'sometimes') == \
        ['INVALID_VALUE', 'properties', 'lacp-time = sometimes']


def test_bond_fields_are_read_only(one):
    d, x = one
    bond = x.Bond.create(new_net(x), [pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')], '', 'balance-slb', {})
    assert failure(x.Bond.set_properties, bond, {}) == ['MESSAGE_METHOD_UNKNOWN', 'Bond.set_properties']
    assert failure(x.Bond.set_primary_slave, bond, 'x') == ['MESSAGE_METHOD_UNKNOWN', 'Bond.set_primary_slave']
