# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the roles' inputs — derived from the inventory model, and checked.

One home for two things the preflight and the roles must agree on:

* :func:`model_inputs` turns the inventory model (``cshv_bridge_type``,
  ``cshv_bridges``, ``cshv_traffic_labels``, ``cshv_management_*``) into the
  kvm role's network inputs (``kvm_network_bridge_type``, ``kvm_bridges``,
  ``kvm_ovs_bridges``, ``kvm_*_network_device``).  The kvm role takes them
  from here (filter ``cloudstack.hypervisors.kvm_model_inputs``) wherever the
  inventory leaves the input unset (``null`` / ``""``, the role defaults), and
  the preflight validates exactly these values.
* :func:`check_inputs` checks every role input of a host against the role's
  argument specification (strict types: a string is not a list, ``4.20`` is not
  ``"4.20"``; choices; no unknown ``<role>_*`` names) and against the semantic
  rules below — before any host is changed.  The preflight runs it for every
  KVM/LXC host at the inventory stage; :func:`check_facts` adds the rules that
  need the host (TLS certificates) at the fact stage; the kvm role runs the
  same rules on its own inputs (filter ``cloudstack.hypervisors.role_input_problems``).

Pure functions over plain data; the argument specifications are passed in
(the action/filter plugins read them from ``roles/*/meta/argument_specs.yml``).
"""

from __future__ import annotations

import posixpath
import re

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # pragma: no cover - netaddr is a controller requirement
    netaddr = None
    HAS_NETADDR = False

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster

# Roles applied to a host of each bridged hypervisor (the lxc role runs kvm).
ROLES_BY_HYPERVISOR = {
    'kvm': ('host_prep', 'kvm', 'cluster_verify', 'readiness_report'),
    'lxc': ('host_prep', 'kvm', 'lxc', 'cluster_verify', 'readiness_report'),
}
# Variable prefix of each role (a variable with the prefix that the role does not take is a typo).
PREFIXES = (('host_prep_', 'host_prep'), ('kvm_', 'kvm'), ('lxc_', 'lxc'),
            ('cluster_verify_', 'cluster_verify'), ('readiness_report_', 'readiness_report'))
# kvm inputs whose unset value (null or "") means "from the inventory model".
MODEL_DERIVED = ('kvm_network_bridge_type', 'kvm_bridges', 'kvm_ovs_bridges',
                 'kvm_private_network_device', 'kvm_guest_network_device', 'kvm_public_network_device')
# libvirt TLS files a host needs to listen on 16514 and to migrate to its peers
# (libvirt's default paths; cloudstack-setup-agent links its keystore's certificates there).
TLS_FILES = ('/etc/pki/CA/cacert.pem', '/etc/pki/libvirt/servercert.pem', '/etc/pki/libvirt/private/serverkey.pem',
             '/etc/pki/libvirt/clientcert.pem', '/etc/pki/libvirt/private/clientkey.pem')
# agent.properties keys another input (or Add Host) owns: not for kvm_agent_properties.
AGENT_KEYS_OWNED = {
    'host': 'kvm_agent_hosts', 'hypervisor.type': 'kvm_hypervisor_type',
    'network.bridge.type': 'cshv_bridge_type', 'guest.cpu.mode': 'kvm_guest_cpu_mode',
    'guest.cpu.model': 'kvm_guest_cpu_model', 'guest.cpu.features': 'kvm_guest_cpu_features',
    'private.network.device': 'cshv_traffic_labels', 'public.network.device': 'cshv_traffic_labels',
    'guest.network.device': 'cshv_traffic_labels',
    'guid': 'Add Host', 'zone': 'Add Host', 'pod': 'Add Host', 'cluster': 'Add Host',
}
HOOK_ACTIONS = ('prepare', 'start', 'started', 'stopped', 'release', 'migrate', 'restore', 'reconnect', 'attach', 'all')
HOSTNAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$')
CPU_FEATURE_RE = re.compile(r'^-?[A-Za-z0-9_.]+$')
CPU_MODEL_RE = re.compile(r'^[A-Za-z0-9_.-]+$')
PKG_VERSION_RE = re.compile(r'^[A-Za-z0-9.:~+*-]*$')
PKG_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9+._:=*~-]*$')
URL_RE = re.compile(r'^(https?|file)://\S+$')
SUITE_RE = re.compile(r'^[A-Za-z0-9._/-]*$')
USER_RE = re.compile(r'^[a-z_][a-z0-9_-]{0,31}$')
HOOK_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
CONF_KEY_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
NFT_TABLE_RE = re.compile(r'^(inet|ip|ip6|arp|bridge|netdev) [A-Za-z0-9_-]+$')
NFT_CHAIN_RE = re.compile(r'^[A-Za-z0-9_-]+$')
ZONE_RE = re.compile(r'^[A-Za-z0-9_-]{0,17}$')
PORT_RE = re.compile(r'^([0-9]{1,5})(:([0-9]{1,5}))?$')
JAVA_CLASS_RE = re.compile(r'^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$')


def _q(value):
    return _cluster._q(value)


# --------------------------------------------------------------------------
# the inventory model -> the kvm role's network inputs

def bridge_params(bridges, kind, bridge_type='linux', labels=None, address=None, gateway=None,
                  management_options=None):
    """Items for cs_bridge (*kind* ``linux``) or ovs_fakebridge (*kind* ``openvswitch``).

    Returns ``[]`` when *kind* is not the host's *bridge_type*. The bridge named
    by the management traffic label gets the management *address*/*gateway*
    and ``management: true`` (the bridge modules then confirm the change over a
    fresh connection or roll it back), plus *management_options*.  Raises
    ``ValueError`` on input the preflight rejects (it ran first).
    """
    if kind not in ('linux', 'openvswitch'):
        raise ValueError('bridge_params: kind must be linux or openvswitch, not %r' % (kind,))
    if (bridge_type or 'linux') != kind:
        return []
    labels = labels or {}
    mgmt = labels.get('management')
    out = []
    for br in bridges or []:
        if not isinstance(br, dict) or 'name' not in br:
            raise ValueError('bridge_params: every bridge needs a name, got %r' % (br,))
        ports = br.get('ports') or []
        if isinstance(ports, str):
            ports = [ports]
        item = {'name': br['name']}
        vlan = _vlan(br.get('vlan'), br['name'])
        if kind == 'linux':
            if vlan is not None:
                item['ports'] = [{'device': p, 'vlan': vlan} for p in ports]
            else:
                item['ports'] = list(ports)
            for key in ('stp', 'forward_delay', 'mtu'):
                if br.get(key) is not None:
                    item[key] = br[key]
        else:
            if br.get('parent'):
                item['parent'] = br['parent']
                item['vlan'] = vlan
            else:
                item['uplinks'] = list(ports)
                if br.get('trunks') is not None:
                    item['trunks'] = [0 if t in (0, '0') else _vlan(t, br['name']) for t in br['trunks']]
        if br['name'] == mgmt and address:
            item['ipv4'] = address
            if gateway:
                item['gateway'] = gateway
            item['management'] = True
            item.update(management_options or {})
        out.append(item)
    return out


def _vlan(value, name):
    vlan, err = _cluster.parse_vlan(value)
    if err:
        raise ValueError('VLAN id %s of bridge %s %s' % (_q(value), name, err))
    return vlan


def traffic_devices(labels):
    """agent.properties devices for the traffic labels, as the agent falls back:
    guest defaults to the management bridge, public to the guest bridge."""
    labels = labels if isinstance(labels, dict) else {}
    private = labels.get('management') or ''
    guest = labels.get('guest') or private
    public = labels.get('public') or guest
    return {'kvm_private_network_device': private, 'kvm_guest_network_device': guest,
            'kvm_public_network_device': public}


def model_inputs(bridges=None, bridge_type=None, labels=None, address=None, gateway=None):
    """The kvm role's network inputs implied by the inventory model (all of :data:`MODEL_DERIVED`)."""
    btype = bridge_type or 'linux'
    out = {'kvm_network_bridge_type': 'openvswitch' if btype == 'openvswitch' else 'native',
           'kvm_bridges': bridge_params(bridges, 'linux', btype, labels, address, gateway),
           'kvm_ovs_bridges': bridge_params(bridges, 'openvswitch', btype, labels, address, gateway)}
    out.update(traffic_devices(labels))
    return out


def _unset(name, value):
    return value is None or (value == '' and name not in ('kvm_bridges', 'kvm_ovs_bridges'))


def effective_inputs(specs, roles, defined, model):
    """name -> the value the roles will use: the inventory's (*defined*), else
    the role default, else (for :data:`MODEL_DERIVED`) what the model implies."""
    values = {}
    for role in roles:
        for name, opt in (specs.get(role) or {}).items():
            values[name] = defined[name] if name in defined else (opt or {}).get('default')
    derived = None
    for name in MODEL_DERIVED:
        if name in values and _unset(name, values[name]):
            if derived is None:
                try:
                    derived = model_inputs(model.get('cshv_bridges'), model.get('cshv_bridge_type'),
                                           model.get('cshv_traffic_labels'), model.get('cshv_management_address'),
                                           model.get('cshv_management_gateway'))
                except (ValueError, TypeError, AttributeError):
                    derived = {}  # the model's own checks report why
            values[name] = derived.get(name, values[name])
    return values


# --------------------------------------------------------------------------
# argument specification (strict)

_TYPES = {'str': (str,), 'path': (str,), 'bool': (bool,), 'int': (int,), 'float': (float, int),
          'list': (list,), 'dict': (dict,), 'raw': (object,)}
_TYPE_WORDS = {'str': 'a string', 'path': 'a path', 'bool': 'true or false', 'int': 'a whole number',
               'float': 'a number', 'list': 'a list', 'dict': 'a mapping', 'raw': 'a value'}


def _type_word(value):
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, list):
        return 'a list'
    if isinstance(value, dict):
        return 'a mapping'
    return 'a %s' % type(value).__name__


