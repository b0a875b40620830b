# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: whole-inventory preflight rules for CloudStack clusters.

Pure functions over plain data, so the rules are unit-tested without Ansible
and without hosts.  The ``cluster_preflight`` action plugin extracts the data
from ``groups``/``hostvars`` and calls :func:`validate_inventory` (before any
host is contacted) and :func:`validate_facts` (after a minimal fact probe).

Inventory model (every name a host variable, usually set in ``group_vars``):

``kvm_hosts``/``lxc_hosts``/``xenserver_hosts``/``vsphere_hosts``
    group membership decides the hypervisor; exactly one per host.
``cshv_zone``, ``cshv_pod``, ``cshv_cluster``
    where the host goes in CloudStack; a cluster is the triple.
``cshv_management_address`` / ``cshv_management_gateway``
    the host's management address in CIDR form and its gateway.
``cshv_bridge_type``
    ``linux`` or ``openvswitch`` (KVM/LXC).
``cshv_bridges``
    list of ``{name, vlan, ports, parent, trunks, stp, forward_delay, mtu}`` (KVM/LXC):
    a Linux bridge with ``vlan`` bridges ``<ports[0]>.<vlan>``; an openvswitch
    bridge with ``parent`` and ``vlan`` is a fake bridge of ``parent``.
``cshv_traffic_labels``
    CloudStack traffic type -> label (a bridge name on KVM/LXC).
``cshv_required_secrets``
    names of variables that must hold a real secret on that host.
``cshv_require_vt``
    whether hardware virtualisation must be present (default: KVM yes).
``cshv_guest_vlan_max``
    the highest VLAN id CloudStack will give guest/public networks on the host
    (default 4094); the agent names their bridges ``br<uplink>-<vlan>``.

Every problem is reported as a dict ``{host, check, value, msg}`` whose
``msg`` is a sentence naming the host and the bad value.  Secret values are
never put in a message, only the variable's name.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # pragma: no cover - netaddr is a controller requirement
    netaddr = None
    HAS_NETADDR = False

HYPERVISOR_GROUPS = OrderedDict([
    ('kvm_hosts', 'kvm'),
    ('lxc_hosts', 'lxc'),
    ('xenserver_hosts', 'xenserver'),
    ('vsphere_hosts', 'vsphere'),
])

# Install guide §2.4 / §6.6: KVM 16 hosts per cluster, XenServer 8 per pool,
# vSphere 8 per cluster.  LXC hosts are libvirt hosts like KVM ones.
CLUSTER_LIMITS = {'kvm': 16, 'lxc': 16, 'xenserver': 8, 'vsphere': 8}

# Hypervisors whose hosts carry Linux bridges named by the traffic labels.
BRIDGED = ('kvm', 'lxc')

TRAFFIC_TYPES = ('management', 'guest', 'public', 'storage')
BRIDGE_TYPES = ('linux', 'openvswitch')
BRIDGE_KEYS = ('name', 'vlan', 'ports', 'parent', 'trunks', 'stp', 'forward_delay', 'mtu')
IFNAMSIZ = 15
IFNAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
# The physical-interface name prefixes the CloudStack KVM agent recognises when it
# looks for a bridge's uplink (LibvirtComputingResource.ifNamePatterns /
# isInterface(), apache/cloudstack plugins/hypervisors/kvm/.../LibvirtComputingResource.java:
# the name must start with one of these).  A guest/public bridge whose uplink has
# another name leaves the agent unable to create guest VLAN bridges
# (apache/cloudstack#9777, #9905).
AGENT_PIF_RE = re.compile(r'^(eth|bond|vlan|vx|em|ens|eno|enp|team|enx|dummy|lo|p[0-9]+p[0-9]+)')
AGENT_PIF_PREFIXES = 'eth, bond, vlan, vx, em, ens, eno, enp, team, enx, dummy, lo, p<n>p<n>'
PLACEHOLDER_RE = re.compile(r'^\s*(changeme|change-me|change_me|todo|fixme|secret|password|xxx+|<.*>|\*+)\s*$', re.I)

# Variables the inventory stage reads from every hypervisor host.
MODEL_VARS = (
    'cshv_zone', 'cshv_pod', 'cshv_cluster',
    'cshv_management_address', 'cshv_management_gateway',
    'cshv_bridge_type', 'cshv_bridges', 'cshv_traffic_labels',
    'cshv_required_secrets', 'cshv_require_vt', 'cshv_guest_vlan_max',
    'ansible_host', 'ansible_port',
)


