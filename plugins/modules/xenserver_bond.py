#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: xenserver_bond
short_description: A NIC bond on every host of a XenServer pool, on a network with the given label
version_added: 0.2.0
description:
  - Creates (C(Bond.create)) the bond of O(members) on each host of the pool, on the network labelled
    O(name_label) (created when missing), and keeps its mode and properties.
  - Run it on the pool master B(before) other hosts join - xapi refuses to join a host that has bonds
    (C(POOL_JOINING_HOST_HAS_BONDS)) and copies the master's bonds to each joining host itself. A bond
    added to a pool that already has members lands only on the host it is created on, so the module
    creates it on every host of the pool (O(hosts)).
  - A bond found with other members is destroyed and created again with O(members) when O(recreate) is
    true (the default); xapi moves the bond's IP and management back to the primary member during the
    change. With O(recreate=false) such a bond is an error naming host and members.
  - The network backend must be C(openvswitch) for O(mode=lacp).
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.xenserver
  - cloudstack.hypervisors.xenserver.ATTRIBUTES
options:
  name_label:
    description: Label of the bond's network (the CloudStack traffic label it carries).
    type: str
    required: true
  members:
    description: NIC device names of the bond, the same on every host (at least two).
    type: list
    elements: str
    required: true
  mode:
    description: Bond mode.
    type: str
    choices: [balance-slb, active-backup, lacp]
    default: active-backup
  properties:
    description:
      - Bond properties to keep (for C(lacp) C(hashing_algorithm), C(lacp-time), C(lacp-aggregation-key)).
        Properties not listed are left alone.
    type: dict
    default: {}
  mac:
    description: MAC of the bond; empty means the primary member's.
    type: str
    default: ''
  hosts:
    description: Hosts of the pool (name-label, address or uuid) that get the bond; empty means all.
    type: list
    elements: str
    default: []
  recreate:
    description: Destroy and create again a bond whose members differ from O(members).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Management bond on the master before the other hosts join
  cloudstack.hypervisors.xenserver_bond:
    api_url: https://192.168.43.21
    api_password: "{{ xenserver_pool_password }}"
    name_label: cloud-private
    members: [eth0, eth1]
    mode: active-backup
  delegate_to: localhost
'''

RETURN = r'''
bonds:
  description: Per host, the bond after the run (device, members, mode, properties).
  returned: success
  type: dict
commands:
  description: The XenAPI calls made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi


def validate(params):
    """Input errors as sentences (no XenAPI needed)."""
    errors = []
    members = params['members'] or []
    if len(members) < 2:
        errors.append('bond %s has %d member(s) (%s); a bond needs at least two NICs.'
                      % (params['name_label'], len(members), ', '.join(members) or 'none'))
    dup = sorted(set(m for m in members if members.count(m) > 1))
    if dup:
        errors.append('bond %s lists %s more than once.' % (params['name_label'], ', '.join(dup)))
    if not (params['name_label'] or '').strip():
        errors.append('name_label of the bond of %s is empty.' % ', '.join(members))
    for k, v in (params['properties'] or {}).items():
        if not isinstance(v, (str, int)) or isinstance(v, bool):
            errors.append('property %s of bond %s is %r; use a string.' % (k, params['name_label'], v))
    return errors


