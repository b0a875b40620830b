# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A loopback XAPI double: one XML-RPC endpoint per simulated XenServer/XCP-ng host.

Usage (the interface the module and role tests code against)::

    from tests.xapi_double import XapiDouble
    d = XapiDouble(profile='xcp-ng-8.3-current',
                   hosts=[{'name': 'xs1', 'address': '192.168.43.21', 'nics': ['eth0', 'eth1']}],
                   username='root', password='secret')
    d.start(); d.endpoints['xs1']  # 'http://127.0.0.1:PORT'
    ...
    d.stop()

See README.md for what the double models and what only a real pool can show.
"""
from __future__ import annotations

import threading

from . import profiles, rules, signatures
from .model import NULL, SimHost, World, XapiError
from .server import Dispatcher, Endpoint

__all__ = ['XapiDouble', 'XapiError', 'NULL']

DEFAULT_NICS = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5']
HOST_KEYS = {'name', 'address', 'nics', 'backend', 'product_version', 'profile', 'in_pool_of', 'hvm',
             'dom0_memory_mb', 'running_vms', 'bonds', 'vlans', 'shared_sr', 'password', 'software_version',
             'ha_enabled', 'tls_verification_enabled', 'restricted_pool_size', 'cpu_vendor', 'management_vlan'}


class XapiDouble:
    """The pool database plus one endpoint per host."""

    def __init__(self, profile=profiles.DEFAULT_PROFILE, hosts=None, username='root', password='secret',
                 join_enable_after=0):
        """``join_enable_after``: a host that joins stays ``enabled = false`` for that many reads
        of its record (host.get_enabled / get_record / get_all_records) on the master."""
        if profile not in profiles.PROFILES:
            raise ValueError('unknown profile %r (known: %s)' % (profile, ', '.join(sorted(profiles.PROFILES))))
        self.profile = profile
        self.username = username
        self.password = password
        self.world = World()
        self.calls = []
        self.join_enable_after = join_enable_after
        self._endpoints = {}
        self._method_cache = {}
        hosts = hosts or [{'name': 'xs1', 'address': '192.168.43.21'}]
        for spec in hosts:
            unknown = set(spec) - HOST_KEYS
            if unknown:
                raise ValueError('unknown host keys %s for %s' % (sorted(unknown), spec.get('name')))
            self._add_host(spec)
        for spec in hosts:
            self._apply_overrides(spec)
        self.world.join_enable_after = join_enable_after

    # ------------------------------------------------------------ building
    def _add_host(self, spec):
        prof = spec.get('profile', self.profile)
        if prof not in profiles.PROFILES:
            raise ValueError('unknown profile %r for host %s' % (prof, spec['name']))
        sim = SimHost(
            name=spec['name'], address=spec['address'], nics=spec.get('nics', DEFAULT_NICS), profile=prof,
            backend=spec.get('backend', 'openvswitch'), product_version=spec.get('product_version'),
            hvm=spec.get('hvm', True),
            dom0_memory_mb=spec.get('dom0_memory_mb', profiles.PROFILES[prof]['dom0_memory_mb']),
            password=spec.get('password', self.password), username=self.username,
            running_vms=spec.get('running_vms', 0), shared_sr=spec.get('shared_sr', False),
            extra_sw=spec.get('software_version'),
        )
        if sim.name in self.world.hosts:
            raise ValueError('duplicate host name %s' % sim.name)
        self.world.hosts[sim.name] = sim
        self.world.fresh_host(sim)

    def _apply_overrides(self, spec):
        world = self.world
        sim = world.hosts[spec['name']]
        pool = world.pool_of_host(sim.host_ref)
        prec = world.rec('pool', pool)
        if 'ha_enabled' in spec:
            prec['ha_enabled'] = spec['ha_enabled']
        if 'tls_verification_enabled' in spec:
            prec['tls_verification_enabled'] = spec['tls_verification_enabled']
        if spec.get('restricted_pool_size'):
            prec['restrictions']['restrict_pool_size'] = 'true'
        if 'cpu_vendor' in spec:
            world.rec('host', sim.host_ref)['cpu_info']['vendor'] = spec['cpu_vendor']
            prec['cpu_info']['vendor'] = spec['cpu_vendor']
        if 'management_vlan' in spec:
            self._management_on_vlan(sim, int(spec['management_vlan']))
        for vlan in spec.get('vlans', []):
            self._add_vlan(sim, vlan['device'], int(vlan['tag']))
        for bond in spec.get('bonds', []):
            pifs = [self._pif(sim, dev) for dev in bond['members']]
            net = world.add('network', pool, {
                'name_label': bond.get('name_label', 'Bond network'), 'name_description': '', 'MTU': 1500,
                'other_config': {}, 'bridge': world.free_bridge(pool), 'managed': True, 'tags': [],
                'default_locking_mode': 'unlocked', 'purpose': [],
            })
            rules.bond_create(world, pool, net, pifs, '', bond.get('mode', 'balance-slb'),
                              dict(bond.get('properties', {})))
        if spec.get('in_pool_of'):
            master = world.hosts[spec['in_pool_of']]
            master.endpoint = master.endpoint or 'pending'   # reachable for the join below
            rules.pool_join(world, sim, pool, master.address, master.username, master.password, force=True)
            if master.endpoint == 'pending':
                master.endpoint = None

    def _pif(self, sim, device):
        pool = self.world.pool_of_host(sim.host_ref)
        found = self.world.find(pool, 'PIF', host=sim.host_ref, device=device)
        if not found:
            raise ValueError('host %s has no NIC %s' % (sim.name, device))
        return found[0]

    def _add_vlan(self, sim, device, tag, management=False):
        world = self.world
        pool = world.pool_of_host(sim.host_ref)
        tagged = self._pif(sim, device)
        net = world.add('network', pool, {
            'name_label': 'VLAN %d' % tag, 'name_description': '', 'MTU': 1500, 'other_config': {},
            'bridge': world.free_bridge(pool), 'managed': True, 'tags': [], 'default_locking_mode': 'unlocked',
            'purpose': [],
        })
        trec = world.rec('PIF', tagged)
        untagged = world.add('PIF', pool, {
            'device': trec['device'], 'network': net, 'host': sim.host_ref, 'MAC': trec['MAC'], 'MTU': 1500,
            'VLAN': tag, 'metrics': NULL, 'physical': False, 'currently_attached': True,
            'ip_configuration_mode': 'None', 'IP': '', 'netmask': '', 'gateway': '', 'DNS': '',
            'bond_slave_of': NULL, 'management': False, 'other_config': {}, 'disallow_unplug': False,
            'ipv6_configuration_mode': 'None', 'IPv6': [], 'ipv6_gateway': '', 'primary_address_type': 'IPv4',
            'managed': True, 'properties': {}, 'capabilities': [],
        })
        world.add('VLAN', pool, {'tagged_PIF': tagged, 'untagged_PIF': untagged, 'tag': tag, 'other_config': {}})
        if management:
            rules.move_configuration(world, tagged, untagged)
            rules.move_management(world, tagged, untagged)
        return untagged

    def _management_on_vlan(self, sim, tag):
        self._add_vlan(sim, sim.nics[0], tag, management=True)

    # ------------------------------------------------------------ profile helpers
    def xapi_version(self, sim):
        return sim.extra_sw.get('xapi') or profiles.PROFILES[sim.profile]['xapi']

    def methods_for(self, sim):
        version = self.xapi_version(sim)
        if version not in self._method_cache:
            self._method_cache[version] = signatures.all_messages(version)
        return self._method_cache[version]

    # ------------------------------------------------------------ public interface
    def start(self):
        for name, sim in self.world.hosts.items():
            endpoint = Endpoint(Dispatcher(self, sim))
            endpoint.start()
            self._endpoints[name] = endpoint
            sim.endpoint = endpoint.url
        return self

    def stop(self):
        # shut every endpoint down at once: each shutdown waits for one poll interval
        stoppers = [threading.Thread(target=ep.stop) for ep in self._endpoints.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        for name in self._endpoints:
            self.world.hosts[name].endpoint = None
        self._endpoints.clear()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def endpoints(self):
        return {name: ep.url for name, ep in self._endpoints.items()}

    def url_of_address(self, address):
        sim = self.world.sim_by_address(address)
        if sim is None or sim.endpoint is None:
            raise KeyError(address)
        return sim.endpoint

    def fingerprint(self):
        with self.world.lock:
            return self.world.fingerprint()

    def state(self):
        with self.world.lock:
            return self.world.state()

    def restart_toolstack(self, name):
        """Restart xapi on host ``name``: its sessions end; a pool member syncs the master's
        bonds again (``sync_networking.ml: copy_bonds_from_master``)."""
        with self.world.lock:
            rules.restart_toolstack(self.world, self.world.hosts[name])

    # convenience for tests: look at the database without going through XML-RPC
    def host_ref(self, name):
        return self.world.hosts[name].host_ref

    def pool_of(self, name):
        with self.world.lock:
            return self.world.pool_of_host(self.world.hosts[name].host_ref)

    def master_of(self, name):
        """Name of the master of the pool host ``name`` is in."""
        with self.world.lock:
            pool = self.pool_of(name)
            return self.world.sim_by_ref(self.world.master_of(pool)).name
