# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the XAPI double's own tests: the repository root on sys.path, a pool factory."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.xapi_double.testing import PASSWORD, address  # noqa: E402
from tests.xapi_double import XapiDouble  # noqa: E402


@pytest.fixture
def make_double():
    """make_double(n_hosts=3, profile=..., overrides={'xs2': {...}}) -> started XapiDouble."""
    started = []

    def factory(n_hosts=3, profile='xcp-ng-8.3-current', overrides=None, hosts=None):
        overrides = overrides or {}
        if hosts is None:
            hosts = []
            for i in range(1, n_hosts + 1):
                spec = {'name': 'xs%d' % i, 'address': address(i)}
                spec.update(overrides.get('xs%d' % i, {}))
                hosts.append(spec)
        d = XapiDouble(profile=profile, hosts=hosts, username='root', password=PASSWORD)
        d.start()
        started.append(d)
        return d

    yield factory
    for d in started:
        d.stop()