def main():
    spec = _xapi.argument_spec()
    spec.update(
        name_label=dict(type='str', required=True),
        members=dict(type='list', elements='str', required=True),
        mode=dict(type='str', choices=list(_xapi.BOND_MODES), default='active-backup'),
        properties=dict(type='dict', default={}),
        mac=dict(type='str', default=''),
        hosts=dict(type='list', elements='str', default=[]),
        recreate=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    errors = validate(p)
    if errors:
        module.fail_json(msg=' '.join(errors))
    members = list(p['members'])
    props = dict((k, str(v)) for k, v in p['properties'].items())
    x = _xapi.connect(module)
    try:
        view = _xapi.PoolView(x)
    except _xapi.XapiError as e:
        x.fail(e, 'read the pool')

    targets = []
    for key in p['hosts'] or []:
        ref = view.host_ref(key)
        if ref is None:
            module.fail_json(msg='Host %s is not in the pool of %s.' % (key, view.host_name(view.master_ref)))
        targets.append(ref)
    if not targets:
        targets = [view.master_ref] + sorted((h for h in view.hosts if h != view.master_ref), key=view.host_name)

    # Pre-checks on every target, before anything is written.
    member_pifs = {}
    for h in targets:
        name = view.host_name(h)
        if p['mode'] == 'lacp' and view.backend(h) != 'openvswitch':
            module.fail_json(msg='Bond %s on %s: mode lacp needs the openvswitch network backend; %s uses %s.'
                             % (p['name_label'], name, name, view.backend(h)))
        pifs = []
        for dev in members:
            pif = view.pif_by_device(h, dev)
            if pif is None:
                module.fail_json(msg='Bond %s: host %s has no NIC %s.' % (p['name_label'], name, dev))
            pifs.append(pif)
        member_pifs[h] = pifs

    # The network: the one with the label, else the one an existing bond of these members is on (renamed).
    plan = []
    labelled = view.networks_by_label(p['name_label'])
    if len(labelled) > 1:
        module.fail_json(msg='Label %s is used by %d networks of the pool of %s; labels must be unique.'
                         % (p['name_label'], len(labelled), view.host_name(view.master_ref)))
    net = labelled[0] if labelled else None
    if net is None:
        for h in targets:
            b = view.bond_of_slave(member_pifs[h][0])
            if b and view.bond_devices(b) == sorted(members):
                net = view.pifs[view.bonds[b]['master']].get('network')
                plan.append(('network.set_name_label', [net, p['name_label']],
                             'network.set_name_label(%s, %s)' % (view.networks[net].get('bridge'), p['name_label'])))
                break
    if net is None:
        plan.append(('network.create', [{'name_label': p['name_label'], 'name_description': 'CloudStack traffic: %s' % p['name_label'],
                                         'MTU': '1500', 'other_config': {}, 'tags': []}],
                     'network.create(name_label=%s)' % p['name_label']))

    before, after = {}, {}
    for h in targets:
        name = view.host_name(h)
        existing = view.bond_on_network(h, net) if net else None
        bonded = [view.bond_of_slave(pif) for pif in member_pifs[h]]
        if existing is None and any(bonded):
            existing = next(b for b in bonded if b)
        if existing is not None:
            rec = view.bonds[existing]
            have = {'members': view.bond_devices(existing), 'mode': rec.get('mode'),
                    'properties': dict(rec.get('properties') or {}),
                    'network': view.net_label(view.pifs.get(rec.get('master'), {}).get('network'))}
        else:
            have = None
        before[name] = have
        want = {'members': sorted(members), 'mode': p['mode'],
                'properties': dict((have or {}).get('properties') or {}, **props), 'network': p['name_label']}
        after[name] = want
        if have is not None and have['members'] == sorted(members):
            if have['mode'] != p['mode']:
                plan.append(('Bond.set_mode', [existing, p['mode']], 'Bond.set_mode(%s on %s, %s)' % (
                    view.pifs[rec['master']].get('device'), name, p['mode'])))
            for k, v in sorted(props.items()):
                if have['properties'].get(k) != v:
                    plan.append(('Bond.set_property', [existing, k, v], 'Bond.set_property(%s on %s, %s, %s)' % (
                        view.pifs[rec['master']].get('device'), name, k, v)))
            continue
        others = sorted(set(b for b in bonded if b))
        if others and not p['recreate']:
            module.fail_json(msg='Host %s has a bond of %s where bond %s of %s should be; set recreate to replace it.'
                             % (name, ', '.join(view.bond_devices(others[0])), p['name_label'], ', '.join(members)))
        for b in others:
            plan.append(('Bond.destroy', [b], 'Bond.destroy(%s on %s: %s)' % (
                view.pifs.get(view.bonds[b].get('master'), {}).get('device'), name, ', '.join(view.bond_devices(b)))))
        plan.append(('Bond.create', [net, member_pifs[h], p['mac'], p['mode'], props],
                     'Bond.create(%s on %s: %s, mode %s%s)' % (
                         p['name_label'], name, ', '.join(members), p['mode'],
                         ''.join(', %s=%s' % kv for kv in sorted(props.items())))))

    if not module.check_mode:
        for method, args, show in plan:
            if method == 'Bond.create' and args[0] is None:
                args[0] = net
            try:
                result = x.write(method, *args, show=show)
            except _xapi.XapiError as e:
                x.fail(e, show)
            if method == 'network.create':
                net = result
    x.logout()
    module.exit_json(changed=bool(plan), bonds=after, commands=[s for _m, _a, s in plan],
                     diff={'before': before, 'after': after})


if __name__ == '__main__':
    main()
