# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract: every XenAPI call the modules made in this test session exists, with the
number of arguments sent, in the hand-written signature table of the double
(tests/xapi_double/signatures.py, written from the published XenAPI reference).

Runs last (file name) so it sees the calls of the converged pools, the drift runs and the
bad-input runs; requested alone it converges the pools itself (the ``pools`` fixture).
"""
from __future__ import annotations

from tests.xapi_double import signatures
from tests.xenserver import xenlab

# Called on purpose where the profile may lack them: feature detection through
# MESSAGE_METHOD_UNKNOWN (the NTP calls arrived with xapi 26).
FEATURE_PROBES = {'host.get_ntp_mode'}


def test_every_call_is_in_the_signature_table(pools):
    calls = list(xenlab.CALLS)
    for res in pools.values():
        calls.extend(xenlab.calls_of(res['double']))
    assert len(calls) > 100
    table = signatures.all_messages(None)
    wrong = []
    for version, host, method, n_args in calls:
        msg = table.get(method)
        if msg is None:
            wrong.append((method, n_args, 'not in the XenAPI reference table'))
            continue
        expected = len(msg['params']) + (1 if msg['session'] else 0)
        if expected != n_args:
            wrong.append((method, n_args, 'expects %d' % expected))
        if method not in signatures.all_messages(version) and method not in FEATURE_PROBES:
            wrong.append((method, version, 'absent in xapi %s' % version))
    assert sorted(set(wrong)) == []
    used = sorted(set(m for _v, _h, m, _n in calls))
    # The writes the role depends on were all exercised.
    for m in ('pool.join', 'Bond.create', 'Bond.set_mode', 'Bond.destroy', 'network.create', 'network.set_name_label',
              'PIF.reconfigure_ip', 'PIF.set_disallow_unplug', 'PIF.add_to_other_config', 'host.set_multipathing',
              'host.set_iscsi_iqn', 'host.set_ntp_custom_servers', 'host.set_ntp_mode'):
        assert m in used, m
