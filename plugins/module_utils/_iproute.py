# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: read and plan Linux link/address/route state with iproute2.

Reads come from ``ip -j -d link show``, ``ip -j addr show``, ``ip -j route
show default``, ``bridge -j link show`` and ``/sys/class/net/<br>/bridge``;
changes are planned as argv lists for :meth:`Runner.run_plan`, so check mode
returns exactly what a real run executes.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:
    HAS_NETADDR = False

SYS_CLASS_NET = '/sys/class/net'
PROC_NET_VLAN = '/proc/net/vlan'
IFNAMSIZ = 15


# --------------------------------------------------------------------------
# validation (shared by cs_bridge and ovs_fakebridge)
# --------------------------------------------------------------------------
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.\-]*$')


def check_ifname(module, name, what):
    if not name or len(name) > IFNAMSIZ or not NAME_RE.match(name):
        module.fail_json(msg='%s "%s" is not a valid interface name: use 1 to %d letters, digits, "_", "." or "-", '
                             'starting with a letter or digit.' % (what, name, IFNAMSIZ))


def check_vlan(module, vlan, where):
    if isinstance(vlan, bool) or not re.match(r'^\d+$', str(vlan).strip()) or not 1 <= int(vlan) <= 4094:
        module.fail_json(msg='VLAN "%s" of %s is not an integer from 1 to 4094.' % (vlan, where))
    return int(vlan)


DOTTED = re.compile(r'^\d{1,3}(\.\d{1,3}){3}$')


def parse_ipv4(text):
    """An IPv4 address as a string, validated with netaddr (stdlib ipaddress without it); ValueError if bad."""
    text = (text or '').strip()
    if not DOTTED.match(text):
        raise ValueError(text)
    if HAS_NETADDR:
        try:
            return str(netaddr.IPAddress(text, 4))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise ValueError(text)
    return str(ipaddress.IPv4Address(text))


def parse_ipv4_interface(text):
    """``(address, prefixlen, network_cidr, is_network_or_broadcast)``; ValueError if bad."""
    addr, sep, prefix = (text or '').strip().partition('/')
    if not sep or not re.match(r'^\d{1,2}$', prefix) or not 0 <= int(prefix) <= 32:
        raise ValueError(text)
    addr = parse_ipv4(addr)
    if HAS_NETADDR:
        net = netaddr.IPNetwork('%s/%s' % (addr, prefix))
        edge = net.prefixlen < 31 and net.ip in (net.network, net.broadcast)
        return str(net.ip), net.prefixlen, str(net.cidr), edge
    iface = ipaddress.IPv4Interface('%s/%s' % (addr, prefix))
    net = iface.network
    edge = net.prefixlen < 31 and iface.ip in (net.network_address, net.broadcast_address)
    return str(iface.ip), net.prefixlen, str(net), edge


def in_network(ip, cidr):
    if HAS_NETADDR:
        return netaddr.IPAddress(ip) in netaddr.IPNetwork(cidr)
    return ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(cidr)


def check_address(module, p):
    """Validate ipv4/gateway/dns; returns (cidr or 'dhcp' or None, gateway)."""
    ipv4, gateway = p['ipv4'], p['gateway']
    if ipv4 is not None and ipv4.strip().lower() in ('', 'none'):
        ipv4 = None
    if ipv4 is not None and ipv4.strip().lower() == 'dhcp':
        if gateway:
            module.fail_json(msg='gateway %s cannot be combined with ipv4: dhcp (DHCP provides the gateway).' % gateway)
        ipv4 = 'dhcp'
    elif ipv4 is not None:
        if '/' not in ipv4:
            module.fail_json(msg='ipv4 "%s" needs a prefix length, for example 10.99.200.11/24.' % ipv4)
        try:
            ip, prefixlen, cidr, edge = parse_ipv4_interface(ipv4)
        except ValueError:
            module.fail_json(msg='ipv4 "%s" is not an IPv4 address with a prefix length (address/prefix).' % ipv4)
        if edge:
            module.fail_json(msg='ipv4 "%s" is the network or broadcast address of its subnet, not a host address.' % ipv4)
        ipv4 = '%s/%d' % (ip, prefixlen)
        if gateway:
            try:
                gw = parse_ipv4(gateway)
            except ValueError:
                module.fail_json(msg='gateway "%s" is not an IPv4 address.' % gateway)
            if not in_network(gw, cidr) or gw == ip:
                module.fail_json(msg='gateway %s is outside the subnet %s of ipv4 %s (or is the address itself).'
                                     % (gateway, cidr, ipv4))
            gateway = gw
    elif gateway:
        module.fail_json(msg='gateway %s needs a static ipv4 address on the bridge.' % gateway)
    for server in p['dns']:
        try:
            parse_ipv4(server)
        except ValueError:
            module.fail_json(msg='dns server "%s" is not an IPv4 address.' % server)
    return ipv4, gateway


