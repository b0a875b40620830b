# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hand-written XenAPI signature table for the classes and methods the double serves.

Written by hand from the published XenAPI reference
(https://xapi-project.github.io/new-docs/xen-api/classes/, generated from the xapi
datamodel ``ocaml/idl/datamodel*.ml``; checked against xapi-project/xen-api master
e2ee48d, Aug 2026).  Only names, parameter types, RO/RW qualifiers and enum values are
recorded here -- nothing is generated from the upstream data files.

Conventions of the reference reproduced here:
* every message except ``session.login_with_password`` takes the session ref first;
  the table lists the parameters *after* the session (as the reference does), and
  xapi's arity error counts exactly those (``gen_server.ml``: expected =
  parameters without defaults, received = ``List.length __params - 1``);
* fields without a qualifier are RW: xapi generates ``get_<f>`` for every field and
  ``set_<f>`` for RW fields, plus ``add_to_<f>``/``remove_from_<f>`` for RW maps;
* ``since`` is the first xapi version that has the member (``None`` = in every profile
  the double knows).  Members added with an empty lifecycle in the datamodel
  (the NTP/timezone calls, xen-api PR 6689, first tag v26.0.0) get ``since="26.0.0"``.

Types: ``string``, ``int`` (int64, a string on the wire), ``float``, ``bool``,
``datetime``, ``ref:<Class>``, ``set:<type>``, ``map`` (string -> string unless noted),
``enum:<name>``, ``record:<Class>`` (a struct of the class's fields).
"""
from __future__ import annotations

NTP_SINCE = '26.0.0'
TLS_SINCE = '1.290.0'

# Enum values, as the reference spells them (xapi accepts them case-insensitively on
# input and always answers with this spelling).
ENUMS = {
    # datamodel.ml: bond_mode
    'bond_mode': ['balance-slb', 'active-backup', 'lacp'],
    # datamodel.ml: ip_configuration_mode (PIF.reconfigure_ip)
    'ip_configuration_mode': ['None', 'DHCP', 'Static'],
    'ipv6_configuration_mode': ['None', 'DHCP', 'Static', 'Autoconf'],
    'primary_address_type': ['IPv4', 'IPv6'],
    # datamodel_host.ml: host_ntp_mode (xapi >= 26.0.0)
    'host_ntp_mode': ['DHCP', 'Custom', 'Factory', 'Disabled'],
    # datamodel_vm.ml: vm_power_state
    'vm_power_state': ['Halted', 'Paused', 'Running', 'Suspended'],
    # datamodel.ml: network_default_locking_mode
    'network_default_locking_mode': ['unlocked', 'disabled'],
}


def F(ftype, rw=False, since=None):
    """A field: its type, whether it is RW (gets a generated setter), first xapi version."""
    return {'type': ftype, 'rw': rw, 'since': since}


def M(params, result='void', since=None, session=True, defaults=()):
    """A message: parameters after the session as (name, type) pairs, result type.

    ``defaults``: the default values of the last parameters, for the few messages whose
    datamodel parameters carry a ``param_default``.  xapi's generated server then accepts
    any call with at least the parameters without defaults (``gen_server.ml``: pattern
    ``a :: b :: default_args``), and its count error names that smaller number.
    """
    return {'params': list(params), 'result': result, 'since': since, 'session': session,
            'defaults': list(defaults)}


def required_count(msg):
    """Parameters (after the session) a call must send."""
    return len(msg['params']) - len(msg['defaults'])


CLASSES = {
    # ------------------------------------------------------------------ session
    'session': {
        'fields': {
            'uuid': F('string'),
            'this_host': F('ref:host'),
            'this_user': F('string'),
            'last_active': F('datetime'),
            'pool': F('bool'),
            'originator': F('string'),
            'other_config': F('map', rw=True),
        },
        'messages': {
            # login_with_password(uname, pwd, version, originator) -> session ref; no session arg
            'login_with_password': M([('uname', 'string'), ('pwd', 'string'), ('version', 'string'),
                                      ('originator', 'string')], 'ref:session', session=False,
                                     defaults=['1.1', '']),
            'logout': M([]),
            'get_this_host': M([('self', 'ref:session')], 'ref:host'),
            'get_this_user': M([('self', 'ref:session')], 'string'),
        },
        'generated': False,
    },
    # ------------------------------------------------------------------ pool
    'pool': {
        'fields': {
            'uuid': F('string'),
            'name_label': F('string', rw=True),
            'name_description': F('string', rw=True),
            'master': F('ref:host'),
            'default_SR': F('ref:SR', rw=True),
            'other_config': F('map', rw=True),
            'ha_enabled': F('bool'),
            # published in xapi 1.290.0 (reference lifecycle): absent on XCP-ng 8.2's xapi 1.249
            'tls_verification_enabled': F('bool', since=TLS_SINCE),
            'restrictions': F('map'),
            'cpu_info': F('map'),
            'tags': F('set:string', rw=True),
        },
        'messages': {
            'join': M([('master_address', 'string'), ('master_username', 'string'), ('master_password', 'string')]),
            'join_force': M([('master_address', 'string'), ('master_username', 'string'),
                             ('master_password', 'string')]),
            'eject': M([('host', 'ref:host')]),
            'management_reconfigure': M([('network', 'ref:network')]),
        },
        # the pool class has a name_label but no get_by_name_label in the reference
        'by_name_label': False,
    },
    # ------------------------------------------------------------------ host
    'host': {
        'fields': {
            'uuid': F('string'),
            'name_label': F('string', rw=True),
            'name_description': F('string', rw=True),
            'API_version_major': F('int'),
            'API_version_minor': F('int'),
            'enabled': F('bool'),
            'software_version': F('map'),
            'other_config': F('map', rw=True),
            'capabilities': F('set:string'),
            'cpu_info': F('map'),
            'hostname': F('string', rw=True),
            'address': F('string', rw=True),
            'PIFs': F('set:ref:PIF'),
            'PBDs': F('set:ref:PBD'),
            'resident_VMs': F('set:ref:VM'),
            'control_domain': F('ref:VM'),
            'iscsi_iqn': F('string'),
            'multipathing': F('bool'),
            'external_auth_type': F('string'),
            'tags': F('set:string', rw=True),
            'ntp_mode': F('enum:host_ntp_mode', since=NTP_SINCE),
            'ntp_custom_servers': F('set:string', since=NTP_SINCE),
            'timezone': F('string', since=NTP_SINCE),
        },
        'messages': {
            'get_management_interface': M([('host', 'ref:host')], 'ref:PIF'),
            'management_reconfigure': M([('pif', 'ref:PIF')]),
            'set_multipathing': M([('host', 'ref:host'), ('value', 'bool')]),
            'set_iscsi_iqn': M([('host', 'ref:host'), ('value', 'string')]),
            'set_ntp_mode': M([('self', 'ref:host'), ('value', 'enum:host_ntp_mode')], since=NTP_SINCE),
            'set_ntp_custom_servers': M([('self', 'ref:host'), ('value', 'set:string')], since=NTP_SINCE),
            'get_ntp_servers_status': M([('self', 'ref:host')], 'map', since=NTP_SINCE),
            'get_ntp_synchronized': M([('self', 'ref:host')], 'bool', since=NTP_SINCE),
            'set_timezone': M([('self', 'ref:host'), ('value', 'string')], since=NTP_SINCE),
        },
    },
    # ------------------------------------------------------------------ network
    'network': {
        'fields': {
            'uuid': F('string'),
            'name_label': F('string', rw=True),
            'name_description': F('string', rw=True),
            'MTU': F('int', rw=True),
            'other_config': F('map', rw=True),
            'bridge': F('string'),
            'managed': F('bool'),
            'PIFs': F('set:ref:PIF'),
            'VIFs': F('set:ref:VIF'),
            'tags': F('set:string', rw=True),
            'default_locking_mode': F('enum:network_default_locking_mode'),
            'purpose': F('set:string'),
        },
        'messages': {
            # network.create(args: network record) -> ref; only name_label is required in args
            'create': M([('args', 'record:network')], 'ref:network'),
            'destroy': M([('self', 'ref:network')]),
        },
    },
    # ------------------------------------------------------------------ PIF
    'PIF': {
        'fields': {
            'uuid': F('string'),
            'device': F('string'),
            'network': F('ref:network'),
            'host': F('ref:host'),
            'MAC': F('string'),
            'MTU': F('int'),
            'VLAN': F('int'),
            'metrics': F('ref:PIF_metrics'),
            'physical': F('bool'),
            'currently_attached': F('bool'),
            'ip_configuration_mode': F('enum:ip_configuration_mode'),
            'IP': F('string'),
            'netmask': F('string'),
            'gateway': F('string'),
            'DNS': F('string'),
            'bond_slave_of': F('ref:Bond'),
            'bond_master_of': F('set:ref:Bond'),
            'VLAN_master_of': F('ref:VLAN'),
            'VLAN_slave_of': F('set:ref:VLAN'),
            'management': F('bool'),
            'other_config': F('map', rw=True),
            'disallow_unplug': F('bool'),
            'ipv6_configuration_mode': F('enum:ipv6_configuration_mode'),
            'IPv6': F('set:string'),
            'ipv6_gateway': F('string'),
            'primary_address_type': F('enum:primary_address_type'),
            'managed': F('bool'),
            'properties': F('map'),
            'capabilities': F('set:string'),
        },
        'messages': {
            'reconfigure_ip': M([('self', 'ref:PIF'), ('mode', 'enum:ip_configuration_mode'), ('IP', 'string'),
                                 ('netmask', 'string'), ('gateway', 'string'), ('DNS', 'string')]),
            'set_disallow_unplug': M([('self', 'ref:PIF'), ('value', 'bool')]),
            'plug': M([('self', 'ref:PIF')]),
            'unplug': M([('self', 'ref:PIF')]),
            'forget': M([('self', 'ref:PIF')]),
            'scan': M([('host', 'ref:host')]),
        },
    },
    # ------------------------------------------------------------------ PIF_metrics
    'PIF_metrics': {
        'fields': {
            'uuid': F('string'),
            'carrier': F('bool'),
            'vendor_name': F('string'),
            'device_name': F('string'),
            'speed': F('int'),
            'duplex': F('bool'),
            'pci_bus_path': F('string'),
            'other_config': F('map', rw=True),
        },
        'messages': {},
    },
    # ------------------------------------------------------------------ Bond
    'Bond': {
        'fields': {
            'uuid': F('string'),
            'master': F('ref:PIF'),
            'slaves': F('set:ref:PIF'),
            'other_config': F('map', rw=True),
            'primary_slave': F('ref:PIF'),
            'mode': F('enum:bond_mode'),
            'properties': F('map'),
            'links_up': F('int'),
            'auto_update_mac': F('bool'),
        },
        'messages': {
            'create': M([('network', 'ref:network'), ('members', 'set:ref:PIF'), ('MAC', 'string'),
                         ('mode', 'enum:bond_mode'), ('properties', 'map')], 'ref:Bond',
                        defaults=['balance-slb', {}]),
            'destroy': M([('self', 'ref:Bond')]),
            'set_mode': M([('self', 'ref:Bond'), ('value', 'enum:bond_mode')]),
            'set_property': M([('self', 'ref:Bond'), ('name', 'string'), ('value', 'string')]),
        },
    },
    # ------------------------------------------------------------------ VLAN
    'VLAN': {
        'fields': {
            'uuid': F('string'),
            'tagged_PIF': F('ref:PIF'),
            'untagged_PIF': F('ref:PIF'),
            'tag': F('int'),
            'other_config': F('map', rw=True),
        },
        'messages': {},
    },
    # ------------------------------------------------------------------ VM
    'VM': {
        'fields': {
            'uuid': F('string'),
            'name_label': F('string', rw=True),
            'name_description': F('string', rw=True),
            'power_state': F('enum:vm_power_state'),
            'is_a_template': F('bool', rw=True),
            'is_control_domain': F('bool'),
            'resident_on': F('ref:host'),
            'memory_static_max': F('int'),
            'memory_static_min': F('int'),
            'memory_dynamic_max': F('int'),
            'memory_dynamic_min': F('int'),
            'memory_target': F('int'),
            'metrics': F('ref:VM_metrics'),
            'other_config': F('map', rw=True),
            'requires_reboot': F('bool'),
        },
        'messages': {
            'set_memory_limits': M([('self', 'ref:VM'), ('static_min', 'int'), ('static_max', 'int'),
                                    ('dynamic_min', 'int'), ('dynamic_max', 'int')]),
            'set_memory': M([('self', 'ref:VM'), ('value', 'int')]),
        },
    },
    # ------------------------------------------------------------------ VM_metrics
    'VM_metrics': {
        'fields': {
            'uuid': F('string'),
            'memory_actual': F('int'),
            'VCPUs_number': F('int'),
            'other_config': F('map', rw=True),
        },
        'messages': {},
    },
    # ------------------------------------------------------------------ SR / PBD (minimal)
    'SR': {
        'fields': {
            'uuid': F('string'),
            # RO/constructor in the reference, with explicit set_name_label/set_name_description
            'name_label': F('string'),
            'name_description': F('string'),
            'type': F('string'),
            'content_type': F('string'),
            'shared': F('bool'),
            'PBDs': F('set:ref:PBD'),
            'other_config': F('map', rw=True),
        },
        'messages': {
            'set_name_label': M([('sr', 'ref:SR'), ('value', 'string')]),
            'set_name_description': M([('sr', 'ref:SR'), ('value', 'string')]),
        },
    },
    'PBD': {
        'fields': {
            'uuid': F('string'),
            'host': F('ref:host'),
            'SR': F('ref:SR'),
            'device_config': F('map'),
            'currently_attached': F('bool'),
            'other_config': F('map', rw=True),
        },
        'messages': {},
    },
}


def version_tuple(version):
    """'26.1.4' -> (26, 1, 4); non-numeric parts count as 0."""
    out = []
    for part in str(version).split('.'):
        digits = ''.join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def available(since, xapi_version):
    return since is None or version_tuple(xapi_version) >= version_tuple(since)


def generated_messages(cls):
    """The messages xapi generates for a class's fields (get/set/add_to/remove_from, records)."""
    spec = CLASSES[cls]
    out = {}
    if not spec.get('generated', True):
        return out
    ref = 'ref:%s' % cls
    for name, field in spec['fields'].items():
        since = field['since']
        out['get_%s' % name] = M([('self', ref)], field['type'], since=since)
        if field['rw']:
            out['set_%s' % name] = M([('self', ref), ('value', field['type'])], since=since)
            if field['type'] == 'map':
                out['add_to_%s' % name] = M([('self', ref), ('key', 'string'), ('value', 'string')], since=since)
                out['remove_from_%s' % name] = M([('self', ref), ('key', 'string')], since=since)
            if field['type'].startswith('set:'):
                out['add_%s' % name] = M([('self', ref), ('value', field['type'][4:])], since=since)
                out['remove_%s' % name] = M([('self', ref), ('value', field['type'][4:])], since=since)
    out['get_record'] = M([('self', ref)], 'record:%s' % cls)
    out['get_all'] = M([], 'set:%s' % ref)
    out['get_all_records'] = M([], 'map:%s->record:%s' % (ref, cls))
    out['get_by_uuid'] = M([('uuid', 'string')], ref)
    if 'name_label' in spec['fields'] and spec.get('by_name_label', True):
        out['get_by_name_label'] = M([('label', 'string')], 'set:%s' % ref)
    return out


def all_messages(xapi_version=None):
    """{'Class.method': message spec} for a profile's xapi version (None: every member)."""
    table = {}
    for cls, spec in CLASSES.items():
        msgs = dict(generated_messages(cls))
        msgs.update(spec['messages'])
        for name, msg in msgs.items():
            if xapi_version is None or available(msg['since'], xapi_version):
                table['%s.%s' % (cls, name)] = msg
    return table


def arity_ok(msg, n_args):
    """Whether a call with ``n_args`` XML-RPC parameters (session included) is accepted."""
    received = n_args - (1 if msg['session'] else 0)
    if msg['defaults']:
        return received >= required_count(msg)
    return received == len(msg['params'])