def _is(value, typ):
    if typ in ('int', 'float') and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES.get(typ, (object,)))


def check_spec(problems, host, name, value, opt):
    """Strict check of one explicitly set value against its option spec."""
    typ = opt.get('type', 'str')
    if value is None:
        if opt.get('default') is None and not opt.get('required'):
            return
        problems.add(host, 'inputs', name, '%s of %s is unset (null); give it %s or remove it.'
                     % (name, host, _TYPE_WORDS.get(typ, 'a value')))
        return
    if not _is(value, typ):
        problems.add(host, 'inputs', value, '%s of %s is %s %s, not %s%s.' % (
            name, host, _type_word(value), _q(value), _TYPE_WORDS.get(typ, typ),
            ' (quote it: "%s")' % value if typ == 'str' and isinstance(value, (int, float)) else ''))
        return
    choices = opt.get('choices')
    if choices and typ != 'list' and value not in choices:
        problems.add(host, 'inputs', value, '%s of %s is %s; use one of %s.'
                     % (name, host, _q(value), ', '.join(_q(c) for c in choices)))
    if typ == 'list':
        etype = opt.get('elements', 'raw')
        for i, item in enumerate(value):
            if not _is(item, etype):
                problems.add(host, 'inputs', item, '%s[%d] of %s is %s %s, not %s.' % (
                    name, i, host, _type_word(item), _q(item), _TYPE_WORDS.get(etype, etype)))
            elif choices and item not in choices:
                problems.add(host, 'inputs', item, '%s[%d] of %s is %s; use one of %s.'
                             % (name, i, host, _q(item), ', '.join(_q(c) for c in choices)))


