# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: what a module has already changed on the host, reported even when it fails.

A module that wrote a file or ran a mutating command and then fails in a later
step has still changed the host; its failure must say ``changed: true`` and
carry the diff of what it wrote, or the operator (and Ansible's recap) believe
the host is untouched. :func:`track` wraps the module's ``fail_json`` once, so
that every failure after the first change - one of ours, the Runner's, or one
raised inside Ansible (``atomic_move``, ``set_fs_attributes_if_different``) -
reports it. Modules call :meth:`Changes.wrote` after writing a file and
:class:`~._runner.Runner` calls :meth:`Changes.ran` after each mutating command.
"""

from __future__ import annotations

_ATTR = '_cshv_changes'


class Changes(object):
    """The changes a module has made so far."""

    def __init__(self, module):
        self.module = module
        self.diffs = []
        self.planned_diff = None
        self.commands = []
        self.files = []

    @property
    def any(self):
        return bool(self.diffs or self.commands or self.files)

    def wrote(self, path, diff=None):
        """Record that *path* was written (with its before/after *diff* when known)."""
        self.files.append(path)
        if diff is not None:
            self.diffs.append(diff)

    def plan_diff(self, diff):
        """The whole diff of the change about to be applied (runtime state included), reported
        instead of the written files' diffs when the module fails after changing something."""
        self.planned_diff = diff

    def ran(self, command):
        """Record that a mutating *command* (its display form) ran."""
        self.commands.append(command)

    def extend_failure(self, kwargs):
        """Add ``changed`` and ``diff`` to a failure's return values when something was changed."""
        if not self.any:
            return kwargs
        kwargs.setdefault('changed', True)
        diff = self.planned_diff if self.planned_diff is not None else list(self.diffs)
        if self.module._diff and diff and 'diff' not in kwargs:
            kwargs['diff'] = diff
        if self.files and 'files_written' not in kwargs:
            kwargs['files_written'] = list(self.files)
        return kwargs


def track(module):
    """The :class:`Changes` of *module*, wrapping its ``fail_json`` on first use."""
    changes = getattr(module, _ATTR, None)
    if changes is not None:
        return changes
    changes = Changes(module)
    setattr(module, _ATTR, changes)
    original = module.fail_json

    def fail_json(msg='', **kwargs):
        return original(msg=msg, **changes.extend_failure(kwargs))

    module.fail_json = fail_json
    return changes
