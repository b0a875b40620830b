# SPDX-License-Identifier: GPL-3.0-or-later
"""_rollback.Guard: the files a failed bridge change restores come back as they were."""
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _iproute, _rollback


class _Managed(object):
    def __init__(self, before):
        self.exists = before is not None
        self.before = before


class _Change(object):
    def __init__(self, path, before):
        self.path = path
        self.mf = _Managed(before)


@pytest.fixture
def no_links(monkeypatch):
    """The iproute2 half of the guard does nothing here: this test is about the files."""
    monkeypatch.setattr(_iproute, 'snapshot_of', lambda state, watch: {'watch': [], 'links': {}, 'addrs': {}, 'defaults': []})
    monkeypatch.setattr(_iproute, 'LinkState', lambda runner: type('Now', (), {'links': {}})())
    monkeypatch.setattr(_iproute, 'restore_plan', lambda snapshot, now: [])


@pytest.mark.parametrize('mode', [0o600, 0o640, 0o644])
def test_restore_keeps_the_mode_of_the_file(tmp_path, no_links, mode):
    """A netplan or NetworkManager file is 0600 (netplan warns on a readable one, NM ignores a
    keyfile that others can read): the rollback must not leave it with the umask's mode (issue 14)."""
    path = str(tmp_path / '50-cloudstack.yaml')
    with open(path, 'w') as f:
        f.write('before\n')
    os.chmod(path, mode)
    old_umask = os.umask(0o022)
    try:
        guard = _rollback.Guard(runner=None, state=None, watch=[], file_changes=[_Change(path, 'before\n')])
        with open(path, 'w') as f:      # the change under test rewrote it
            f.write('after\n')
        os.chmod(path, 0o666)
        guard.restore()
    finally:
        os.umask(old_umask)
    with open(path) as f:
        assert f.read() == 'before\n'
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert guard.commands == ['restore %s' % path]


def test_restore_removes_a_file_that_did_not_exist(tmp_path, no_links):
    path = str(tmp_path / 'new.nmconnection')
    guard = _rollback.Guard(runner=None, state=None, watch=[], file_changes=[_Change(path, None)])
    with open(path, 'w') as f:
        f.write('made by the change\n')
    guard.restore()
    assert not os.path.exists(path)
    assert guard.commands == ['remove %s' % path]