def role_of(name):
    for prefix, role in PREFIXES:
        if name.startswith(prefix):
            return role
    return None


# --------------------------------------------------------------------------
# semantic rules

def _strings(problems, host, name, values, pattern, what, allow_empty=False):
    """Each item of a list of strings matches *pattern* (non-empty unless *allow_empty*)."""
    for i, item in enumerate(values if isinstance(values, list) else []):
        if not isinstance(item, str):
            continue  # the spec check names it
        if (not item and not allow_empty) or (item and not pattern.match(item)):
            problems.add(host, 'inputs', item, '%s[%d] of %s is %s; %s.' % (name, i, host, _q(item), what))


def _is_host_or_ip(value):
    if not isinstance(value, str) or not value:
        return False
    if ':' in value or re.match(r'^[0-9.]+$', value):
        return not _cluster.parse_ip(value)[1]
    return bool(HOSTNAME_RE.match(value))


def _check_hosts_list(problems, host, name, values, what):
    seen = set()
    for i, item in enumerate(values if isinstance(values, list) else []):
        if not isinstance(item, str):
            continue
        if not _is_host_or_ip(item):
            problems.add(host, 'inputs', item, '%s[%d] of %s is %s; %s must be a host name or an IP address.'
                         % (name, i, host, _q(item), what))
        elif item in seen:
            problems.add(host, 'inputs', item, '%s of %s lists %s twice.' % (name, host, _q(item)))
        seen.add(item)


