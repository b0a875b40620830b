# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private, controller side: the XenServer pool rules, written once.

* :func:`inventory_problems` - rules on the inventory alone (no host contacted), called by
  ``_cluster.validate_inventory`` for every XenServer cluster: pool size (8 by default,
  ``xenserver_pool_max_hosts``, at most 64), bonds and network labels the same on every
  host, bonds of two or more NICs, each label a traffic label and used once, lacp only
  without security groups (which need the bridge backend), the join password present.
* :func:`api_problems` - rules on what ``xenserver_pool_info`` read from each host,
  before anything is changed: one product version, HVM, management not on a VLAN, no
  host already in another pool, no bonds / VLANs / running VMs on hosts that will join,
  every bond member and labelled NIC present on every host, lacp needs openvswitch,
  the backend fits the zone, a product version the CloudStack version supports.

Each problem is ``{host, check, value, msg}`` with a sentence naming host and value
(the shape of ``_cluster.Problems``).  Secret values never appear, only their names.
"""

from __future__ import annotations

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster, _xapi

MAX_HOSTS_DEFAULT = 8
MAX_HOSTS_CEILING = 64

# The host variables the inventory rules read (the preflight action collects them).
INVENTORY_VARS = (
    'xenserver_pool_max_hosts', 'xenserver_pool_bonds', 'xenserver_pool_networks',
    'xenserver_pool_storage_interfaces', 'xenserver_pool_password', 'xenserver_pool_security_groups',
    'xenserver_pool_master',
)


def _add(problems, host, check, value, msg):
    if hasattr(problems, 'add'):
        problems.add(host, check, value, msg)
    else:
        problems.append({'host': host, 'check': check, 'value': value, 'msg': msg})


_canon = _cluster._canon


def _max_hosts(value):
    if value is None or value == '':
        return MAX_HOSTS_DEFAULT, None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            return MAX_HOSTS_DEFAULT, 'is %r; use a whole number' % (value,)
    if not 1 <= value <= MAX_HOSTS_CEILING:
        return MAX_HOSTS_DEFAULT, 'is %d; use 1..%d (XenServer pools hold at most %d hosts)' % (value, MAX_HOSTS_CEILING, MAX_HOSTS_CEILING)
    return value, None


def host_labels(v):
    """label -> what uses it ('bond of eth0, eth1' / 'eth4') for one host's variables."""
    out = []
    for b in v.get('xenserver_pool_bonds') or []:
        if isinstance(b, dict):
            out.append((b.get('name_label'), 'bond of %s' % ', '.join(str(m) for m in b.get('members') or [])))
    for n in v.get('xenserver_pool_networks') or []:
        if isinstance(n, dict):
            out.append((n.get('name_label'), str(n.get('device'))))
    return out


def check_host(problems, h, v, labels):
    """Rules of one host's variables."""
    bonds = v.get('xenserver_pool_bonds') or []
    if not isinstance(bonds, list):
        _add(problems, h, 'xen_bonds', bonds, 'xenserver_pool_bonds of %s is %r; use a list of {name_label, members, mode}.' % (h, bonds))
        bonds = []
    used = {}
    for b in bonds:
        if not isinstance(b, dict):
            _add(problems, h, 'xen_bonds', b, 'bond %r of %s is not a mapping {name_label, members, mode}.' % (b, h))
            continue
        members = b.get('members') or []
        name = b.get('name_label')
        if not isinstance(members, list) or len(members) < 2:
            _add(problems, h, 'xen_bonds', members, 'bond %s of %s has members %r; a bond needs at least two NICs.' % (name, h, members))
        mode = b.get('mode', 'active-backup')
        if mode not in _xapi.BOND_MODES:
            _add(problems, h, 'xen_bonds', mode, 'bond %s of %s has mode %r; use one of %s.' % (name, h, mode, ', '.join(_xapi.BOND_MODES)))
        if mode == 'lacp' and v.get('xenserver_pool_security_groups'):
            _add(problems, h, 'xen_bonds', mode, 'bond %s of %s is lacp, which needs the openvswitch backend, but '
                 'xenserver_pool_security_groups asks for the bridge backend.' % (name, h))
        for m in members if isinstance(members, list) else []:
            if m in used:
                _add(problems, h, 'xen_bonds', m, 'NIC %s of %s is in bond %s and in bond %s.' % (m, h, used[m], name))
            used[m] = name
    nets = v.get('xenserver_pool_networks') or []
    for n in nets if isinstance(nets, list) else []:
        if not isinstance(n, dict) or not n.get('device') or not n.get('name_label'):
            _add(problems, h, 'xen_networks', n, 'network %r of %s needs a device and a name_label.' % (n, h))
        elif n.get('device') in used:
            _add(problems, h, 'xen_networks', n.get('device'), 'NIC %s of %s is labelled %s but is a member of bond %s; '
                 'the bond carries the label.' % (n.get('device'), h, n.get('name_label'), used[n.get('device')]))
    seen = {}
    valid = set(str(x) for x in (labels or {}).values()) if isinstance(labels, dict) else set()
    for label, what in host_labels(v):
        if label in seen:
            _add(problems, h, 'xen_labels', label, 'label %s is given to two networks of %s (%s and %s); CloudStack needs '
                 'each label on one network.' % (label, h, seen[label], what))
        seen[label] = what
        if valid and label not in valid:
            _add(problems, h, 'xen_labels', label, 'label %s (%s) of %s is not one of the traffic labels in '
                 'cshv_traffic_labels (%s).' % (label, what, h, ', '.join(sorted(valid))))


