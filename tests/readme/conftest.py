# SPDX-License-Identifier: GPL-3.0-or-later
"""Collects what tests/readme ran and prints it after the run (also under -q)."""
from __future__ import annotations

import pytest

LOG = pytest.StashKey[dict]()


def pytest_configure(config):
    config.stash[LOG] = {'found': [], 'rows': []}


@pytest.fixture
def readme_log(request):
    """{'found': [(where, command)], 'rows': [(command, how, result)]}."""
    return request.config.stash[LOG]


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # pylint: disable=unused-argument
    log = config.stash.get(LOG, None)
    if not log or not (log['found'] or log['rows']):
        return
    tr = terminalreporter
    if log['found']:
        tr.write_sep('-', 'commands found in README.md (%d)' % len(log['found']))
        for where, cmd in log['found']:
            tr.write_line('%-10s %s' % (where, cmd))
    if log['rows']:
        tr.write_sep('-', 'README commands: how each was run')
        for cmd, how, result in log['rows']:
            tr.write_line('%s\n    -> %s\n    => %s' % (cmd, how, result))
