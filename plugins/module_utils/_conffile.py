# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: edit configuration files key by key, keeping everything else.

The collection owns a handful of keys in files that packages and operators
also write (``libvirtd.conf``, ``/etc/default/libvirtd``, ``agent.properties``,
``/etc/selinux/config``).  :func:`set_keys` changes only those keys and keeps
every other line, comment and the order; :class:`ManagedFile` carries the
before/after text, renders the diff Ansible shows, and writes atomically.
"""

from __future__ import annotations

import os
import re
import tempfile

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _changes


class KeyStyle(object):
    """How ``key<sep>value`` lines look in one file format.

    ``sep`` is what is written between key and value (``' = '`` for
    libvirtd.conf, ``'='`` for shell and Java properties files); reading
    accepts any whitespace around ``=`` (and ``:`` for properties).
    """

    def __init__(self, sep='=', comment='#', colon=False):
        self.sep = sep
        self.comment = comment
        self.colon = colon

    def _assign(self):
        return r'\s*[=:]' if self.colon else r'\s*='

    def active_re(self, key):
        return re.compile(r'^\s*' + re.escape(key) + self._assign())

    def commented_re(self, key):
        return re.compile(r'^\s*' + re.escape(self.comment) + r'\s*' + re.escape(key) + self._assign())

    def render(self, key, value):
        return '%s%s%s' % (key, self.sep, value)


LIBVIRT_CONF = KeyStyle(sep=' = ')
SHELL_VARS = KeyStyle(sep='=')
PROPERTIES = KeyStyle(sep='=', colon=True)


def parse_keys(text, style, keys=None):
    """Return ``{key: raw_value}`` for active (uncommented) assignments.

    The last assignment of a key wins, as for the programs reading these files.
    """
    found = {}
    line_re = re.compile(r'^\s*([A-Za-z0-9_.\-]+)' + style._assign() + r'\s*(.*?)\s*$')
    for line in text.splitlines():
        if line.lstrip().startswith(style.comment):
            continue
        m = line_re.match(line)
        if m and (keys is None or m.group(1) in keys):
            found[m.group(1)] = m.group(2)
    return found


def set_keys(text, values, style, remove=()):
    """Return *text* with each ``key -> rendered value`` of *values* set.

    * an active assignment is replaced in place (later duplicates are dropped,
      so the file says one thing once);
    * else the line goes right after a commented example of the key
      (``#listen_tcp = 1``), the way an operator would edit a stock file;
    * else it is appended at the end.
    Keys in *remove* lose their active assignments; comments stay.
    """
    lines = text.splitlines()
    trailing_nl = text.endswith('\n') or not text
    for key in remove:
        rx = style.active_re(key)
        lines = [ln for ln in lines if not rx.match(ln)]
    appended = []
    for key, value in values.items():
        new = style.render(key, value)
        rx = style.active_re(key)
        idx = [i for i, ln in enumerate(lines) if rx.match(ln)]
        if idx:
            lines[idx[0]] = new if lines[idx[0]].strip() != new else lines[idx[0]]
            for i in reversed(idx[1:]):
                del lines[i]
            continue
        crx = style.commented_re(key)
        cidx = [i for i, ln in enumerate(lines) if crx.match(ln)]
        if cidx:
            lines.insert(cidx[-1] + 1, new)
        else:
            appended.append(new)
    lines.extend(appended)
    out = '\n'.join(lines)
    if lines and trailing_nl:
        out += '\n'
    return out


class ManagedFile(object):
    """One file's before/after text, its diff, and an atomic write."""

    def __init__(self, module, path, default_mode=0o644, label=None):
        self.module = module
        self.path = path
        self.label = label or path
        self.default_mode = default_mode
        self.exists = os.path.exists(path)
        self.before = ''
        if self.exists:
            try:
                with open(path, 'r') as f:
                    self.before = f.read()
            except (IOError, OSError, UnicodeDecodeError) as e:
                module.fail_json(msg='Cannot read %s: %s' % (path, e))
        self.after = self.before

    @property
    def changed(self):
        return self.after != self.before or (not self.exists and self.after is not None and self.after != '')

    def diff(self):
        return {
            'before_header': self.label if self.exists else '%s (absent)' % self.label,
            'after_header': self.label,
            'before': self.before,
            'after': self.after,
        }

    def write(self, backup=False):
        """Write ``after`` atomically, keeping mode/owner; returns a backup path or None."""
        if not self.changed:
            return None
        directory = os.path.dirname(self.path) or '.'
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        backup_file = None
        if backup and self.exists:
            backup_file = self.module.backup_local(self.path)
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(self.path), dir=directory)
        try:
            with os.fdopen(fd, 'w') as f:
                f.write(self.after)
            if self.exists:
                st = os.stat(self.path)
                os.chmod(tmp, st.st_mode & 0o7777)
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except OSError:
                    pass
            else:
                os.chmod(tmp, self.default_mode)
            self.module.atomic_move(tmp, self.path, unsafe_writes=False)
            if not self.exists:
                os.chmod(self.path, self.default_mode)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _changes.track(self.module).wrote(self.label, self.diff())
        return backup_file
