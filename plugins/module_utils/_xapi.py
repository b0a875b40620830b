# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: XenAPI connection and pool reading for the xenserver_* modules.

The modules run on the controller and speak XenAPI (XML-RPC) to a host's
management address.  This file is the one place that:

* builds the connection options (:func:`argument_spec`);
* logs in, and turns ``HOST_IS_SLAVE`` into "this host is a member of the pool
  of <master>" instead of an error (:class:`Xapi`);
* turns every ``XenAPI.Failure`` into ``fail_json`` naming the host, the
  object and the xapi error code, with ``changed`` true when something was
  already written (:meth:`Xapi.fail`);
* reads a whole pool once (:class:`PoolView`) - 64-bit integers arrive as
  strings on the wire and are parsed with :func:`to_int`;
* holds the CloudStack/XenServer version table (:data:`CLOUDSTACK_MIN_VERSION`).
"""

from __future__ import annotations

import socket
import time
import traceback

try:
    import XenAPI
    HAS_XENAPI = True
    XENAPI_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - a controller requirement
    XenAPI = None
    HAS_XENAPI = False
    XENAPI_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.basic import missing_required_lib

ORIGINATOR = 'cloudstack.hypervisors'
BOND_MODES = ('balance-slb', 'active-backup', 'lacp')
# CloudStack's XenServer traffic types (the zone's "XenServer traffic label" per type).
TRAFFIC_TYPES = ('management', 'guest', 'public', 'storage')

# Oldest Apache CloudStack release that supports a product (brand, major.minor).
# Sources: cloudstack-documentation source/releasenotes/compat.rst; XCP-ng 8.3 and
# XenServer 8.4 arrived with 4.20.1.0 (engine/schema schema-42000to42010.sql adds
# their hypervisor_capabilities rows).
CLOUDSTACK_MIN_VERSION = {
    ('XCP-ng', '8.2'): '4.15.0',
    ('XCP-ng', '8.3'): '4.20.1',
    ('Citrix Hypervisor', '8.2'): '4.15.0',
    ('XenServer', '8.2'): '4.15.0',
    ('XenServer', '8.4'): '4.20.1',
}


def argument_spec():
    """The connection options of doc fragment cloudstack.hypervisors.xenserver."""
    return dict(
        api_url=dict(type='str', required=True),
        api_username=dict(type='str', default='root'),
        api_password=dict(type='str', required=True, no_log=True),
        validate_certs=dict(type='bool', default=True),
        timeout=dict(type='int', default=60),
    )


def normalize_url(url):
    """Add https:// when the URL has no scheme."""
    url = (url or '').strip()
    if '://' not in url:
        url = 'https://' + url
    return url.rstrip('/')


def to_int(value, default=None):
    """XenAPI sends 64-bit integers as strings; '' and None give *default*."""
    if value is None or value == '':
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def version_tuple(text):
    out = []
    for part in str(text or '').split('.'):
        digits = ''
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if digits == '':
            break
        out.append(int(digits))
    return tuple(out)


def cloudstack_support(brand, version, cloudstack_version):
    """None when the CloudStack release supports the product, else a sentence."""
    key = (brand, '.'.join(str(p) for p in version_tuple(version)[:2]))
    need = CLOUDSTACK_MIN_VERSION.get(key)
    if need is None:
        return '%s %s is not a product version this collection knows CloudStack to support (known: %s)' % (
            brand, version, ', '.join('%s %s' % k for k in sorted(CLOUDSTACK_MIN_VERSION)))
    if cloudstack_version and version_tuple(cloudstack_version) < version_tuple(need):
        return '%s %s needs CloudStack %s or later, the zone runs %s' % (brand, version, need, cloudstack_version)
    return None


class XapiError(Exception):
    """A XenAPI failure with its call: code and params as xapi sent them."""

    def __init__(self, call, details):
        self.call = call
        details = list(details or ['UNKNOWN'])
        self.code = str(details[0])
        self.params = [str(p) for p in details[1:]]
        super(XapiError, self).__init__('%s: %s %s' % (call, self.code, ' '.join(self.params)))