def _json(runner, argv, what):
    rc, out, err = runner.query(argv)
    if rc != 0:
        runner.module.fail_json(msg='Cannot read %s: "%s" failed: %s' % (what, ' '.join(argv), (err or out).strip()),
                                rc=rc, stdout=out, stderr=err, cmd=argv)
    try:
        return json.loads(out or '[]')
    except ValueError as e:
        runner.module.fail_json(msg='Cannot parse the JSON output of "%s": %s' % (' '.join(argv), e))


def vlan_ifname(device, vlan):
    """The conventional name of VLAN *vlan* on *device* (``eth0.200``)."""
    return '%s.%d' % (device, int(vlan))


class LinkState(object):
    """A snapshot of links, IPv4 addresses and default routes of one host."""

    def __init__(self, runner, sys_root=None):
        self.runner = runner
        self.sys_root = sys_root or SYS_CLASS_NET
        self.links = {}
        self.addrs = {}
        self.defaults = []
        self.refresh()

    def refresh(self):
        self.links = {}
        for ent in _json(self.runner, ['ip', '-j', '-d', 'link', 'show'], 'the links'):
            info = ent.get('linkinfo') or {}
            data = info.get('info_data') or {}
            self.links[ent['ifname']] = {
                'kind': info.get('info_kind'),
                'master': ent.get('master'),
                'mtu': ent.get('mtu'),
                'up': 'UP' in (ent.get('flags') or []),
                'parent': ent.get('link'),
                'vlan_id': data.get('id') if info.get('info_kind') == 'vlan' else None,
                'stp_state': data.get('stp_state'),
                'forward_delay': data.get('forward_delay'),
            }
        self.addrs = {}
        for ent in _json(self.runner, ['ip', '-j', '-4', 'addr', 'show'], 'the IPv4 addresses'):
            self.addrs[ent['ifname']] = [
                {'cidr': '%s/%s' % (a['local'], a['prefixlen']), 'dynamic': bool(a.get('dynamic'))}
                for a in ent.get('addr_info') or []
                if a.get('family') == 'inet' and a.get('scope') == 'global']
        self.defaults = [r for r in _json(self.runner, ['ip', '-j', '-4', 'route', 'show', 'default'], 'the default route')
                         if r.get('dst') == 'default']

    # -- reads -----------------------------------------------------------
    def exists(self, name):
        return name in self.links

    def kind(self, name):
        return (self.links.get(name) or {}).get('kind')

    def master(self, name):
        return (self.links.get(name) or {}).get('master')

    def cidrs(self, name):
        return [a['cidr'] for a in self.addrs.get(name, [])]

    def holder_of(self, ip):
        """The device that has IPv4 address *ip* (no prefix), or None."""
        for dev, addrs in self.addrs.items():
            for a in addrs:
                if a['cidr'].split('/')[0] == ip:
                    return dev
        return None

    def default_devs(self):
        return sorted(set(r.get('dev') for r in self.defaults if r.get('dev')))

    def default_gateway(self, dev=None):
        for r in self.defaults:
            if dev is None or r.get('dev') == dev:
                return r.get('gateway')
        return None

    def ports_of(self, bridge):
        """Ports enslaved to *bridge*, as ``bridge -j link show`` lists them."""
        ports = []
        for ent in _json(self.runner, ['bridge', '-j', 'link', 'show'], 'the bridge ports'):
            if ent.get('master') == bridge and ent.get('ifname') != bridge:
                ports.append(ent['ifname'])
        return sorted(set(ports))

    def bridge_settings(self, bridge):
        """``{'stp': bool, 'forward_delay': seconds}`` from sysfs (``ip -d`` as fallback)."""
        base = os.path.join(self.sys_root, bridge, 'bridge')
        link = self.links.get(bridge) or {}
        stp, fd = link.get('stp_state'), link.get('forward_delay')
        try:
            with open(os.path.join(base, 'stp_state')) as f:
                stp = int(f.read().strip())
            with open(os.path.join(base, 'forward_delay')) as f:
                fd = int(f.read().strip())
        except (IOError, OSError, ValueError):
            pass
        return {'stp': bool(stp), 'forward_delay': int(round((fd or 0) / 100.0))}


