# SPDX-License-Identifier: GPL-3.0-or-later
"""One fresh vCenter simulator per test (tests/vcsim, started and stopped by PID)."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for p in (ROOT, os.path.dirname(os.path.abspath(__file__)), os.path.join(ROOT, '.collections')):
    if p not in sys.path:
        sys.path.insert(0, p)


def start_sim(**kwargs):
    """A started simulator and its connection as a dict (host, port, user, password)."""
    from tests.vcsim.vcsim import Vcsim
    if os.environ.get('CSHV_VCSIM_BINARY'):  # a simulator built beforehand (else tests/vcsim/build.sh, cached)
        kwargs.setdefault('binary', os.environ['CSHV_VCSIM_BINARY'])
    proc = Vcsim(**kwargs).start()
    info = {'host': proc.host, 'port': int(proc.port), 'user': proc.username, 'password': proc.password}
    assert info['host'] == '127.0.0.1', info
    return proc, info


@pytest.fixture
def sim():
    proc, info = start_sim()
    try:
        yield info
    finally:
        proc.stop()