def _check_cidr(value):
    """None when *value* is an address or a network in CIDR form without host bits, else why not."""
    addr, sep, prefix = value.partition('/')
    ip, err = _cluster.parse_ip(addr)
    if err:
        return 'is not an IP address or network (%s)' % err
    maxlen = 32 if ip.version == 4 else 128
    if sep:
        if not prefix.isdigit():
            return 'has a prefix length that is not a number'
        if int(prefix) > maxlen:
            return 'has prefix length /%s; IPv%d prefixes are 0-%d' % (prefix, ip.version, maxlen)
        net = netaddr.IPNetwork(value)
        if net.ip != net.network:
            return 'has host bits set; the network is %s' % net.cidr
    return None


def check_kvm(problems, host, v, model, exists):
    """The kvm role's rules (also for LXC hosts, which run the kvm role)."""
    mode, cpu_model, features = v.get('kvm_guest_cpu_mode'), v.get('kvm_guest_cpu_model'), v.get('kvm_guest_cpu_features')
    if mode == 'custom' and not cpu_model:
        problems.add(host, 'inputs', mode, "kvm_guest_cpu_mode of %s is 'custom' but kvm_guest_cpu_model is empty; "
                     'name a model of libvirt\'s CPU map (or use host-model / host-passthrough).' % host)
    if isinstance(cpu_model, str) and cpu_model:
        if mode != 'custom':
            problems.add(host, 'inputs', cpu_model, 'kvm_guest_cpu_model %s of %s is only used with kvm_guest_cpu_mode '
                         "'custom' (it is %s)." % (_q(cpu_model), host, _q(mode)))
        elif not CPU_MODEL_RE.match(cpu_model):
            problems.add(host, 'inputs', cpu_model, 'kvm_guest_cpu_model %s of %s is not a CPU model name.' % (_q(cpu_model), host))
    _strings(problems, host, 'kvm_guest_cpu_features', features, CPU_FEATURE_RE,
             'use CPU feature names, a leading "-" disables one')

    method = v.get('kvm_agent_install_method')
    pkg = v.get('kvm_agent_package_file')
    if method == 'file':
        if not pkg:
            problems.add(host, 'inputs', pkg, "kvm_agent_install_method of %s is 'file' but kvm_agent_package_file is empty." % host)
        elif isinstance(pkg, str) and not pkg.endswith(('.deb', '.rpm')):
            problems.add(host, 'inputs', pkg, 'kvm_agent_package_file %s of %s is not a .deb or .rpm file.' % (_q(pkg), host))
        elif isinstance(pkg, str) and not exists(pkg):
            problems.add(host, 'inputs', pkg, 'kvm_agent_package_file %s of %s does not exist on the controller.' % (_q(pkg), host))
    version = v.get('kvm_agent_version')
    if isinstance(version, str) and not PKG_VERSION_RE.match(version):
        problems.add(host, 'inputs', version, 'kvm_agent_version %s of %s is not a package version.' % (_q(version), host))
    cs_version = v.get('kvm_cloudstack_version')
    if isinstance(cs_version, str) and not re.match(r'^[0-9]+\.[0-9]+$', cs_version):
        problems.add(host, 'inputs', cs_version, 'kvm_cloudstack_version %s of %s is not a release like "4.20".'
                     % (_q(cs_version), host))
    for name in ('kvm_repo_url', 'kvm_repo_key_url'):
        url = v.get(name)
        if isinstance(url, str) and url and not URL_RE.match(url):
            problems.add(host, 'inputs', url, '%s %s of %s is not an http(s):// or file:// URL.' % (name, _q(url), host))
    suite = v.get('kvm_repo_suite')
    if isinstance(suite, str) and not SUITE_RE.match(suite):
        problems.add(host, 'inputs', suite, 'kvm_repo_suite %s of %s is not a suite name.' % (_q(suite), host))
    _strings(problems, host, 'kvm_extra_packages', v.get('kvm_extra_packages'), PKG_NAME_RE, 'use a package name')

    _check_hosts_list(problems, host, 'kvm_agent_hosts', v.get('kvm_agent_hosts'), 'each management server')

    props = v.get('kvm_agent_properties')
    if isinstance(props, dict):
        for key, value in props.items():
            if not isinstance(key, str) or not CONF_KEY_RE.match(key):
                problems.add(host, 'inputs', key, 'kvm_agent_properties of %s has the key %s, which is not a '
                             'property name.' % (host, _q(key)))
            elif key in AGENT_KEYS_OWNED:
                problems.add(host, 'inputs', key, 'kvm_agent_properties of %s sets %s, which %s owns; set it there.'
                             % (host, key, AGENT_KEYS_OWNED[key]))
            if not isinstance(value, (str, int, float, bool)) or '\n' in str(value):
                problems.add(host, 'inputs', key, 'kvm_agent_properties[%s] of %s is %s; use a one-line value.'
                             % (key, host, _q(value)))
    qemu = v.get('kvm_qemu_conf')
    if isinstance(qemu, dict):
        for key, value in qemu.items():
            if not isinstance(key, str) or not re.match(r'^[a-z0-9_]+$', key):
                problems.add(host, 'inputs', key, 'kvm_qemu_conf of %s has the key %s, which is not a qemu.conf '
                             'setting name.' % (host, _q(key)))
            if not isinstance(value, (str, int, bool)) or '\n' in str(value):
                problems.add(host, 'inputs', key, 'kvm_qemu_conf[%s] of %s is %s; use a one-line raw value.'
                             % (key, host, _q(value)))

    # libvirt: what verification checks must be what the rollout sets up.
    listen = v.get('kvm_libvirt_listen_mode')
    transport = v.get('cluster_verify_libvirt_transport')
    if listen in ('tcp', 'tls') and transport in ('tcp', 'tls') and transport != listen:
        problems.add(host, 'inputs', transport, 'cluster_verify_libvirt_transport of %s is %s but '
                     'kvm_libvirt_listen_mode is %s: verification would check a transport the host does not '
                     'listen on.' % (host, _q(transport), _q(listen)))
    if v.get('kvm_libvirt_auth_tcp') == 'sasl' and listen != 'tcp':
        problems.add(host, 'inputs', 'sasl', "kvm_libvirt_auth_tcp 'sasl' of %s only applies with "
                     "kvm_libvirt_listen_mode 'tcp' (it is %s)." % (host, _q(listen)))

    # network: the inputs the model implies, unless set consistently.
    derived = {}
    try:
        derived = model_inputs(model.get('cshv_bridges'), model.get('cshv_bridge_type'),
                               model.get('cshv_traffic_labels'), model.get('cshv_management_address'),
                               model.get('cshv_management_gateway'))
    except (ValueError, TypeError, AttributeError):
        pass
    has_model = isinstance(model.get('cshv_bridges'), list) and bool(model.get('cshv_bridges'))
    explicit = v.get('__explicit', ())
    if has_model:
        for name in ('kvm_bridges', 'kvm_ovs_bridges'):
            if name in explicit and v.get(name) is not None:
                problems.add(host, 'inputs', name, '%s is set for %s although cshv_bridges describes its bridges; '
                             'remove it: the kvm role builds what cshv_bridges says (and the preflight checked).'
                             % (name, host))
        for name in ('kvm_network_bridge_type', 'kvm_private_network_device', 'kvm_guest_network_device',
                     'kvm_public_network_device'):
            value = v.get(name)
            if name in explicit and not _unset(name, value) and derived and value != derived.get(name):
                problems.add(host, 'inputs', value, '%s of %s is %s but the inventory model (cshv_bridge_type, '
                             'cshv_traffic_labels) gives %s; remove it or make them agree.'
                             % (name, host, _q(value), _q(derived.get(name))))
    btype = v.get('kvm_network_bridge_type')
    for name, want in (('kvm_bridges', 'native'), ('kvm_ovs_bridges', 'openvswitch')):
        items = v.get(name)
        if not isinstance(items, list):
            continue
        if items and btype in ('native', 'openvswitch') and btype != want:
            problems.add(host, 'inputs', name, '%s of %s lists %d bridge(s) but the bridge type is %s; %s is for %s.'
                         % (name, host, len(items), _q(btype), name, want))
        for i, item in enumerate(items):
            bname = item.get('name') if isinstance(item, dict) else None
            err = _cluster.check_ifname(bname)
            if err:
                problems.add(host, 'inputs', bname, '%s[%d] of %s: bridge name %s %s.' % (name, i, host, _q(bname), err))

    fw_sources = v.get('kvm_firewall_sources')
    for i, src in enumerate(fw_sources if isinstance(fw_sources, list) else []):
        if isinstance(src, str):
            err = _check_cidr(src) if src else 'is empty'
            if err:
                problems.add(host, 'inputs', src, 'kvm_firewall_sources[%d] of %s is %s, which %s.' % (i, host, _q(src), err))
    ports = v.get('kvm_firewall_extra_ports')
    for i, port in enumerate(ports if isinstance(ports, list) else []):
        m = PORT_RE.match(str(port)) if isinstance(port, (str, int)) and not isinstance(port, bool) else None
        lo, hi = (int(m.group(1)), int(m.group(3) or m.group(1))) if m else (0, 0)
        if not m or not 1 <= lo <= hi <= 65535:
            problems.add(host, 'inputs', port, 'kvm_firewall_extra_ports[%d] of %s is %s; use a port 1-65535 or a range '
                         'like "8000:8010".' % (i, host, _q(port)))
    zone = v.get('kvm_firewall_zone')
    if isinstance(zone, str) and not ZONE_RE.match(zone):
        problems.add(host, 'inputs', zone, 'kvm_firewall_zone %s of %s is not a firewalld zone name.' % (_q(zone), host))
    table = v.get('kvm_nftables_table')
    if isinstance(table, str) and not NFT_TABLE_RE.match(table):
        problems.add(host, 'inputs', table, 'kvm_nftables_table %s of %s must be "<family> <table>", e.g. "inet filter".'
                     % (_q(table), host))
    chain = v.get('kvm_nftables_chain')
    if isinstance(chain, str) and not NFT_CHAIN_RE.match(chain):
        problems.add(host, 'inputs', chain, 'kvm_nftables_chain %s of %s is not a chain name.' % (_q(chain), host))

    hooks = v.get('kvm_libvirt_hooks')
    for i, hook in enumerate(hooks if isinstance(hooks, list) else []):
        if not isinstance(hook, dict):
            continue
        label = '%s_%s' % (hook.get('action', '?'), hook.get('name', '?'))
        unknown = sorted(set(hook) - {'action', 'name', 'content', 'src'})
        if unknown:
            problems.add(host, 'inputs', unknown[0], 'kvm_libvirt_hooks[%d] (%s) of %s has unknown key(s) %s; use '
                         'action, name, content or src.' % (i, label, host, ', '.join(unknown)))
        if hook.get('action') not in HOOK_ACTIONS:
            problems.add(host, 'inputs', hook.get('action'), 'kvm_libvirt_hooks[%d] of %s has action %s; use one of %s.'
                         % (i, host, _q(hook.get('action')), ', '.join(HOOK_ACTIONS)))
        if not isinstance(hook.get('name'), str) or not HOOK_NAME_RE.match(hook.get('name')):
            problems.add(host, 'inputs', hook.get('name'), 'kvm_libvirt_hooks[%d] of %s has name %s; use a plain file name.'
                         % (i, host, _q(hook.get('name'))))
        if ('content' in hook) == ('src' in hook):
            problems.add(host, 'inputs', label, 'kvm_libvirt_hooks[%d] (%s) of %s needs exactly one of content or src.'
                         % (i, label, host))
        elif 'src' in hook and (not isinstance(hook['src'], str) or not exists(hook['src'])):
            problems.add(host, 'inputs', hook['src'], 'kvm_libvirt_hooks[%d] (%s) of %s: src %s does not exist on the '
                         'controller.' % (i, label, host, _q(hook['src'])))
        elif 'content' in hook and not isinstance(hook['content'], str):
            problems.add(host, 'inputs', label, 'kvm_libvirt_hooks[%d] (%s) of %s: content is not text.' % (i, label, host))

    user = v.get('kvm_sudo_user')
    if isinstance(user, str) and user and (user == 'root' or not USER_RE.match(user)):
        problems.add(host, 'inputs', user, 'kvm_sudo_user %s of %s must be a non-root user name (or empty for root).'
                     % (_q(user), host))
    cmds = v.get('kvm_sudo_commands')
    for i, cmd in enumerate(cmds if isinstance(cmds, list) else []):
        if isinstance(cmd, str) and (not posixpath.isabs(cmd) or '\n' in cmd):
            problems.add(host, 'inputs', cmd, 'kvm_sudo_commands[%d] of %s is %s; use an absolute path.' % (i, host, _q(cmd)))


