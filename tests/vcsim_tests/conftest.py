# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the project's vCenter simulator (tests/vcsim) with pyVmomi.

Each test gets a fresh simulator (empty inventory) on 127.0.0.1; ``inv`` adds a
datacenter, a cluster and three hosts the way the vsphere role does.
"""
from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), 'vcsim')]

pytest.importorskip('pyVmomi')

from pyVim.connect import Disconnect  # noqa: E402  pylint: disable=wrong-import-position
from simtools import Inventory  # noqa: E402  pylint: disable=wrong-import-position
from vcsim import Vcsim, build  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='session')
def vcsim_binary():
    return build()


@pytest.fixture
def sim(vcsim_binary):
    s = Vcsim(binary=vcsim_binary).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def si(sim):
    conn = sim.connect()
    try:
        yield conn
    finally:
        Disconnect(conn)


@pytest.fixture
def inv(si):
    return Inventory(si)