class Problems(object):
    """Collects problems in the order found, without duplicates."""

    def __init__(self):
        self.items = []
        self._seen = set()

    def add(self, host, check, value, msg):
        key = (host, check, msg)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append({'host': host, 'check': check, 'value': _printable(value), 'msg': msg})

    def __len__(self):
        return len(self.items)


def _printable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _q(value):
    """Quote a value for a message: strings in quotes, the rest as repr."""
    if value is None:
        return 'unset'
    if isinstance(value, str):
        return "'%s'" % value
    return repr(value)


def _cluster_name(key):
    return '/'.join(key)


# --------------------------------------------------------------------------
# small parsers (each returns (value, error_sentence_or_None))

VLAN_OUT_OF_RANGE = 'is outside 1-4094'


def parse_vlan(value):
    """A VLAN id 1-4094; None means untagged.  Strings of digits are accepted
    (INI inventories and ``-e`` give strings); booleans and anything else are not."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, 'is a boolean, not a VLAN id'
    if isinstance(value, str):
        # digits only: "200 " or " 200" is a typo somewhere, not VLAN 200
        if not re.match(r'^[0-9]+$', value):
            return None, 'is not a number'
        value = int(value)
    if not isinstance(value, int):
        return None, 'is not a number'
    if value < 1 or value > 4094:
        return None, VLAN_OUT_OF_RANGE
    return value, None


def check_ifname(name):
    """None when *name* is a usable Linux interface name, else why not."""
    if not isinstance(name, str) or not name:
        return 'is not a non-empty string'
    if len(name) > IFNAMSIZ:
        return 'is %d characters; Linux interface names are at most %d' % (len(name), IFNAMSIZ)
    if not IFNAME_RE.match(name):
        return 'contains characters not allowed in an interface name (use letters, digits, "_", "-", ".")'
    return None


def parse_cidr(value):
    """(IPNetwork, None) for 'address/prefix' with a host address, else (None, why)."""
    if not isinstance(value, str) or '/' not in value:
        return None, 'is not in address/prefix form'
    addr, _sep, prefix = value.partition('/')
    if not prefix.isdigit():
        return None, 'has a prefix length that is not a number'
    try:
        ip = netaddr.IPAddress(addr)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None, 'is not a valid IP address'
    if addr.count('.') != 3 and ip.version == 4:
        return None, 'is not a valid IP address'
    maxlen = 32 if ip.version == 4 else 128
    if int(prefix) < 1 or int(prefix) > maxlen:
        return None, 'has prefix length /%s outside 1-%d' % (prefix, maxlen)
    net = netaddr.IPNetwork(value)
    if ip.version == 4 and net.prefixlen <= 30:
        if ip == net.network:
            return None, 'is the network address of %s, not a host address' % net.cidr
        if ip == net.broadcast:
            return None, 'is the broadcast address of %s, not a host address' % net.cidr
    if ip.is_loopback() or ip.is_multicast() or ip == netaddr.IPAddress('0.0.0.0' if ip.version == 4 else '::'):
        return None, 'is not a unicast host address'
    return net, None


def parse_ip(value):
    if not isinstance(value, str) or not value:
        return None, 'is not an IP address'
    try:
        ip = netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None, 'is not a valid IP address'
    if ip.version == 4 and value.count('.') != 3:
        return None, 'is not a valid IP address'
    return ip, None


# --------------------------------------------------------------------------
# inventory stage

def hypervisor_of(groups, host):
    """The hypervisor groups *host* is in (normally exactly one)."""
    return [hv for grp, hv in HYPERVISOR_GROUPS.items() if host in (groups.get(grp) or [])]


def validate_inventory(groups, hostvars):
    """Check the inventory model of every hypervisor host.

    *groups*: group name -> list of host names (Ansible's ``groups``).
    *hostvars*: host name -> dict of the :data:`MODEL_VARS` that are defined
    (plus each secret named in ``cshv_required_secrets``).  A value that is an
    ``Exception`` means templating it failed.

    Returns ``(problems, clusters)``: a list of problem dicts and
    cluster name -> {'hypervisor', 'hosts'} for the clusters that were found.
    """
    if not HAS_NETADDR:
        raise RuntimeError('netaddr is required on the controller for cluster preflight')
    problems = Problems()
    hosts = []
    for grp in HYPERVISOR_GROUPS:
        for h in groups.get(grp) or []:
            if h not in hosts:
                hosts.append(h)

    # Hosts that claim a cluster but are in no hypervisor group.
    for h in sorted(hostvars):
        if h not in hosts and hostvars[h].get('cshv_cluster') not in (None, ''):
            problems.add(h, 'hypervisor', None,
                         '%s sets cshv_cluster %s but is in none of the groups %s.'
                         % (h, _q(hostvars[h].get('cshv_cluster')), ', '.join(HYPERVISOR_GROUPS)))

    hv_of = {}
    cluster_of = {}
    for h in hosts:
        vars_ = hostvars.get(h, {})
        for name, value in vars_.items():
            if isinstance(value, Exception):
                problems.add(h, 'template', name, 'variable %s of %s cannot be evaluated: %s' % (name, h, value))
        hvs = hypervisor_of(groups, h)
        if len(hvs) > 1:
            problems.add(h, 'hypervisor', ', '.join(hvs),
                         '%s is in more than one hypervisor group (%s); a host runs one hypervisor.'
                         % (h, ', '.join(g for g, t in HYPERVISOR_GROUPS.items() if t in hvs)))
        hv = hvs[0]
        hv_of[h] = hv
        key = _check_placement(problems, h, vars_)
        if key:
            cluster_of[h] = key
        _check_management(problems, h, vars_)
        if hv in BRIDGED:
            _check_bridges(problems, h, vars_)
            _check_agent_names(problems, h, vars_)
        _check_labels(problems, h, hv, vars_)
        _check_secrets(problems, h, vars_)
        if 'cshv_require_vt' in vars_ and not isinstance(vars_['cshv_require_vt'], bool):
            problems.add(h, 'vt', vars_['cshv_require_vt'],
                         'cshv_require_vt of %s is %s; use true or false.' % (h, _q(vars_['cshv_require_vt'])))

    _check_duplicates(problems, hosts, hostvars)

    clusters = OrderedDict()
    for h in hosts:
        if h in cluster_of:
            c = clusters.setdefault(_cluster_name(cluster_of[h]), {'key': list(cluster_of[h]), 'hosts': [], 'hypervisors': []})
            c['hosts'].append(h)
            if hv_of[h] not in c['hypervisors']:
                c['hypervisors'].append(hv_of[h])
    for name, c in clusters.items():
        _check_cluster(problems, name, c, hv_of, hostvars)
        c['hypervisor'] = c['hypervisors'][0]
        del c['hypervisors']
    if any(c['hypervisor'] == 'xenserver' for c in clusters.values()):  # XenServer pool rules (controller only)
        from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils import _xenserver_rules
        _xenserver_rules.inventory_problems(problems, clusters, hostvars)
    from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils import _vsphere_rules  # controller-only
    _vsphere_rules.check_inventory(problems, [h for h in hosts if hv_of[h] == 'vsphere'], hostvars, clusters)
    return problems.items, clusters


def _check_placement(problems, h, v):
    key = []
    for var in ('cshv_zone', 'cshv_pod', 'cshv_cluster'):
        value = v.get(var)
        if value is None or value == '':
            problems.add(h, 'placement', None,
                         '%s has no %s; put every host in a zone, pod and cluster group that sets it.' % (h, var))
            return None
        if isinstance(value, Exception):
            return None  # reported as a template problem
        if not isinstance(value, str) or '/' in value:
            problems.add(h, 'placement', value,
                         '%s of %s is %s; use a plain name without "/".' % (var, h, _q(value)))
            return None
        key.append(value)
    return tuple(key)


def _check_management(problems, h, v):
    addr = v.get('cshv_management_address')
    if addr is None or addr == '':
        problems.add(h, 'management', None, '%s has no cshv_management_address (address/prefix).' % h)
        return
    net, err = parse_cidr(addr)
    if err:
        problems.add(h, 'management', addr, 'cshv_management_address %s of %s %s.' % (_q(addr), h, err))
        return
    gw = v.get('cshv_management_gateway')
    if gw is None or gw == '':
        problems.add(h, 'management', None, '%s has no cshv_management_gateway.' % h)
        return
    ip, err = parse_ip(gw)
    if err:
        problems.add(h, 'management', gw, 'cshv_management_gateway %s of %s %s.' % (_q(gw), h, err))
        return
    if ip.version != net.version or ip not in net:
        problems.add(h, 'management', gw, 'cshv_management_gateway %s of %s is outside its management network %s.'
                     % (_q(gw), h, net.cidr))
    elif ip == net.ip:
        problems.add(h, 'management', gw, 'cshv_management_gateway %s of %s is the host\'s own address.' % (_q(gw), h))
    elif net.version == 4 and net.prefixlen <= 30 and ip in (net.network, net.broadcast):
        problems.add(h, 'management', gw, 'cshv_management_gateway %s of %s is the network or broadcast address of %s.'
                     % (_q(gw), h, net.cidr))


def _check_bridges(problems, h, v):
    btype = v.get('cshv_bridge_type', 'linux')
    if btype not in BRIDGE_TYPES:
        problems.add(h, 'bridges', btype, 'cshv_bridge_type of %s is %s; use one of %s.'
                     % (h, _q(btype), ', '.join(BRIDGE_TYPES)))
        return
    bridges = v.get('cshv_bridges')
    if not isinstance(bridges, list) or not bridges:
        problems.add(h, 'bridges', bridges, '%s has no cshv_bridges list (the bridges named by the traffic labels).' % h)
        return
    names = {}
    for i, br in enumerate(bridges):
        if not isinstance(br, dict) or 'name' not in br:
            problems.add(h, 'bridges', br, 'cshv_bridges[%d] of %s is %s; each bridge needs at least a name.' % (i, h, _q(br)))
            continue
        name = br['name']
        err = check_ifname(name)
        if err:
            problems.add(h, 'bridges', name, 'bridge name %s on %s %s.' % (_q(name), h, err))
            continue
        unknown = sorted(set(br) - set(BRIDGE_KEYS))
        if unknown:
            problems.add(h, 'bridges', unknown[0], 'bridge %s on %s has unknown key(s) %s; allowed: %s.'
                         % (name, h, ', '.join(unknown), ', '.join(BRIDGE_KEYS)))
        if name in names:
            problems.add(h, 'bridges', name, 'bridge %s is defined twice on %s.' % (name, h))
            continue
        vlan, err = parse_vlan(br.get('vlan'))
        if err:
            problems.add(h, 'vlan', br.get('vlan'), 'VLAN id %s of bridge %s on %s %s.' % (_q(br.get('vlan')), name, h, err))
            vlan = False
        ports = br.get('ports', [])
        if isinstance(ports, str):
            ports = [ports]
        if not isinstance(ports, list):
            problems.add(h, 'bridges', ports, 'ports of bridge %s on %s is %s; use a list of interface names.' % (name, h, _q(ports)))
            ports = []
        for p in ports:
            err = check_ifname(p)
            if err:
                problems.add(h, 'bridges', p, 'port %s of bridge %s on %s %s.' % (_q(p), name, h, err))
        trunks = []
        for t in br.get('trunks') or []:
            # 0 in an OVS trunk list keeps the port's untagged (native) traffic.
            tv, err = (0, None) if t == 0 or t == '0' else parse_vlan(t)
            if err:
                problems.add(h, 'vlan', t, 'trunk VLAN id %s of bridge %s on %s %s.' % (_q(t), name, h, err))
            else:
                trunks.append(tv)
        mtu = br.get('mtu')
        if mtu is not None and (isinstance(mtu, bool) or not isinstance(mtu, int) or not 68 <= mtu <= 65535):
            problems.add(h, 'bridges', mtu, 'MTU %s of bridge %s on %s is not a number from 68 to 65535.' % (_q(mtu), name, h))
        names[name] = {'vlan': vlan, 'ports': ports, 'parent': br.get('parent'), 'trunks': trunks,
                       'has_trunks': 'trunks' in br}

    used_ports = {}
    used_tags = {}
    for name, br in names.items():
        vlan = br['vlan']
        if vlan is False:
            continue  # already reported; the rest would only repeat it
        if btype == 'linux':
            if br['parent'] is not None:
                problems.add(h, 'bridges', br['parent'], 'bridge %s on %s has parent %s, but parents are only for '
                             'openvswitch fake bridges (cshv_bridge_type is linux).' % (name, h, _q(br['parent'])))
            if br['has_trunks']:
                problems.add(h, 'bridges', name, 'bridge %s on %s sets trunks, which only openvswitch bridges use.' % (name, h))
            if vlan:
                if len(br['ports']) != 1:
                    problems.add(h, 'bridges', br['ports'], 'VLAN bridge %s on %s needs exactly one port (the uplink '
                                 'that carries VLAN %d), not %s.' % (name, h, vlan, _q(br['ports'])))
                    continue
                sub = '%s.%d' % (br['ports'][0], vlan)
                err = check_ifname(sub)
                if err:
                    problems.add(h, 'bridges', sub, 'VLAN interface %s for bridge %s on %s %s.' % (_q(sub), name, h, err))
                tag = (br['ports'][0], vlan)
                if tag in used_tags:
                    problems.add(h, 'vlan', vlan, 'VLAN %d on %s is used by both bridge %s and bridge %s on %s.'
                                 % (vlan, br['ports'][0], used_tags[tag], name, h))
                used_tags[tag] = name
            else:
                for p in br['ports']:
                    if p in used_ports:
                        problems.add(h, 'bridges', p, 'port %s is in both bridge %s and bridge %s on %s.'
                                     % (p, used_ports[p], name, h))
                    used_ports[p] = name
        else:
            parent = br['parent']
            if vlan and parent is None:
                problems.add(h, 'bridges', name, 'openvswitch bridge %s on %s has VLAN %d but no parent; a tagged '
                             'bridge is a fake bridge of a parent bridge.' % (name, h, vlan))
            elif parent is not None and not vlan:
                problems.add(h, 'bridges', name, 'openvswitch fake bridge %s on %s has parent %s but no vlan.'
                             % (name, h, _q(parent)))
            elif parent is not None:
                if br['ports']:
                    problems.add(h, 'bridges', br['ports'], 'fake bridge %s on %s lists ports %s; ports belong on '
                                 'its parent %s.' % (name, h, _q(br['ports']), parent))
                if parent not in names:
                    problems.add(h, 'bridges', parent, 'parent %s of fake bridge %s on %s is not in cshv_bridges.'
                                 % (_q(parent), name, h))
                elif names[parent]['parent'] is not None:
                    problems.add(h, 'bridges', parent, 'parent %s of fake bridge %s on %s is itself a fake bridge.'
                                 % (_q(parent), name, h))
                else:
                    ptrunks = names[parent]['trunks']
                    if names[parent]['has_trunks'] and vlan not in ptrunks:
                        problems.add(h, 'vlan', vlan, 'VLAN %d of fake bridge %s on %s is not in the trunks %s of '
                                     'its parent %s.' % (vlan, name, h, ptrunks, parent))
                    tag = (parent, vlan)
                    if tag in used_tags:
                        problems.add(h, 'vlan', vlan, 'VLAN %d on %s is used by both fake bridge %s and %s on %s.'
                                     % (vlan, parent, used_tags[tag], name, h))
                    used_tags[tag] = name
            for p in br['ports']:
                if p in used_ports:
                    problems.add(h, 'bridges', p, 'port %s is in both bridge %s and bridge %s on %s.'
                                 % (p, used_ports[p], name, h))
                used_ports[p] = name
    for name in names:
        if name in used_ports:
            problems.add(h, 'bridges', name, 'bridge %s on %s is listed as a port of bridge %s.' % (name, h, used_ports[name]))


def _check_agent_names(problems, h, v):
    """Names the CloudStack agent builds or recognises on guest/public Linux bridges.

    The agent finds a bridge's physical uplink by name prefix (:data:`AGENT_PIF_RE`;
    for a VLAN bridge, the device under ``<port>.<vlan>``) and names the bridges
    of guest VLANs ``br<uplink>-<vlan>`` (BridgeVifDriver), which must fit in 15
    characters for every VLAN up to ``cshv_guest_vlan_max``.  Management-only
    and storage-only bridges are not used that way and are not checked.  Open
    vSwitch bridges are not checked: the OVS driver tags the guest's port on the
    bridge instead of building per-VLAN bridges.
    """
    if v.get('cshv_bridge_type', 'linux') != 'linux':
        return
    labels = v.get('cshv_traffic_labels')
    bridges = v.get('cshv_bridges')
    if not isinstance(labels, dict) or not isinstance(bridges, list):
        return
    guest = labels.get('guest') or labels.get('management')
    public = labels.get('public') or guest
    carried = {}
    for traffic, label in (('guest', guest), ('public', public)):
        if isinstance(label, str) and label:
            carried.setdefault(label, []).append(traffic)
    vmax = v.get('cshv_guest_vlan_max', 4094)
    if isinstance(vmax, bool) or not isinstance(vmax, int) or not 1 <= vmax <= 4094:
        problems.add(h, 'agent', vmax, 'cshv_guest_vlan_max of %s is %s; use a VLAN id 1-4094.' % (h, _q(vmax)))
        return
    for br in bridges:
        if not isinstance(br, dict) or br.get('name') not in carried:
            continue
        name = br['name']
        traffic = ' and '.join(carried[name])
        ports = br.get('ports') or []
        ports = [ports] if isinstance(ports, str) else ports
        ports = [p for p in ports if isinstance(p, str) and p] if isinstance(ports, list) else []
        if not ports:
            continue
        usable = [p for p in ports if AGENT_PIF_RE.match(p)]
        if not usable:
            problems.add(h, 'agent', ports[0], 'bridge %s on %s carries %s traffic, but its port %s is not a name the '
                         'CloudStack agent takes for a physical NIC (it must start with %s): the agent could not '
                         'create guest VLAN bridges on it. Rename the NIC (udev/systemd .link) or bond it.'
                         % (name, h, traffic, ', '.join(_q(p) for p in ports), AGENT_PIF_PREFIXES))
            continue
        for p in usable:
            derived = 'br%s-%d' % (p, vmax)
            if len(derived) > IFNAMSIZ:
                args = (name, h, traffic, _q(p), derived, vmax, len(derived), IFNAMSIZ)
                problems.add(h, 'agent', p, 'bridge %s on %s carries %s traffic through port %s; the agent names '
                             'its VLAN bridges br<port>-<vlan>, and %s (VLAN %d) would be %d characters, over the '
                             "kernel's %d. Use a shorter NIC name or set cshv_guest_vlan_max to the highest VLAN "
                             'id CloudStack will use here.' % args)


def _check_labels(problems, h, hv, v):
    labels = v.get('cshv_traffic_labels')
    if not isinstance(labels, dict) or not labels:
        problems.add(h, 'labels', labels, '%s has no cshv_traffic_labels mapping (traffic type -> label).' % h)
        return
    for t, label in labels.items():
        if t not in TRAFFIC_TYPES:
            problems.add(h, 'labels', t, 'traffic type %s in cshv_traffic_labels of %s is not one of %s.'
                         % (_q(t), h, ', '.join(TRAFFIC_TYPES)))
            continue
        if not isinstance(label, str) or not label:
            problems.add(h, 'labels', label, 'traffic label for %s on %s is %s; use a non-empty name.' % (t, h, _q(label)))
            continue
        if hv in BRIDGED:
            bridges = v.get('cshv_bridges')
            names = [b.get('name') for b in bridges if isinstance(b, dict)] if isinstance(bridges, list) else []
            if names and label not in names:
                problems.add(h, 'labels', label, 'traffic label %s for %s on %s names no bridge in cshv_bridges (%s).'
                             % (_q(label), t, h, ', '.join(str(n) for n in names)))
    if hv in BRIDGED and 'management' not in labels:
        problems.add(h, 'labels', None, 'cshv_traffic_labels of %s has no management label.' % h)


def _check_secrets(problems, h, v):
    names = v.get('cshv_required_secrets', [])
    if names is None:
        return
    if not isinstance(names, list):
        problems.add(h, 'secrets', names, 'cshv_required_secrets of %s is %s; use a list of variable names.' % (h, _q(names)))
        return
    secrets = v.get('__secrets', {})
    for name in names:
        if name not in secrets:
            problems.add(h, 'secrets', name, 'required secret %s is not defined for %s.' % (name, h))
            continue
        value = secrets[name]
        if isinstance(value, Exception):
            problems.add(h, 'secrets', name, 'required secret %s for %s cannot be evaluated (%s).' % (name, h, type(value).__name__))
        elif not isinstance(value, str) or not value.strip():
            problems.add(h, 'secrets', name, 'required secret %s for %s is empty or not a string.' % (name, h))
        elif PLACEHOLDER_RE.match(value):
            problems.add(h, 'secrets', name, 'required secret %s for %s still holds a placeholder value.' % (name, h))


def _check_duplicates(problems, hosts, hostvars):
    seen_ip = {}
    seen_conn = {}
    for h in hosts:
        v = hostvars.get(h, {})
        net, err = parse_cidr(v.get('cshv_management_address')) if v.get('cshv_management_address') else (None, 'x')
        if not err:
            ip = str(net.ip)
            if ip in seen_ip:
                problems.add(h, 'duplicate', ip, 'management address %s of %s is also the management address of %s.'
                             % (ip, h, seen_ip[ip]))
            else:
                seen_ip[ip] = h
        ah = v.get('ansible_host')
        if isinstance(ah, str) and ah:
            conn = (ah, str(v.get('ansible_port', 22)))
            if conn in seen_conn:
                problems.add(h, 'duplicate', ah, 'ansible_host %s (port %s) of %s is also used by %s.'
                             % (ah, conn[1], h, seen_conn[conn]))
            else:
                seen_conn[conn] = h
    for h in hosts:
        gw = hostvars.get(h, {}).get('cshv_management_gateway')
        if isinstance(gw, str):
            ip, err = parse_ip(gw)
            if not err and str(ip) in seen_ip and seen_ip[str(ip)] != h:
                problems.add(h, 'duplicate', gw, 'cshv_management_gateway %s of %s is the management address of %s.'
                             % (_q(gw), h, seen_ip[str(ip)]))


def _majority(values):
    """The most common value (first seen wins a tie) — the cluster's reference."""
    counts = Counter(values.values())
    best = max(counts.values())
    for h in values:
        if counts[values[h]] == best:
            return values[h], h
    return None, None  # pragma: no cover