def check_host_prep(problems, host, v):
    _check_hosts_list(problems, host, 'host_prep_ntp_servers', v.get('host_prep_ntp_servers'), 'each NTP server')
    _check_hosts_list(problems, host, 'host_prep_ntp_pools', v.get('host_prep_ntp_pools'), 'each NTP pool')
    if v.get('host_prep_ntp_manage') and not (v.get('host_prep_ntp_servers') or v.get('host_prep_ntp_pools')):
        problems.add(host, 'inputs', None, 'host_prep_ntp_manage is true for %s but host_prep_ntp_servers and '
                     'host_prep_ntp_pools are both empty: chrony would have no time source.' % host)
    opts = v.get('host_prep_ntp_options')
    if isinstance(opts, str) and '\n' in opts:
        problems.add(host, 'inputs', opts, 'host_prep_ntp_options of %s spans lines.' % host)
    fqdn = v.get('host_prep_fqdn')
    if isinstance(fqdn, str) and fqdn and ('.' not in fqdn.strip('.') or not HOSTNAME_RE.match(fqdn)):
        problems.add(host, 'inputs', fqdn, 'host_prep_fqdn %s of %s is not a fully qualified (dotted) host name.'
                     % (_q(fqdn), host))
    addr = v.get('host_prep_fqdn_address')
    if isinstance(addr, str) and addr and _cluster.parse_ip(addr)[1]:
        problems.add(host, 'inputs', addr, 'host_prep_fqdn_address %s of %s is not an IP address.' % (_q(addr), host))
    mem = v.get('host_prep_min_memory_mb')
    if isinstance(mem, int) and not isinstance(mem, bool) and mem < 0:
        problems.add(host, 'inputs', mem, 'host_prep_min_memory_mb of %s is negative (%d).' % (host, mem))
    archs = v.get('host_prep_architectures')
    if isinstance(archs, list) and not archs:
        problems.add(host, 'inputs', archs, 'host_prep_architectures of %s is empty: no host could pass.' % host)


