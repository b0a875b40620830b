# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""PIF, network, host and control-domain calls, and the shape of a fresh host."""
from __future__ import annotations

import pytest

from tests.xapi_double.testing import address, failure, pif_by_device, session


@pytest.fixture
def one(make_double):
    d = make_double(1)
    return d, session(d, 'xs1').xenapi


# -------------------------------------------------------------------- fresh host
def test_fresh_host_shape(one):
    d, x = one
    pool = x.pool.get_all()
    assert len(pool) == 1
    host = x.pool.get_master(pool[0])
    hrec = x.host.get_record(host)
    assert hrec['address'] == address(1) and hrec['enabled'] is True
    sw = hrec['software_version']
    assert (sw['product_brand'], sw['product_version'], sw['xapi'], sw['network_backend']) == \
        ('XCP-ng', '8.3.0', '26.1.4', 'openvswitch')
    assert any(c.startswith('hvm-') for c in hrec['capabilities'])
    pifs = x.PIF.get_all_records()
    assert sorted(r['device'] for r in pifs.values()) == ['eth%d' % i for i in range(6)]
    mgmt = x.host.get_management_interface(host)
    assert pifs[mgmt]['device'] == 'eth0' and pifs[mgmt]['IP'] == address(1)
    assert pifs[mgmt]['ip_configuration_mode'] == 'Static'
    for ref, rec in pifs.items():
        net = x.network.get_record(rec['network'])
        n = rec['device'][3:]
        assert net['bridge'] == 'xenbr' + n
        assert net['name_label'] == 'Pool-wide network associated with eth' + n
        assert net['PIFs'] == [ref]
        assert rec['VLAN'] == '-1' and rec['MTU'] == '1500'
        assert x.PIF_metrics.get_record(rec['metrics'])['carrier'] is True
    dom0 = x.host.get_control_domain(host)
    assert x.VM.get_is_control_domain(dom0) is True
    assert x.VM.get_resident_on(dom0) == host
    assert int(x.VM.get_memory_static_max(dom0)) == 4304 * 1024 * 1024
    assert x.VM.get_requires_reboot(dom0) is False
    assert dom0 in x.host.get_resident_VMs(host)


def test_host_overrides_nics_hvm_dom0(make_double):
    d = make_double(1, overrides={'xs1': {'nics': ['eth0', 'eth1'], 'hvm': False, 'dom0_memory_mb': 1024}})
    x = session(d, 'xs1').xenapi
    host = x.host.get_all()[0]
    assert not any(c.startswith('hvm-') for c in x.host.get_capabilities(host))
    assert len(x.PIF.get_all()) == 2
    assert x.VM.get_memory_static_max(x.host.get_control_domain(host)) == str(1024 * 1024 * 1024)


def test_get_by_uuid_and_name_label(one):
    d, x = one
    net = x.network.get_all()[0]
    assert x.network.get_by_uuid(x.network.get_uuid(net)) == net
    assert failure(x.network.get_by_uuid, 'no-such-uuid') == ['UUID_INVALID', 'network', 'no-such-uuid']
    assert x.network.get_by_name_label('Pool-wide network associated with eth3') == [x.PIF.get_network(
        pif_by_device(x, 'eth3'))]
    assert x.network.get_by_name_label('nothing') == []


# -------------------------------------------------------------------- network
def test_network_create_and_rw_fields(one):
    d, x = one
    net = x.network.create({'name_label': 'cloud-guest', 'name_description': 'guests', 'MTU': '9000',
                            'other_config': {'a': 'b'}})
    rec = x.network.get_record(net)
    assert rec['bridge'].startswith('xapi') and rec['MTU'] == '9000' and rec['PIFs'] == []
    x.network.set_name_label(net, 'cloud-guest2')
    x.network.set_MTU(net, '1500')
    x.network.add_to_other_config(net, 'c', 'd')
    assert failure(x.network.add_to_other_config, net, 'c', 'e') == \
        ['MAP_DUPLICATE_KEY', 'network', 'other_config', rec['uuid'], 'c']
    x.network.remove_from_other_config(net, 'a')
    x.network.remove_from_other_config(net, 'absent')
    rec = x.network.get_record(net)
    assert (rec['name_label'], rec['MTU'], rec['other_config']) == ('cloud-guest2', '1500', {'c': 'd'})
    assert failure(x.network.set_bridge, net, 'xenbr9') == ['MESSAGE_METHOD_UNKNOWN', 'network.set_bridge']


