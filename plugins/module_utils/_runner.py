# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: one place where the collection's modules run external commands.

Every module talks to the outside world through :class:`Runner`. It resolves
binaries once with ``get_bin_path``, always passes list arguments (never a
shell string), forces the C locale so output can be parsed, and records each
mutating command it runs (or, in check mode, would run) so that modules can
return the exact ``commands`` list an operator sees in ``--check --diff``.

Unit tests mock only ``module.run_command``; everything above it is real.
"""

from __future__ import annotations

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _changes

C_LOCALE = {'LANG': 'C', 'LC_ALL': 'C', 'LANGUAGE': 'C'}


class Runner(object):
    """Wraps ``module.run_command`` for read-only queries and planned changes."""

    def __init__(self, module, bin_dirs=None):
        self.module = module
        self.bin_dirs = bin_dirs or []
        self._bins = {}
        self.commands = []
        # every later failure of the module reports what already ran or was written
        self.changes = _changes.track(module)

    def bin(self, name, required=True):
        """Absolute path of *name*, or None when not required and absent."""
        if name not in self._bins:
            self._bins[name] = self.module.get_bin_path(name, required=required, opt_dirs=self.bin_dirs)
        return self._bins[name]

    def has(self, name):
        return self.bin(name, required=False) is not None

    def _argv(self, argv):
        argv = [str(a) for a in argv]
        if not argv[0].startswith('/'):
            argv[0] = self.bin(argv[0])
        return argv

    def query(self, argv, check_rc=False, data=None):
        """Run a read-only command; returns (rc, stdout, stderr). Runs in check mode too."""
        full = self._argv(argv)
        if not check_rc:
            return self.module.run_command(full, check_rc=False, environ_update=C_LOCALE, data=data)
        return self._run_or_fail(full, data)

    def _run_or_fail(self, full, data=None, ok_rcs=(0,), **extra):
        """Run *full*; fail with a sentence naming the command when its exit code is not in *ok_rcs*."""
        rc, out, err = self.module.run_command(full, check_rc=False, environ_update=C_LOCALE, data=data)
        if rc not in ok_rcs:
            self.module.fail_json(
                msg='Command "%s" failed with exit code %d: %s' % (' '.join(full), rc, (err or out).strip()),
                rc=rc, stdout=out, stderr=err, cmd=full, **extra)
        return rc, out, err

    @staticmethod
    def display(argv):
        """The human form of a planned command, as returned in ``commands``."""
        return ' '.join(str(a) for a in argv)

    def plan(self, argv):
        """Record a mutating command without running it (check mode or before apply)."""
        self.commands.append(self.display(argv))

    def change(self, argv, data=None, ok_rcs=(0,)):
        """Record and run a mutating command; fail with a sentence when it fails."""
        self.plan(argv)
        rc, out, err = self._run_or_fail(self._argv(argv), data, ok_rcs, commands=self.commands)
        if rc == 0:
            self.changes.ran(self.display(argv))
        return rc, out, err

    def run_plan(self, plan, check_mode):
        """Run (or in check mode only record) a list of argv lists, in order."""
        for argv in plan:
            if check_mode:
                self.plan(argv)
            else:
                self.change(argv)
