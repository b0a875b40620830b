#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: libvirt_listen
short_description: Make libvirtd listen on TCP, on TLS, or not at all, the way CloudStack expects
version_added: 0.1.0
description:
  - Converges how a KVM/LXC host's C(libvirtd) listens on the network to one declared end state,
    across the three places that decide it - C(/etc/libvirt/libvirtd.conf), the daemon-arguments
    file of the C(libvirtd) unit, and the systemd socket units.
  - C(mode=tcp) is the unauthenticated TCP 16509 setup of the CloudStack installation guides
    (C(listen_tcp = 1), C(auth_tcp = "none")); acceptable only on an isolated management network.
  - C(mode=tls) listens on TLS 16514 with certificates; C(mode=off) turns both off, which is the
    state CloudStack 4.18 and later want before Add Host (the management server then enables TLS
    with its own CA through C(cloudstack-setup-agent)).
  - Two consistent ways of listening exist on libvirt 5.6 and later, chosen with O(activation).
    C(traditional) is what C(cloudstack-setup-agent) configures - C(--listen) in the daemon
    arguments and the five C(libvirtd*.socket) units masked, so C(listen_tcp)/C(listen_tls) decide.
    C(socket) is systemd socket activation - no C(--listen), C(libvirtd-tcp.socket) or
    C(libvirtd-tls.socket) enabled. Mixing them is fatal to libvirtd
    (C(--listen parameter not permitted with systemd activation sockets)).
  - When modular libvirt daemons (C(virtqemud), C(virtproxyd) and the others) are installed, they
    are stopped and masked and C(remote_mode = "legacy") is set in C(/etc/libvirt/libvirt.conf),
    so clients and the CloudStack agent talk to the monolithic C(libvirtd) (as the CloudStack
    4.20+ documentation and C(cloudstack-setup-agent) do).
  - Only the keys it owns are changed in each file (in C(libvirtd.conf) C(listen_tcp),
    C(listen_tls), C(tcp_port), C(tls_port), C(auth_tcp), C(auth_tls), C(mdns_adv), and in tls
    mode C(key_file), C(cert_file), C(ca_file), C(crl_file)); every other line, comment and the
    order are kept.
  - With O(restart=true) it applies the change itself, in the order that works - stop libvirtd and
    its sockets, mask/unmask units, write the files, enable units, start the sockets, start
    libvirtd - and check mode returns exactly those commands.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.attributes.LINUX_HOST
attributes:
  check_mode:
    details: >-
      Check mode reads the host (C(libvirtd --version), C(systemctl show)) and returns the
      C(commands) and C(diff) the real run will make. When libvirtd is not installed yet,
      check mode returns C(changed=true) with a warning instead of failing.
  platform:
    details: systemd hosts with libvirt (EL 7-9, Ubuntu 20.04-24.04, Debian 11-13).