def _check_cluster(problems, name, c, hv_of, hostvars):
    hosts = c['hosts']
    if len(c['hypervisors']) > 1:
        by = OrderedDict()
        for h in hosts:
            by.setdefault(hv_of[h], []).append(h)
        desc = '; '.join('%s: %s' % (t, ', '.join(hs)) for t, hs in by.items())
        major = max(by, key=lambda t: len(by[t]))
        for h in hosts:
            if hv_of[h] != major:
                problems.add(h, 'hypervisor', hv_of[h], 'cluster %s mixes hypervisor types (%s): %s is a %s host; a '
                             'cluster has one hypervisor type.' % (name, desc, h, hv_of[h]))
        return
    hv = c['hypervisors'][0]
    limit = CLUSTER_LIMITS[hv]
    if len(hosts) > limit and hv != 'xenserver':  # xenserver: configurable, _xenserver_rules
        for h in hosts[limit:]:
            problems.add(h, 'size', len(hosts), 'cluster %s has %d %s hosts; CloudStack supports at most %d per '
                         'cluster (%s is host number %d).' % (name, len(hosts), hv, limit, h, hosts.index(h) + 1))
    # Homogeneous network: traffic labels, bridge type, and the VLAN behind each bridge.
    _check_same(problems, name, hosts, 'labels', 'traffic labels',
                {h: _canon(hostvars[h].get('cshv_traffic_labels')) for h in hosts}, _label_diff)
    if hv in BRIDGED:
        _check_same(problems, name, hosts, 'bridges', 'cshv_bridge_type',
                    {h: hostvars[h].get('cshv_bridge_type', 'linux') for h in hosts}, None)
        _check_same(problems, name, hosts, 'vlan', 'bridge VLANs',
                    {h: _bridge_vlans(hostvars[h].get('cshv_bridges')) for h in hosts}, _vlan_diff)