def test_network_create_needs_the_required_fields(one):
    d, x = one
    assert failure(x.network.create, {'name_label': 'x'})[0] == 'INTERNAL_ERROR'


def test_network_destroy_with_pif_refused(one):
    d, x = one
    eth1 = pif_by_device(x, 'eth1')
    net = x.PIF.get_network(eth1)
    assert failure(x.network.destroy, net)[0] == 'NETWORK_CONTAINS_PIF'
    empty = x.network.create({'name_label': 'e', 'name_description': '', 'other_config': {}})
    x.network.destroy(empty)
    assert empty not in x.network.get_all()


# -------------------------------------------------------------------- PIF
def test_reconfigure_ip_static_dhcp_none(one):
    d, x = one
    eth5 = pif_by_device(x, 'eth5')
    x.PIF.reconfigure_ip(eth5, 'Static', '172.16.0.11', '255.255.255.0', '172.16.0.1', '172.16.0.2,fe80::1')
    rec = x.PIF.get_record(eth5)
    assert (rec['ip_configuration_mode'], rec['IP'], rec['netmask'], rec['gateway'], rec['DNS']) == \
        ('Static', '172.16.0.11', '255.255.255.0', '172.16.0.1', '172.16.0.2')
    x.PIF.reconfigure_ip(eth5, 'DHCP', '', '', '', '')
    assert x.PIF.get_ip_configuration_mode(eth5) == 'DHCP'
    x.PIF.reconfigure_ip(eth5, 'None', '', '', '', '')
    assert (x.PIF.get_ip_configuration_mode(eth5), x.PIF.get_IP(eth5)) == ('None', '')


def test_reconfigure_ip_validation(one):
    d, x = one
    eth5 = pif_by_device(x, 'eth5')
    assert failure(x.PIF.reconfigure_ip, eth5, 'Static', '', '255.255.255.0', '', '') == \
        ['INVALID_IP_ADDRESS_SPECIFIED', 'IP']
    assert failure(x.PIF.reconfigure_ip, eth5, 'Static', '10.0.0.300', '255.255.255.0', '', '') == \
        ['INVALID_IP_ADDRESS_SPECIFIED', 'IP']
    assert failure(x.PIF.reconfigure_ip, eth5, 'Static', '10.0.0.3', '', '', '') == \
        ['INVALID_IP_ADDRESS_SPECIFIED', 'netmask']
    assert failure(x.PIF.reconfigure_ip, eth5, 'DHCP', '', '', 'gw', '') == \
        ['INVALID_IP_ADDRESS_SPECIFIED', 'gateway']
    assert x.PIF.get_ip_configuration_mode(eth5) == 'None'


def test_reconfigure_ip_none_on_management_refused(one):
    d, x = one
    eth0 = pif_by_device(x, 'eth0')
    assert failure(x.PIF.reconfigure_ip, eth0, 'None', '', '', '', '') == ['PIF_IS_MANAGEMENT_INTERFACE', eth0]
    x.PIF.reconfigure_ip(eth0, 'Static', '192.168.43.99', '255.255.255.0', '', '')
    assert x.PIF.get_IP(eth0) == '192.168.43.99'
    assert x.host.get_address(x.host.get_all()[0]) == '192.168.43.99'


def test_unplug_rules(one):
    d, x = one
    eth0, eth4 = pif_by_device(x, 'eth0'), pif_by_device(x, 'eth4')
    assert failure(x.PIF.unplug, eth0) == ['PIF_IS_MANAGEMENT_INTERFACE', eth0]
    x.PIF.set_disallow_unplug(eth4, True)
    assert failure(x.PIF.unplug, eth4) == ['PIF_DOES_NOT_ALLOW_UNPLUG', eth4]
    assert x.PIF.get_currently_attached(eth4) is True
    x.PIF.set_disallow_unplug(eth4, False)
    x.PIF.unplug(eth4)
    assert x.PIF.get_currently_attached(eth4) is False
    x.PIF.plug(eth4)
    assert x.PIF.get_currently_attached(eth4) is True


def test_plug_bond_slave_is_a_no_op(one):
    d, x = one
    eth2, eth3 = pif_by_device(x, 'eth2'), pif_by_device(x, 'eth3')
    net = x.network.create({'name_label': 'b', 'name_description': '', 'other_config': {}})
    x.Bond.create(net, [eth2, eth3], '', 'balance-slb', {})
    x.PIF.plug(eth2)
    assert x.PIF.get_currently_attached(eth2) is False


