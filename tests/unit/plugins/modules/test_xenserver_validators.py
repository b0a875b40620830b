# SPDX-License-Identifier: GPL-3.0-or-later
"""The xenserver_* modules' input validation: every bad input fails before XenAPI is contacted
(api_url points at a closed port, so reaching the network would be a different failure).
The modules' behaviour against XenAPI is tested on the XAPI double in tests/xenserver/."""
from __future__ import annotations

import pytest
from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import fail_module

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi
from ansible_collections.cloudstack.hypervisors.plugins.modules import (
    xenserver_bond, xenserver_host_settings, xenserver_network, xenserver_pif_ip, xenserver_pool_check,
    xenserver_pool_info, xenserver_pool_join)

CONN = {'api_url': 'http://127.0.0.1:9', 'api_password': 'pw-never-shown', 'timeout': 2}


def fails(main, args, *parts):
    result, _f = fail_module(main, dict(CONN, **args))
    for p in parts:
        assert p in result['msg'], (p, result['msg'])
    assert 'Cannot reach' not in result['msg']
    assert 'pw-never-shown' not in result['msg']
    return result


# --------------------------------------------------------------------- _xapi

@pytest.mark.parametrize('url,want', [('192.168.43.21', 'https://192.168.43.21'), ('http://127.0.0.1:8080/', 'http://127.0.0.1:8080'),
                                      ('https://xs1.example.org', 'https://xs1.example.org')])
def test_normalize_url_defaults_to_https(url, want):
    assert _xapi.normalize_url(url) == want


@pytest.mark.parametrize('value,want', [('2147483648', 2147483648), ('-1', -1), ('', None), (None, None), ('x', None), (7, 7)])
def test_to_int_parses_xapi_int64_strings(value, want):
    assert _xapi.to_int(value) == want


@pytest.mark.parametrize('brand,version,cs,ok', [
    ('XCP-ng', '8.3.0', '4.20.1', True), ('XCP-ng', '8.3.0', '4.20.0', False), ('XCP-ng', '8.3.0', '4.19.1.0', False),
    ('XCP-ng', '8.2.1', '4.18.0', True), ('XenServer', '8.4.0', '4.20.1.0', True), ('XenServer', '8.4.0', '4.19.0', False),
    ('XCP-ng', '7.6.0', '4.20.1', False), ('XCP-ng', '8.3.0', '', True)])
def test_cloudstack_support_table(brand, version, cs, ok):
    assert (_xapi.cloudstack_support(brand, version, cs) is None) == ok


def test_argument_spec_hides_the_password():
    assert _xapi.argument_spec()['api_password']['no_log'] is True
    assert _xapi.argument_spec()['validate_certs']['default'] is True


# --------------------------------------------------------------------- bond

@pytest.mark.parametrize('args,parts', [
    ({'members': ['eth2']}, ['1 member(s) (eth2)', 'at least two']),
    ({'members': []}, ['0 member(s)', 'at least two']),
    ({'members': ['eth2', 'eth2', 'eth3']}, ['lists eth2 more than once']),
    ({'members': ['eth2', 'eth3'], 'name_label': '  '}, ['name_label of the bond of eth2, eth3 is empty']),
    ({'members': ['eth2', 'eth3'], 'properties': {'lacp-time': True}}, ['property lacp-time', 'use a string']),
])
def test_bond_validation(args, parts):
    fails(xenserver_bond.main, dict({'name_label': 'cloud-public'}, **args), *parts)


def test_bond_mode_choices():
    fails(xenserver_bond.main, {'name_label': 'x', 'members': ['eth0', 'eth1'], 'mode': 'balance-tlb'}, 'mode', 'balance-tlb')


# --------------------------------------------------------------------- network

def test_network_needs_device_or_bridge():
    fails(xenserver_network.main, {'name_label': 'cloud-guest'}, 'one of the following is required: device, bridge')


def test_network_device_and_bridge_exclude_each_other():
    fails(xenserver_network.main, {'name_label': 'cloud-guest', 'device': 'eth4', 'bridge': 'xenbr4'}, 'mutually exclusive')