def check_lxc(problems, host, v):
    if v.get('lxc_direct_networking'):
        dev = v.get('lxc_direct_device')
        err = _cluster.check_ifname(dev)
        if err:
            problems.add(host, 'inputs', dev, 'lxc_direct_networking is on for %s but lxc_direct_device %s %s.'
                         % (host, _q(dev), err))
    cls = v.get('lxc_vif_driver')
    if isinstance(cls, str) and not JAVA_CLASS_RE.match(cls):
        problems.add(host, 'inputs', cls, 'lxc_vif_driver %s of %s is not a Java class name.' % (_q(cls), host))


def check_inputs(problems, host, hypervisor, specs, defined, model, exists=posixpath.exists):
    """Check every role input of one KVM/LXC *host*.

    *specs*: role -> {option: spec} (``argument_specs.main.options``).
    *defined*: the host's variables with a role prefix, as set in the inventory
    (an ``Exception`` value: templating failed, reported elsewhere).
    *model*: the host's ``cshv_*`` variables.  *exists*: controller file test.
    Returns the effective values (see :func:`effective_inputs`).
    """
    roles = ROLES_BY_HYPERVISOR.get(hypervisor, ())
    defined = dict((k, val) for k, val in defined.items() if not isinstance(val, Exception))
    for name in sorted(defined):
        role = role_of(name)
        if role is None or role not in specs:
            continue
        opt = specs[role].get(name)
        if opt is None:
            close = [o for o in specs[role] if o.startswith(name) or name.startswith(o)]
            problems.add(host, 'inputs', name, '%s is set for %s but is not an input of the %s role%s.' % (
                name, host, role, ' (did you mean %s?)' % close[0] if close else ''))
            continue
        if role in roles:
            check_spec(problems, host, name, defined[name], opt or {})
    values = effective_inputs(specs, roles, defined, model)
    values['__explicit'] = frozenset(defined)
    if 'kvm' in roles:
        check_kvm(problems, host, values, model, exists)
    if 'host_prep' in roles:
        check_host_prep(problems, host, values)
    if 'lxc' in roles:
        check_lxc(problems, host, values)
    del values['__explicit']
    return values


def check_facts(problems, host, values, files):
    """Rules that need the host: *files* is the set of paths the probe found."""
    if files is None:
        return
    if values.get('kvm_libvirt_listen_mode') == 'tls':
        missing = [f for f in TLS_FILES if f not in files]
        if missing:
            problems.add(host, 'inputs', missing[0], "kvm_libvirt_listen_mode 'tls' on %s needs libvirt's certificates, "
                         'but %s %s missing (put them in place first, or use tcp / off until Add Host sets TLS up).'
                         % (host, ', '.join(missing), 'is' if len(missing) == 1 else 'are'))
