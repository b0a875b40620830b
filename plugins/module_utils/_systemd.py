# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: read systemd unit state and build ``systemctl`` command lines.

One wrapper for ``systemctl`` so every module asks systemd the same way:
:meth:`Systemd.show` reads the state of many units in one query (it runs in
check mode too), and the ``*_argv`` helpers build the list-form commands a
module puts in its plan (run later through ``Runner.run_plan`` or
``Runner.change``, so they land in ``commands``).
"""

from __future__ import annotations

import re

DEFAULT_PROPERTIES = ('Id', 'LoadState', 'UnitFileState', 'ActiveState')

# UnitFileState values meaning "starts at boot / needs no enable".
ENABLED_STATES = ('enabled', 'enabled-runtime', 'static', 'alias', 'generated', 'indirect', 'transient')
# ActiveState values meaning "running or about to run".
ACTIVE_STATES = ('active', 'activating', 'reloading', 'refreshing')


class Unit(object):
    """The state of one unit as reported by ``systemctl show``."""

    def __init__(self, name, props):
        self.name = name
        self.props = props

    def get(self, prop, default=''):
        return self.props.get(prop, default)

    @property
    def exists(self):
        """A unit file is installed (or the name is masked, which counts: it can be unmasked)."""
        return self.get('LoadState') in ('loaded', 'masked') or self.masked

    @property
    def masked(self):
        return self.get('LoadState') == 'masked' or self.get('UnitFileState') in ('masked', 'masked-runtime')

    @property
    def enabled(self):
        return not self.masked and self.get('UnitFileState') in ENABLED_STATES

    @property
    def active(self):
        return self.get('ActiveState') in ACTIVE_STATES

    def environment_files(self):
        """Paths from ``EnvironmentFiles=`` (one or several entries)."""
        raw = self.get('EnvironmentFiles')
        return re.findall(r'(/\S+)(?:\s+\(ignore_errors=\w+\))?', raw)

    def exec_start_variables(self):
        """Shell-style ``$VAR`` names used on the ``ExecStart=`` command line."""
        raw = self.get('ExecStart')
        m = re.search(r'argv\[\]=([^;]*)', raw)
        return re.findall(r'\$\{?([A-Za-z_][A-Za-z0-9_]*)', m.group(1) if m else raw)

    def __repr__(self):
        return 'Unit(%r, %r)' % (self.name, self.props)


def parse_show(text, units):
    """Map each name in *units* to a :class:`Unit` from ``systemctl show`` output.

    ``systemctl show`` prints one block of ``Key=value`` lines per unit, blocks
    separated by an empty line, in the order the units were given.  Multi-valued
    keys may repeat; their values are joined with a space.
    """
    blocks = []
    current = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition('=')
        if not sep:
            continue
        current[key] = (current[key] + ' ' + value) if key in current else value
    if current:
        blocks.append(current)
    result = {}
    if len(blocks) == len(units):
        for name, props in zip(units, blocks):
            result[name] = Unit(name, props)
    else:
        by_id = dict((b.get('Id'), b) for b in blocks)
        for name in units:
            result[name] = Unit(name, by_id.get(name, {'Id': name, 'LoadState': 'not-found'}))
    return result


class Systemd(object):
    """``systemctl`` through a :class:`Runner`."""

    def __init__(self, runner):
        self.runner = runner

    def available(self):
        return self.runner.has('systemctl')

    def show(self, units, properties=DEFAULT_PROPERTIES):
        """Return ``{unit: Unit}`` for *units* in one read-only query."""
        units = list(units)
        if not units:
            return {}
        props = list(properties)
        if 'Id' not in props:
            props.insert(0, 'Id')
        rc, out, err = self.runner.query(['systemctl', 'show', '--property=' + ','.join(props)] + units, check_rc=True)
        return parse_show(out, units)

    @staticmethod
    def argv(verb, units):
        return ['systemctl', verb] + list(units)

    def stop_argv(self, units):
        return self.argv('stop', units)

    def start_argv(self, units):
        return self.argv('start', units)

    def mask_argv(self, units):
        return self.argv('mask', units)

    def unmask_argv(self, units):
        return self.argv('unmask', units)

    def enable_argv(self, units):
        return self.argv('enable', units)

    def disable_argv(self, units):
        return self.argv('disable', units)

    @staticmethod
    def daemon_reload_argv():
        return ['systemctl', 'daemon-reload']
