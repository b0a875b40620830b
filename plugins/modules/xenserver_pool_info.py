#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: xenserver_pool_info
short_description: Read a XenServer or XCP-ng host and its pool through XenAPI
version_added: 0.2.0
description:
  - Reads, without changing anything, what preparing a pool for CloudStack depends on - product and xapi
    version, network backend, HVM, running guests, dom0 memory, NTP, multipathing, PIFs with device, MAC,
    carrier, IP, VLAN and bond, networks with labels and bridges, and bonds.
  - Pointed at a pool member, XenAPI refuses the login with C(HOST_IS_SLAVE); the module then reports
    RV(is_member) and the master's address instead of failing.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.xenserver
  - cloudstack.hypervisors.xenserver.ATTRIBUTES
attributes:
  check_mode:
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    details: Read-only.
options: {}
seealso:
  - module: cloudstack.hypervisors.xenserver_pool_check
'''

EXAMPLES = r'''
- name: Read the pool of xs1
  cloudstack.hypervisors.xenserver_pool_info:
    api_url: https://192.168.43.21
    api_password: "{{ xenserver_pool_password }}"
  delegate_to: localhost
  register: xs1_info
'''

RETURN = r'''
is_member:
  description: Whether the host answered as a member (slave) of another host's pool.
  returned: always
  type: bool
master_address:
  description: The pool master's address when RV(is_member) is true, else empty.
  returned: always
  type: str
pool:
  description: The pool (empty when RV(is_member)).
  returned: always
  type: dict
  sample: {uuid: "...", name_label: "", master: xs1, ha_enabled: false, tls_verification_enabled: true}
hosts:
  description: Every host of the pool with its versions, backend, memory, NTP, PIFs and bonds.
  returned: always
  type: list
  elements: dict
networks:
  description: Every network of the pool with label, bridge, MTU and the device carrying it on each host.
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi


def host_facts(x, view, ref):
    h = view.hosts[ref]
    sw = view.software(ref)
    facts = {
        'name_label': h.get('name_label'),
        'hostname': h.get('hostname'),
        'address': h.get('address'),
        'uuid': h.get('uuid'),
        'is_master': ref == view.master_ref,
        'enabled': bool(h.get('enabled')),
        'product_brand': sw.get('product_brand', ''),
        'product_version': sw.get('product_version', ''),
        'platform_version': sw.get('platform_version', ''),
        'xapi_version': sw.get('xapi', ''),
        'network_backend': view.backend(ref),
        'hvm': any('hvm' in c for c in h.get('capabilities') or []),
        'running_vms': view.running_guests(ref),
        'multipathing': bool(h.get('multipathing')),
        'iscsi_iqn': h.get('iscsi_iqn') or (h.get('other_config') or {}).get('iscsi_iqn', ''),
    }
    cd = view.control_domain(ref)
    vm = view.vms.get(cd) or {}
    facts['dom0_memory_mb'] = (_xapi.to_int(vm.get('memory_static_max'), 0) // (1024 * 1024)) if vm else None
    facts['reboot_required'] = bool(vm.get('requires_reboot')) if vm else False
    try:
        facts['ntp_api'] = x.has_method('host.get_ntp_mode', ref)
        if facts['ntp_api']:
            facts['ntp_mode'] = x.read('host.get_ntp_mode', ref)
            facts['ntp_servers'] = list(x.read('host.get_ntp_custom_servers', ref))
    except _xapi.XapiError as e:
        x.fail(e, 'read the NTP settings of host %s' % view.host_name(ref))
    pifs = []
    for p, r in sorted(view.host_pifs(ref).items(), key=lambda i: (i[1].get('device', ''), _xapi.to_int(i[1].get('VLAN'), -1))):
        bond_master = None
        if r.get('bond_slave_of') in view.bonds:
            bond_master = view.pifs.get(view.bonds[r['bond_slave_of']].get('master'), {}).get('device')
        pifs.append({
            'device': r.get('device'),
            'MAC': r.get('MAC'),
            'network': view.net_label(r.get('network')),
            'VLAN': _xapi.to_int(r.get('VLAN'), -1),
            'management': bool(r.get('management')),
            'physical': bool(r.get('physical')),
            'ip_configuration_mode': r.get('ip_configuration_mode'),
            'IP': r.get('IP'),
            'netmask': r.get('netmask'),
            'gateway': r.get('gateway'),
            'disallow_unplug': bool(r.get('disallow_unplug')),
            'management_purpose': (r.get('other_config') or {}).get('management_purpose', ''),
            'bond_member_of': bond_master,
            'is_bond': bool(r.get('bond_master_of')),
            'currently_attached': bool(r.get('currently_attached')),
        })
    facts['pifs'] = pifs
    facts['management_vlan'] = next((p['VLAN'] for p in pifs if p['management']), -1)
    facts['bonds'] = [{
        'device': view.pifs.get(b.get('master'), {}).get('device'),
        'network': view.net_label(view.pifs.get(b.get('master'), {}).get('network')),
        'members': view.bond_devices(bref),
        'mode': b.get('mode'),
        'properties': b.get('properties') or {},
    } for bref, b in sorted(view.bonds.items()) if view.pifs.get(b.get('master'), {}).get('host') == ref]
    facts['vlans'] = sorted(set(p['VLAN'] for p in pifs if p['VLAN'] >= 0 and not p['management']))
    return facts


def main():
    module = AnsibleModule(argument_spec=_xapi.argument_spec(), supports_check_mode=True)
    x = _xapi.connect(module, allow_slave=True)
    if x.slave_of is not None:
        module.exit_json(changed=False, is_member=True, master_address=x.slave_of, pool={}, hosts=[], networks=[])
    try:
        view = _xapi.PoolView(x)
        pool = {
            'uuid': view.pool.get('uuid'),
            'name_label': view.pool.get('name_label'),
            'master': view.host_name(view.master_ref),
            'master_address': (view.hosts.get(view.master_ref) or {}).get('address'),
            'ha_enabled': bool(view.pool.get('ha_enabled')),
            'tls_verification_enabled': bool(view.pool.get('tls_verification_enabled')),
        }
        hosts = [host_facts(x, view, ref) for ref in sorted(view.hosts, key=view.host_name)]
    except _xapi.XapiError as e:
        x.fail(e, 'read the pool')
    networks = []
    for n, r in sorted(view.networks.items(), key=lambda i: i[1].get('name_label', '')):
        carriers = {}
        for p in r.get('PIFs') or []:
            pr = view.pifs.get(p)
            if pr:
                carriers[view.host_name(pr.get('host'))] = pr.get('device')
        networks.append({'name_label': r.get('name_label'), 'bridge': r.get('bridge'),
                         'MTU': _xapi.to_int(r.get('MTU'), 1500), 'pifs': carriers})
    x.logout()
    module.exit_json(changed=False, is_member=False, master_address='', pool=pool, hosts=hosts, networks=networks)


if __name__ == '__main__':
    main()
