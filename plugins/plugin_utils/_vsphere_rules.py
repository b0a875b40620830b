# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private, controller-only: the whole-inventory rules for vSphere clusters.

Called from ``_cluster.validate_inventory`` (one hook) for the hosts of
``vsphere_hosts``, and from the ``vsphere`` filters (the role and the
read-only vCenter version step of the preflight play).  Pure functions over
plain data; every problem names the host and the value, never a secret.

Inventory model of a vSphere host (the inventory host is the ESXi host, its
name the name vCenter knows it by), on top of the common ``cshv_*`` variables:

``cshv_vcenter_hostname``, ``cshv_vcenter_username``, ``cshv_vcenter_password``
    the vCenter the cluster belongs to (port and certificate checking are role variables).
``cshv_vsphere_datacenter``
    the vCenter datacenter (default: ``cshv_zone``).
``cshv_esxi_username``, ``cshv_esxi_password``, ``cshv_esxi_ssl_thumbprint``
    what vCenter's AddHost needs; the SHA-1 (or SHA-256) thumbprint of the host's certificate is required.
``cshv_vsphere_vswitches``
    ``[{name, nics, mtu, ports}]`` standard vSwitches, named the same on every host of a cluster.
``cshv_vsphere_portgroups``
    ``[{name, vswitch, vlan, service}]`` vMotion (``service: vmotion``) and storage
    (``service: storage``) port groups only; CloudStack makes its own ``cloud.*`` ones.
``cshv_vsphere_vmkernel_addresses``
    port group name -> ``address/prefix`` of this host's vmkernel NIC on it.
``cshv_vsphere_management_portgroup``, ``cshv_vsphere_management_vlan``
    the management port group (``vmware.management.portgroup``) and its VLAN (0: untagged).
``cshv_traffic_labels``
    traffic type -> CloudStack vSphere label ``name[,vlan][,vmwaresvs|vmwaredvs|nexusdvs]``.
``cshv_cloudstack_version``
    the CloudStack release the zone runs (decides the supported vCenter versions).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster

MODEL_VARS = (
    'cshv_vcenter_hostname', 'cshv_vcenter_username', 'cshv_vcenter_password',
    'cshv_vsphere_datacenter',
    'cshv_esxi_username', 'cshv_esxi_password', 'cshv_esxi_ssl_thumbprint',
    'cshv_vsphere_vswitches', 'cshv_vsphere_portgroups', 'cshv_vsphere_vmkernel_addresses',
    'cshv_vsphere_management_portgroup', 'cshv_vsphere_management_vlan',
    'cshv_cloudstack_version',
    # a role variable the preflight checks too (before any host is touched)
    'vsphere_iscsi_send_targets',
)
SECRET_VARS = ('cshv_vcenter_password', 'cshv_esxi_password')

SWITCH_TYPES = ('vmwaresvs', 'vmwaredvs', 'nexusdvs')
# Install guide (VDS section): management and storage traffic stay on a standard vSwitch.
STANDARD_ONLY = ('management', 'storage')
PORTGROUP_SERVICES = ('vmotion', 'storage')
BAD_NAME_RE = re.compile(r'[\s/%]')
THUMBPRINT_RE = re.compile(r'^(?:[0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}$|^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$')
PLACEHOLDER_RE = re.compile(r'^\s*(changeme|change-me|change_me|todo|fixme|secret|password|xxx+|<.*>|\*+)\s*$', re.I)
DEFAULT_MANAGEMENT_PORTGROUP = 'Management Network'
DEFAULT_CLOUDSTACK_VERSION = '4.20'
# vSphere API, HostInternetScsiHbaSendTarget: address is an IP address or a
# host name, port an int (3260 by default); software adapters are vmhbaNN.
HOSTNAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                         r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')
VMHBA_RE = re.compile(r'^vmhba\d+$')

# vCenter/ESXi releases each CloudStack release supports (CloudStack release
# notes, compat.rst): version prefixes of vCenter's about.version.  4.19 stops
# at 8.0 GA (8.0a-c are 8.0.0 builds; 8.0 U1 is 8.0.1).  A CloudStack release
# newer than the last row is checked against the last row.
SUPPORTED_VCENTER = (
    ('4.19', ('6.5', '6.7', '7.0', '8.0.0')),
    ('4.20', ('7.0', '8.0')),
    ('4.21', ('7.0', '8.0')),
    ('4.22', ('7.0', '8.0')),
)