@pytest.mark.parametrize('mtu', [0, 67, 9217])
def test_network_mtu_range(mtu):
    fails(xenserver_network.main, {'name_label': 'cloud-guest', 'device': 'eth4', 'mtu': mtu}, 'mtu %d' % mtu, 'cloud-guest')


def test_network_empty_label():
    fails(xenserver_network.main, {'name_label': ' ', 'device': 'eth4'}, 'name_label is empty')


# --------------------------------------------------------------------- pif_ip

def test_pif_ip_static_needs_ip():
    fails(xenserver_pif_ip.main, {'device': 'eth5'}, 'mode is static but all of the following are missing: ip')


@pytest.mark.parametrize('ip,mask,part', [
    ('172.16.0.12', None, 'has no prefix and no netmask'),
    ('172.16.0.12/24', '255.255.255.0', 'has a prefix and netmask'),
    ('172.16.0.0/24', None, 'network or broadcast'),
    ('172.16.0.255/24', None, 'network or broadcast'),
    ('fd00::5/64', None, 'not IPv4'),
    ('172.16.0.300/24', None, '172.16.0.300'),
])
def test_pif_ip_address_validation(ip, mask, part):
    args = {'device': 'eth5', 'host': 'xs2', 'ip': ip}
    if mask:
        args['netmask'] = mask
    fails(xenserver_pif_ip.main, args, part, 'eth5 of xs2')


def test_pif_ip_parse_address():
    assert xenserver_pif_ip.parse_address('172.16.0.12/24', None) == ('172.16.0.12', '255.255.255.0')
    assert xenserver_pif_ip.parse_address('172.16.0.12', '255.255.0.0') == ('172.16.0.12', '255.255.0.0')


# --------------------------------------------------------------------- host_settings

@pytest.mark.parametrize('args,part', [
    ({'ntp_servers': ['ntp one']}, "NTP server 'ntp one'"),
    ({'ntp_servers': []}, 'ntp_servers is an empty list'),
    ({'dom0_memory_min_mb': 100}, 'dom0_memory_min_mb is 100'),
    ({'dom0_memory_mb': 100000}, 'dom0_memory_mb is 100000'),
    ({'dom0_memory_mb': 2048, 'dom0_memory_min_mb': 2940}, 'dom0_memory_mb 2048 is below dom0_memory_min_mb 2940'),
    ({'iscsi_iqn': 'not-an-iqn'}, "iscsi_iqn 'not-an-iqn'"),
])
def test_host_settings_validation(args, part):
    fails(xenserver_host_settings.main, dict({'host': 'xs2'}, **args), part, 'xs2')


def test_host_settings_accepts_good_values():
    assert xenserver_host_settings.validate({'ntp_servers': ['0.pool.ntp.org', '192.0.2.1'], 'dom0_memory_min_mb': 2940,
                                             'dom0_memory_mb': 4096, 'iscsi_iqn': 'iqn.2026-11.org.example:xs1'}) == []


# --------------------------------------------------------------------- pool_join / pool_check / pool_info

def test_pool_join_needs_master_password_and_hides_it():
    fails(xenserver_pool_join.main, {'master_address': '192.168.43.21'}, 'missing required arguments: master_password')


def test_pool_join_negative_wait():
    fails(xenserver_pool_join.main, {'master_address': '192.168.43.21', 'master_password': 'join-pw-never-shown',
                                     'wait_timeout': -1}, 'wait_timeout is -1')


def test_pool_check_unknown_traffic_type():
    fails(xenserver_pool_check.main, {'traffic_labels': {'managment': 'cloud-private'}}, 'unknown traffic type(s) managment')


def test_unreachable_api_is_a_sentence_naming_the_url():
    result, _f = fail_module(xenserver_pool_info.main, CONN)
    assert 'Cannot reach XenAPI' in result['msg'] and 'http://127.0.0.1:9' in result['msg']
    assert 'pw-never-shown' not in str(result)