options:
  mode:
    description:
      - C(tcp) - C(listen_tcp = 1), C(listen_tls = 0), O(tcp_port), O(auth_tcp).
      - C(tls) - C(listen_tls = 1), C(listen_tcp = 0), O(tls_port), O(auth_tls) and the certificate
        paths. The certificate files must already exist on the host.
      - C(off) - C(listen_tcp = 0) and C(listen_tls = 0); nothing listens on the network.
    type: str
    required: true
    choices: [tcp, tls, 'off']
  activation:
    description:
      - How the listening socket is opened.
      - C(traditional) - daemon arguments contain C(--listen) and the units C(libvirtd.socket),
        C(libvirtd-ro.socket), C(libvirtd-admin.socket), C(libvirtd-tls.socket) and
        C(libvirtd-tcp.socket) are masked. Works on every libvirt version; it is what
        C(cloudstack-setup-agent) configures.
      - C(socket) - systemd socket activation, libvirt 5.6 or later only. No C(--listen);
        C(libvirtd-tcp.socket) (mode tcp) or C(libvirtd-tls.socket) (mode tls) is enabled and the
        unused one masked (both masked with mode off, which is also how the module recognises
        this state again). The port is the one in the socket unit (16509 / 16514), so a
        non-default port needs C(traditional).
      - C(auto) - keeps what the host already uses consistently (C(--listen) with the five sockets
        masked, or no C(--listen) with C(libvirtd-tcp/tls.socket) enabled or masked); otherwise
        C(traditional) - on a stock host too, since that is what C(cloudstack-setup-agent) sets on
        Add Host and it avoids apache/cloudstack#10667 (C(--listen) added while sockets are
        active). Also C(traditional) when libvirt has no socket activation or a non-default port is
        asked for. The
        choice and the reason are returned in RV(activation) and RV(activation_reason).
    type: str
    default: auto
    choices: [auto, traditional, socket]
  tcp_port:
    description: TCP port for O(mode=tcp) (C(tcp_port) in libvirtd.conf).
    type: int
    default: 16509
  tls_port:
    description: TLS port for O(mode=tls) (C(tls_port) in libvirtd.conf).
    type: int
    default: 16514
  auth_tcp:
    description:
      - C(auth_tcp) for O(mode=tcp). C(none) is what the CloudStack guides use; C(sasl) needs
        SASL users set up separately.
    type: str
    default: none
    choices: [none, sasl]
  auth_tls:
    description: C(auth_tls) for O(mode=tls); the client certificate is the authentication with C(none).
    type: str
    default: none
    choices: [none, sasl]
  ca_file:
    description: CA certificate for O(mode=tls) (C(ca_file)); must exist on the host.
    type: path
    default: /etc/pki/CA/cacert.pem
  cert_file:
    description: Server certificate for O(mode=tls) (C(cert_file)); must exist on the host.
    type: path
    default: /etc/pki/libvirt/servercert.pem
  key_file:
    description: Server private key for O(mode=tls) (C(key_file)); must exist on the host.
    type: path
    default: /etc/pki/libvirt/private/serverkey.pem
  crl_file:
    description: Certificate revocation list for O(mode=tls) (C(crl_file)); not managed when omitted.
    type: path
  keep_tls:
    description:
      - Keep TLS once CloudStack has set it up. When V(true) and C(libvirtd.conf) already says
        C(listen_tls = 1) with O(ca_file), O(cert_file) and O(key_file) present on the host - the
        state Add Host (C(keystore-cert-import), C(cloudstack-setup-agent -s)) and every certificate
        renewal leave - the module converges to C(mode=tls) whatever O(mode) says, so a later run
        never takes CloudStack's TLS listener (used for migrations between secured hosts) away.
      - The mode actually applied and why are returned in RV(mode) and RV(mode_reason).
    type: bool
    default: false
  restart:
    description:
      - Apply the change now - stop C(libvirtd) and its sockets, change the units, write the files,
        start again. Running guests are not affected (the unit uses C(KillMode=process)).
      - With V(false) only the persistent state changes (files, unit mask/enable state); the
        stop/start commands that would make it live are returned in RV(pending_commands) and
        RV(restart_required) is V(true). A handler must run them in that order - a plain
        C(systemctl restart libvirtd) is not enough while sockets are active.
    type: bool
    default: true
  backup:
    description: Keep a timestamped copy of each file before changing it.
    type: bool
    default: false
notes:
  - The module does not open firewall ports (16509 / 16514).
  - A C(libvirtd) running outside the unit (forked by C(-d) in the daemon arguments, as an old guide said,
    or started by hand) holds C(/run/libvirtd.pid), so the unit cannot start; the module then fails before
    changing anything and names that process. C(-d)/C(--daemon) is always removed from the daemon arguments.
  - When a later step fails after something was written or run, the failure still says C(changed=true) and
    carries the diff of what was written.
  - C(mdns_adv = 0) is written only where this libvirt still knows the key (it appears in
    C(libvirtd.conf), commented or not); libvirt removed mDNS advertising in 2019 (5.x).
  - C(systemctl daemon-reload) is never needed; C(systemctl mask/unmask/enable/disable) reload by
    themselves and the daemon-arguments file is read when libvirtd starts.
  - Tested on Debian 11, 12 and 13 hosts (systemd-nspawn lab); the EL and Ubuntu file variants are
    covered by unit tests on their stock files.