_q = _cluster._q


def check_name(name):
    """None when *name* is usable as a vCenter/CloudStack object name, else why not."""
    if not isinstance(name, str) or not name:
        return 'is not a non-empty string'
    bad = BAD_NAME_RE.search(name)
    if bad:
        what = 'a space' if bad.group(0).isspace() else '"%s"' % bad.group(0)
        return 'contains %s (CloudStack cannot use vSphere names with spaces, "/" or "%%")' % what
    return None


def parse_vlan(value, allow_untagged=True):
    """(vlan, error): 0/None/'' is untagged (0), 1-4094 tagged; 4095 (all VLANs) is refused.

    The number itself is read by the inventory's one VLAN rule (``_cluster.parse_vlan``);
    only vSphere's two edges are added here: 0 means untagged, and 4095 gets its reason."""
    if value is None or value == '':
        return 0, None
    vlan, err = _cluster.parse_vlan(value)
    if err == _cluster.VLAN_OUT_OF_RANGE:
        number = int(value)
        if number == 0 and allow_untagged:
            return 0, None
        if number == 4095:
            return None, 'is 4095 (all VLANs, guest tagging), which a vmkernel port group cannot use'
    return vlan, err


def parse_label(label):
    """``name[,vlan][,type]`` -> ({'name', 'vlan', 'type'}, error)."""
    if not isinstance(label, str) or not label.strip():
        return None, 'is empty'
    parts = [p.strip() for p in label.split(',')]
    if len(parts) > 3:
        return None, 'has more than three comma-separated fields (name,vlan,type)'
    parts += [''] * (3 - len(parts))
    name, vlan, typ = parts
    if not name:
        return None, 'has no switch name'
    typ = typ or 'vmwaresvs'
    if typ not in SWITCH_TYPES:
        return None, 'has switch type %s; use one of %s' % (_q(typ), ', '.join(SWITCH_TYPES))
    if vlan:
        v, err = parse_vlan(vlan, allow_untagged=False)
        if err:
            return None, 'has VLAN %s which %s' % (_q(vlan), err)
        vlan = v
    else:
        vlan = None
    return {'name': name, 'vlan': vlan, 'type': typ}, None


def format_label(name, vlan=None, switch_type='vmwaresvs'):
    """The label CloudStack's zone takes: ``name,vlan,type`` (vlan may be empty)."""
    return '%s,%s,%s' % (name, '' if vlan in (None, '', 0) else vlan, switch_type)


def check_vcenter_version(version, cloudstack_version):
    """None when vCenter *version* (about.version, e.g. ``8.0.2``) is supported by
    CloudStack *cloudstack_version* (e.g. ``4.20``), else a sentence why not."""
    cs = str(cloudstack_version or DEFAULT_CLOUDSTACK_VERSION)
    m = re.match(r'^(\d+)\.(\d+)', cs)
    if not m:
        return 'CloudStack version %s is not in major.minor form' % _q(cs)
    cs_key = (int(m.group(1)), int(m.group(2)))
    rows = [(tuple(int(x) for x in r.split('.')), r, vs) for r, vs in SUPPORTED_VCENTER]
    chosen = None
    for key, name, vs in rows:
        if key <= cs_key:
            chosen = (name, vs)
    if chosen is None:
        return 'CloudStack %s is older than the oldest release this collection knows (%s)' % (cs, rows[0][1])
    name, allowed = chosen
    v = str(version or '')
    for prefix in allowed:
        if v == prefix or v.startswith(prefix + '.'):
            return None
    return 'vCenter version %s is not supported by CloudStack %s (supported: %s)' % (
        _q(v), cs, ', '.join(p if p.count('.') == 2 else p + '.x' for p in allowed))


def _secret_ok(value):
    return isinstance(value, str) and value.strip() and not PLACEHOLDER_RE.match(value)


def _address_ok(address):
    if not isinstance(address, str) or not address:
        return False
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        return bool(HOSTNAME_RE.match(address)) and not re.match(r'^[\d.]+$', address)


