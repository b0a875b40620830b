# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: facts about libvirt's files and units, and their value syntax.

* where things live (``ROOT`` is the test seam: unit tests point it at a tmp dir);
* the libvirt configuration syntax (``libvirtd.conf``, ``libvirt.conf``):
  a syntax check that names the first bad line, and value (de)normalisation so
  ``tcp_port = '16509'`` and ``tcp_port = "16509"`` compare equal;
* the daemon-arguments files (``LIBVIRTD_ARGS`` / legacy ``libvirtd_opts``):
  strict ``KEY=value`` parsing and argument-list editing;
* unit names of the monolithic ``libvirtd`` and the modular daemons.
"""

from __future__ import annotations

import os
import re
import shlex

ROOT = '/'

LIBVIRTD_CONF = '/etc/libvirt/libvirtd.conf'
LIBVIRT_CONF = '/etc/libvirt/libvirt.conf'

# (path, variable) in the order they are tried when the unit does not say.
DAEMON_ARGS_FILES = (
    ('/etc/sysconfig/libvirtd', 'LIBVIRTD_ARGS'),
    ('/etc/default/libvirtd', 'LIBVIRTD_ARGS'),
    ('/etc/default/libvirt-bin', 'libvirtd_opts'),
)

SERVICES = ('libvirtd.service', 'libvirt-bin.service')
UNIX_SOCKETS = ('libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket')
TCP_SOCKET = 'libvirtd-tcp.socket'
TLS_SOCKET = 'libvirtd-tls.socket'
ALL_SOCKETS = UNIX_SOCKETS + (TLS_SOCKET, TCP_SOCKET)

DEFAULT_TCP_PORT = 16509
DEFAULT_TLS_PORT = 16514

# libvirt >= 5.6 ships libvirtd-tcp.socket / libvirtd-tls.socket.
SOCKET_ACTIVATION_SINCE = (5, 6, 0)

MODULAR_DAEMONS = ('virtqemud', 'virtlxcd', 'virtxend', 'virtvboxd', 'virtchd', 'virtnetworkd',
                   'virtstoraged', 'virtnodedevd', 'virtsecretd', 'virtinterfaced', 'virtnwfilterd',
                   'virtproxyd')


def modular_units():
    """Every unit name a modular libvirt daemon may install."""
    units = []
    for d in MODULAR_DAEMONS:
        units.extend(['%s.service' % d, '%s.socket' % d, '%s-ro.socket' % d, '%s-admin.socket' % d])
    units.extend(['virtproxyd-tcp.socket', 'virtproxyd-tls.socket'])
    return units


def host_path(path):
    """*path* on the managed host, under the ``ROOT`` seam."""
    return os.path.join(ROOT, path.lstrip('/'))


def parse_version(text):
    """``(9, 0, 0)`` from ``libvirtd (libvirt) 9.0.0``; None when no version is found."""
    m = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not m:
        return None
    return tuple(int(g or 0) for g in m.groups())


def version_string(version):
    return '.'.join(str(v) for v in version) if version else None


# ---------------------------------------------------------------- libvirt conf
_NAME = r'[A-Za-z_][A-Za-z0-9_]*'
_SCALAR = r'(?:-?\d+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_COMMENT = r'(?:\s*#.*)?'
_ASSIGN_RE = re.compile(r'^\s*(' + _NAME + r')\s*=\s*(.*?)\s*$')
_SCALAR_RE = re.compile(r'^' + _SCALAR + _COMMENT + r'$')


def check_conf_syntax(text):
    """Return None when *text* is valid libvirt configuration, else ``(lineno, line, why)``.

    Accepts what libvirt's parser accepts for these files: blank lines,
    ``#`` comments, ``name = value`` with an integer, a single or double quoted
    string, or a ``[ ... ]`` list of those that may span lines.
    """
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            i += 1
            continue
        m = _ASSIGN_RE.match(line)
        if not m:
            return (i + 1, line, 'not a "name = value" assignment')
        value = m.group(2)
        if value.startswith('['):
            start = i
            body = value
            while not _list_closed(body):
                i += 1
                if i >= len(lines):
                    return (start + 1, line, 'list "[" is never closed')
                body += '\n' + lines[i]
            if not _list_ok(body):
                return (start + 1, line, 'list items must be numbers or quoted strings')
            i += 1
            continue
        if not _SCALAR_RE.match(value):
            return (i + 1, line, 'the value must be a number or a quoted string')
        i += 1
    return None


def _strip_comments(body):
    out = []
    for ln in body.split('\n'):
        # a '#' outside quotes starts a comment
        q = None
        for idx, ch in enumerate(ln):
            if q:
                if ch == q:
                    q = None
            elif ch in '"\'':
                q = ch
            elif ch == '#':
                ln = ln[:idx]
                break
        out.append(ln)
    return '\n'.join(out)


def _list_closed(body):
    return ']' in _strip_comments(body)


def _list_ok(body):
    inner = _strip_comments(body).strip()
    if not (inner.startswith('[') and inner.endswith(']')):
        return False
    items = inner[1:-1].strip()
    if not items:
        return True
    return re.match(r'^\s*' + _SCALAR + r'(\s*,\s*' + _SCALAR + r')*\s*,?\s*$', items, re.S) is not None


def conf_value(raw):
    """The value of a libvirt conf assignment: int for numbers, str for strings, raw otherwise."""
    if raw is None:
        return None
    raw = re.sub(r'\s+#.*$', '', raw.strip()) if not raw.strip().startswith(('"', "'")) else raw.strip()
    m = re.match(r'^"((?:[^"\\]|\\.)*)"' + _COMMENT + '$', raw) or re.match(r"^'([^']*)'" + _COMMENT + '$', raw)
    if m:
        return m.group(1)
    if re.match(r'^-?\d+$', raw):
        return int(raw)
    return raw


def conf_render(value):
    """How the module writes a value: ``1`` for ints, ``"none"`` for strings."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    return '"%s"' % value


