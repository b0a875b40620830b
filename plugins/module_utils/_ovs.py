# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: ``ovs-vsctl`` declared once - reads and planned changes.

Reads use ``br-exists``, ``br-to-parent``, ``br-to-vlan``, ``list-ports``,
``port-to-br`` and ``get``; changes are argv lists for ``Runner.run_plan``.
Several changes to one bridge go into one ``ovs-vsctl`` transaction
(``a -- b``) so OVSDB never holds a half-made layout.
"""

from __future__ import annotations

import re

VSCTL = 'ovs-vsctl'


class Vsctl(object):

    def __init__(self, runner, timeout=10):
        self.runner = runner
        self.timeout = timeout

    def _argv(self, *words):
        return [VSCTL, '-t', str(self.timeout)] + [str(w) for w in words]

    def _read(self, *words, **kw):
        argv = self._argv(*words)
        rc, out, err = self.runner.query(argv)
        if rc not in kw.get('ok', (0,)):
            self.runner.module.fail_json(
                msg='Cannot read Open vSwitch state: "%s" failed with exit code %d: %s (is ovsdb-server running?)'
                    % (' '.join(argv), rc, (err or out).strip()), rc=rc, stdout=out, stderr=err, cmd=argv)
        return rc, out.strip()

    def br_exists(self, name):
        rc, dummy = self._read('br-exists', name, ok=(0, 2))
        return rc == 0

    def br_to_parent(self, name):
        return self._read('br-to-parent', name)[1]

    def br_to_vlan(self, name):
        return int(self._read('br-to-vlan', name)[1] or 0)

    def list_ports(self, name):
        return [p for p in self._read('list-ports', name)[1].splitlines() if p.strip()]

    def port_to_br(self, port):
        rc, out = self._read('port-to-br', port, ok=(0, 1))
        return out if rc == 0 and out else None

    def get(self, table, record, column):
        rc, out = self._read('--if-exists', 'get', table, record, column)
        return out

    def trunks(self, port):
        return parse_int_set(self.get('port', port, 'trunks'))

    def datapath_type(self, bridge):
        return self.get('bridge', bridge, 'datapath_type').strip('"') or 'system'

    def fail_mode(self, bridge):
        rc, out = self._read('get-fail-mode', bridge)
        return out or None

    def read(self, name, uplinks=()):
        """Everything the planner needs about bridge *name* and its uplinks."""
        have = {'exists': self.br_exists(name), 'uplinks': {}}
        if have['exists']:
            parent = self.br_to_parent(name)
            have['parent'] = None if parent == name else parent
            have['vlan'] = self.br_to_vlan(name) if have['parent'] else 0
            if not have['parent']:
                have['datapath_type'] = self.datapath_type(name)
                have['fail_mode'] = self.fail_mode(name)
                have['ports'] = self.list_ports(name)
        for port in uplinks:
            br = self.port_to_br(port)
            have['uplinks'][port] = {'bridge': br, 'trunks': self.trunks(port) if br else []}
        return have


def parse_int_set(text):
    """``[100, 200]`` / ``100`` / ``[]`` -> sorted list of ints."""
    return sorted(set(int(x) for x in re.findall(r'\d+', text or '')))


def plan(want, have, vs):
    """ovs-vsctl argv lists turning *have* into *want* (state present/absent)."""
    name = want['name']
    cmd = []
    if want['state'] == 'absent':
        return [vs._argv('--if-exists', 'del-br', name)] if have['exists'] else []
    if want['parent']:
        if not have['exists']:
            return [vs._argv('add-br', name, want['parent'], want['vlan'])]
        if have['parent'] != want['parent'] or have['vlan'] != want['vlan']:
            return [vs._argv('del-br', name, '--', 'add-br', name, want['parent'], want['vlan'])]
        return []
    recreate = have['exists'] and have['parent']
    if not have['exists'] or recreate:
        words = (['del-br', name, '--'] if recreate else []) + ['add-br', name]
        if want['datapath_type']:
            words += ['--', 'set', 'bridge', name, 'datapath_type=%s' % want['datapath_type']]
        cmd.append(words)
        have = {'exists': True, 'parent': None, 'datapath_type': want['datapath_type'] or 'system',
                'fail_mode': None, 'uplinks': have['uplinks'], 'ports': []}
    elif want['datapath_type'] and have['datapath_type'] != want['datapath_type']:
        cmd.append(['set', 'bridge', name, 'datapath_type=%s' % want['datapath_type']])
    if want['fail_mode'] and have.get('fail_mode') != want['fail_mode']:
        cmd.append(['set-fail-mode', name, want['fail_mode']])
    for port in want['uplinks']:
        cur = have['uplinks'].get(port) or {'bridge': None, 'trunks': []}
        if cur['bridge'] != name:
            words = (['--if-exists', 'del-port', port, '--'] if cur['bridge'] else []) + ['add-port', name, port]
            if want['trunks']:
                words += ['trunks=%s' % ','.join(str(t) for t in want['trunks'])]
            cmd.append(words)
        elif want['trunks'] is not None and sorted(cur['trunks']) != sorted(want['trunks']):
            cmd.append(['set', 'port', port, 'trunks=%s' % ','.join(str(t) for t in want['trunks'])]
                       if want['trunks'] else ['clear', 'port', port, 'trunks'])
    out = []
    for words in cmd:
        out.append(vs._argv(*words))
    return out


def restore_plan(name, before, vs):
    """Commands that put bridge *name* and its uplinks back the way *before* (a read()) had them."""
    now = vs.read(name, list(before['uplinks']))
    if not before['exists']:
        cmds = plan({'name': name, 'state': 'absent'}, now, vs)
    elif before['parent']:
        cmds = plan({'name': name, 'state': 'present', 'parent': before['parent'], 'vlan': before['vlan']}, now, vs)
    else:
        cmds = plan({'name': name, 'state': 'present', 'parent': None, 'vlan': None,
                     'datapath_type': before.get('datapath_type'), 'fail_mode': None, 'trunks': None,
                     'uplinks': [p for p, u in before['uplinks'].items() if u['bridge'] == name]}, now, vs)
    for port, old in sorted(before['uplinks'].items()):
        cur = (now['uplinks'].get(port) or {}).get('bridge')
        if old['bridge'] == cur or old['bridge'] == name:
            if old['bridge'] == name and cur == name and sorted(old['trunks']) != sorted(now['uplinks'][port]['trunks']):
                cmds.append(vs._argv(*(['set', 'port', port, 'trunks=%s' % ','.join(str(t) for t in old['trunks'])]
                                       if old['trunks'] else ['clear', 'port', port, 'trunks'])))
            continue
        words = ['--if-exists', 'del-port', port]
        if old['bridge']:
            words += ['--', 'add-port', old['bridge'], port]
            if old['trunks']:
                words += ['trunks=%s' % ','.join(str(t) for t in old['trunks'])]
        cmds.append(vs._argv(*words))
    return cmds