def test_pif_other_config_rw_disallow_unplug_ro(one):
    d, x = one
    eth5 = pif_by_device(x, 'eth5')
    x.PIF.set_other_config(eth5, {'management_purpose': 'Storage'})
    x.PIF.add_to_other_config(eth5, 'x', 'y')
    x.PIF.remove_from_other_config(eth5, 'x')
    assert x.PIF.get_other_config(eth5) == {'management_purpose': 'Storage'}
    x.PIF.set_disallow_unplug(eth5, True)
    assert x.PIF.get_disallow_unplug(eth5) is True
    assert failure(x.PIF.set_IP, eth5, '1.2.3.4') == ['MESSAGE_METHOD_UNKNOWN', 'PIF.set_IP']
    assert failure(x.PIF.set_disallow_unplug, eth5, 'yes')[0] == 'INTERNAL_ERROR'


# -------------------------------------------------------------------- host settings
def test_multipathing_and_iqn(one):
    d, x = one
    h = x.host.get_all()[0]
    x.host.set_multipathing(h, True)
    assert x.host.get_multipathing(h) is True and x.host.get_other_config(h)['multipathing'] == 'true'
    x.host.set_iscsi_iqn(h, 'iqn.2026-11.org.example:xs1')
    assert x.host.get_iscsi_iqn(h) == 'iqn.2026-11.org.example:xs1'
    assert x.host.get_other_config(h)['iscsi_iqn'] == 'iqn.2026-11.org.example:xs1'
    assert failure(x.host.set_iscsi_iqn, h, '') == ['INVALID_VALUE', 'value', '']


def test_ntp_calls_and_their_order(one):
    d, x = one
    h = x.host.get_all()[0]
    assert x.host.get_ntp_mode(h) == 'Factory'
    assert failure(x.host.set_ntp_mode, h, 'Custom') == \
        ['INVALID_NTP_CONFIG', "Can't set ntp_mode to Custom when ntp_custom_servers is empty"]
    x.host.set_ntp_custom_servers(h, ['0.pool.ntp.org', '1.pool.ntp.org'])
    x.host.set_ntp_mode(h, 'custom')
    assert x.host.get_ntp_mode(h) == 'Custom'
    assert x.host.get_ntp_custom_servers(h) == ['0.pool.ntp.org', '1.pool.ntp.org']
    assert failure(x.host.set_ntp_custom_servers, h, [])[0] == 'INVALID_NTP_CONFIG'
    assert x.host.get_ntp_synchronized(h) is True
    assert set(x.host.get_ntp_servers_status(h)) == {'0.pool.ntp.org', '1.pool.ntp.org'}
    assert failure(x.host.set_ntp_mode, h, 'sometimes')[0] == 'INTERNAL_ERROR'
    x.host.set_ntp_mode(h, 'Disabled')
    assert x.host.get_ntp_synchronized(h) is False
    x.host.set_timezone(h, 'Europe/Berlin')
    assert x.host.get_timezone(h) == 'Europe/Berlin'
    assert failure(x.host.set_timezone, h, 'nowhere') == ['INVALID_VALUE', 'timezone', 'nowhere']


# -------------------------------------------------------------------- control domain memory
def test_dom0_memory_pinned_and_requires_reboot(one):
    d, x = one
    h = x.host.get_all()[0]
    dom0 = x.host.get_control_domain(h)
    smin = int(x.VM.get_memory_static_min(dom0))
    new = 8 * 1024 ** 3
    assert failure(x.VM.set_memory_limits, dom0, str(smin), str(new), str(smin), str(new)) == \
        ['MEMORY_CONSTRAINT_VIOLATION_MAXPIN', 'control domain']
    assert x.VM.get_requires_reboot(dom0) is False
    x.VM.set_memory_limits(dom0, str(smin), str(new), str(new), str(new))
    rec = x.VM.get_record(dom0)
    assert rec['memory_static_max'] == str(new) and rec['memory_target'] == str(new)
    assert rec['requires_reboot'] is True


def test_dom0_set_memory_sets_requires_reboot_even_unchanged(one):
    d, x = one
    dom0 = x.host.get_control_domain(x.host.get_all()[0])
    same = x.VM.get_memory_static_max(dom0)
    x.VM.set_memory(dom0, same)
    assert x.VM.get_requires_reboot(dom0) is True
    assert x.VM.get_memory_static_max(dom0) == same


