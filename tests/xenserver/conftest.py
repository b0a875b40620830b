# SPDX-License-Identifier: GPL-3.0-or-later
"""The repository root on sys.path, so `tests.xapi_double` and `tests.xenserver.xenlab` import."""
from __future__ import annotations

import os
import sys
import tempfile
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
# (the collection link and its sys.path entry come from tests/conftest.py, loaded first)


# The four converged pools (one per version profile) are shared by test_acceptance.py (first
# run, check mode, second run, drift on 8.3-current) and test_zz_contract.py.
from tests.xenserver import xenlab  # noqa: E402  (needs ROOT on sys.path)


def converge(profile, out):
    d = xenlab.start_double(profile)
    tmp = tempfile.mkdtemp(prefix='xen-%s-' % profile)
    inv = xenlab.write_inventory(os.path.join(tmp, 'hosts.yml'), d, xenlab.hosts_spec(), report_dir=tmp)
    res = {'double': d, 'inventory': inv, 'dir': tmp, 'fresh': d.fingerprint()}
    try:
        res['check'] = xenlab.playbook(inv, check=True, diff=True)
        res['after_check'] = d.fingerprint()
        res['first'] = xenlab.playbook(inv)
        res['second'] = xenlab.playbook(inv)
        res['state'] = d.state()
        res['report'] = xenlab.read_json(os.path.join(tmp, 'readiness.json'))
    except Exception as e:  # pragma: no cover - shown by the tests
        res['error'] = repr(e)
    out[profile] = res


@pytest.fixture(scope='session')
def pools():
    out = {}
    threads = [threading.Thread(target=converge, args=(p, out)) for p in xenlab.PROFILES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    yield out
    for res in out.values():
        xenlab.stop_double(res['double'])
