#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: xenserver_network
short_description: Set the name-label and MTU of the XenServer network that carries a NIC or bond
version_added: 0.2.0
description:
  - CloudStack finds a XenServer network by its name-label, which must equal the zone's traffic label.
    This module renames the network carrying O(device) on the pool master - the bond's network when
    the NIC is a bond member - and sets its MTU.
  - Networks are pool-wide objects - label them once, through the master. A host that joins later
    attaches its NICs to the same networks by bridge.
  - Labels must be unique in the pool; a label already used by another network is an error.
  - It does not create networks for physical NICs - xapi owns those.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.xenserver
  - cloudstack.hypervisors.xenserver.ATTRIBUTES
options:
  name_label:
    description: The label the network must carry (the CloudStack traffic label).
    type: str
    required: true
  device:
    description:
      - NIC (C(eth4)) or bond (C(bond0)) on the pool master whose network is labelled. A bond member
        stands for its bond.
      - One of O(device) and O(bridge) is required.
    type: str
  bridge:
    description: The network's bridge (C(xenbr4)) instead of a device.
    type: str
  mtu:
    description: MTU of the network; unset leaves it alone.
    type: int
'''

EXAMPLES = r'''
- name: The guest traffic label on eth4
  cloudstack.hypervisors.xenserver_network:
    api_url: https://192.168.43.21
    api_password: "{{ xenserver_pool_password }}"
    device: eth4
    name_label: cloud-guest
  delegate_to: localhost
'''

RETURN = r'''
network:
  description: The network after the run (label, bridge, MTU).
  returned: success
  type: dict
commands:
  description: The XenAPI calls made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi


def find_network(module, view):
    p = module.params
    if p['bridge']:
        for n, r in view.networks.items():
            if r.get('bridge') == p['bridge']:
                return n
        module.fail_json(msg='No network of the pool of %s has bridge %s.' % (view.host_name(view.master_ref), p['bridge']))
    pif = view.carrying_pif(view.master_ref, p['device'])
    if pif is None:
        module.fail_json(msg='Pool master %s has no NIC or bond %s (it has: %s).' % (
            view.host_name(view.master_ref), p['device'],
            ', '.join(sorted(set(r.get('device') for r in view.host_pifs(view.master_ref).values())))))
    return view.pifs[pif].get('network')


def main():
    spec = _xapi.argument_spec()
    spec.update(
        name_label=dict(type='str', required=True),
        device=dict(type='str'),
        bridge=dict(type='str'),
        mtu=dict(type='int'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_one_of=[('device', 'bridge')], mutually_exclusive=[('device', 'bridge')])
    p = module.params
    if not p['name_label'].strip():
        module.fail_json(msg='name_label is empty; CloudStack needs the traffic label here.')
    if p['mtu'] is not None and not 68 <= p['mtu'] <= 9216:
        module.fail_json(msg='mtu %d for network %s is outside 68..9216.' % (p['mtu'], p['name_label']))
    x = _xapi.connect(module)
    try:
        view = _xapi.PoolView(x)
    except _xapi.XapiError as e:
        x.fail(e, 'read the pool')
    net = find_network(module, view)
    rec = view.networks[net]
    others = [n for n in view.networks_by_label(p['name_label']) if n != net]
    if others:
        module.fail_json(msg='Label %s is already used by network %s (bridge %s) of the pool of %s; labels must be '
                         'unique for CloudStack.' % (p['name_label'], view.networks[others[0]].get('uuid'),
                                                     view.networks[others[0]].get('bridge'), view.host_name(view.master_ref)))
    before = {'name_label': rec.get('name_label'), 'bridge': rec.get('bridge'), 'MTU': _xapi.to_int(rec.get('MTU'), 1500)}
    after = dict(before, name_label=p['name_label'])
    plan = []
    if before['name_label'] != p['name_label']:
        plan.append(('network.set_name_label', [net, p['name_label']],
                     'network.set_name_label(%s, %s)' % (rec.get('bridge'), p['name_label'])))
    if p['mtu'] is not None and before['MTU'] != p['mtu']:
        after['MTU'] = p['mtu']
        plan.append(('network.set_MTU', [net, str(p['mtu'])], 'network.set_MTU(%s, %d)' % (rec.get('bridge'), p['mtu'])))
    if not module.check_mode:
        for method, args, show in plan:
            try:
                x.write(method, *args, show=show)
            except _xapi.XapiError as e:
                x.fail(e, 'change network %s (%s)' % (rec.get('bridge'), show), network=before)
    x.logout()
    module.exit_json(changed=bool(plan), network=after, commands=[s for _m, _a, s in plan],
                     diff={'before': before, 'after': after})


if __name__ == '__main__':
    main()
