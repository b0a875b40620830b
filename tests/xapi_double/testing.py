# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small helpers for tests that drive the double with the real XenAPI client."""
from __future__ import annotations

import pytest
import XenAPI

PASSWORD = 'secret'


def address(i):
    return '192.168.43.%d' % (20 + i)


def session(d, name, password=PASSWORD):
    """A logged-in XenAPI session on host ``name`` of double ``d``."""
    s = XenAPI.Session(d.endpoints[name])
    s.xenapi.login_with_password('root', password, '2.21', 'xapi-double-tests')
    return s


def failure(call, *args):
    """Run a XenAPI call that must fail; return its ErrorDescription list."""
    with pytest.raises(XenAPI.Failure) as exc:
        call(*args)
    return exc.value.details


def pif_by_device(x, device, host=None):
    for ref, rec in x.PIF.get_all_records().items():
        if rec['device'] == device and (host is None or rec['host'] == host):
            return ref
    raise KeyError(device)


def host_by_name(x, name):
    refs = x.host.get_by_name_label(name)
    assert len(refs) == 1, refs
    return refs[0]


def call_mismatches(double):
    """Calls recorded by ``double`` that are not in the signature table with that arity.

    For module tests: after driving a module against the double, ``call_mismatches(d) == []``
    proves every XenAPI call it made exists (for that host's profile) with the right number
    of arguments.
    """
    from . import signatures
    bad = []
    for host, method, n_args in double.calls:
        sim = double.world.hosts[host]
        table = signatures.all_messages(double.xapi_version(sim))
        msg = table.get(method)
        if msg is None or not signatures.arity_ok(msg, n_args):
            bad.append((host, method, n_args))
    return bad