def check_iscsi(problems, h, v):
    """``vsphere_iscsi_send_targets`` of host *h*: ``[{address, port, vmhba}]``.

    ESXi refuses a target whose address is neither an IP address nor a host
    name (HostConfigFault from AddInternetScsiSendTargets); checked here so
    the run stops before the first host is changed."""
    targets = v.get('vsphere_iscsi_send_targets')
    if targets is None:
        return
    if not isinstance(targets, list):
        problems.add(h, 'iscsi', targets, 'vsphere_iscsi_send_targets of %s is %s; use a list of '
                     '{address, port, vmhba}.' % (h, _q(targets)))
        return
    for i, t in enumerate(targets):
        where = 'vsphere_iscsi_send_targets[%d] of %s' % (i, h)
        if not isinstance(t, dict):
            problems.add(h, 'iscsi', t, '%s is %s; use {address, port, vmhba}.' % (where, _q(t)))
            continue
        if not _address_ok(t.get('address')):
            problems.add(h, 'iscsi', t.get('address'), '%s has address %s, which is neither an IP address nor a '
                         'host name.' % (where, _q(t.get('address'))))
        port = t.get('port', 3260)
        if isinstance(port, bool) or not isinstance(port, int):
            problems.add(h, 'iscsi', port, '%s has port %s, which is not a number; write it without quotes '
                         '(iSCSI: 3260).' % (where, _q(port)))
        elif not 1 <= port <= 65535:
            problems.add(h, 'iscsi', port, '%s has port %s; use 1-65535 (iSCSI: 3260).' % (where, _q(port)))
        vmhba = t.get('vmhba', 'vmhba65')
        if not isinstance(vmhba, str) or not VMHBA_RE.match(vmhba):
            problems.add(h, 'iscsi', vmhba, '%s has adapter %s; use the software adapter\'s vmhbaNN name.'
                         % (where, _q(vmhba)))


