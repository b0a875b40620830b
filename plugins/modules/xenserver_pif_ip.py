#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: xenserver_pif_ip
short_description: A secondary (storage) interface on a XenServer host - static IP, purpose, no unplug
version_added: 0.2.0
description:
  - Gives the PIF of O(device) on O(host) a static IP (C(PIF.reconfigure_ip)), marks it with
    C(other_config:management_purpose) the way XenCenter does and sets C(disallow_unplug), so the
    interface stays up for CloudStack's primary storage traffic.
  - Talks to the pool master (O(api_url)); O(host) picks the host of the pool.
  - Refuses the management PIF - CloudStack and xapi own that one.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.xenserver
  - cloudstack.hypervisors.xenserver.ATTRIBUTES
options:
  host:
    description: The host of the pool (address, name-label or uuid); empty means the master.
    type: str
    default: ''
  device:
    description: NIC or bond device (C(eth5), C(bond1)); a bond member stands for its bond.
    type: str
    required: true
  mode:
    description: V(static) sets O(ip); V(dhcp) asks DHCP; V(none) removes the address.
    type: str
    choices: [static, dhcp, none]
    default: static
  ip:
    description: Address in CIDR form (C(172.16.0.11/24)) or bare with O(netmask). Required for V(static).
    type: str
  netmask:
    description: Netmask when O(ip) has no prefix.
    type: str
  gateway:
    description: Gateway; usually empty for a storage network.
    type: str
    default: ''
  dns:
    description: DNS servers, comma separated; usually empty.
    type: str
    default: ''
  purpose:
    description: Value of C(other_config:management_purpose).
    type: str
    default: Storage
  disallow_unplug:
    description: Keep the PIF plugged (C(PIF.set_disallow_unplug)).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Storage address on eth5 of xs2
  cloudstack.hypervisors.xenserver_pif_ip:
    api_url: https://192.168.43.21
    api_password: "{{ xenserver_pool_password }}"
    host: 192.168.43.22
    device: eth5
    ip: 172.16.0.12/24
  delegate_to: localhost
'''

RETURN = r'''
pif:
  description: The PIF after the run.
  returned: success
  type: dict
commands:
  description: The XenAPI calls made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
'''

import ipaddress

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi

MODES = {'static': 'Static', 'dhcp': 'DHCP', 'none': 'None'}


def parse_address(ip, netmask):
    """(address, netmask) or raises ValueError with a sentence."""
    if '/' in ip:
        if netmask:
            raise ValueError('ip %s has a prefix and netmask %s is also set; give one' % (ip, netmask))
        iface = ipaddress.ip_interface(ip)
    else:
        if not netmask:
            raise ValueError('ip %s has no prefix and no netmask is set' % ip)
        iface = ipaddress.ip_interface('%s/%s' % (ip, netmask))
    if iface.version != 4:
        raise ValueError('ip %s is not IPv4 (PIF.reconfigure_ip); IPv6 is not handled by this module' % ip)
    if iface.ip in (iface.network.network_address, iface.network.broadcast_address) and iface.network.prefixlen < 31:
        raise ValueError('ip %s is the network or broadcast address of %s' % (ip, iface.network))
    return str(iface.ip), str(iface.netmask)


def main():
    spec = _xapi.argument_spec()
    spec.update(
        host=dict(type='str', default=''),
        device=dict(type='str', required=True),
        mode=dict(type='str', choices=list(MODES), default='static'),
        ip=dict(type='str'),
        netmask=dict(type='str'),
        gateway=dict(type='str', default=''),
        dns=dict(type='str', default=''),
        purpose=dict(type='str', default='Storage'),
        disallow_unplug=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, required_if=[('mode', 'static', ('ip',))])
    p = module.params
    ip, mask = '', ''
    if p['mode'] == 'static':
        try:
            ip, mask = parse_address(p['ip'], p['netmask'])
            if p['gateway']:
                ipaddress.ip_address(p['gateway'])
        except ValueError as e:
            module.fail_json(msg='Storage interface %s of %s: %s.' % (p['device'], p['host'] or 'the master', e))
    x = _xapi.connect(module)
    try:
        view = _xapi.PoolView(x)
    except _xapi.XapiError as e:
        x.fail(e, 'read the pool')
    href = view.host_ref(p['host'])
    if href is None:
        module.fail_json(msg='Host %s is not in the pool of %s.' % (p['host'], view.host_name(view.master_ref)))
    name = view.host_name(href)
    pif = view.carrying_pif(href, p['device'])
    if pif is None:
        module.fail_json(msg='Host %s has no NIC %s for its storage interface.' % (name, p['device']))
    r = view.pifs[pif]
    if r.get('management'):
        module.fail_json(msg='%s on %s is the management interface; the storage interface must be another NIC.' % (p['device'], name))
    before = {'mode': r.get('ip_configuration_mode'), 'IP': r.get('IP', ''), 'netmask': r.get('netmask', ''),
              'gateway': r.get('gateway', ''), 'DNS': r.get('DNS', ''),
              'management_purpose': (r.get('other_config') or {}).get('management_purpose'),
              'disallow_unplug': bool(r.get('disallow_unplug')), 'currently_attached': bool(r.get('currently_attached'))}
    after = dict(before, mode=MODES[p['mode']], management_purpose=p['purpose'], disallow_unplug=p['disallow_unplug'])
    if p['mode'] == 'static':
        after.update(IP=ip, netmask=mask, gateway=p['gateway'], DNS=p['dns'])
    elif p['mode'] == 'none':
        after.update(IP='', netmask='', gateway='', DNS='')
    dev = view.pifs[pif].get('device')
    plan = []
    ipkeys = ('mode', 'IP', 'netmask', 'gateway', 'DNS') if p['mode'] == 'static' else ('mode',)
    if any(before[k] != after[k] for k in ipkeys):
        plan.append(('PIF.reconfigure_ip', [pif, MODES[p['mode']], ip, mask, p['gateway'] if ip else '', p['dns'] if ip else ''],
                     'PIF.reconfigure_ip(%s on %s, %s, %s/%s)' % (dev, name, MODES[p['mode']], ip, mask)))
    if before['management_purpose'] != p['purpose']:
        if before['management_purpose'] is not None:
            plan.append(('PIF.remove_from_other_config', [pif, 'management_purpose'],
                         'PIF.remove_from_other_config(%s on %s, management_purpose)' % (dev, name)))
        plan.append(('PIF.add_to_other_config', [pif, 'management_purpose', p['purpose']],
                     'PIF.add_to_other_config(%s on %s, management_purpose, %s)' % (dev, name, p['purpose'])))
    if before['disallow_unplug'] != p['disallow_unplug']:
        plan.append(('PIF.set_disallow_unplug', [pif, p['disallow_unplug']],
                     'PIF.set_disallow_unplug(%s on %s, %s)' % (dev, name, p['disallow_unplug'])))
    if not r.get('currently_attached') and p['mode'] != 'none':
        plan.append(('PIF.plug', [pif], 'PIF.plug(%s on %s)' % (dev, name)))
        after['currently_attached'] = True
    if not module.check_mode:
        for method, args, show in plan:
            try:
                x.write(method, *args, show=show)
            except _xapi.XapiError as e:
                x.fail(e, show)
    x.logout()
    module.exit_json(changed=bool(plan), pif=after, commands=[s for _m, _a, s in plan],
                     diff={'before': before, 'after': after})


if __name__ == '__main__':
    main()
