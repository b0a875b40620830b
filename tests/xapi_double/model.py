# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The object database shared by every simulated host.

One ``World`` holds the records of every pool.  Each record belongs to exactly one pool
(``World.owner``): a host's endpoint sees only the pool its host is in, as a real xapi
only has its own pool's database.  Reverse-reference fields (``network.PIFs``,
``Bond.slaves``, ``PIF.bond_master_of``, ``host.PIFs``, ...) are computed on read from
the forward references, the way xapi's database computes ``Set(Ref)`` "one-to-many"
fields (``ocaml/idl/datamodel.ml`` relations; ``xapi_bond.ml: create`` relies on it:
"The value of the Bond.slaves field is dynamically computed on request").
"""
from __future__ import annotations

import copy
import hashlib
import json
import threading
import uuid as uuidlib

from . import profiles

NULL = 'OpaqueRef:NULL'

# (class, field) -> (class holding the forward ref, forward field)
REVERSE = {
    ('host', 'PIFs'): ('PIF', 'host'),
    ('host', 'PBDs'): ('PBD', 'host'),
    ('host', 'resident_VMs'): ('VM', 'resident_on'),
    ('network', 'PIFs'): ('PIF', 'network'),
    ('Bond', 'slaves'): ('PIF', 'bond_slave_of'),
    ('PIF', 'bond_master_of'): ('Bond', 'master'),
    ('PIF', 'VLAN_slave_of'): ('VLAN', 'tagged_PIF'),
    ('SR', 'PBDs'): ('PBD', 'SR'),
}
# forward single refs computed from another class (PIF.VLAN_master_of <- VLAN.untagged_PIF)
REVERSE_SINGLE = {
    ('PIF', 'VLAN_master_of'): ('VLAN', 'untagged_PIF'),
}
CLASSES = ('pool', 'host', 'network', 'PIF', 'PIF_metrics', 'Bond', 'VLAN', 'VM', 'VM_metrics', 'SR', 'PBD')


def new_uuid():
    return str(uuidlib.uuid4())


def new_ref():
    return 'OpaqueRef:%s' % uuidlib.uuid4()


class XapiError(Exception):
    """An xapi Server_error: code + string parameters (the ErrorDescription list)."""

    def __init__(self, code, *params):
        super().__init__(code, *params)
        self.code = code
        self.params = [str(p) for p in params]

    @property
    def description(self):
        return [self.code] + self.params


class SimHost:
    """What is not in the database: the machine behind one endpoint."""

    def __init__(self, name, address, nics, profile, backend, product_version, hvm, dom0_memory_mb,
                 password, username, running_vms, shared_sr, extra_sw):
        self.name = name
        self.address = address
        self.nics = list(nics)
        self.profile = profile
        self.backend = backend
        self.product_version = product_version
        self.hvm = hvm
        self.dom0_memory_mb = dom0_memory_mb
        self.password = password
        self.username = username
        self.running_vms = running_vms
        self.shared_sr = shared_sr
        self.extra_sw = dict(extra_sw or {})
        self.host_uuid = new_uuid()
        self.host_ref = None
        self.endpoint = None      # 'http://127.0.0.1:PORT' once started


class World:
    """All pools' records plus the simulated machines."""

    def __init__(self):
        self.lock = threading.RLock()
        self.tables = {cls: {} for cls in CLASSES}
        self.owner = {}           # ref -> pool ref
        self.sessions = {}        # session ref -> dict(pool, host_name, uuid, user, originator)
        self.hosts = {}           # sim host name -> SimHost
        self.mac_counter = 0
        self.join_enable_after = 0   # reads of a joined host's record before it is enabled
        self.pending_enable = {}     # host ref -> reads left

    # ------------------------------------------------------------ basic access
    def add(self, cls, pool, record, ref=None):
        ref = ref or new_ref()
        record.setdefault('uuid', new_uuid())
        self.tables[cls][ref] = record
        self.owner[ref] = pool
        return ref

    def delete(self, cls, ref):
        del self.tables[cls][ref]
        self.owner.pop(ref, None)

    def cls_of(self, ref):
        for cls in CLASSES:
            if ref in self.tables[cls]:
                return cls
        return None

    def rec(self, cls, ref):
        return self.tables[cls][ref]

    def visible(self, pool, cls):
        """{ref: stored record} of one class in one pool."""
        return {r: rec for r, rec in self.tables[cls].items() if self.owner.get(r) == pool}

    def find(self, pool, cls, **match):
        out = []
        for ref, rec in self.visible(pool, cls).items():
            if all(rec.get(k) == v for k, v in match.items()):
                out.append(ref)
        return sorted(out, key=lambda r: self.tables[cls][r].get('_order', 0))

    def check_ref(self, pool, cls, ref):
        """xapi raises HANDLE_INVALID [class, ref] for a ref its database does not hold."""
        # api_errors.ml: handle_invalid; the params are the class name and the ref
        if not isinstance(ref, str) or ref not in self.tables.get(cls, {}) or self.owner.get(ref) != pool:
            raise XapiError('HANDLE_INVALID', cls, ref)
        return self.tables[cls][ref]

    def full_record(self, cls, ref):
        """The record as xapi returns it: stored fields plus computed reverse refs."""
        pool = self.owner[ref]
        rec = {k: copy.deepcopy(v) for k, v in self.tables[cls][ref].items() if not k.startswith('_')}
        for (rcls, field), (fcls, ffield) in REVERSE.items():
            if rcls == cls:
                rec[field] = self.find(pool, fcls, **{ffield: ref})
        for (rcls, field), (fcls, ffield) in REVERSE_SINGLE.items():
            if rcls == cls:
                found = self.find(pool, fcls, **{ffield: ref})
                rec[field] = found[0] if found else NULL
        if cls == 'network':
            rec.setdefault('VIFs', [])
        return rec

    # ------------------------------------------------------------ pools and hosts
    def pool_of_host(self, host_ref):
        return self.owner.get(host_ref)

    def pool_ref(self, pool):
        return pool   # the pool key *is* the pool object's ref

    def master_of(self, pool):
        return self.tables['pool'][pool]['master']

    def sim_by_ref(self, host_ref):
        for sim in self.hosts.values():
            if sim.host_ref == host_ref:
                return sim
        return None

    def sim_by_address(self, address):
        for sim in self.hosts.values():
            if sim.address == address:
                return sim
        return None

    def free_bridge(self, pool):
        """The first ``xapiN`` bridge name no network of the pool uses (``xapi_network.ml: create``)."""
        used = {rec['bridge'] for rec in self.visible(pool, 'network').values()}
        n = 0
        while 'xapi%d' % n in used:
            n += 1
        return 'xapi%d' % n

    def next_mac(self):
        self.mac_counter += 1
        n = self.mac_counter
        return '02:00:00:%02x:%02x:%02x' % ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)

    def fresh_host(self, sim, keep_uuid=True):
        """Create sim's host as a freshly installed standalone pool (as after install or eject).

        A fresh install has one pool whose master is itself, one physical network per NIC
        named "Pool-wide network associated with ethN" on bridge xenbrN, and the management
        PIF on eth0 with the static address given at install time.
        """
        if not keep_uuid:
            sim.host_uuid = new_uuid()
        pool = new_ref()
        host = new_ref()
        sim.host_ref = host
        prof = profiles.PROFILES[sim.profile]
        sw = profiles.software_version(sim.profile, sim.backend, sim.product_version, sim.extra_sw)
        sw['hostname'] = sim.name
        self.add('pool', pool, {
            'name_label': '', 'name_description': '', 'master': host, 'default_SR': NULL,
            'other_config': {}, 'ha_enabled': False,
            'tls_verification_enabled': prof['tls_verification_enabled'],
            'restrictions': {'restrict_pool_size': 'false'},
            'cpu_info': {'vendor': 'GenuineIntel', 'cpu_count': '8', 'socket_count': '1'},
            'tags': [],
        }, ref=pool)
        capabilities = ['xen-3.0-x86_64', 'xen-3.0-x86_32p']
        if sim.hvm:
            capabilities += ['hvm-3.0-x86_32', 'hvm-3.0-x86_32p', 'hvm-3.0-x86_64']
        dom0_bytes = sim.dom0_memory_mb * 1024 * 1024
        vm_metrics = self.add('VM_metrics', pool, {'memory_actual': dom0_bytes, 'VCPUs_number': 8, 'other_config': {}})
        dom0 = self.add('VM', pool, {
            'name_label': 'Control domain on host: %s' % sim.name, 'name_description': 'The domain which manages '
            'physical devices and manages other domains', 'power_state': 'Running', 'is_a_template': False,
            'is_control_domain': True, 'resident_on': host, 'memory_static_max': dom0_bytes,
            'memory_static_min': dom0_bytes, 'memory_dynamic_max': dom0_bytes, 'memory_dynamic_min': dom0_bytes,
            'memory_target': dom0_bytes, 'metrics': vm_metrics, 'other_config': {}, 'requires_reboot': False,
        })
        hrec = {
            'uuid': sim.host_uuid, 'name_label': sim.name, 'name_description': 'Default install',
            'API_version_major': prof['API_version_major'], 'API_version_minor': prof['API_version_minor'],
            'enabled': True, 'software_version': sw, 'other_config': {'iscsi_iqn': 'iqn.2026-01.org.example:%s' % sim.name},
            'capabilities': capabilities,
            'cpu_info': {'vendor': 'GenuineIntel', 'cpu_count': '8', 'socket_count': '1'},
            'hostname': sim.name, 'address': sim.address, 'control_domain': dom0,
            'iscsi_iqn': 'iqn.2026-01.org.example:%s' % sim.name, 'multipathing': False,
            'external_auth_type': '', 'tags': [],
            'ntp_mode': 'Factory', 'ntp_custom_servers': [], 'timezone': 'UTC',
            '_ntp_synchronized': True,
        }
        self.add('host', pool, hrec, ref=host)
        for i, dev in enumerate(sim.nics):
            number = ''.join(ch for ch in dev if ch.isdigit()) or str(i)
            net = self.add('network', pool, {
                'name_label': 'Pool-wide network associated with %s' % dev, 'name_description': '',
                'MTU': 1500, 'other_config': {}, 'bridge': 'xenbr%s' % number, 'managed': True,
                'tags': [], 'default_locking_mode': 'unlocked', 'purpose': [],
            })
            self.new_physical_pif(pool, host, dev, net, management=(i == 0), ip=sim.address if i == 0 else '')
        local_sr = self.add('SR', pool, {'name_label': 'Local storage', 'name_description': '', 'type': 'ext',
                                         'content_type': 'user', 'shared': False, 'other_config': {}})
        self.add('PBD', pool, {'host': host, 'SR': local_sr, 'device_config': {'device': '/dev/sda3'},
                               'currently_attached': True, 'other_config': {}})
        if sim.shared_sr:
            nfs = self.add('SR', pool, {'name_label': 'NFS shared', 'name_description': '', 'type': 'nfs',
                                        'content_type': 'user', 'shared': True, 'other_config': {}})
            self.add('PBD', pool, {'host': host, 'SR': nfs, 'device_config': {'server': '192.0.2.1'},
                                   'currently_attached': True, 'other_config': {}})
        for n in range(sim.running_vms):
            self.add('VM', pool, {
                'name_label': 'guest-%d' % n, 'name_description': '', 'power_state': 'Running', 'is_a_template': False,
                'is_control_domain': False, 'resident_on': host, 'memory_static_max': 1 << 30,
                'memory_static_min': 1 << 30, 'memory_dynamic_max': 1 << 30, 'memory_dynamic_min': 1 << 30,
                'memory_target': 1 << 30, 'metrics': NULL, 'other_config': {}, 'requires_reboot': False,
            })
        return pool

    def new_physical_pif(self, pool, host, device, network, management=False, ip=''):
        metrics = self.add('PIF_metrics', pool, {
            'carrier': True, 'vendor_name': 'Intel Corporation', 'device_name': 'Ethernet Controller X710',
            'speed': 10000, 'duplex': True, 'pci_bus_path': '0000:00:00.0', 'other_config': {},
        })
        return self.add('PIF', pool, {
            'device': device, 'network': network, 'host': host, 'MAC': self.next_mac(), 'MTU': 1500, 'VLAN': -1,
            'metrics': metrics, 'physical': True, 'currently_attached': True,
            'ip_configuration_mode': 'Static' if management else 'None', 'IP': ip,
            'netmask': '255.255.255.0' if management else '', 'gateway': '', 'DNS': '',
            'bond_slave_of': NULL, 'management': management, 'other_config': {},
            'disallow_unplug': False, 'ipv6_configuration_mode': 'None', 'IPv6': [], 'ipv6_gateway': '',
            'primary_address_type': 'IPv4', 'managed': True, 'properties': {'gro': 'on'}, 'capabilities': [],
        })

    def remove_host_objects(self, host_ref):
        """Delete a host and everything that hangs off it from its pool's database."""
        pool = self.owner[host_ref]
        pifs = self.find(pool, 'PIF', host=host_ref)
        for bond in list(self.visible(pool, 'Bond')):
            if self.tables['Bond'][bond]['master'] in pifs:
                self.delete('Bond', bond)
        for vlan in list(self.visible(pool, 'VLAN')):
            if self.tables['VLAN'][vlan]['untagged_PIF'] in pifs:
                self.delete('VLAN', vlan)
        for pif in pifs:
            metrics = self.tables['PIF'][pif].get('metrics')
            if metrics in self.tables['PIF_metrics']:
                self.delete('PIF_metrics', metrics)
            self.delete('PIF', pif)
        for vm in self.find(pool, 'VM', resident_on=host_ref):
            metrics = self.tables['VM'][vm].get('metrics')
            if metrics in self.tables['VM_metrics']:
                self.delete('VM_metrics', metrics)
            self.delete('VM', vm)
        for pbd in self.find(pool, 'PBD', host=host_ref):
            sr = self.tables['PBD'][pbd]['SR']
            self.delete('PBD', pbd)
            if sr in self.tables['SR'] and not self.tables['SR'][sr]['shared']:
                self.delete('SR', sr)
        self.delete('host', host_ref)

    def delete_pool_objects(self, pool):
        for cls in CLASSES:
            for ref in list(self.visible(pool, cls)):
                self.delete(cls, ref)

    # ------------------------------------------------------------ dumps
    def state(self):
        """A plain dict of every pool's records (computed fields included)."""
        out = {}
        for pool in sorted(self.tables['pool']):
            by_cls = {}
            for cls in CLASSES:
                by_cls[cls] = {ref: self.full_record(cls, ref) for ref in sorted(self.visible(pool, cls))}
            out[pool] = by_cls
        return out

    def fingerprint(self):
        """sha256 of the database (sessions excluded: logging in changes nothing)."""
        stable = {
            'tables': {cls: {ref: self.tables[cls][ref] for ref in sorted(self.tables[cls])} for cls in CLASSES},
            'owner': dict(sorted(self.owner.items())),
            'hosts': {name: [sim.host_ref, sim.backend, sim.address] for name, sim in sorted(self.hosts.items())},
        }
        blob = json.dumps(stable, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()
