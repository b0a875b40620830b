# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract: the double serves exactly the signature table, with the table's arity."""
from __future__ import annotations

import inspect
import os
import re

import pytest

from tests.xapi_double import signatures
from tests.xapi_double.server import Dispatcher
from tests.xapi_double.testing import call_mismatches, session

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_handler_is_in_the_table_with_its_arity():
    table = signatures.all_messages()
    handlers = [n for n in dir(Dispatcher) if n.startswith('m_')]
    assert handlers
    for name in handlers:
        cls, method = name[2:].split('_', 1)
        full = '%s.%s' % (cls, method)
        assert full in table, full
        params = list(inspect.signature(getattr(Dispatcher, name)).parameters)[2:]   # self, pool
        assert len(params) == len(table[full]['params']), full


def test_every_explicit_message_has_a_handler():
    for cls, spec in signatures.CLASSES.items():
        for method in spec['messages']:
            if cls == 'session' and method in ('login_with_password', 'logout'):
                continue
            assert hasattr(Dispatcher, 'm_%s_%s' % (cls, method)), '%s.%s' % (cls, method)


def test_generated_members_follow_qualifiers():
    table = signatures.all_messages()
    for cls, spec in signatures.CLASSES.items():
        if not spec.get('generated', True):
            continue
        for field, f in spec['fields'].items():
            assert '%s.get_%s' % (cls, field) in table
            assert ('%s.set_%s' % (cls, field) in table) is f['rw'] or '%s.set_%s' % (cls, field) in \
                ['%s.%s' % (cls, m) for m in spec['messages']]


def test_enum_params_name_known_enums():
    for msg in signatures.all_messages().values():
        for _name, ptype in msg['params']:
            if ptype.startswith('enum:'):
                assert ptype[5:] in signatures.ENUMS


@pytest.mark.parametrize('method', sorted(signatures.all_messages()))
def test_served_arity_equals_table(method, request):
    """Calling each method with one parameter too many gives the table's expected count."""
    d = request.getfixturevalue('shared_double')
    x = session(d, 'xs1')
    msg = signatures.all_messages()[method]
    if not msg['session']:
        return
    required = signatures.required_count(msg)
    # one too many is refused unless the message has defaulted parameters (then extra are ignored);
    # one too few is always refused
    wrong = [required - 1] if msg['defaults'] else [len(msg['params']) + 1]
    if required > 0:
        wrong.append(required - 1)
    proxy = getattr(x, method)     # raw ServerProxy attribute: no XenAPI unwrapping
    for count in set(wrong):
        env = proxy(x._session, *(['x'] * count))
        assert env['ErrorDescription'] == ['MESSAGE_PARAMETER_COUNT_MISMATCH', method, str(required),
                                           str(count)], (count, env)


@pytest.fixture(scope='module')
def shared_double():
    from tests.xapi_double import XapiDouble
    d = XapiDouble(hosts=[{'name': 'xs1', 'address': '192.168.43.21'}])
    d.start()
    yield d
    d.stop()


def test_call_mismatches_helper_flags_bad_calls(make_double):
    d = make_double(1)
    x = session(d, 'xs1').xenapi
    x.pool.get_all()
    assert call_mismatches(d) == []
    try:
        x.host.get_record()
    except Exception:  # noqa: BLE001 - the double answers MESSAGE_PARAMETER_COUNT_MISMATCH
        pass
    try:
        x.host.no_such_call('a')
    except Exception:  # noqa: BLE001
        pass
    bad = call_mismatches(d)
    assert ('xs1', 'host.get_record', 1) in bad
    assert ('xs1', 'host.no_such_call', 2) in bad


CALL_LITERAL = re.compile(r"""['"](pool|host|PIF|PIF_metrics|network|Bond|VLAN|VM|VM_metrics|SR|PBD|session)\.([A-Za-z_]+)['"]""")


def literal_calls(text):
    return {'%s.%s' % m.groups() for m in CALL_LITERAL.finditer(text)}


def test_literal_scanner_finds_calls():
    assert literal_calls("x.write('Bond.create', a) ; y = \"host.get_ntp_mode\"") == {'Bond.create', 'host.get_ntp_mode'}


def test_every_call_named_in_the_collection_is_in_the_table():
    """Every 'Class.method' string in plugins/ names a call of the signature table.

    Catches a misspelt call name in a module before any test drives it; the arity of the
    calls actually made is checked at run time by testing.call_mismatches().
    """
    table = signatures.all_messages()
    plugins = os.path.join(ROOT, 'plugins')
    unknown = []
    for dirpath, _dirs, files in os.walk(plugins):
        for name in files:
            if name.endswith('.py'):
                with open(os.path.join(dirpath, name), encoding='utf-8') as fh:
                    for call in literal_calls(fh.read()):
                        if call not in table:
                            unknown.append((name, call))
    assert unknown == []