class Xapi(object):
    """One XenAPI session to one host, owned by one module run.

    ``label`` names the host in messages (the inventory name, else the URL).
    ``commands`` lists every write in the order made; ``wrote`` says whether
    any write reached xapi (for ``changed`` on a later failure).
    """

    def __init__(self, module, url=None, username=None, password=None, label=None):
        self.module = module
        p = module.params
        self.url = normalize_url(url or p['api_url'])
        self.username = username or p['api_username']
        self._password = password if password is not None else p['api_password']
        self.label = label or p.get('host_label') or self.url
        self.session = None
        self.slave_of = None
        self.wrote = False
        self.commands = []

    def login(self):
        """Log in.  On a pool member sets ``slave_of`` to the master's address and returns False."""
        if not HAS_XENAPI:
            self.module.fail_json(msg=missing_required_lib('XenAPI'), exception=XENAPI_IMPORT_ERROR)
        socket.setdefaulttimeout(self.module.params.get('timeout') or 60)
        try:
            self.session = XenAPI.Session(self.url, ignore_ssl=not self.module.params.get('validate_certs', True))
            self.session.xenapi.login_with_password(self.username, self._password, '1.0', ORIGINATOR)
        except XenAPI.Failure as e:
            details = list(e.details or [])
            if details and details[0] == 'HOST_IS_SLAVE':
                self.slave_of = str(details[1]) if len(details) > 1 else ''
                self.session = None
                return False
            err = XapiError('session.login_with_password', details)
            self.fail(err, 'log in to XenAPI at %s as %s' % (self.url, self.username))
        except (socket.error, OSError, IOError) as e:
            self.module.fail_json(msg='Cannot reach XenAPI of %s at %s: %s.' % (self.label, self.url, e),
                                  changed=self.wrote)
        except Exception as e:  # xmlrpc.client.ProtocolError / Fault
            self.module.fail_json(msg='XenAPI of %s at %s answered the login with an error: %s.'
                                  % (self.label, self.url, e), changed=self.wrote)
        return True

    def logout(self):
        if self.session is not None:
            try:
                self.session.xenapi.session.logout()
            except Exception:  # pragma: no cover - best effort
                pass
            self.session = None

    def _call(self, method, args):
        obj = self.session.xenapi
        for part in method.split('.'):
            obj = getattr(obj, part)
        try:
            return obj(*args)
        except XenAPI.Failure as e:
            raise XapiError(method, e.details)
        except (socket.error, OSError, IOError) as e:
            raise XapiError(method, ['CONNECTION_LOST', str(e)])

    def read(self, method, *args):
        """A read-only call; XapiError on failure."""
        return self._call(method, args)

    def write(self, method, *args, **kw):
        """A call that changes the pool.  ``show`` is how it goes into ``commands``."""
        self.commands.append(kw.get('show') or method)
        result = self._call(method, args)
        self.wrote = True
        return result

    def has_method(self, method, *args):
        """Feature detection: False when xapi answers MESSAGE_METHOD_UNKNOWN."""
        try:
            self._call(method, args)
        except XapiError as e:
            if e.code == 'MESSAGE_METHOD_UNKNOWN':
                return False
            raise
        return True

    def fail(self, err, what, **extra):
        """fail_json for a XapiError: host, what was being done, the xapi code and params."""
        msg = 'XenAPI on %s refused to %s: %s' % (self.label, what, err.code)
        if err.params:
            msg += ' (%s)' % ', '.join(err.params)
        msg += '.'
        self.logout()
        self.module.fail_json(msg=msg, xapi_error=err.code, xapi_params=err.params, xapi_call=err.call,
                              changed=self.wrote or extra.pop('changed', False), commands=self.commands, **extra)