def check_host(problems, h, v):
    """Rules for one vSphere host; *problems* has ``add(host, check, value, msg)``."""
    err = check_name(h)
    if err:
        problems.add(h, 'names', h, 'ESXi host name %s %s.' % (_q(h), err))
    for var in ('cshv_cluster', 'cshv_vsphere_datacenter'):
        value = v.get(var, v.get('cshv_zone') if var == 'cshv_vsphere_datacenter' else None)
        if isinstance(value, str) and value:
            err = check_name(value)
            if err:
                problems.add(h, 'names', value, '%s %s of %s %s.' % (var, _q(value), h, err))
    # vCenter connection and ESXi credentials (values of secrets never shown)
    for var in ('cshv_vcenter_hostname', 'cshv_vcenter_username'):
        value = v.get(var)
        if not isinstance(value, str) or not value.strip():
            problems.add(h, 'vcenter', None, '%s has no %s; the vSphere role needs the vCenter it belongs to.' % (h, var))
    for var in SECRET_VARS + ('cshv_esxi_username',):
        if var not in v:
            problems.add(h, 'secrets', var, 'required secret %s is not defined for %s.' % (var, h)
                         if var in SECRET_VARS else '%s has no %s.' % (h, var))
        elif isinstance(v[var], Exception):
            problems.add(h, 'secrets', var, '%s for %s cannot be evaluated (%s).' % (var, h, type(v[var]).__name__))
        elif not _secret_ok(v[var]) and var in SECRET_VARS:
            problems.add(h, 'secrets', var, 'required secret %s for %s is empty or still a placeholder.' % (var, h))
        elif not isinstance(v[var], str) or not v[var].strip():
            problems.add(h, 'secrets', var, '%s of %s is empty.' % (var, h))
    thumb = v.get('cshv_esxi_ssl_thumbprint')
    if thumb in (None, ''):
        problems.add(h, 'thumbprint', None, '%s has no cshv_esxi_ssl_thumbprint; adding a host without it would trust '
                     'whatever certificate answers (read it on the host: openssl x509 -in /etc/vmware/ssl/rui.crt '
                     '-fingerprint -sha1 -noout).' % h)
    elif not isinstance(thumb, str) or not THUMBPRINT_RE.match(thumb):
        problems.add(h, 'thumbprint', thumb, 'cshv_esxi_ssl_thumbprint %s of %s is not a SHA-1 or SHA-256 '
                     'fingerprint (hex pairs separated by ":").' % (_q(thumb), h))
    # vSwitches
    switches = v.get('cshv_vsphere_vswitches', [])
    names = []
    if not isinstance(switches, list):
        problems.add(h, 'vswitches', switches, 'cshv_vsphere_vswitches of %s is %s; use a list.' % (h, _q(switches)))
        switches = []
    for i, sw in enumerate(switches):
        if not isinstance(sw, dict) or not sw.get('name'):
            problems.add(h, 'vswitches', sw, 'cshv_vsphere_vswitches[%d] of %s needs a name.' % (i, h))
            continue
        err = check_name(sw['name'])
        if err:
            problems.add(h, 'names', sw['name'], 'vSwitch name %s on %s %s.' % (_q(sw['name']), h, err))
        if sw['name'] in names:
            problems.add(h, 'vswitches', sw['name'], 'vSwitch %s is listed twice for %s.' % (_q(sw['name']), h))
        names.append(sw['name'])
        mtu = sw.get('mtu', 1500)
        if isinstance(mtu, bool) or not isinstance(mtu, int) or not 1280 <= mtu <= 9000:
            problems.add(h, 'vswitches', mtu, 'MTU %s of vSwitch %s on %s is outside 1280-9000.' % (_q(mtu), sw['name'], h))
        ports = sw.get('ports', 4088)
        if isinstance(ports, bool) or not isinstance(ports, int) or not 8 <= ports <= 4088:
            problems.add(h, 'vswitches', ports, 'port count %s of vSwitch %s on %s is outside 8-4088.' % (_q(ports), sw['name'], h))
    known = set(names) | {'vSwitch0'}
    # port groups (vMotion and storage only)
    pgs = v.get('cshv_vsphere_portgroups', [])
    if not isinstance(pgs, list):
        problems.add(h, 'portgroups', pgs, 'cshv_vsphere_portgroups of %s is %s; use a list.' % (h, _q(pgs)))
        pgs = []
    for i, pg in enumerate(pgs):
        if not isinstance(pg, dict) or not pg.get('name'):
            problems.add(h, 'portgroups', pg, 'cshv_vsphere_portgroups[%d] of %s needs a name.' % (i, h))
            continue
        name = pg['name']
        err = check_name(name)
        if err:
            problems.add(h, 'names', name, 'port group name %s on %s %s.' % (_q(name), h, err))
        if name.startswith('cloud.'):
            problems.add(h, 'portgroups', name, 'port group %s on %s: CloudStack creates the cloud.* port groups '
                         'itself; do not pre-create them.' % (_q(name), h))
        if pg.get('service') not in PORTGROUP_SERVICES:
            problems.add(h, 'portgroups', pg.get('service'), 'port group %s on %s has service %s; use one of %s.'
                         % (_q(name), h, _q(pg.get('service')), ', '.join(PORTGROUP_SERVICES)))
        if pg.get('vswitch') not in known:
            problems.add(h, 'portgroups', pg.get('vswitch'), 'port group %s on %s is on vSwitch %s, which is not in '
                         'cshv_vsphere_vswitches.' % (_q(name), h, _q(pg.get('vswitch'))))
        _vlan, err = parse_vlan(pg.get('vlan'))
        if err:
            problems.add(h, 'vlan', pg.get('vlan'), 'VLAN %s of port group %s on %s %s.' % (_q(pg.get('vlan')), _q(name), h, err))
    # management port group and VLAN
    mpg = v.get('cshv_vsphere_management_portgroup', DEFAULT_MANAGEMENT_PORTGROUP)
    err = check_name(mpg) if mpg != DEFAULT_MANAGEMENT_PORTGROUP else None
    if err:
        problems.add(h, 'names', mpg, 'management port group %s of %s %s (set vmware.management.portgroup to a '
                     'name without them).' % (_q(mpg), h, err))
    mv = v.get('cshv_vsphere_management_vlan')
    _vlan, err = parse_vlan(mv)
    if err:
        problems.add(h, 'vlan', mv, 'management VLAN %s of %s %s.' % (_q(mv), h, err))
    # traffic labels
    labels = v.get('cshv_traffic_labels')
    if isinstance(labels, dict):
        for t, label in labels.items():
            parsed, err = parse_label(label)
            if err:
                problems.add(h, 'labels', label, 'traffic label %s for %s on %s %s.' % (_q(label), t, h, err))
                continue
            err = check_name(parsed['name'])
            if err:
                problems.add(h, 'names', parsed['name'], 'switch name %s in the %s label of %s %s.' % (_q(parsed['name']), t, h, err))
            if t in STANDARD_ONLY and parsed['type'] != 'vmwaresvs':
                problems.add(h, 'labels', label, 'the %s label %s of %s is on a %s switch; CloudStack needs management '
                             'and storage traffic on a standard vSwitch (vmwaresvs).' % (t, _q(label), h, parsed['type']))
            elif parsed['type'] == 'vmwaresvs' and parsed['name'] not in known:
                problems.add(h, 'labels', label, 'the %s label %s of %s names vSwitch %s, which is not in '
                             'cshv_vsphere_vswitches.' % (t, _q(label), h, _q(parsed['name'])))
    # vmkernel addresses
    addrs = v.get('cshv_vsphere_vmkernel_addresses', {})
    if not isinstance(addrs, dict):
        problems.add(h, 'vmkernel', addrs, 'cshv_vsphere_vmkernel_addresses of %s is %s; use port group -> address/prefix.'
                     % (h, _q(addrs)))
        addrs = {}
    pg_names = [pg.get('name') for pg in pgs if isinstance(pg, dict)]
    for pg, addr in addrs.items():
        if pg not in pg_names:
            problems.add(h, 'vmkernel', pg, 'vmkernel address for port group %s on %s, which is not in '
                         'cshv_vsphere_portgroups.' % (_q(pg), h))
        if not isinstance(addr, str) or not re.match(r'^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$', addr):
            problems.add(h, 'vmkernel', addr, 'vmkernel address %s of %s on %s is not IPv4 address/prefix.'
                         % (_q(addr), h, _q(pg)))
    for pg in pgs:
        if isinstance(pg, dict) and pg.get('name') and pg['name'] not in addrs:
            problems.add(h, 'vmkernel', pg['name'], '%s has no address for port group %s in '
                         'cshv_vsphere_vmkernel_addresses.' % (h, _q(pg['name'])))
    check_iscsi(problems, h, v)


