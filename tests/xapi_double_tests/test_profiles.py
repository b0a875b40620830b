# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Version profiles: what each product reports and which calls it has."""
from __future__ import annotations

import pytest

from tests.xapi_double import XapiDouble
from tests.xapi_double.testing import failure, session

NTP_CALLS = ['set_ntp_mode', 'set_ntp_custom_servers', 'get_ntp_mode', 'get_ntp_custom_servers',
             'get_ntp_synchronized', 'get_ntp_servers_status', 'set_timezone', 'get_timezone']

EXPECTED = {
    # profile: (brand, product_version, xapi, has NTP API)
    'xcp-ng-8.2': ('XCP-ng', '8.2.1', '1.249.32', False),
    'xcp-ng-8.3-ga': ('XCP-ng', '8.3.0', '24.19.2', False),
    'xcp-ng-8.3-current': ('XCP-ng', '8.3.0', '26.1.4', True),
    'xenserver-8.4': ('XenServer', '8.4.0', '26.1.3', True),
}


@pytest.mark.parametrize('profile', sorted(EXPECTED))
def test_profile_versions_and_ntp_api(make_double, profile):
    brand, version, xapi, has_ntp = EXPECTED[profile]
    d = make_double(1, profile=profile)
    x = session(d, 'xs1').xenapi
    h = x.host.get_all()[0]
    sw = x.host.get_software_version(h)
    assert (sw['product_brand'], sw['product_version'], sw['xapi']) == (brand, version, xapi)
    rec = x.host.get_record(h)
    for name in NTP_CALLS:
        args = {'set_ntp_mode': ['Factory'], 'set_ntp_custom_servers': [[]], 'set_timezone': ['UTC']}.get(name, [])
        call = getattr(x.host, name)
        if has_ntp:
            call(h, *args)
        else:
            assert failure(call, h, *args) == ['MESSAGE_METHOD_UNKNOWN', 'host.' + name]
    assert ('ntp_mode' in rec) is has_ntp and ('timezone' in rec) is has_ntp
    # calls every profile has
    x.host.set_multipathing(h, False)
    x.host.set_iscsi_iqn(h, 'iqn.2026-01.org.example:a')


def test_unknown_profile_and_host_key_rejected():
    with pytest.raises(ValueError):
        XapiDouble(profile='xcp-ng-9')
    with pytest.raises(ValueError):
        XapiDouble(hosts=[{'name': 'a', 'address': '10.0.0.1', 'colour': 'blue'}])


def test_software_version_override_changes_call_set(make_double):
    d = make_double(1, overrides={'xs1': {'software_version': {'xapi': '25.30.0'}}})
    x = session(d, 'xs1').xenapi
    h = x.host.get_all()[0]
    assert failure(x.host.get_ntp_synchronized, h) == ['MESSAGE_METHOD_UNKNOWN', 'host.get_ntp_synchronized']


def test_8_2_pool_joins_8_2(make_double):
    d = make_double(2, profile='xcp-ng-8.2')
    session(d, 'xs2').xenapi.pool.join('192.168.43.21', 'root', 'secret')
    assert d.master_of('xs2') == 'xs1'


def test_tls_verification_field_only_from_xapi_1_290(make_double):
    d = make_double(1, profile='xcp-ng-8.2')
    x = session(d, 'xs1').xenapi
    pool = x.pool.get_all()[0]
    assert 'tls_verification_enabled' not in x.pool.get_record(pool)
    assert failure(x.pool.get_tls_verification_enabled, pool) == \
        ['MESSAGE_METHOD_UNKNOWN', 'pool.get_tls_verification_enabled']
    d2 = make_double(1, profile='xcp-ng-8.3-ga')
    x2 = session(d2, 'xs1').xenapi
    assert x2.pool.get_tls_verification_enabled(x2.pool.get_all()[0]) is True


def test_pool_has_no_get_by_name_label(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    assert failure(x.pool.get_by_name_label, '') == ['MESSAGE_METHOD_UNKNOWN', 'pool.get_by_name_label']
    sr = x.SR.get_by_name_label('Local storage')[0]
    x.SR.set_name_label(sr, 'Local SR')
    assert x.SR.get_name_label(sr) == 'Local SR'