def _canon(value):
    """A hashable, order-stable form of an inventory value (dicts sorted by key)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canon(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_canon(v) for v in value)
    return value


def _bridge_vlans(bridges):
    out = []
    if isinstance(bridges, list):
        for b in bridges:
            if isinstance(b, dict) and isinstance(b.get('name'), str):
                vlan, err = parse_vlan(b.get('vlan'))
                out.append((b['name'], vlan if not err else b.get('vlan')))
    return tuple(sorted(out, key=lambda x: x[0]))


def _label_diff(ref, value, ref_host):
    ref, value = dict(ref or ()), dict(value or ())
    parts = []
    for t in sorted(set(ref) | set(value)):
        if ref.get(t) != value.get(t):
            parts.append('%s=%s (%s: %s)' % (t, _q(value.get(t)), ref_host, _q(ref.get(t))))
    return ', '.join(parts)


def _vlan_diff(ref, value, ref_host):
    ref, value = dict(ref or ()), dict(value or ())
    parts = []
    for b in sorted(set(ref) | set(value)):
        if b not in value:
            parts.append('no bridge %s (%s has it)' % (b, ref_host))
        elif b not in ref:
            parts.append('extra bridge %s' % b)
        elif ref[b] != value[b]:
            parts.append('bridge %s on VLAN %s (%s: %s)' % (b, _vlan_txt(value[b]), ref_host, _vlan_txt(ref[b])))
    return ', '.join(parts)


def _vlan_txt(v):
    return 'untagged' if v is None else str(v)


def _check_same(problems, cluster, hosts, check, what, values, diff):
    if len(hosts) < 2:
        return
    ref, ref_host = _majority(values)
    for h in hosts:
        if values[h] != ref:
            detail = diff(ref, values[h], ref_host) if diff else '%s (%s: %s)' % (_q(values[h]), ref_host, _q(ref))
            problems.add(h, check, detail if diff else _printable(values[h]),
                         'cluster %s is not homogeneous: mismatch in %s between %s and %s: %s.' % (cluster, what, h, ref_host, detail))


# --------------------------------------------------------------------------
# facts stage

def parse_cpuinfo(text):
    """(model, frozenset(flags), count) from /proc/cpuinfo text (x86 and arm64)."""
    model = None
    flags = set()
    count = 0
    for line in (text or '').splitlines():
        key, sep, value = line.partition(':')
        if not sep:
            continue
        key = key.strip().lower()
        value = value.strip()
        if key == 'processor':
            count += 1
        elif key in ('model name', 'cpu model') and model is None:
            model = value
        elif key in ('flags', 'features') and not flags:
            flags = set(value.split())
        elif key == 'cpu part' and model is None:
            model = 'cpu part %s' % value
    return model, frozenset(flags), count


def validate_facts(probes, clusters, require_vt=None, hypervisors=None):
    """Homogeneity and VT checks from a minimal probe of each host.

    *probes*: host -> {'distribution', 'distribution_version', 'cpuinfo', 'dev_kvm'}
    (hosts that were not probed are skipped).  *clusters*: cluster name ->
    list of hosts.  *require_vt*: host -> bool (default: True for KVM hosts,
    False otherwise, see *hypervisors* host -> type).
    """
    problems = Problems()
    require_vt = require_vt or {}
    hypervisors = hypervisors or {}
    cpus = {}
    for h, p in probes.items():
        cpus[h] = parse_cpuinfo(p.get('cpuinfo'))
        model, flags, count = cpus[h]
        needs = require_vt.get(h)
        if needs is None:
            needs = hypervisors.get(h) == 'kvm'
        if needs and not (flags & {'vmx', 'svm'}) and not p.get('dev_kvm'):
            problems.add(h, 'vt', model, '%s has no hardware virtualisation: CPU %s shows neither vmx nor svm and '
                         '/dev/kvm is missing (enable VT-x/AMD-V, or set cshv_require_vt: false for a test host).'
                         % (h, _q(model)))
    for name, hosts in clusters.items():
        present = [h for h in hosts if h in probes]
        if len(present) < 2:
            continue
        distro = {h: '%s %s' % (probes[h].get('distribution'), probes[h].get('distribution_version')) for h in present}
        _check_same(problems, name, present, 'distro', 'distribution and version', distro, None)
        _check_same(problems, name, present, 'cpu', 'CPU model', {h: cpus[h][0] for h in present}, None)
        _check_same(problems, name, present, 'cpu', 'CPU count', {h: cpus[h][2] for h in present}, None)
        _check_same(problems, name, present, 'cpu', 'CPU flags', {h: cpus[h][1] for h in present}, _flag_diff)
    return problems.items


def _flag_diff(ref, value, ref_host):
    missing = sorted(ref - value)
    extra = sorted(value - ref)
    parts = []
    if missing:
        parts.append('lacks %s' % ' '.join(missing))
    if extra:
        parts.append('has extra %s' % ' '.join(extra))
    if parts:
        parts[0] = parts[0] + ' (against %s)' % ref_host
    return '; '.join(parts)


def format_problems(problems):
    """One line per problem, for the task's msg."""
    lines = ['Preflight found %d problem(s); nothing was changed:' % len(problems)]
    for p in problems:
        lines.append('- [%s] %s' % (p['check'], p['msg']))
    return '\n'.join(lines)