seealso:
  - name: CloudStack KVM host installation
    description: Install and configure libvirt for a KVM host.
    link: https://docs.cloudstack.apache.org/en/latest/installguide/hypervisor/kvm.html
  - name: libvirtd daemon and socket activation
    description: How libvirtd listens with and without systemd socket activation.
    link: https://libvirt.org/manpages/libvirtd.html
'''

EXAMPLES = r'''
- name: Unauthenticated TCP on 16509, as in the CloudStack installation guides
  cloudstack.hypervisors.libvirt_listen:
    mode: tcp

- name: Nothing listening before Add Host (CloudStack 4.18+ enables TLS itself)
  cloudstack.hypervisors.libvirt_listen:
    mode: 'off'

- name: TLS with certificates already placed, via systemd socket activation
  cloudstack.hypervisors.libvirt_listen:
    mode: tls
    activation: socket

- name: Change files and units only, restart from a handler
  cloudstack.hypervisors.libvirt_listen:
    mode: tcp
    restart: false
  register: libvirt_listen_result
  notify: Apply libvirt listening

# handlers:
- name: Apply libvirt listening
  ansible.builtin.command:
    argv: "{{ item | split(' ') }}"
  loop: "{{ libvirt_listen_result.pending_commands }}"
  changed_when: true
'''

RETURN = r'''
changed:
  description: Whether any file, unit state or running daemon was (or in check mode would be) changed.
  returned: always
  type: bool
commands:
  description: The commands run, or in check mode the commands the real run would run, in order.
  returned: always
  type: list
  elements: str
  sample:
    - systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket
    - systemctl mask libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tls.socket libvirtd-tcp.socket
    - systemctl start libvirtd.service
pending_commands:
  description:
    - With O(restart=false), the stop/start commands still needed to make the state live, in order.
      Empty when nothing is pending.
  returned: always
  type: list
  elements: str
restart_required:
  description: V(true) when RV(pending_commands) is not empty.
  returned: always
  type: bool
restarted:
  description:
    - V(true) when this run stopped and started libvirtd (in check mode - would have). Other
      changes that need a libvirtd restart (for example to C(qemu.conf)) can skip their own
      restart then; a run that only changed C(libvirt.conf) (client side) does not restart.
  returned: always
  type: bool
start_notes:
  description:
    - One sentence per C(systemctl start) that failed at first and whose units were active within 15 seconds
      through their own C(Restart=) policy (right after a stop, systemd can fail to set up the unit's cgroup,
      exit status 219/CGROUP, and then restarts it itself). Empty normally. A start whose units do not come up
      fails the module with their last journal lines.
  returned: always
  type: list
  elements: str
diff:
  description: One before/after entry per file that changes, headed by the file's path.
  returned: when changed and diff mode is on
  type: list
  elements: dict
mode:
  description: The listening mode applied - O(mode), or V(tls) when O(keep_tls) found CloudStack's TLS set up.
  returned: success
  type: str
  sample: tls
mode_reason:
  description: Why that mode was applied.
  returned: success
  type: str
  sample: CloudStack set up TLS (listen_tls = 1 with its certificates in place); kept (keep_tls=true)
activation:
  description: The activation style used (V(traditional) or V(socket)).
  returned: success
  type: str
  sample: traditional
activation_reason:
  description: Why that style was used (the request, or what O(activation=auto) found).
  returned: success
  type: str
  sample: fresh host; traditional is what cloudstack-setup-agent configures, so Add Host keeps it
libvirt_version:
  description: The libvirt version reported by C(libvirtd --version).
  returned: success
  type: str
  sample: 9.0.0
detected:
  description: What the module found on the host.
  returned: success
  type: dict
  contains:
    service:
      description: The libvirtd service unit.
      type: str
      sample: libvirtd.service
    socket_activation:
      description: Whether this libvirt supports systemd socket activation.
      type: bool
    current_activation:
      description: The style the host used before the run (V(traditional), V(socket) or V(none)).
      type: str
    sockets:
      description: The C(libvirtd*.socket) units installed, with their state before the run.
      type: dict
    modular_daemons:
      description: Installed modular daemon units (masked by this module).
      type: list
      elements: str