def connect(module, url=None, username=None, password=None, label=None, allow_slave=False):
    """Log in; a pool member is an error unless *allow_slave*."""
    x = Xapi(module, url, username, password, label)
    if not x.login() and not allow_slave:
        module.fail_json(msg='%s (%s) is a member of the pool whose master is %s; point api_url at the pool master.'
                         % (x.label, x.url, x.slave_of))
    return x


class PoolView(object):
    """Everything the modules need of one pool, read once through the master."""

    def __init__(self, x):
        self.x = x
        pools = x.read('pool.get_all_records')
        self.pool_ref, self.pool = sorted(pools.items())[0]
        self.master_ref = self.pool.get('master')
        self.hosts = x.read('host.get_all_records')
        self.pifs = x.read('PIF.get_all_records')
        self.networks = x.read('network.get_all_records')
        self.bonds = x.read('Bond.get_all_records')
        self.vms = x.read('VM.get_all_records')

    # hosts -----------------------------------------------------------------
    def host_ref(self, key):
        """A host by address, name_label, hostname or uuid; None if absent."""
        if not key:
            return self.master_ref
        for ref, h in self.hosts.items():
            if key in (h.get('address'), h.get('name_label'), h.get('hostname'), h.get('uuid'), ref):
                return ref
        return None

    def host_name(self, ref):
        h = self.hosts.get(ref) or {}
        return h.get('name_label') or h.get('address') or ref

    def software(self, ref):
        return (self.hosts.get(ref) or {}).get('software_version') or {}

    def backend(self, ref):
        return self.software(ref).get('network_backend', 'openvswitch')

    def control_domain(self, ref):
        cd = (self.hosts.get(ref) or {}).get('control_domain')
        if cd and cd in self.vms:
            return cd
        for vref, vm in self.vms.items():
            if vm.get('is_control_domain') and vm.get('resident_on') == ref:
                return vref
        return None

    def running_guests(self, ref):
        return sorted(vm.get('name_label') or vref for vref, vm in self.vms.items()
                      if not vm.get('is_control_domain') and not vm.get('is_a_template')
                      and vm.get('power_state') == 'Running' and vm.get('resident_on') == ref)

    # PIFs and networks -----------------------------------------------------
    def host_pifs(self, ref):
        return dict((p, r) for p, r in self.pifs.items() if r.get('host') == ref)

    def pif_by_device(self, host_ref, device):
        """The untagged PIF named *device* on a host (physical NIC or bond master)."""
        for p, r in self.host_pifs(host_ref).items():
            if r.get('device') == device and to_int(r.get('VLAN'), -1) == -1:
                return p
        return None

    def management_pif(self, host_ref):
        for p, r in self.host_pifs(host_ref).items():
            if r.get('management'):
                return p
        return None

    def networks_by_label(self, label):
        return sorted(n for n, r in self.networks.items() if r.get('name_label') == label)

    def net_label(self, nref):
        return (self.networks.get(nref) or {}).get('name_label', nref)

    def bond_of_slave(self, pif_ref):
        b = (self.pifs.get(pif_ref) or {}).get('bond_slave_of')
        return b if b and b in self.bonds else None

    def bond_on_network(self, host_ref, net_ref):
        """The bond whose master PIF on *host_ref* is on *net_ref*."""
        for b, r in self.bonds.items():
            m = self.pifs.get(r.get('master')) or {}
            if m.get('host') == host_ref and m.get('network') == net_ref:
                return b
        return None

    def bond_devices(self, bond_ref):
        r = self.bonds.get(bond_ref) or {}
        return sorted(self.pifs[s].get('device') for s in r.get('slaves') or [] if s in self.pifs)

    def carrying_pif(self, host_ref, device):
        """The PIF that carries traffic for *device*: its bond master when bonded."""
        p = self.pif_by_device(host_ref, device)
        if p is None:
            return None
        b = self.bond_of_slave(p)
        if b:
            return self.bonds[b].get('master')
        return p


def wait_for(predicate, timeout, step=1.0):
    """Poll *predicate* until it returns true or *timeout* seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)
