# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wire format and dispatcher errors, seen through the real XenAPI client."""
from __future__ import annotations

import xmlrpc.client

import XenAPI

from tests.xapi_double.testing import PASSWORD, failure, session


def raw(d, name, method, *params):
    """One XML-RPC call without the XenAPI client's unwrapping: the envelope itself."""
    proxy = xmlrpc.client.ServerProxy(d.endpoints[name], allow_none=True)
    return getattr(proxy, method)(*params)


def test_envelope_success_and_int64_as_string(make_double):
    d = make_double(1)
    env = raw(d, 'xs1', 'session.login_with_password', 'root', PASSWORD, '2.21', 't')
    assert env['Status'] == 'Success' and env['Value'].startswith('OpaqueRef:')
    sid = env['Value']
    vms = raw(d, 'xs1', 'VM.get_all_records', sid)['Value']
    dom0 = [v for v in vms.values() if v['is_control_domain']][0]
    assert isinstance(dom0['memory_static_max'], str) and int(dom0['memory_static_max']) > 0
    assert dom0['power_state'] == 'Running'
    net = raw(d, 'xs1', 'network.get_all', sid)['Value'][0]
    # void is ""
    assert raw(d, 'xs1', 'network.set_name_label', sid, net, 'x') == {'Status': 'Success', 'Value': ''}


def test_envelope_failure(make_double):
    d = make_double(1)
    env = raw(d, 'xs1', 'session.login_with_password', 'root', 'wrong', '2.21', 't')
    assert env == {'Status': 'Failure',
                   'ErrorDescription': ['SESSION_AUTHENTICATION_FAILED', 'root', 'Authentication failure']}


def test_bad_password_through_client(make_double):
    d = make_double(1)
    s = XenAPI.Session(d.endpoints['xs1'])
    assert failure(s.xenapi.login_with_password, 'root', 'nope', '2.21', 't') == \
        ['SESSION_AUTHENTICATION_FAILED', 'root', 'Authentication failure']
    assert failure(s.xenapi.login_with_password, 'admin', PASSWORD, '2.21', 't')[0] == \
        'SESSION_AUTHENTICATION_FAILED'


def test_unknown_method(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    assert failure(x.host.make_coffee, 'OpaqueRef:x') == ['MESSAGE_METHOD_UNKNOWN', 'host.make_coffee']
    assert failure(x.Bond.set_MTU, 'OpaqueRef:x', '9000') == ['MESSAGE_METHOD_UNKNOWN', 'Bond.set_MTU']


def test_parameter_count_mismatch_counts_without_session(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    net = x.network.get_all()[0]
    assert failure(x.network.set_name_label, net) == \
        ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'network.set_name_label', '2', '1']
    assert failure(x.pool.join, 'a', 'b') == ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'pool.join', '3', '2']
    assert failure(x.pool.get_all, 'extra') == ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'pool.get_all', '0', '1']


def test_handle_invalid(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    assert failure(x.network.get_record, 'OpaqueRef:nope') == ['HANDLE_INVALID', 'network', 'OpaqueRef:nope']
    assert failure(x.PIF.unplug, 'OpaqueRef:nope') == ['HANDLE_INVALID', 'PIF', 'OpaqueRef:nope']


def test_refs_of_another_pool_are_invalid(make_double):
    d = make_double(2)
    x1 = session(d, 'xs1').xenapi
    x2 = session(d, 'xs2').xenapi
    net2 = x2.network.get_all()[0]
    assert failure(x1.network.get_record, net2) == ['HANDLE_INVALID', 'network', net2]


def test_bad_enum_rejected_good_enum_case_insensitive(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    pif = x.PIF.get_all()[1]
    err = failure(x.PIF.reconfigure_ip, pif, 'static-ish', '10.0.0.5', '255.255.255.0', '', '')
    assert err[0] == 'INTERNAL_ERROR' and 'static-ish' in err[1]
    assert x.PIF.get_ip_configuration_mode(pif) == 'None'
    x.PIF.reconfigure_ip(pif, 'static', '10.0.0.5', '255.255.255.0', '', '')
    assert x.PIF.get_ip_configuration_mode(pif) == 'Static'


def test_session_invalid_triggers_client_relogin(make_double):
    d = make_double(1)
    s = session(d, 'xs1')
    first = s._session
    with d.world.lock:
        d.world.sessions.clear()      # as if xapi restarted
    assert s.xenapi.pool.get_all()    # the client got SESSION_INVALID, logged in again, retried
    assert s._session != first


def test_logout_ends_session(make_double):
    d = make_double(1)
    s = session(d, 'xs1')
    sid = s._session
    s.xenapi.session.logout()
    env = raw(d, 'xs1', 'pool.get_all', sid)
    assert env == {'Status': 'Failure', 'ErrorDescription': ['SESSION_INVALID', sid]}


def test_calls_are_recorded(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    x.pool.get_all()
    assert ('xs1', 'session.login_with_password', 4) in d.calls
    assert ('xs1', 'pool.get_all', 1) in d.calls


def test_fingerprint_stable_under_reads_changes_on_write(make_double):
    d = make_double(2)
    before = d.fingerprint()
    x = session(d, 'xs1').xenapi
    x.PIF.get_all_records()
    x.host.get_all_records()
    assert d.fingerprint() == before
    x.network.set_name_label(x.network.get_all()[0], 'cloud-guest')
    assert d.fingerprint() != before


def test_defaulted_parameters_may_be_left_out(make_double):
    # datamodel: login_with_password version/originator and Bond.create mode/properties have defaults
    d = make_double(1)
    s = XenAPI.Session(d.endpoints['xs1'])
    s.xenapi.login_with_password('root', PASSWORD)
    x = s.xenapi
    assert failure(x.login_with_password, 'root') == \
        ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'session.login_with_password', '2', '1']
    pifs = {r['device']: p for p, r in x.PIF.get_all_records().items()}
    net = x.network.create({'name_label': 'b', 'name_description': '', 'other_config': {}})
    bond = x.Bond.create(net, [pifs['eth2'], pifs['eth3']], '')
    assert x.Bond.get_mode(bond) == 'balance-slb' and x.Bond.get_properties(bond) == {}
    assert failure(x.Bond.create, net, [pifs['eth4'], pifs['eth5']]) == \
        ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'Bond.create', '3', '2']


def test_session_this_host_and_user(make_double):
    d = make_double(1)
    s = session(d, 'xs1')
    assert s.xenapi.session.get_this_host(s._session) == d.host_ref('xs1')
    assert s.xenapi.session.get_this_user(s._session) == 'root'
    assert failure(s.xenapi.session.get_this_host, 'OpaqueRef:x') == ['HANDLE_INVALID', 'session', 'OpaqueRef:x']