def inventory_problems(problems, clusters, hostvars):
    """Add the XenServer rules' problems for every XenServer cluster (see module doc)."""
    for name, c in clusters.items():
        if c.get('hypervisor') != 'xenserver' and 'xenserver' not in (c.get('hypervisors') or []):
            continue
        hosts = c['hosts']
        for h in hosts:
            check_host(problems, h, hostvars.get(h, {}), hostvars.get(h, {}).get('cshv_traffic_labels'))
        first = hostvars.get(hosts[0], {})
        limit, err = _max_hosts(first.get('xenserver_pool_max_hosts'))
        if err:
            _add(problems, hosts[0], 'size', first.get('xenserver_pool_max_hosts'),
                 'xenserver_pool_max_hosts of %s %s.' % (hosts[0], err))
        if len(hosts) > limit:
            for h in hosts[limit:]:
                _add(problems, h, 'size', len(hosts), 'cluster %s has %d xenserver hosts; a pool may have at most %d '
                     '(xenserver_pool_max_hosts; the install guide says 8) - %s is host number %d.'
                     % (name, len(hosts), limit, h, hosts.index(h) + 1))
        for var, what in (('xenserver_pool_bonds', 'bonds (members and modes)'), ('xenserver_pool_networks', 'network labels')):
            ref_host = hosts[0]
            ref = _canon(hostvars.get(ref_host, {}).get(var) or [])
            for h in hosts[1:]:
                if _canon(hostvars.get(h, {}).get(var) or []) != ref:
                    _add(problems, h, 'xen_same', var, '%s of %s differ from those of %s in cluster %s; xapi copies the '
                         'master\'s bonds and networks by NIC position, so every host needs the same.' % (what, h, ref_host, name))
        if len(hosts) > 1:
            for h in hosts:
                pw = hostvars.get(h, {}).get('xenserver_pool_password')
                if isinstance(pw, Exception) or not isinstance(pw, str) or not pw.strip():
                    _add(problems, h, 'secrets', 'xenserver_pool_password', 'xenserver_pool_password (the pool master\'s '
                         'root password that pool.join needs) is not set for %s.' % h)
    return problems


