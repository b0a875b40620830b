# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""XML-RPC endpoints (one per simulated host) and the call dispatcher.

Wire format (``doc/content/xen-api/wire-protocol.md``): every call answers a struct
``{Status: "Success", Value: v}`` or ``{Status: "Failure", ErrorDescription: [code,
params...]}``; 64-bit ints travel as strings, ``void`` is ``""``, refs are
``OpaqueRef:<uuid>``, enums are strings, maps have string keys.

Dispatch order follows the generated server (``ocaml/idl/ocaml_backend/gen_server.ml``):
unknown name -> MESSAGE_METHOD_UNKNOWN [name] (``server_helpers.ml: unknown_rpc_failure``);
wrong number of parameters -> MESSAGE_PARAMETER_COUNT_MISMATCH [name, expected, received]
counted without the session (``parameter_count_mismatch_failure``); then the parameters are
unmarshalled -- a bad enum value, or a value of the wrong XML-RPC type, fails there with
an exception that is not an ``Api_errors.Server_error``, which ``exnHelper.ml:
error_of_exn`` reports as INTERNAL_ERROR [message] (enum names are compared
case-insensitively: ``ocaml_utils.ml: ocaml_of_string_of_enum``; the double's message text
is its own); then the session is checked (SESSION_INVALID [ref]); then the call runs.
"""
from __future__ import annotations

import socket
import socketserver
import threading
import xmlrpc.server

from . import rules, signatures
from .model import NULL, XapiError

CLASSES_WITH_TABLES = ('pool', 'host', 'network', 'PIF', 'PIF_metrics', 'Bond', 'VLAN', 'VM', 'VM_metrics',
                       'SR', 'PBD')


def to_wire(value):
    """Python value -> XML-RPC value as xapi sends it (ints as decimal strings)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if value is None:
        return ''
    return value


def success(value):
    return {'Status': 'Success', 'Value': to_wire(value)}


def failure(desc):
    return {'Status': 'Failure', 'ErrorDescription': [str(d) for d in desc]}