files:
  description: The files managed on this host.
  returned: success
  type: dict
  contains:
    libvirtd_conf:
      description: Path of libvirtd.conf.
      type: str
      sample: /etc/libvirt/libvirtd.conf
    daemon_args:
      description: The daemon-arguments file (from the unit's C(EnvironmentFile=) when systemd says).
      type: str
      sample: /etc/default/libvirtd
    daemon_args_variable:
      description: The variable holding the arguments.
      type: str
      sample: LIBVIRTD_ARGS
    libvirt_conf:
      description: The client configuration file, managed only when modular daemons are present.
      type: str
      sample: null
backup_files:
  description: Backup copies made, by file path.
  returned: when O(backup=true) and a file changed
  type: dict
'''

import os
import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _libvirt as lv
from ansible_collections.cloudstack.hypervisors.plugins.module_utils._conffile import (
    LIBVIRT_CONF, SHELL_VARS, ManagedFile, parse_keys, set_keys)
from ansible_collections.cloudstack.hypervisors.plugins.module_utils._runner import Runner
from ansible_collections.cloudstack.hypervisors.plugins.module_utils._systemd import Systemd

TLS_FILES = (('ca_file', '/etc/pki/CA/cacert.pem'), ('cert_file', '/etc/pki/libvirt/servercert.pem'),
             ('key_file', '/etc/pki/libvirt/private/serverkey.pem'))
SHOW_PROPERTIES = ('Id', 'LoadState', 'UnitFileState', 'ActiveState', 'EnvironmentFiles', 'ExecStart', 'MainPID')


class File(object):
    """A managed file on the host: logical path plus a ManagedFile under the ROOT seam."""

    def __init__(self, module, path):
        self.path = path
        self.mf = ManagedFile(module, lv.host_path(path), label=path)

    @property
    def text(self):
        return self.mf.before

    @property
    def changed(self):
        return self.mf.changed

    def diff(self):
        return self.mf.diff()


def fail_syntax(module, path, problem):
    lineno, line, why = problem
    module.fail_json(msg='Cannot parse %s line %d (%r): %s; fix the file, nothing was changed.'
                     % (path, lineno, line.strip(), why))


def validate_params(module):
    p = module.params
    for name in ('tcp_port', 'tls_port'):
        if not 1 <= p[name] <= 65535:
            module.fail_json(msg='%s=%s is not a TCP port; use a number from 1 to 65535.' % (name, p[name]))


def find_daemon_args(units, service):
    """(path, variable) of the daemon-arguments file, asking the unit first."""
    unit = units[service]
    variables = unit.exec_start_variables()
    known = dict(lv.DAEMON_ARGS_FILES)
    for path in unit.environment_files():
        if path in known:
            var = known[path] if known[path] in variables or not variables else variables[0]
            return path, var
    for path in unit.environment_files():
        if 'libvirt' in os.path.basename(path) and variables:
            return path, variables[0]
    for path, var in lv.DAEMON_ARGS_FILES:
        if os.path.exists(lv.host_path(path)):
            return path, _variable_in_file(path, var)
    if os.path.isdir(lv.host_path('/etc/sysconfig')):
        return lv.DAEMON_ARGS_FILES[0]
    return lv.DAEMON_ARGS_FILES[1]


def _variable_in_file(path, default):
    """Ubuntu up to 22.04 reads ``libvirtd_opts`` from /etc/default/libvirtd; the file says which."""
    try:
        with open(lv.host_path(path)) as f:
            text = f.read()
    except (IOError, OSError):
        return default
    for var in ('LIBVIRTD_ARGS', 'libvirtd_opts'):
        if re.search(r'^\s*#?\s*(?:export\s+)?%s=' % var, text, re.M):
            return var
    return default


def current_activation(units, words):
    """The style the host is consistently set up for: traditional, socket or none (stock / mixed)."""
    listen = words is not None and any(w in ('-l', '--listen') for w in words)
    present = [s for s in lv.ALL_SOCKETS if units[s].exists]
    if listen and all(units[s].masked for s in present):
        return 'traditional'
    unix = [s for s in lv.UNIX_SOCKETS if units[s].exists]
    net = [s for s in (lv.TCP_SOCKET, lv.TLS_SOCKET) if units[s].exists]
    net_on = any(units[s].enabled or units[s].active for s in net)
    net_masked = bool(net) and all(units[s].masked for s in net)
    if not listen and not any(units[s].masked for s in unix) and (net_on or net_masked):
        return 'socket'
    return 'none'


def choose_activation(module, version, units, words):
    p = module.params
    vstr = lv.version_string(version)
    missing = [u for u in ('libvirtd.socket', lv.TCP_SOCKET, lv.TLS_SOCKET) if not units[u].exists]
    supported = version >= lv.SOCKET_ACTIVATION_SINCE and not missing
    nondefault = ((p['mode'] == 'tcp' and p['tcp_port'] != lv.DEFAULT_TCP_PORT)
                  or (p['mode'] == 'tls' and p['tls_port'] != lv.DEFAULT_TLS_PORT))
    port_name = 'tcp_port' if p['mode'] == 'tcp' else 'tls_port'
    if p['activation'] == 'socket':
        if not supported:
            module.fail_json(msg='activation=socket needs libvirt 5.6 or later with the libvirtd.socket, '
                                 'libvirtd-tcp.socket and libvirtd-tls.socket units; this host has libvirt %s%s. '
                                 'Use activation=traditional.'
                                 % (vstr, ' without %s' % ', '.join(missing) if missing else ''))
        if nondefault:
            module.fail_json(msg='activation=socket listens on the port fixed in the socket unit; '
                                 '%s=%s needs activation=traditional.' % (port_name, p[port_name]))
        return 'socket', 'requested (activation=socket)'
    if p['activation'] == 'traditional':
        return 'traditional', 'requested (activation=traditional)'
    if not supported:
        return 'traditional', ('libvirt %s has no systemd socket activation%s'
                               % (vstr, ' (missing %s)' % ', '.join(missing) if missing else ''))
    if nondefault:
        return 'traditional', ('%s=%s differs from the port fixed in the socket unit, which socket activation '
                               'would use' % (port_name, p[port_name]))
    now = current_activation(units, words)
    if now == 'traditional':
        return 'traditional', 'the host already uses --listen with the libvirtd sockets masked'
    if now == 'socket':
        return 'socket', 'the host already uses socket activation (libvirtd-tcp/tls.socket, no --listen)'
    return 'traditional', ('the host has no listening setup yet; traditional is what cloudstack-setup-agent '
                           'configures, so Add Host keeps it')


def cloudstack_tls(text, params=None):
    """libvirtd.conf listens on TLS and the certificates it needs are on the host."""
    params = params or {}
    have = parse_keys(text, LIBVIRT_CONF, keys=['listen_tls'])
    if lv.conf_value(have.get('listen_tls')) != 1:
        return False
    return all(os.path.isfile(lv.host_path(params.get(name) or default)) for name, default in TLS_FILES)


def want_libvirtd_conf(module, text):
    p = module.params
    want = {}
    if p['mode'] == 'tcp':
        want.update(listen_tcp=1, listen_tls=0, tcp_port=str(p['tcp_port']), auth_tcp=p['auth_tcp'])
    elif p['mode'] == 'tls':
        want.update(listen_tls=1, listen_tcp=0, tls_port=str(p['tls_port']), auth_tls=p['auth_tls'],
                    key_file=p['key_file'], cert_file=p['cert_file'], ca_file=p['ca_file'])
        if p['crl_file']:
            want['crl_file'] = p['crl_file']
    else:
        want.update(listen_tcp=0, listen_tls=0)
    if _named(text, 'mdns_adv'):
        want['mdns_adv'] = 0
    return want


def _named(text, key):
    """Whether any line of *text* sets *key* or is a commented example of it (line by line: the
    patterns are anchored at a line's start; issue 14: an active key below the first line was missed)."""
    active, commented = LIBVIRT_CONF.active_re(key), LIBVIRT_CONF.commented_re(key)
    return any(active.match(ln) or commented.match(ln) for ln in text.splitlines())


def converge_conf(f, want):
    """Set the wanted libvirt-conf keys whose value differs; returns the keys changed."""
    have = parse_keys(f.text, LIBVIRT_CONF, keys=list(want))
    changes = {}
    for key, value in want.items():
        if lv.conf_value(have.get(key)) != value:
            changes[key] = lv.conf_render(value)
    if changes:
        f.mf.after = set_keys(f.text, changes, LIBVIRT_CONF)
    return sorted(changes)


# How long a unit whose start failed may take to come up through systemd's own
# Restart= policy before the module gives up (seconds).
START_SETTLE_SECONDS = 15


def started_units(argv):
    """The units a planned ``systemctl start`` names; None when *argv* is no start."""
    words = [str(a) for a in argv]
    if 'start' not in words:
        return None
    return [w for w in words[words.index('start') + 1:] if w.endswith(('.service', '.socket'))]


def start_units(module, runner, systemd, argv, units):
    """Run a planned ``systemctl start``; None when it worked, a note when systemd recovered it.

    Right after a stop, systemd can fail to place the new process in the unit's
    cgroup (exit status 219/CGROUP, seen on Debian 11's systemd in the lab) and
    then restarts the unit itself: libvirtd.service has ``Restart=on-failure``.
    The units counting as started when they are ``active`` within
    START_SETTLE_SECONDS; otherwise the module fails with the units' journal."""
    rc, out, err = runner.change(argv, ok_rcs=range(0, 256))
    if rc == 0:
        return None
    first = (err or out).strip().splitlines()[0] if (err or out).strip() else 'exit code %d' % rc
    start = time.time()
    while units and time.time() - start < START_SETTLE_SECONDS:
        time.sleep(0.5)
        state = systemd.show(units, ('Id', 'LoadState', 'ActiveState'))
        if all(state[u].get('ActiveState') == 'active' for u in units):
            runner.changes.ran(Runner.display(argv))
            return ('%s failed at first (%s); the units were active %.1f s later through their own restart'
                    % (Runner.display(argv), first, time.time() - start))
    why = start_failure_journal(runner, units)
    msg = 'Command "%s" failed with exit code %d: %s' % (Runner.display(argv), rc, (err or out).strip())
    if why:
        msg += '\n' + why
    module.fail_json(msg=msg, rc=rc, stdout=out, stderr=err, cmd=[str(a) for a in argv], why=why, commands=runner.commands)
    return None


def start_failure_journal(runner, units):
    """Why a ``systemctl start`` of *units* failed: their last journal lines.

    systemctl itself only says "the control process exited with error code"; the
    daemon's own reason (a pid file held by a stray libvirtd, certificates missing,
    --listen with active sockets) is in the journal. '' when there is none."""
    if not units or not runner.has('journalctl'):
        return ''
    cmd = ['journalctl', '--no-pager', '-o', 'cat', '-n', '15']
    for u in units:
        cmd += ['-u', u]
    rc, out, dummy = runner.query(cmd)
    if rc != 0 or not out.strip():
        return ''
    return 'Last journal lines of %s:\n%s' % (', '.join(units), out.strip())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mode=dict(type='str', required=True, choices=['tcp', 'tls', 'off']),
            activation=dict(type='str', default='auto', choices=['auto', 'traditional', 'socket']),
            tcp_port=dict(type='int', default=lv.DEFAULT_TCP_PORT),
            tls_port=dict(type='int', default=lv.DEFAULT_TLS_PORT),
            auth_tcp=dict(type='str', default='none', choices=['none', 'sasl']),
            auth_tls=dict(type='str', default='none', choices=['none', 'sasl']),
            ca_file=dict(type='path', default='/etc/pki/CA/cacert.pem'),
            cert_file=dict(type='path', default='/etc/pki/libvirt/servercert.pem'),
            key_file=dict(type='path', default='/etc/pki/libvirt/private/serverkey.pem'),
            crl_file=dict(type='path'),
            keep_tls=dict(type='bool', default=False),
            restart=dict(type='bool', default=True),
            backup=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    validate_params(module)
    runner = Runner(module)
    systemd = Systemd(runner)

    # ---- read the host
    if not runner.has('libvirtd'):
        if module.check_mode:
            module.warn('libvirtd is not installed yet, so check mode cannot predict the commands; '
                        'the real run needs libvirt installed first.')
            module.exit_json(changed=True, commands=[], pending_commands=[], restart_required=False, restarted=False,
                             msg='libvirtd is not installed; nothing can be predicted in check mode.')
        module.fail_json(msg='libvirtd was not found on the host; install libvirt-daemon-system (Debian, Ubuntu) '
                             'or libvirt-daemon (EL) before configuring how it listens.')
    if not systemd.available():
        module.fail_json(msg='systemctl was not found; libvirt_listen manages systemd hosts only.')
    rc, out, err = runner.query(['libvirtd', '--version'], check_rc=True)
    version = lv.parse_version(out or err)
    if version is None:
        module.fail_json(msg='Cannot read the libvirt version from "libvirtd --version" output %r.' % (out or err))

    unit_names = list(lv.SERVICES) + list(lv.ALL_SOCKETS) + lv.modular_units()
    units = systemd.show(unit_names, SHOW_PROPERTIES)
    service = next((s for s in lv.SERVICES if units[s].exists), None)
    if service is None:
        module.fail_json(msg='No libvirtd.service unit is installed (libvirt %s); install the monolithic '
                             'libvirt daemon package before configuring how it listens.'
                         % lv.version_string(version))
    args_path, args_var = find_daemon_args(units, service)
    modular = [u for u in lv.modular_units() if units[u].exists]

    conf = File(module, lv.LIBVIRTD_CONF)
    args = File(module, args_path)
    client = File(module, lv.LIBVIRT_CONF) if modular else None

    # ---- validate everything before deciding or writing anything
    stray = lv.stray_daemon(units[service].get('MainPID'))
    if stray:
        module.fail_json(msg='A libvirtd (pid %d) runs outside %s and holds %s, so the unit cannot start '
                             '("Failed to acquire pid file"); it was started by hand or forked by -d/--daemon in '
                             '%s of %s. Stop that process (kill %d), then run again; nothing was changed.'
                             % (stray[0], service, stray[1], args_var, args_path, stray[0]),
                         stray_pid=stray[0])
    problem = lv.check_conf_syntax(conf.text)
    if problem:
        fail_syntax(module, conf.path, problem)
    problem = lv.check_shell_syntax(args.text)
    if problem:
        fail_syntax(module, args.path, problem)
    if client is not None:
        problem = lv.check_conf_syntax(client.text)
        if problem:
            fail_syntax(module, client.path, problem)
    requested = p['mode']
    mode_reason = 'requested (mode=%s)' % requested
    if p['keep_tls'] and requested != 'tls' and cloudstack_tls(conf.text, p):
        # from here on every step (files, units, ports) works on the mode in force
        p['mode'] = 'tls'
        mode_reason = ('CloudStack set up TLS (listen_tls = 1 with its certificates in place); kept instead of '
                       'mode=%s (keep_tls=true)' % requested)
    if p['mode'] == 'tls':
        for name in ('ca_file', 'cert_file', 'key_file', 'crl_file'):
            if p[name] and not os.path.isfile(lv.host_path(p[name])):
                module.fail_json(msg='mode=tls needs %s %s, which does not exist on the host; place the '
                                     'certificates first.' % (name, p[name]))
    raw_args = parse_keys(args.text, SHELL_VARS, keys=[args_var]).get(args_var)
    words = lv.shell_words(raw_args)

    activation, reason = choose_activation(module, version, units, words)

    # ---- desired files
    converge_conf(conf, want_libvirtd_conf(module, conf.text))
    if activation == 'traditional':
        new_words = lv.edit_daemon_args(words or [], listen=True)
        if words is None or new_words != words:
            args.mf.after = set_keys(args.text, {args_var: lv.shell_render(new_words)}, SHELL_VARS)
    elif words is not None:
        new_words = lv.edit_daemon_args(words, listen=False)
        if new_words != words:
            args.mf.after = set_keys(args.text, {args_var: lv.shell_render(new_words)}, SHELL_VARS)
    if client is not None:
        converge_conf(client, {'remote_mode': 'legacy'})

    # ---- desired units
    sockets = [s for s in lv.ALL_SOCKETS if units[s].exists]
    mask, unmask, enable = [], [], []
    mask.extend(u for u in modular if not units[u].masked)
    if units[service].masked:
        unmask.append(service)
        enable.append(service)
    elif not units[service].enabled:
        enable.append(service)
    start_sockets = []
    if activation == 'traditional':
        mask.extend(s for s in sockets if not units[s].masked)
        runtime_off = [u for u in sockets + modular if units[u].active]
        runtime_bad = bool(runtime_off) or not units[service].active
    else:
        net = {'tcp': lv.TCP_SOCKET, 'tls': lv.TLS_SOCKET}.get(p['mode'])
        wanted = [s for s in lv.UNIX_SOCKETS if units[s].exists] + ([net] if net else [])
        unwanted = [s for s in (lv.TCP_SOCKET, lv.TLS_SOCKET) if s != net]
        for s in wanted:
            if units[s].masked:
                unmask.append(s)
                enable.append(s)
            elif not units[s].enabled:
                enable.append(s)
        mask.extend(s for s in unwanted if not units[s].masked)
        start_sockets = wanted
        runtime_bad = (any(not units[s].active for s in wanted)
                       or any(units[s].active for s in unwanted)
                       or any(units[u].active for u in modular))

    unit_changes = bool(mask or unmask or enable)
    need_restart = conf.changed or args.changed or unit_changes or runtime_bad

    # ---- the plan: stop -> unit files -> write -> enable -> start
    persistent = []   # ('cmd', argv) | ('write', File)
    runtime_stop, runtime_start = [], []
    if need_restart:
        stop = [u for u in [service] + sockets + modular if units[u].active]
        if stop:
            runtime_stop.append(systemd.stop_argv(stop))
        if start_sockets:
            runtime_start.append(systemd.start_argv(start_sockets))
        runtime_start.append(systemd.start_argv([service]))
    if unmask:
        persistent.append(('cmd', systemd.unmask_argv(unmask)))
    if mask:
        persistent.append(('cmd', systemd.mask_argv(mask)))
    for f in (conf, args, client):
        if f is not None and f.changed:
            persistent.append(('write', f))
    if enable:
        persistent.append(('cmd', systemd.enable_argv(enable)))

    if p['restart']:
        steps = [('cmd', a) for a in runtime_stop] + persistent + [('cmd', a) for a in runtime_start]
        pending = []
    else:
        steps = persistent
        pending = [Runner.display(a) for a in runtime_stop + runtime_start]

    changed_files = [f for f in (conf, args, client) if f is not None and f.changed]
    changed = bool(changed_files) or any(kind == 'cmd' for kind, x in steps)

    # ---- apply (or only record in check mode)
    backups = {}
    start_notes = []
    for kind, item in steps:
        if kind == 'cmd':
            to_start = started_units(item)
            if module.check_mode:
                runner.plan(item)
            elif to_start is None:
                runner.change(item)
            else:
                note = start_units(module, runner, systemd, item, to_start)
                if note:
                    start_notes.append(note)
        elif not module.check_mode:
            b = item.mf.write(p['backup'])
            if b:
                backups[item.path] = b

    result = dict(
        changed=changed,
        commands=runner.commands,
        pending_commands=pending,
        restart_required=bool(pending),
        restarted=bool(p['restart'] and runtime_start),
        start_notes=start_notes,
        mode=p['mode'],
        mode_reason=mode_reason,
        activation=activation,
        activation_reason=reason,
        libvirt_version=lv.version_string(version),
        detected=dict(
            service=service,
            socket_activation=version >= lv.SOCKET_ACTIVATION_SINCE and units[lv.TCP_SOCKET].exists,
            current_activation=current_activation(units, words),
            sockets=dict((s, dict(masked=units[s].masked, enabled=units[s].enabled, active=units[s].active))
                         for s in sockets),
            modular_daemons=modular,
        ),
        files=dict(libvirtd_conf=conf.path, daemon_args=args.path, daemon_args_variable=args_var,
                   libvirt_conf=client.path if client is not None else None),
    )
    if module._diff:
        result['diff'] = [f.diff() for f in changed_files]
    if backups:
        result['backup_files'] = backups
    module.exit_json(**result)


if __name__ == '__main__':
    main()