def test_guest_memory_needs_halted(make_double):
    d = make_double(1, overrides={'xs1': {'running_vms': 1}})
    x = session(d, 'xs1').xenapi
    guest = [r for r, v in x.VM.get_all_records().items() if not v['is_control_domain']][0]
    assert x.VM.get_power_state(guest) == 'Running'
    assert failure(x.VM.set_memory_limits, guest, '1', '4', '2', '3')[0] == 'INTERNAL_ERROR'


def test_pif_forget_rules_and_scan_brings_it_back(make_double):
    d = make_double(1, overrides={'xs1': {'vlans': [{'device': 'eth5', 'tag': 9}]}})
    x = session(d, 'xs1').xenapi
    h = x.host.get_all()[0]
    eth0, eth2, eth3, eth4, eth5 = (pif_by_device(x, 'eth%d' % i) for i in (0, 2, 3, 4, 5))
    assert failure(x.PIF.forget, eth0) == ['PIF_IS_MANAGEMENT_INTERFACE', eth0]
    bond = x.Bond.create(x.network.create({'name_label': 'b', 'name_description': '', 'other_config': {}}),
                         [eth2, eth3], '', 'balance-slb', {})
    assert failure(x.PIF.forget, eth2) == ['PIF_ALREADY_BONDED', eth2]
    assert failure(x.PIF.forget, x.Bond.get_master(bond)) == ['PIF_ALREADY_BONDED', x.Bond.get_master(bond)]
    assert failure(x.PIF.forget, eth5) == ['PIF_VLAN_STILL_EXISTS', eth5]
    net4 = x.PIF.get_network(eth4)
    x.network.set_name_label(net4, 'cloud-guest')
    x.PIF.forget(eth4)
    assert failure(x.PIF.get_record, eth4) == ['HANDLE_INVALID', 'PIF', eth4]
    assert x.network.get_PIFs(net4) == []
    x.PIF.scan(h)
    back = pif_by_device(x, 'eth4')
    assert back != eth4 and x.PIF.get_network(back) == net4
    assert x.PIF.get_ip_configuration_mode(back) == 'None'
    before = d.fingerprint()
    x.PIF.scan(h)
    assert d.fingerprint() == before


def test_host_management_reconfigure(one):
    d, x = one
    h = x.host.get_all()[0]
    eth0, eth1, eth2, eth3 = (pif_by_device(x, 'eth%d' % i) for i in range(4))
    assert failure(x.host.management_reconfigure, eth1) == ['PIF_HAS_NO_NETWORK_CONFIGURATION', eth1]
    x.Bond.create(x.network.create({'name_label': 'b', 'name_description': '', 'other_config': {}}),
                  [eth2, eth3], '', 'balance-slb', {})
    assert failure(x.host.management_reconfigure, eth2) == ['CANNOT_PLUG_BOND_SLAVE', eth2]
    x.PIF.reconfigure_ip(eth1, 'Static', '192.168.44.21', '255.255.255.0', '', '')
    x.host.management_reconfigure(eth1)
    assert x.host.get_management_interface(h) == eth1
    assert x.PIF.get_management(eth0) is False
    # xapi_mgmt_iface.ml: host.address follows the management IP; so does the endpoint's address
    assert x.host.get_address(h) == '192.168.44.21'
    assert d.url_of_address('192.168.44.21') == d.endpoints['xs1']


def test_pool_management_reconfigure(make_double):
    d = make_double(2)
    session(d, 'xs2').xenapi.pool.join(address(1), 'root', 'secret')
    x = session(d, 'xs1').xenapi
    pifs = x.PIF.get_all_records()
    eth1s = [p for p, r in pifs.items() if r['device'] == 'eth1']
    net1 = pifs[eth1s[0]]['network']
    assert failure(x.pool.management_reconfigure, net1)[0] == 'PIF_HAS_NO_NETWORK_CONFIGURATION'
    for i, p in enumerate(eth1s):
        x.PIF.reconfigure_ip(p, 'Static', '192.168.44.%d' % (21 + i), '255.255.255.0', '', '')
    lonely = x.network.create({'name_label': 'n', 'name_description': '', 'other_config': {}})
    h1 = x.pool.get_master(x.pool.get_all()[0])
    assert failure(x.pool.management_reconfigure, lonely)[0] == 'PIF_NOT_PRESENT'
    x.pool.management_reconfigure(net1)
    assert sorted(x.host.get_management_interface(h) for h in x.host.get_all()) == sorted(eth1s)
    assert x.host.get_management_interface(h1) in eth1s