class Dispatcher:
    """Serves one simulated host: routes ``Class.method`` to the world."""

    def __init__(self, double, sim):
        self.double = double
        self.world = double.world
        self.sim = sim

    # xmlrpc.server calls _dispatch(method, params) for every request
    def _dispatch(self, method, params):
        with self.world.lock:
            n_args = len(params)
            self.double.calls.append((self.sim.name, method, n_args))
            try:
                return success(self.call(method, list(params)))
            except XapiError as exc:
                return failure(exc.description)

    # ------------------------------------------------------------------ core
    def call(self, method, params):
        table = self.double.methods_for(self.sim)
        msg = table.get(method)
        if msg is None:
            raise XapiError('MESSAGE_METHOD_UNKNOWN', method)
        received = len(params) - (1 if msg['session'] else 0)
        if not signatures.arity_ok(msg, len(params)):
            raise XapiError('MESSAGE_PARAMETER_COUNT_MISMATCH', method, str(signatures.required_count(msg)),
                            str(max(received, 0)))
        if msg['defaults']:
            # missing trailing parameters take their defaults; extra ones are ignored
            given = params[(1 if msg['session'] else 0):][:len(msg['params'])]
            filled = list(given) + msg['defaults'][len(given) - signatures.required_count(msg):]
            params = params[:(1 if msg['session'] else 0)] + filled
        if not msg['session']:
            args = [self.unmarshal(t, v, method) for (_n, t), v in zip(msg['params'], params)]
            return self.login(*args)
        session, rest = params[0], params[1:]
        args = [self.unmarshal(t, v, method) for (_n, t), v in zip(msg['params'], rest)]
        if method == 'session.logout':
            self.world.sessions.pop(session, None)
            return ''
        pool = rules.session_pool(self.world, self.sim, session)
        cls, name = method.split('.', 1)
        handler = getattr(self, 'm_%s_%s' % (cls, name), None)
        if handler is not None:
            return handler(pool, *args)
        return self.generated(pool, cls, name, msg, args)

    def unmarshal(self, ptype, value, method):
        """Parameter type checks done while unmarshalling (before the session check)."""
        if ptype == 'int':
            try:
                return int(value)
            except (TypeError, ValueError):
                raise XapiError('INTERNAL_ERROR', 'Expected int64, got %s' % (value,)) from None
        if ptype == 'bool':
            if isinstance(value, bool):
                return value
            raise XapiError('INTERNAL_ERROR', 'Expected bool, got %s' % (value,))
        if ptype.startswith('enum:'):
            # xapi's generated unmarshaller compares enum names case-insensitively and
            # rejects anything else ("Unknown enum value" -> failure)
            allowed = signatures.ENUMS[ptype[5:]]
            for choice in allowed:
                if isinstance(value, str) and value.lower() == choice.lower():
                    return choice
            raise XapiError('INTERNAL_ERROR', 'Expected one of %s, got %s' % (
                ', '.join("'%s'" % c for c in allowed), value))
        if ptype == 'map' or ptype.startswith('record:'):
            if not isinstance(value, dict):
                raise XapiError('INTERNAL_ERROR', 'Expected struct, got %s' % (value,))
            return dict(value)
        if ptype.startswith('set:'):
            if not isinstance(value, (list, tuple)):
                raise XapiError('INTERNAL_ERROR', 'Expected array, got %s' % (value,))
            return list(value)
        return value

    # ------------------------------------------------------------------ generated messages
    def deref(self, pool, ptype, ref):
        return self.world.check_ref(pool, ptype[4:], ref)

    def generated(self, pool, cls, name, msg, args):
        world = self.world
        fields = signatures.CLASSES[cls]['fields']
        if name == 'get_all':
            return list(world.visible(pool, cls))
        if name == 'get_all_records':
            out = {ref: self.record(cls, ref) for ref in world.visible(pool, cls)}
            if cls == 'host':
                for ref in out:
                    rules.note_host_read(world, ref)
            return out
        if name == 'get_by_uuid':
            for ref, rec in world.visible(pool, cls).items():
                if rec['uuid'] == args[0]:
                    return ref
            raise XapiError('UUID_INVALID', cls, args[0])
        if name == 'get_by_name_label':
            return [ref for ref, rec in world.visible(pool, cls).items() if rec.get('name_label') == args[0]]
        ref = args[0]
        world.check_ref(pool, cls, ref)
        if cls == 'host' and name in ('get_record', 'get_enabled'):
            value = self.record(cls, ref) if name == 'get_record' else self.record(cls, ref)['enabled']
            rules.note_host_read(world, ref)
            return value
        if name == 'get_record':
            return self.record(cls, ref)
        for prefix in ('get_', 'set_', 'add_to_', 'remove_from_', 'add_', 'remove_'):
            if name.startswith(prefix) and name[len(prefix):] in fields:
                field = name[len(prefix):]
                break
        else:  # pragma: no cover - the table only generates the names above
            raise XapiError('MESSAGE_METHOD_UNKNOWN', '%s.%s' % (cls, name))
        if prefix == 'get_':
            return self.record(cls, ref)[field]
        stored = world.rec(cls, ref)
        if prefix == 'set_':
            stored[field] = args[1]
        elif prefix == 'add_to_':
            # db: add_to_<map> refuses an existing key: Db_exn.Duplicate_key (tbl, fld, uuid, key),
            # reported as MAP_DUPLICATE_KEY [class, field, uuid, key] (exnHelper.ml: error_of_exn)
            if args[1] in stored[field]:
                raise XapiError('MAP_DUPLICATE_KEY', cls, field, stored['uuid'], args[1])
            stored[field][args[1]] = args[2]
        elif prefix == 'remove_from_':
            stored[field].pop(args[1], None)
        elif prefix == 'add_':
            if args[1] not in stored[field]:
                stored[field].append(args[1])
        elif prefix == 'remove_':
            if args[1] in stored[field]:
                stored[field].remove(args[1])
        self.after_field_write(cls, ref, field)
        return ''

    def after_field_write(self, cls, ref, field):
        """Side effects of plain setters that xapi has (kept minimal)."""
        if cls == 'host' and field == 'other_config':
            # xapi_host.ml: iscsi_iqn and other_config:iscsi_iqn are kept in step
            rec = self.world.rec('host', ref)
            if 'iscsi_iqn' in rec['other_config']:
                rec['iscsi_iqn'] = rec['other_config']['iscsi_iqn']

    def record(self, cls, ref):
        """A record with only the fields this profile's xapi has."""
        rec = self.world.full_record(cls, ref)
        xapi = self.double.xapi_version(self.sim)
        fields = signatures.CLASSES[cls]['fields']
        return {k: v for k, v in rec.items() if k in fields and signatures.available(fields[k]['since'], xapi)}

    # ------------------------------------------------------------------ session
    def login(self, uname, pwd, version, originator):
        return rules.login(self.world, self.sim, uname, pwd, originator)

    def m_session_get_this_host(self, pool, ref):
        info = self.world.sessions.get(ref)
        if info is None or info['pool'] != pool:
            raise XapiError('HANDLE_INVALID', 'session', ref)
        return self.world.hosts[info['host']].host_ref

    def m_session_get_this_user(self, pool, ref):
        info = self.world.sessions.get(ref)
        if info is None or info['pool'] != pool:
            raise XapiError('HANDLE_INVALID', 'session', ref)
        return info['user']

    # ------------------------------------------------------------------ pool
    def m_pool_join(self, pool, address, user, password):
        rules.pool_join(self.world, self.sim, pool, address, user, password, force=False)
        return ''

    def m_pool_join_force(self, pool, address, user, password):
        rules.pool_join(self.world, self.sim, pool, address, user, password, force=True)
        return ''

    def m_pool_eject(self, pool, host):
        self.world.check_ref(pool, 'host', host)
        rules.pool_eject(self.world, pool, host)
        return ''

    def m_pool_management_reconfigure(self, pool, network):
        """pool.management_reconfigure (``xapi_pool.ml: management_reconfigure``): HA ->
        HA_IS_ENABLED; a host without a PIF on the network -> PIF_NOT_PRESENT [host, network];
        each PIF must be usable for management (``xapi_pif.ml: assert_usable_for_management``);
        then every host's management moves (members first, the master last)."""
        world = self.world
        world.check_ref(pool, 'network', network)
        if world.rec('pool', pool)['ha_enabled']:
            raise XapiError('HA_IS_ENABLED')
        targets = {}
        for host in world.visible(pool, 'host'):
            pifs = world.find(pool, 'PIF', host=host, network=network)
            if not pifs:
                raise XapiError('PIF_NOT_PRESENT', host, network)
            targets[host] = pifs[0]
        for pif in targets.values():
            rules.assert_usable_for_management(world, pif)
        for host, pif in targets.items():
            old = rules.management_pif(world, pool, host)
            if old != NULL and old != pif:
                rules.move_management(world, old, pif)
            rules.sync_management_address(world, host)
        return ''

    # ------------------------------------------------------------------ host
    def m_host_get_management_interface(self, pool, host):
        self.world.check_ref(pool, 'host', host)
        pif = rules.management_pif(self.world, pool, host)
        if pif == NULL:
            raise XapiError('HOST_HAS_NO_MANAGEMENT_IP')
        return pif

    def m_host_management_reconfigure(self, pool, pif):
        """host.management_reconfigure (``xapi_host.ml: management_reconfigure``): HA ->
        HA_IS_ENABLED, then ``assert_usable_for_management``; management moves to the PIF."""
        rec = self.world.check_ref(pool, 'PIF', pif)
        if self.world.rec('pool', pool)['ha_enabled']:
            raise XapiError('HA_IS_ENABLED')
        rules.assert_usable_for_management(self.world, pif)
        old = rules.management_pif(self.world, pool, rec['host'])
        if old != NULL and old != pif:
            rules.move_management(self.world, old, pif)
        rules.sync_management_address(self.world, rec['host'])
        return ''

    def m_host_set_multipathing(self, pool, host, value):
        # xapi_host.ml: set_multipathing keeps other_config:multipathing in step
        rec = self.world.check_ref(pool, 'host', host)
        rec['multipathing'] = value
        rec['other_config']['multipathing'] = 'true' if value else 'false'
        return ''

    def m_host_set_iscsi_iqn(self, pool, host, value):
        rec = self.world.check_ref(pool, 'host', host)
        # xapi_host.ml: set_iscsi_iqn -- "" is INVALID_VALUE ["value", ""]; other_config:iscsi_iqn kept in step
        if value == '':
            raise XapiError('INVALID_VALUE', 'value', value)
        rec['iscsi_iqn'] = value
        rec['other_config']['iscsi_iqn'] = value
        return ''

    def m_host_set_ntp_mode(self, pool, host, value):
        self.world.check_ref(pool, 'host', host)
        rules.host_set_ntp_mode(self.world, host, value)
        return ''

    def m_host_set_ntp_custom_servers(self, pool, host, value):
        self.world.check_ref(pool, 'host', host)
        rules.host_set_ntp_custom_servers(self.world, host, value)
        return ''

    def m_host_get_ntp_servers_status(self, pool, host):
        rec = self.world.check_ref(pool, 'host', host)
        servers = rec['ntp_custom_servers'] if rec['ntp_mode'] == 'Custom' else []
        return {s: 'synced' for s in servers}

    def m_host_get_ntp_synchronized(self, pool, host):
        rec = self.world.check_ref(pool, 'host', host)
        return rec['ntp_mode'] != 'Disabled' and rec.get('_ntp_synchronized', True)

    def m_host_set_timezone(self, pool, host, value):
        self.world.check_ref(pool, 'host', host)
        rules.host_set_timezone(self.world, host, value)
        return ''

    # ------------------------------------------------------------------ network
    def m_network_create(self, pool, args):
        """network.create(record): fields without a default in the datamodel (name_label,
        name_description, other_config) must be in the record, as the generated record
        unmarshaller requires them (``gen_api.ml``: ``assocer`` with no default; conservative:
        a real xapi may be more lenient).  MTU defaults to 1500, managed to true; with no
        bridge xapi picks a fresh ``xapiN`` (``xapi_network.ml: create``)."""
        world = self.world
        for required in ('name_label', 'name_description', 'other_config'):
            if required not in args:
                raise XapiError('INTERNAL_ERROR', 'field %s missing from the network record' % required)
        bridge = args.get('bridge') or world.free_bridge(pool)
        try:
            mtu = int(args.get('MTU', 1500))
        except (TypeError, ValueError):
            raise XapiError('INTERNAL_ERROR', 'Expected int64, got %s' % (args.get('MTU'),)) from None
        rec = {
            'name_label': args['name_label'], 'name_description': args['name_description'],
            'MTU': mtu, 'other_config': dict(args['other_config']), 'bridge': bridge,
            'managed': bool(args.get('managed', True)), 'tags': list(args.get('tags', [])),
            'default_locking_mode': 'unlocked', 'purpose': [],
        }
        return world.add('network', pool, rec)

    def m_network_destroy(self, pool, network):
        self.world.check_ref(pool, 'network', network)
        pifs = self.world.find(pool, 'PIF', network=network)
        if pifs:
            raise XapiError('NETWORK_CONTAINS_PIF', pifs)
        self.world.delete('network', network)
        return ''

    # ------------------------------------------------------------------ Bond
    def m_Bond_create(self, pool, network, members, mac, mode, properties):
        self.world.check_ref(pool, 'network', network)
        for m in members:
            self.world.check_ref(pool, 'PIF', m)
        return rules.bond_create(self.world, pool, network, members, mac, mode, properties)

    def m_Bond_destroy(self, pool, bond):
        self.world.check_ref(pool, 'Bond', bond)
        rules.bond_destroy(self.world, pool, bond)
        return ''

    def m_Bond_set_mode(self, pool, bond, mode):
        self.world.check_ref(pool, 'Bond', bond)
        rules.bond_set_mode(self.world, bond, mode)
        return ''

    def m_Bond_set_property(self, pool, bond, name, value):
        self.world.check_ref(pool, 'Bond', bond)
        rules.bond_set_property(self.world, bond, name, value)
        return ''

    # ------------------------------------------------------------------ PIF
    def m_PIF_reconfigure_ip(self, pool, pif, mode, ip, netmask, gateway, dns):
        self.world.check_ref(pool, 'PIF', pif)
        rules.pif_reconfigure_ip(self.world, pool, pif, mode, ip, netmask, gateway, dns)
        return ''

    def m_PIF_set_disallow_unplug(self, pool, pif, value):
        self.world.check_ref(pool, 'PIF', pif)['disallow_unplug'] = value
        return ''

    def m_PIF_plug(self, pool, pif):
        self.world.check_ref(pool, 'PIF', pif)
        rules.pif_plug(self.world, pool, pif)
        return ''

    def m_PIF_unplug(self, pool, pif):
        self.world.check_ref(pool, 'PIF', pif)
        rules.pif_unplug(self.world, pool, pif)
        return ''

    def m_PIF_forget(self, pool, pif):
        self.world.check_ref(pool, 'PIF', pif)
        rules.pif_forget(self.world, pool, pif)
        return ''

    def m_PIF_scan(self, pool, host):
        self.world.check_ref(pool, 'host', host)
        rules.pif_scan(self.world, pool, host)
        return ''

    # ------------------------------------------------------------------ SR
    def m_SR_set_name_label(self, pool, sr, value):
        self.world.check_ref(pool, 'SR', sr)['name_label'] = value
        return ''

    def m_SR_set_name_description(self, pool, sr, value):
        self.world.check_ref(pool, 'SR', sr)['name_description'] = value
        return ''

    # ------------------------------------------------------------------ VM
    def m_VM_set_memory_limits(self, pool, vm, smin, smax, dmin, dmax):
        self.world.check_ref(pool, 'VM', vm)
        rules.vm_set_memory_limits(self.world, vm, smin, smax, dmin, dmax)
        return ''

    def m_VM_set_memory(self, pool, vm, value):
        # xapi_vm.ml: set_memory = set_memory_limits with static_max = dynamic_min = dynamic_max = value
        rec = self.world.check_ref(pool, 'VM', vm)
        rules.vm_set_memory_limits(self.world, vm, rec['memory_static_min'], value, value, value)
        return ''


class _Handler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    rpc_paths = ('/', '/RPC2')

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


class _Server(socketserver.ThreadingMixIn, xmlrpc.server.SimpleXMLRPCServer):
    daemon_threads = True
    allow_reuse_address = True


class Endpoint:
    """One listening socket on 127.0.0.1 for one simulated host."""

    def __init__(self, dispatcher, port=0):
        self.server = _Server(('127.0.0.1', port), requestHandler=_Handler, logRequests=False,
                              allow_none=True, use_builtin_types=False)
        self.server.register_instance(dispatcher)
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.5},
                                       name='xapi-double-%d' % self.port, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        # shutdown() waits for serve_forever to notice; a throw-away connection wakes its
        # select() at once instead of after a poll interval
        stopper = threading.Thread(target=self.server.shutdown)
        stopper.start()
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                pass
        except OSError:
            pass
        stopper.join()
        self.server.server_close()
        self.thread.join(timeout=5)