def api_problems(infos, master, settings=None):
    """Problems from ``xenserver_pool_info`` results of the hosts of one pool.

    *infos*: host -> the module's result; *master*: the host that is (to be) the
    master; *settings*: bonds, networks, security_groups, cloudstack_version,
    master_address (the master's management address) - the role's variables.
    """
    s = settings or {}
    problems = []
    mi = infos.get(master) or {}
    if mi.get('is_member'):
        _add(problems, master, 'xen_member', mi.get('master_address'), '%s, the intended pool master, is a member of the '
             'pool of %s.' % (master, mi.get('master_address')))
        return problems
    m_host = next((x for x in mi.get('hosts') or [] if x.get('is_master')), {})
    pool_addresses = set(x.get('address') for x in mi.get('hosts') or [])
    wanted_devices = []
    for b in s.get('bonds') or []:
        wanted_devices.extend(('bond %s' % b.get('name_label'), d) for d in b.get('members') or [])
    for n in s.get('networks') or []:
        wanted_devices.append(('network %s' % n.get('name_label'), n.get('device')))
    for n in s.get('storage_interfaces') or []:
        wanted_devices.append(('storage interface', n.get('device')))
    for h in sorted(infos):
        info = infos[h] or {}
        if info.get('is_member'):
            if info.get('master_address') not in (s.get('master_address'), m_host.get('address')):
                _add(problems, h, 'xen_member', info.get('master_address'), '%s is already a member of another pool, whose '
                     'master is %s (not %s); eject it there first.' % (h, info.get('master_address'), master))
            continue
        facts = next((x for x in info.get('hosts') or [] if x.get('is_master')), {})
        joining = h != master
        if joining and len(info.get('hosts') or []) > 1:
            _add(problems, h, 'xen_member', len(info['hosts']), '%s is the master of its own pool of %d hosts; it cannot join '
                 'the pool of %s.' % (h, len(info['hosts']), master))
        pv = (facts.get('product_brand'), facts.get('product_version'))
        mv = (m_host.get('product_brand'), m_host.get('product_version'))
        if pv != mv:
            _add(problems, h, 'xen_version', '%s %s' % pv, '%s runs %s %s, the master %s runs %s %s; a pool needs one '
                 'product version.' % ((h,) + pv + (master,) + mv))
        if facts.get('hvm') is False:
            _add(problems, h, 'xen_hvm', False, '%s has no hardware virtualisation (HVM); CloudStack refuses it.' % h)
        if facts.get('management_vlan', -1) >= 0:
            _add(problems, h, 'xen_mgmt_vlan', facts['management_vlan'], 'management of %s is on VLAN %d; CloudStack '
                 'refuses a management network on a VLAN.' % (h, facts['management_vlan']))
        if joining and facts.get('address') not in pool_addresses:
            if facts.get('bonds'):
                _add(problems, h, 'xen_bonds', ', '.join(b['device'] for b in facts['bonds']), '%s has bond(s) %s before '
                     'joining; xapi refuses it (POOL_JOINING_HOST_HAS_BONDS) - remove them, the master\'s bonds are copied '
                     'on join.' % (h, ', '.join('%s (%s)' % (b['device'], ', '.join(b['members'])) for b in facts['bonds'])))
            if facts.get('vlans'):
                _add(problems, h, 'xen_vlans', facts['vlans'], '%s has VLAN(s) %s besides management; xapi refuses the join.'
                     % (h, ', '.join(str(v) for v in facts['vlans'])))
            if facts.get('running_vms'):
                _add(problems, h, 'xen_vms', ', '.join(facts['running_vms']), '%s has running VMs (%s); xapi refuses to join '
                     'a host with running VMs.' % (h, ', '.join(facts['running_vms'])))
        devices = set(p.get('device') for p in facts.get('pifs') or [] if p.get('VLAN', -1) < 0)
        for what, dev in wanted_devices:
            if dev not in devices:
                _add(problems, h, 'xen_nic', dev, '%s has no NIC %s for %s (it has %s).' % (h, dev, what, ', '.join(sorted(d for d in devices if d))))
        backend = facts.get('network_backend')
        if s.get('security_groups') and backend != 'bridge':
            _add(problems, h, 'xen_backend', backend, '%s uses the %s network backend; a zone with security groups needs '
                 'bridge (xe-switch-network-backend bridge and a reboot).' % (h, backend))
        if backend != 'openvswitch':
            for b in s.get('bonds') or []:
                if b.get('mode') == 'lacp':
                    _add(problems, h, 'xen_backend', backend, 'bond %s is lacp, which needs the openvswitch backend; %s uses %s.'
                         % (b.get('name_label'), h, backend))
        if facts.get('network_backend') != m_host.get('network_backend') and joining:
            _add(problems, h, 'xen_backend', backend, 'network backend of %s is %s, of the master %s %s; xapi refuses the '
                 'join ("Network backends differ").' % (h, backend, master, m_host.get('network_backend')))
    why = _xapi.cloudstack_support(m_host.get('product_brand'), m_host.get('product_version'), s.get('cloudstack_version'))
    if why and m_host:
        _add(problems, master, 'xen_version', '%s %s' % (m_host.get('product_brand'), m_host.get('product_version')),
             'pool of %s: %s.' % (master, why))
    return problems