def vlan_supported(runner, check_mode):
    """True when the kernel can make 802.1Q sub-interfaces (loads 8021q outside check mode)."""
    if os.path.isdir(PROC_NET_VLAN):
        return True
    if not runner.has('modprobe'):
        return False
    if check_mode:
        rc, out, dummy = runner.query(['modprobe', '-n', '-q', '8021q'])
        return rc == 0
    rc, dummy, dummy = runner.query(['modprobe', '-q', '8021q'])
    return rc == 0 and os.path.isdir(PROC_NET_VLAN)


def plan_address(dev, want_cidr, have_cidrs, gateway=None, have_gateway=None, unknown=False):
    """Commands that leave *dev* with exactly *want_cidr* (or none) and the default route.

    *want_cidr* ``None`` removes every global IPv4 address; ``'dhcp'`` leaves
    addresses to the DHCP client (nothing planned here).  *unknown*: the device
    is recreated by earlier commands and may or may not keep its addresses
    (an OVS internal port recreated in one transaction keeps them), so the
    address is set with ``ip addr replace``, which works either way.
    """
    plan = []
    if want_cidr == 'dhcp':
        return plan
    for cidr in have_cidrs:
        if cidr != want_cidr:
            plan.append(['ip', 'addr', 'del', cidr, 'dev', dev])
    if want_cidr and want_cidr not in have_cidrs:
        plan.append(['ip', 'addr', 'replace' if unknown else 'add', want_cidr, 'dev', dev])
    if gateway and (have_gateway != gateway or plan):
        plan.append(['ip', 'route', 'replace', 'default', 'via', gateway, 'dev', dev])
    return plan


def restore_plan(snapshot, now):
    """Commands that bring links/addresses/default route from *now* back to *snapshot*.

    Both are dicts made by :func:`snapshot_of`.  Used by the rollback timer.
    """
    plan = []
    before_links, now_links = snapshot['links'], now['links']
    # links created by the change go away first (a new bridge releases its ports)
    for name in sorted(now_links):
        if name not in before_links and name in snapshot['watch']:
            plan.append(['ip', 'link', 'del', 'dev', name])
    for name in sorted(snapshot['watch']):
        b, n = before_links.get(name), now_links.get(name)
        if b is None or n is None:
            continue
        if b['master'] != n['master']:
            plan.append(['ip', 'link', 'set', 'dev', name, 'nomaster'] if not b['master']
                        else ['ip', 'link', 'set', 'dev', name, 'master', b['master']])
        if b['kind'] == 'bridge' and (b['stp_state'], b['forward_delay']) != (n['stp_state'], n['forward_delay']):
            plan.append(['ip', 'link', 'set', 'dev', name, 'type', 'bridge',
                         'stp_state', str(b['stp_state'] or 0), 'forward_delay', str(b['forward_delay'] or 0)])
        if b['mtu'] and b['mtu'] != n['mtu']:
            plan.append(['ip', 'link', 'set', 'dev', name, 'mtu', str(b['mtu'])])
        if b['up'] and not n['up']:
            plan.append(['ip', 'link', 'set', 'dev', name, 'up'])
    for name in sorted(snapshot['watch']):
        if name not in before_links:
            continue
        have = now['addrs'].get(name, []) if name in now_links else []
        want = snapshot['addrs'].get(name, [])
        for cidr in have:
            if cidr not in want:
                plan.append(['ip', 'addr', 'del', cidr, 'dev', name])
        for cidr in want:
            if cidr not in have:
                plan.append(['ip', 'addr', 'add', cidr, 'dev', name])
    now_routes = [(r.get('gateway'), r.get('dev')) for r in now['defaults']]
    for r in snapshot['defaults']:
        if r.get('gateway') and (r.get('gateway'), r.get('dev')) not in now_routes:
            plan.append(['ip', 'route', 'replace', 'default', 'via', r['gateway'], 'dev', r['dev']])
    return plan


def snapshot_of(state, watch):
    """A JSON-able picture of *watch* devices plus the default routes."""
    return {
        'watch': sorted(set(watch)),
        'links': dict((n, state.links[n]) for n in watch if n in state.links),
        'addrs': dict((n, state.cidrs(n)) for n in watch if n in state.links),
        'defaults': [dict(gateway=r.get('gateway'), dev=r.get('dev')) for r in state.defaults],
    }
