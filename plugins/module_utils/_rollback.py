# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: do not strand the host when a network change touches management.

Module side of the confirm-or-roll-back protocol (the action plugin
``cloudstack.hypervisors.cs_bridge`` is the controller side):

1. the module decides whether its plan touches the management path: the
   device(s) with the default route, the device holding the address the
   controller's SSH session came in on (``SSH_CONNECTION`` and the address
   the action plugin passes), and ports of those;
2. without ``management: true`` such a plan fails before anything changes;
3. with it, the action plugin starts the module asynchronously with a random
   token; the module snapshots runtime state and files, waits for
   ``<dir>/cshv-<name>.start`` to hold the token, applies, and waits up to
   ``rollback_timeout`` seconds for ``<dir>/cshv-<name>.confirm`` to hold the
   token - written by the action plugin over a *fresh* connection;
4. no confirmation: the module restores the snapshot by itself and fails.
"""

from __future__ import annotations

import os
import stat
import time

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _iproute

RUN_DIR = '/run'
# The action plugin passes the protocol through the module's environment, not
# through module options (users never set these).
ENV_TOKEN = 'CSHV_BRIDGE_TOKEN'
ENV_RUN_DIR = 'CSHV_BRIDGE_RUN_DIR'
ENV_CONTROLLER = 'CSHV_BRIDGE_CONTROLLER'


def protocol():
    """``(token, run_dir, controller_addresses)`` handed over by the action plugin."""
    return (os.environ.get(ENV_TOKEN) or None, os.environ.get(ENV_RUN_DIR) or None,
            [a for a in os.environ.get(ENV_CONTROLLER, '').split(',') if a])


def ip_only(addr):
    return (addr or '').split('/')[0].strip()


def controller_addresses(extra=None):
    """Addresses of this host the controller's SSH session uses."""
    addrs = set(ip_only(a) for a in (extra or []) if a)
    conn = os.environ.get('SSH_CONNECTION', '').split()
    if len(conn) == 4:
        addrs.add(conn[2])
    return sorted(a for a in addrs if a)


def management_devices(state, addrs):
    """Devices on the management path: default route, controller address, their ports."""
    devs = set(state.default_devs())
    for a in addrs:
        holder = state.holder_of(a)
        if holder:
            devs.add(holder)
    for name, link in state.links.items():
        if link.get('master') in devs:
            devs.add(name)
    return devs


def touches(plan, devs, addrs):
    """The first planned argv that touches the management path, or None."""
    for argv in plan:
        words = [str(w) for w in argv]
        if 'route' in words[:3]:
            return argv
        if set(words) & devs:
            return argv
        if 'addr' in words[:3] and any(ip_only(w) in addrs for w in words if '/' in w):
            return argv
    return None


def paths(name, run_dir=None):
    """(start, applied, confirm) marker files of bridge *name*."""
    d = run_dir or RUN_DIR
    return tuple(os.path.join(d, 'cshv-%s.%s' % (name, what)) for what in ('start', 'applied', 'confirm'))


def mark(fpath, token):
    """Write *token* to *fpath* (the module's "applied" signal to the controller)."""
    with open(fpath, 'w') as f:
        f.write(token + '\n')


def _holds(fpath, token):
    try:
        with open(fpath) as f:
            return f.read().strip() == token
    except (IOError, OSError):
        return False


def wait_for(fpath, token, timeout, interval=0.5):
    """True as soon as *fpath* holds *token*; False after *timeout* seconds."""
    deadline = time.time() + timeout
    while True:
        if _holds(fpath, token):
            return True
        if time.time() >= deadline:
            return False
        time.sleep(interval)


def clear(*files):
    for f in files:
        try:
            os.unlink(f)
        except OSError:
            pass


def _owner_and_mode(fpath):
    """(permission bits, uid, gid) of *fpath*, or None when it cannot be read."""
    try:
        st = os.stat(fpath)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


class Guard(object):
    """Snapshot before a change; restore links, addresses, routes and files on demand."""

    def __init__(self, runner, state, watch, file_changes):
        self.runner = runner
        self.watch = sorted(set(watch))
        self.snapshot = _iproute.snapshot_of(state, self.watch)
        # (path, text or None when absent, (mode, uid, gid) or None): a restored file gets its
        # old mode and owner back (issue 14: a 0600 netplan/keyfile came back with the umask's mode)
        self.files = [(c.path, c.mf.before if c.mf.exists else None, _owner_and_mode(c.path) if c.mf.exists else None)
                      for c in file_changes]
        self.commands = []

    def restore(self, first=None):
        """Best effort: every step is tried; returns the commands run.

        *first* is an optional callable returning argv lists to run before the
        iproute2 restore (OVS database changes, for example).
        """
        for argv in (first() if first else []):
            rc, out, err = self.runner.query(argv)
            self.commands.append(self.runner.display(argv) + ('' if rc == 0 else '  # rc=%d %s' % (rc, (err or out).strip())))
        now = _iproute.LinkState(self.runner)
        plan = _iproute.restore_plan(self.snapshot, _iproute.snapshot_of(now, self.watch + list(now.links)))
        for argv in plan:
            rc, out, err = self.runner.query(argv)
            self.commands.append(self.runner.display(argv) + ('' if rc == 0 else '  # rc=%d %s' % (rc, (err or out).strip())))
        for fpath, text, meta in self.files:
            try:
                if text is None:
                    if os.path.exists(fpath):
                        os.unlink(fpath)
                        self.commands.append('remove %s' % fpath)
                    continue
                tmp = fpath + '.cshv-rollback'
                # created 0600, widened to the old mode once written: never readable by others in between
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, 'w') as f:
                    f.write(text)
                if meta:
                    mode, uid, gid = meta
                    os.chown(tmp, uid, gid)
                    os.chmod(tmp, mode)
                os.rename(tmp, fpath)
                self.commands.append('restore %s' % fpath)
            except (IOError, OSError) as e:
                self.commands.append('restore %s  # failed: %s' % (fpath, e))
        return self.commands

    def addresses(self):
        """Where the management addresses were before the change (for messages)."""
        return dict((dev, addrs) for dev, addrs in self.snapshot['addrs'].items() if addrs)
