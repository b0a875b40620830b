# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: render the persistent network configuration of bridges.

One renderer per backend, shared by ``cs_bridge`` (Linux bridges) and
``ovs_fakebridge`` (Open vSwitch bridges):

* ``ifupdown`` - a stanza file ``/etc/network/interfaces.d/cshv-<name>``
  (``bridge_ports``/``bridge_stp``/``bridge_fd``/``bridge_maxwait`` as in the
  install guide; ``allow-ovs``/``ovs_type`` for OVS) and the ports' own
  ``iface`` stanzas, wherever they are, switched to ``inet manual``;
* ``ifcfg`` - EL ``network-scripts`` files (``TYPE=Bridge``/``DELAY``/``STP``,
  ports with ``BRIDGE=``; ``TYPE=OVSBridge``/``DEVICETYPE=ovs`` for OVS),
  edited key by key so unknown keys stay;
* ``networkmanager`` - keyfiles for the bridge and one bridge-slave profile
  per port;
* ``netplan`` - ``/etc/netplan/60-cshv-<name>.yaml`` with ``bridges:`` and
  ``parameters:``.

Every function returns :class:`FileChange` objects (a ``ManagedFile`` with a
wanted text, or ``None`` for "remove"); nothing is written until
:func:`write_all`.  ``ROOT`` is the test seam: unit tests point it at a tmp dir.
"""

from __future__ import annotations

import glob
import os
import re
import uuid

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _changes
from ansible_collections.cloudstack.hypervisors.plugins.module_utils._conffile import (
    ManagedFile, SHELL_VARS, parse_keys, set_keys)

ROOT = '/'
BACKENDS = ('ifupdown', 'netplan', 'networkmanager', 'ifcfg')
HEADER = 'Managed by cloudstack.hypervisors (%s): local edits are reverted.'
NM_NAMESPACE = uuid.UUID('8b0f7c44-5c1e-4d43-9a3e-63a1b6b2c0de')


def path(*parts):
    return os.path.join(ROOT, *parts)


class FileChange(object):
    """One file the backend wants: full text, or ``None`` to remove it."""

    def __init__(self, module, fpath, after, mode=0o644):
        self.mf = ManagedFile(module, fpath, default_mode=mode)
        self.path = fpath
        self.remove = after is None
        self.mf.after = '' if after is None else after
        self.mode = mode

    @property
    def changed(self):
        if self.remove:
            return self.mf.exists
        return self.mf.changed or (self.mf.exists and self._mode_wrong())

    def _mode_wrong(self):
        # keyfiles / netplan files must not be world readable
        if self.mode & 0o077:
            return False
        try:
            return bool(os.stat(self.path).st_mode & 0o077)
        except OSError:
            return False

    def diff(self):
        d = self.mf.diff()
        if self.remove:
            d['after_header'] = '%s (absent)' % self.path
        return d

    def write(self, backup=False):
        if not self.changed:
            return None
        if self.remove:
            backup_file = self.mf.module.backup_local(self.path) if backup else None
            os.unlink(self.path)
            _changes.track(self.mf.module).wrote(self.path, self.diff())
            return backup_file
        backup_file = self.mf.write(backup) if self.mf.changed else None
        if self._mode_wrong():
            os.chmod(self.path, self.mode)
            _changes.track(self.mf.module).wrote(self.path)
        return backup_file


def write_all(changes, backup=False):
    return [b for b in (c.write(backup) for c in changes) if b]


def diffs(changes):
    return [c.diff() for c in changes if c.changed]


# --------------------------------------------------------------------------
# detection
# --------------------------------------------------------------------------
def detect(runner):
    """The backend this host uses, or None: netplan, ifupdown, NetworkManager, ifcfg."""
    if glob.glob(path('etc/netplan/*.yaml')) and runner.has('netplan'):
        return 'netplan'
    if os.path.isfile(path('etc/network/interfaces')) and runner.has('ifup'):
        return 'ifupdown'
    if os.path.isdir(path('run/NetworkManager')) and runner.has('nmcli'):
        return 'networkmanager'
    if os.path.isdir(path('etc/sysconfig/network-scripts')):
        return 'ifcfg'
    return None


# --------------------------------------------------------------------------
# ifupdown
# --------------------------------------------------------------------------
IFUPDOWN_KEYWORDS = ('iface', 'auto', 'mapping', 'source', 'source-directory', 'rename',
                     'no-auto-down', 'no-scripts')
IFUPDOWN_ADDR_OPTS = ('address', 'netmask', 'gateway', 'broadcast', 'network', 'pointopoint',
                      'dns-nameservers', 'dns-search', 'dns-domain', 'metric', 'scope', 'hostname')


def _is_stanza_start(line):
    word = line.split(None, 1)[0] if line.strip() else ''
    return word in IFUPDOWN_KEYWORDS or word.startswith('allow-')


def ifupdown_files():
    """/etc/network/interfaces and every file in interfaces.d (as sourced)."""
    files = [path('etc/network/interfaces')]
    files += sorted(f for f in glob.glob(path('etc/network/interfaces.d/*')) if os.path.isfile(f))
    return [f for f in files if os.path.isfile(f)]


def ifupdown_manual(text, devices, mtu=None):
    """*text* with each ``iface <dev> inet <method>`` of *devices* set to ``manual``.

    Address options of those stanzas are dropped (and ``mtu`` replaced when
    *mtu* is given); comments and other options stay.
    """
    out, in_target = [], False
    for line in text.splitlines():
        if _is_stanza_start(line):
            words = line.split()
            in_target = (len(words) >= 4 and words[0] == 'iface' and words[1] in devices and words[2] == 'inet')
            if in_target and words[3] != 'manual':
                indent = line[:len(line) - len(line.lstrip())]
                line = '%siface %s inet manual%s' % (indent, words[1], (' ' + ' '.join(words[4:])) if words[4:] else '')
            out.append(line)
            if in_target and mtu:
                out.append('    mtu %d' % mtu)
            continue
        if in_target and line.strip() and not line.lstrip().startswith('#') \
                and (line.split(None, 1)[0] in IFUPDOWN_ADDR_OPTS or (mtu and line.split(None, 1)[0] == 'mtu')):
            continue
        out.append(line)
    res = '\n'.join(out)
    return res + '\n' if text.endswith('\n') else res


def ifupdown_defined(text):
    """Names that have an ``iface <name> inet`` stanza in *text*."""
    found = set()
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == 'iface' and words[2] == 'inet':
            found.add(words[1])
    return found


def _ifupdown_addr(lines, ipv4, gateway, dns, dns_search):
    if ipv4 and ipv4 != 'dhcp':
        lines.append('    address %s' % ipv4)
        if gateway:
            lines.append('    gateway %s' % gateway)
    if dns:
        lines.append('    dns-nameservers %s' % ' '.join(dns))
    if dns_search:
        lines.append('    dns-search %s' % ' '.join(dns_search))


def _method(ipv4):
    return 'dhcp' if ipv4 == 'dhcp' else ('static' if ipv4 else 'manual')


def render_ifupdown_bridge(spec):
    """The stanza file of a Linux bridge (guide layout, ports' stanzas included)."""
    lines = ['# ' + HEADER % 'cs_bridge', '']
    for port in spec['ports']:
        if port['vlan']:
            lines += ['iface %s inet manual' % port['ifname'],
                      '    vlan-raw-device %s' % port['device']]
        else:
            lines += ['iface %s inet manual' % port['ifname']]
        if spec.get('mtu'):
            lines.append('    mtu %d' % spec['mtu'])
        lines.append('')
    lines += ['auto %s' % spec['name'], 'iface %s inet %s' % (spec['name'], _method(spec['ipv4']))]
    lines.append('    bridge_ports %s' % (' '.join(p['ifname'] for p in spec['ports']) or 'none'))
    lines.append('    bridge_stp %s' % ('on' if spec['stp'] else 'off'))
    lines.append('    bridge_fd %d' % spec['forward_delay'])
    lines.append('    bridge_maxwait %d' % spec.get('maxwait', 1))
    if spec.get('mtu'):
        lines.append('    mtu %d' % spec['mtu'])
    _ifupdown_addr(lines, spec['ipv4'], spec.get('gateway'), spec.get('dns'), spec.get('dns_search'))
    return '\n'.join(lines) + '\n'


def render_ifupdown_ovs(spec):
    """The stanza file of an OVS bridge (``allow-ovs``; openvswitch-switch's ifupdown hooks)."""
    name = spec['name']
    lines = ['# ' + HEADER % 'ovs_fakebridge', '']
    if spec.get('parent'):
        lines += ['allow-ovs %s' % name, 'iface %s inet %s' % (name, _method(spec['ipv4'])),
                  '    ovs_type OVSBridge',
                  '    ovs_options %s %d' % (spec['parent'], spec['vlan'])]
    else:
        lines += ['allow-ovs %s' % name, 'iface %s inet %s' % (name, _method(spec['ipv4'])),
                  '    ovs_type OVSBridge']
        if spec.get('uplinks'):
            lines.append('    ovs_ports %s' % ' '.join(spec['uplinks']))
        if spec.get('datapath_type') and spec['datapath_type'] != 'system':
            lines.append('    ovs_extra set bridge ${IFACE} datapath_type=%s' % spec['datapath_type'])
    _ifupdown_addr(lines, spec['ipv4'], spec.get('gateway'), spec.get('dns'), spec.get('dns_search'))
    if not spec.get('parent'):
        for port in spec.get('uplinks') or []:
            lines += ['', 'allow-%s %s' % (name, port), 'iface %s inet manual' % port,
                      '    ovs_bridge %s' % name, '    ovs_type OVSPort']
            if spec.get('trunks'):
                lines.append('    ovs_options trunks=%s' % ','.join(str(t) for t in spec['trunks']))
    return '\n'.join(lines) + '\n'


def ifupdown_changes(module, spec, kind, state):
    """FileChanges for ifupdown: our stanza file, the ports' stanzas, the ``source`` line."""
    own = path('etc/network/interfaces.d', 'cshv-%s' % spec['name'])
    changes = []
    if state == 'absent':
        return [FileChange(module, own, None)]
    text = render_ifupdown_bridge(spec) if kind == 'bridge' else render_ifupdown_ovs(spec)
    if kind == 'bridge':
        ports = set(p['ifname'] for p in spec['ports'])
    else:
        ports = set(spec.get('uplinks') or [])
    # a port defined elsewhere keeps its stanza there, switched to manual
    for f in ifupdown_files():
        if f == own:
            continue
        with open(f) as fh:
            before = fh.read()
        after = ifupdown_manual(before, ports, spec.get('mtu') if kind == 'bridge' else None)
        defined = ifupdown_defined(before)
        if kind == 'bridge' and defined & ports:
            text = _drop_iface_stanzas(text, defined & ports)
        if after != before:
            changes.append(FileChange(module, f, after))
    main = path('etc/network/interfaces')
    if os.path.isfile(main):
        current = [c for c in changes if c.path == main]
        body = current[0].mf.after if current else open(main).read()
        if not re.search(r'^\s*source(-directory)?\s+/etc/network/interfaces\.d', body, re.M):
            body = body + ('' if body.endswith('\n') or not body else '\n') + 'source /etc/network/interfaces.d/*\n'
            if current:
                current[0].mf.after = body
            else:
                changes.append(FileChange(module, main, body))
    changes.insert(0, FileChange(module, own, text))
    return changes


def _drop_iface_stanzas(text, names):
    """Remove our own ``iface <port> inet manual`` stanza for ports defined elsewhere."""
    out, skip = [], False
    for line in text.splitlines():
        words = line.split()
        if _is_stanza_start(line) or not line.strip():
            skip = bool(len(words) >= 2 and words[0] == 'iface' and words[1] in names)
            if skip or (not line.strip() and out and out[-1] == ''):
                continue
        if skip:
            continue
        out.append(line)
    return '\n'.join(out).rstrip('\n') + '\n'


# --------------------------------------------------------------------------
# ifcfg (EL network-scripts)
# --------------------------------------------------------------------------
IFCFG_ADDR_KEYS = ('IPADDR', 'PREFIX', 'NETMASK', 'GATEWAY', 'DNS1', 'DNS2', 'DNS3', 'DOMAIN',
                   'IPADDR0', 'PREFIX0', 'NETMASK0', 'GATEWAY0')


def _q(value):
    value = str(value)
    return '"%s"' % value if re.search(r'[\s$`"\\;&|<>()]', value) else value


def _ifcfg_addr(values, remove, ipv4, gateway, dns, dns_search):
    if ipv4 == 'dhcp':
        values['BOOTPROTO'] = 'dhcp'
        remove += ['IPADDR', 'PREFIX', 'NETMASK', 'GATEWAY']
    elif ipv4:
        addr, prefix = ipv4.split('/')
        values['BOOTPROTO'] = 'none'
        values['IPADDR'] = addr
        values['PREFIX'] = prefix
        remove.append('NETMASK')
        if gateway:
            values['GATEWAY'] = gateway
        else:
            remove.append('GATEWAY')
    else:
        values['BOOTPROTO'] = 'none'
        remove += ['IPADDR', 'PREFIX', 'NETMASK', 'GATEWAY']
    for i in range(3):
        key = 'DNS%d' % (i + 1)
        if dns and i < len(dns):
            values[key] = dns[i]
        else:
            remove.append(key)
    if dns_search:
        values['DOMAIN'] = _q(' '.join(dns_search))
    else:
        remove.append('DOMAIN')


def _ifcfg_change(module, fpath, values, remove, state_absent=False):
    mf_exists = os.path.isfile(fpath)
    before = open(fpath).read() if mf_exists else ''
    if state_absent:
        return FileChange(module, fpath, None)
    after = set_keys(before, values, SHELL_VARS, remove=[k for k in remove if k not in values])
    return FileChange(module, fpath, after)


def ifcfg_changes(module, spec, kind, state):
    d = path('etc/sysconfig/network-scripts')
    name = spec['name']
    own = os.path.join(d, 'ifcfg-%s' % name)
    changes = []
    if kind == 'bridge':
        ports = [(p['ifname'], p) for p in spec['ports']]
    else:
        ports = [(u, None) for u in (spec.get('uplinks') or [])]
    if state == 'absent':
        changes.append(FileChange(module, own, None) if os.path.exists(own) else FileChange(module, own, None))
        # ports keep their files but leave the bridge
        for f in sorted(glob.glob(os.path.join(d, 'ifcfg-*'))):
            keys = parse_keys(open(f).read(), SHELL_VARS)
            if f != own and (keys.get('BRIDGE') == name or keys.get('OVS_BRIDGE') == name):
                changes.append(_ifcfg_change(module, f, {}, ['BRIDGE', 'OVS_BRIDGE', 'DEVICETYPE', 'OVS_OPTIONS']
                                             + (['TYPE'] if keys.get('TYPE') == 'OVSPort' else [])))
        return changes
    values = {'DEVICE': name, 'ONBOOT': 'yes'}
    remove = []
    if kind == 'bridge':
        values.update({'TYPE': 'Bridge', 'IPV6INIT': 'no', 'IPV6_AUTOCONF': 'no',
                       'DELAY': str(spec['forward_delay']), 'STP': 'yes' if spec['stp'] else 'no'})
        remove += ['DEVICETYPE', 'OVS_OPTIONS', 'OVS_EXTRA']
    else:
        values.update({'HOTPLUG': 'no', 'DEVICETYPE': 'ovs', 'TYPE': 'OVSBridge'})
        if spec.get('parent'):
            values['OVS_OPTIONS'] = _q('%s %d' % (spec['parent'], spec['vlan']))
            remove.append('OVS_EXTRA')
        else:
            remove.append('OVS_OPTIONS')
            if spec.get('datapath_type') and spec['datapath_type'] != 'system':
                values['OVS_EXTRA'] = _q('set bridge %s datapath_type=%s' % (name, spec['datapath_type']))
            else:
                remove.append('OVS_EXTRA')
    if spec.get('mtu'):
        values['MTU'] = str(spec['mtu'])
    else:
        remove.append('MTU')
    _ifcfg_addr(values, remove, spec['ipv4'], spec.get('gateway'), spec.get('dns'), spec.get('dns_search'))
    changes.append(_ifcfg_change(module, own, values, remove))
    for ifname, port in ports:
        pvalues = {'DEVICE': ifname, 'ONBOOT': 'yes', 'BOOTPROTO': 'none'}
        premove = list(IFCFG_ADDR_KEYS)
        if kind == 'bridge':
            pvalues['BRIDGE'] = name
            premove += ['OVS_BRIDGE', 'DEVICETYPE']
            if port['vlan']:
                pvalues.update({'VLAN': 'yes', 'PHYSDEV': port['device']})
            if spec.get('mtu'):
                pvalues['MTU'] = str(spec['mtu'])
        else:
            pvalues.update({'DEVICETYPE': 'ovs', 'TYPE': 'OVSPort', 'OVS_BRIDGE': name})
            premove.append('BRIDGE')
            if spec.get('trunks'):
                pvalues['OVS_OPTIONS'] = _q('trunks=%s' % ','.join(str(t) for t in spec['trunks']))
            else:
                premove.append('OVS_OPTIONS')
        fpath = os.path.join(d, 'ifcfg-%s' % ifname)
        before = open(fpath).read() if os.path.isfile(fpath) else ''
        if kind == 'bridge' and 'TYPE' not in parse_keys(before, SHELL_VARS):
            pvalues['TYPE'] = 'Vlan' if port['vlan'] else 'Ethernet'
        changes.append(_ifcfg_change(module, fpath, pvalues, premove))
    return changes


# --------------------------------------------------------------------------
# NetworkManager keyfiles
# --------------------------------------------------------------------------
def nm_uuid(conn_id):
    return str(uuid.uuid5(NM_NAMESPACE, conn_id))


def _nm_ipv4(lines, ipv4, gateway, dns, dns_search):
    lines.append('[ipv4]')
    if ipv4 == 'dhcp':
        lines.append('method=auto')
    elif ipv4:
        lines.append('method=manual')
        lines.append('address1=%s%s' % (ipv4, (',' + gateway) if gateway else ''))
    else:
        lines.append('method=disabled')
    if dns:
        lines.append('dns=%s;' % ';'.join(dns))
    if dns_search:
        lines.append('dns-search=%s;' % ';'.join(dns_search))
    lines += ['', '[ipv6]', 'method=disabled' if not ipv4 or ipv4 != 'dhcp' else 'method=ignore', '']


def render_nm_bridge(spec):
    cid = 'cshv-%s' % spec['name']
    lines = ['# ' + HEADER % 'cs_bridge', '[connection]', 'id=%s' % cid, 'uuid=%s' % nm_uuid(cid),
             'type=bridge', 'interface-name=%s' % spec['name'], 'autoconnect=true', '',
             '[bridge]', 'stp=%s' % ('true' if spec['stp'] else 'false'),
             'forward-delay=%d' % spec['forward_delay'], '']
    if spec.get('mtu'):
        lines += ['[ethernet]', 'mtu=%d' % spec['mtu'], '']
    _nm_ipv4(lines, spec['ipv4'], spec.get('gateway'), spec.get('dns'), spec.get('dns_search'))
    return '\n'.join(lines)


def render_nm_port(spec, port):
    cid = 'cshv-%s-port-%s' % (spec['name'], port['ifname'])
    lines = ['# ' + HEADER % 'cs_bridge', '[connection]', 'id=%s' % cid, 'uuid=%s' % nm_uuid(cid),
             'type=%s' % ('vlan' if port['vlan'] else 'ethernet'), 'interface-name=%s' % port['ifname'],
             'master=%s' % spec['name'], 'slave-type=bridge', 'autoconnect=true', 'autoconnect-priority=10', '']
    if port['vlan']:
        lines += ['[vlan]', 'parent=%s' % port['device'], 'id=%d' % port['vlan'], '']
    if spec.get('mtu'):
        lines += ['[ethernet]', 'mtu=%d' % spec['mtu'], '']
    return '\n'.join(lines)


def nm_changes(module, spec, kind, state):
    if kind != 'bridge':
        module.fail_json(msg='Backend networkmanager does not render Open vSwitch bridges (%s); '
                             'use backend: none (the OVS database persists them) or ifcfg/ifupdown.' % spec['name'])
    d = path('etc/NetworkManager/system-connections')
    own = os.path.join(d, 'cshv-%s.nmconnection' % spec['name'])
    pattern = os.path.join(d, 'cshv-%s-port-*.nmconnection' % spec['name'])
    wanted = {}
    if state == 'present':
        wanted[own] = render_nm_bridge(spec)
        for port in spec['ports']:
            wanted[os.path.join(d, 'cshv-%s-port-%s.nmconnection' % (spec['name'], port['ifname']))] = render_nm_port(spec, port)
    changes = [FileChange(module, p, t, mode=0o600) for p, t in sorted(wanted.items())]
    for stale in sorted(set(glob.glob(pattern) + ([own] if os.path.exists(own) else [])) - set(wanted)):
        changes.append(FileChange(module, stale, None, mode=0o600))
    return changes


# --------------------------------------------------------------------------
# netplan
# --------------------------------------------------------------------------
def _yaml_list(items):
    return '[%s]' % ', '.join(items)


def render_netplan_bridge(spec):
    name = spec['name']
    lines = ['# ' + HEADER % 'cs_bridge', 'network:', '  version: 2']
    plain = [p for p in spec['ports'] if not p['vlan']]
    vlans = [p for p in spec['ports'] if p['vlan']]
    links = sorted(set(p['device'] for p in vlans) - set(p['ifname'] for p in plain))
    if plain or links:
        lines.append('  ethernets:')
        for p in plain:
            lines += ['    %s:' % p['ifname'], '      dhcp4: false', '      dhcp6: false']
            if spec.get('mtu'):
                lines.append('      mtu: %d' % spec['mtu'])
        for dev in links:
            lines.append('    %s: {}' % dev)
    if vlans:
        lines.append('  vlans:')
        for p in vlans:
            lines += ['    %s:' % p['ifname'], '      id: %d' % p['vlan'], '      link: %s' % p['device'],
                      '      dhcp4: false', '      dhcp6: false']
            if spec.get('mtu'):
                lines.append('      mtu: %d' % spec['mtu'])
    lines += ['  bridges:', '    %s:' % name,
              '      interfaces: %s' % _yaml_list(p['ifname'] for p in spec['ports']),
              '      parameters:', '        stp: %s' % ('true' if spec['stp'] else 'false'),
              '        forward-delay: %d' % spec['forward_delay']]
    if spec.get('mtu'):
        lines.append('      mtu: %d' % spec['mtu'])
    ipv4 = spec['ipv4']
    lines.append('      dhcp4: %s' % ('true' if ipv4 == 'dhcp' else 'false'))
    lines.append('      dhcp6: false')
    if ipv4 and ipv4 != 'dhcp':
        lines.append('      addresses: [%s]' % ipv4)
        if spec.get('gateway'):
            lines += ['      routes:', '        - to: default', '          via: %s' % spec['gateway']]
    if spec.get('dns') or spec.get('dns_search'):
        lines.append('      nameservers:')
        if spec.get('dns'):
            lines.append('        addresses: %s' % _yaml_list(spec['dns']))
        if spec.get('dns_search'):
            lines.append('        search: %s' % _yaml_list(spec['dns_search']))
    return '\n'.join(lines) + '\n'


def netplan_changes(module, spec, kind, state):
    if kind != 'bridge':
        module.fail_json(msg='Backend netplan does not render Open vSwitch fake bridges (%s); '
                             'use backend: none (the OVS database persists them).' % spec['name'])
    own = path('etc/netplan', '60-cshv-%s.yaml' % spec['name'])
    return [FileChange(module, own, render_netplan_bridge(spec) if state == 'present' else None, mode=0o600)]


RENDERERS = {
    'ifupdown': ifupdown_changes,
    'ifcfg': ifcfg_changes,
    'networkmanager': nm_changes,
    'netplan': netplan_changes,
}


def changes_for(module, backend, spec, kind='bridge', state='present'):
    """FileChanges (only the ones that change something) for *backend*."""
    if backend in (None, 'none'):
        return []
    return [c for c in RENDERERS[backend](module, spec, kind, state) if c.changed]


def reload_commands(backend, runner, changes):
    """Commands that make the backend re-read its files without touching links."""
    if backend == 'networkmanager' and changes and runner.has('nmcli'):
        return [['nmcli', 'connection', 'reload']]
    return []


def common_bridge_args():
    """Argument spec shared by cs_bridge and ovs_fakebridge (documented in doc_fragments/bridge.py)."""
    return dict(
        gateway=dict(type='str'),
        dns=dict(type='list', elements='str', default=[]),
        dns_search=dict(type='list', elements='str', default=[]),
        backup=dict(type='bool', default=False),
        management=dict(type='bool', default=False),
        rollback_timeout=dict(type='int', default=60),
        confirm_host=dict(type='str'),
    )