# ------------------------------------------------------- daemon argument files
_SHELL_LINE_RE = re.compile(r'^\s*(?:export\s+)?(' + _NAME + r')=(.*)$')


def check_shell_syntax(text):
    """None when *text* is a valid ``KEY=value`` environment file, else ``(lineno, line, why)``."""
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        m = _SHELL_LINE_RE.match(line)
        if not m:
            return (n, line, 'not a KEY=value assignment')
        try:
            shlex.split(m.group(2), comments=True)
        except ValueError as e:
            return (n, line, str(e))
    return None


def shell_words(raw):
    """The argument words of a shell assignment value (``"--listen --timeout 120"``)."""
    if raw is None:
        return None
    words = shlex.split(raw, comments=True)
    return shlex.split(' '.join(words))


def shell_render(words):
    return '"%s"' % ' '.join(words)


def edit_daemon_args(words, listen):
    """Arguments with ``--listen`` present (*listen* true) or absent.

    Always drops ``-d``/``--daemon`` (a forking libvirtd breaks the systemd
    ``Type=notify`` unit).  With *listen* it also drops ``--timeout N``:
    without socket activation nothing restarts an idle-exited libvirtd.
    An existing ``-l`` is kept as the listen flag (what the old guides wrote).
    """
    out = []
    skip = False
    has_listen = False
    for w in words:
        if skip:
            skip = False
            continue
        if w in ('-d', '--daemon'):
            continue
        if w in ('-l', '--listen'):
            if listen and not has_listen:
                out.append(w)
                has_listen = True
            continue
        if listen and w in ('-t', '--timeout'):
            skip = True
            continue
        if listen and w.startswith('--timeout='):
            continue
        out.append(w)
    if listen and not has_listen:
        out.append('--listen')
    return out


# Where libvirtd keeps its pid file (/var/run is a link to /run on current systems).
PID_FILES = ('/run/libvirtd.pid', '/var/run/libvirtd.pid')


def stray_daemon(main_pid):
    """``(pid, pid_file)`` of a running libvirtd that is not the unit's main process, or None.

    ``LIBVIRTD_ARGS="-d ..."`` (or a libvirtd started by hand) forks a daemon that
    systemd does not track; it keeps the pid file locked, so ``systemctl start
    libvirtd`` fails with "Failed to acquire pid file" until it is stopped.
    """
    try:
        main_pid = int(main_pid or 0)
    except ValueError:
        main_pid = 0
    seen = set()
    for pid_file in PID_FILES:
        path = host_path(pid_file)
        real = os.path.realpath(path)
        if real in seen or not os.path.isfile(path):
            continue
        seen.add(real)
        try:
            with open(path) as f:
                pid = int(f.read().strip() or 0)
            with open(host_path('/proc/%d/comm' % pid)) as f:
                comm = f.read().strip()
        except (IOError, OSError, ValueError):
            continue
        if pid > 0 and pid != main_pid and comm == 'libvirtd':
            return pid, pid_file
    return None