def check_cluster(problems, cluster, hosts, hostvars):
    """vSwitch names and port groups identical on every host of a vSphere cluster."""
    def _switches(h):
        sw = hostvars.get(h, {}).get('cshv_vsphere_vswitches', [])
        return tuple(sorted(s.get('name') for s in sw if isinstance(s, dict) and isinstance(s.get('name'), str))) \
            if isinstance(sw, list) else ()

    def _pgs(h):
        pgs = hostvars.get(h, {}).get('cshv_vsphere_portgroups', [])
        return tuple(sorted((str(p.get('name')), str(p.get('vswitch')), str(p.get('vlan'))) for p in pgs if isinstance(p, dict))) \
            if isinstance(pgs, list) else ()

    if len(hosts) < 2:
        return
    for what, fn in (('vSwitch names', _switches), ('port groups (name, vSwitch, VLAN)', _pgs)):
        values = dict((h, fn(h)) for h in hosts)
        counts = {}
        for val in values.values():
            counts[val] = counts.get(val, 0) + 1
        ref = max(counts, key=lambda val: (counts[val], -list(values.values()).index(val)))
        ref_host = [h for h in hosts if values[h] == ref][0]
        for h in hosts:
            if values[h] != ref:
                problems.add(h, 'vswitches', ', '.join('/'.join(x) if isinstance(x, tuple) else x for x in values[h]),
                             'cluster %s is not homogeneous: %s on %s are %s, on %s %s; CloudStack needs them '
                             'identical on every host.' % (cluster, what, h, list(values[h]), ref_host, list(ref)))


def check_inventory(problems, hosts, hostvars, clusters):
    """The hook ``_cluster.validate_inventory`` calls: *hosts* the vSphere hosts,
    *clusters* name -> {'hosts': [...]} of every cluster found."""
    for h in hosts:
        check_host(problems, h, hostvars.get(h, {}))
    for name, c in clusters.items():
        members = [h for h in c['hosts'] if h in hosts]
        if members and len(members) == len(c['hosts']):
            check_cluster(problems, name, members, hostvars)
