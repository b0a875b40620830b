#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: xenserver_pool_check
short_description: Check, read-only, that a XenServer pool is ready for CloudStack's Add Host
version_added: 0.2.0
description:
  - Checks through the pool master what CloudStack relies on when the pool is added, and lists every
    problem with its host and value.
  - Every network with a PIF on the master has a PIF on every other host (the check of CloudStack's
    C(cloud-setup-bonding.sh)).
  - Each traffic label names exactly one network of the pool.
  - Management is not on a VLAN on any host (CloudStack refuses it).
  - The network backend fits the zone - C(bridge) for a zone with security groups, and C(lacp) bonds need
    C(openvswitch).
  - One product version in the pool, and one that O(cloudstack_version) supports.
  - O(expected_hosts) are all in the pool, and no more than O(max_hosts) hosts.
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
options:
  traffic_labels:
    description: CloudStack traffic type (management, guest, public, storage) to the XenServer traffic label.
    type: dict
    default: {}
  security_groups:
    description: The zone uses security groups (needs the bridge backend).
    type: bool
    default: false
  cloudstack_version:
    description: The CloudStack release the pool is added to (C(4.20.1)); empty skips the support check.
    type: str
    default: ''
  expected_hosts:
    description: Addresses (or name-labels) of the hosts that must be in the pool.
    type: list
    elements: str
    default: []
  max_hosts:
    description: Most hosts the pool may have.
    type: int
    default: 8
  fail_on_problems:
    description: Fail when a problem is found; otherwise only report RV(ready) and RV(problems).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Is the pool ready for Add Host?
  cloudstack.hypervisors.xenserver_pool_check:
    api_url: https://192.168.43.21
    api_password: "{{ xenserver_pool_password }}"
    traffic_labels: {management: cloud-private, public: cloud-public, guest: cloud-guest}
    cloudstack_version: 4.20.1
    expected_hosts: [192.168.43.21, 192.168.43.22, 192.168.43.23]
  delegate_to: localhost
'''

RETURN = r'''
ready:
  description: No problem was found.
  returned: always
  type: bool
problems:
  description: Each problem with C(host), C(check), C(value) and a sentence C(msg).
  returned: always
  type: list
  elements: dict
hosts:
  description: Per host (name-label) C(ready) and the address CloudStack reaches it at.
  returned: always
  type: dict
master_address:
  description: The address to give CloudStack's Add Host (the pool master).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi


def check(view, p):
    problems = []

    def add(host, check_, value, msg):
        problems.append({'host': host, 'check': check_, 'value': value, 'msg': msg})

    master = view.master_ref
    mname = view.host_name(master)
    others = sorted((h for h in view.hosts if h != master), key=view.host_name)
    # 1. cloud-setup-bonding.sh: every network with a PIF on the master has one on each member.
    for n, r in sorted(view.networks.items(), key=lambda i: i[1].get('name_label', '')):
        on = set(view.pifs[pi].get('host') for pi in r.get('PIFs') or [] if pi in view.pifs)
        if master not in on:
            continue
        for h in others:
            if h not in on:
                add(view.host_name(h), 'network', r.get('name_label'),
                    'host %s has no PIF on network %s (bridge %s), which the master %s has.'
                    % (view.host_name(h), r.get('name_label'), r.get('bridge'), mname))
    # 2. traffic labels: one network each.
    for t, label in sorted((p['traffic_labels'] or {}).items()):
        found = view.networks_by_label(label)
        if not found:
            add(mname, 'labels', label, 'no network of the pool of %s is labelled %s (traffic type %s).' % (mname, label, t))
        elif len(found) > 1:
            add(mname, 'labels', label, '%d networks of the pool of %s are labelled %s (traffic type %s); labels must be unique.'
                % (len(found), mname, label, t))
        elif not any(view.pifs[pi].get('host') == master for pi in view.networks[found[0]].get('PIFs') or [] if pi in view.pifs):
            add(mname, 'labels', label, 'network %s (traffic type %s) has no PIF on the master %s.' % (label, t, mname))
    # 3. per host: management VLAN, backend, versions.
    versions = {}
    for h in [master] + others:
        name = view.host_name(h)
        mg = view.management_pif(h)
        vlan = _xapi.to_int(view.pifs.get(mg, {}).get('VLAN'), -1) if mg else -1
        if mg is None:
            add(name, 'management', None, 'host %s has no management PIF.' % name)
        elif vlan >= 0:
            add(name, 'management', vlan, 'management of %s is on VLAN %d; CloudStack refuses a management network on a VLAN.' % (name, vlan))
        backend = view.backend(h)
        if p['security_groups'] and backend != 'bridge':
            add(name, 'backend', backend, 'host %s uses the %s network backend; a zone with security groups needs bridge.' % (name, backend))
        for b, br in view.bonds.items():
            if view.pifs.get(br.get('master'), {}).get('host') == h and br.get('mode') == 'lacp' and backend != 'openvswitch':
                add(name, 'backend', backend, 'bond %s on %s is lacp, which needs the openvswitch backend, not %s.'
                    % (view.pifs[br['master']].get('device'), name, backend))
        sw = view.software(h)
        versions[name] = (sw.get('product_brand', ''), sw.get('product_version', ''))
        if not view.hosts[h].get('enabled'):
            add(name, 'enabled', False, 'host %s is not enabled.' % name)
    if len(set(versions.values())) > 1:
        for name, v in sorted(versions.items()):
            if v != versions[mname]:
                add(name, 'version', '%s %s' % v, 'host %s runs %s %s, the master %s %s %s; a pool needs one product version.'
                    % ((name,) + v + (mname,) + versions[mname]))
    brand, version = versions[mname]
    why = _xapi.cloudstack_support(brand, version, p['cloudstack_version'])
    if why:
        add(mname, 'version', '%s %s' % (brand, version), 'pool %s: %s.' % (mname, why))
    # 4. membership and size.
    for want in p['expected_hosts'] or []:
        if view.host_ref(want) is None:
            add(want, 'member', want, 'host %s is not in the pool of %s.' % (want, mname))
    if len(view.hosts) > p['max_hosts']:
        add(mname, 'size', len(view.hosts), 'the pool of %s has %d hosts; the limit is %d.' % (mname, len(view.hosts), p['max_hosts']))
    return problems


def main():
    spec = _xapi.argument_spec()
    spec.update(
        traffic_labels=dict(type='dict', default={}),
        security_groups=dict(type='bool', default=False),
        cloudstack_version=dict(type='str', default=''),
        expected_hosts=dict(type='list', elements='str', default=[]),
        max_hosts=dict(type='int', default=8),
        fail_on_problems=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    bad = [t for t in p['traffic_labels'] if t not in _xapi.TRAFFIC_TYPES]
    if bad:
        module.fail_json(msg='traffic_labels has unknown traffic type(s) %s; use %s.' % (', '.join(sorted(bad)), ', '.join(_xapi.TRAFFIC_TYPES)))
    x = _xapi.connect(module)
    try:
        view = _xapi.PoolView(x)
    except _xapi.XapiError as e:
        x.fail(e, 'read the pool')
    x.logout()
    problems = check(view, p)
    bad_hosts = set(pr['host'] for pr in problems)
    hosts = dict((view.host_name(h), {'ready': view.host_name(h) not in bad_hosts and view.host_name(view.master_ref) not in bad_hosts,
                                      'address': view.hosts[h].get('address'), 'is_master': h == view.master_ref})
                 for h in view.hosts)
    result = dict(changed=False, ready=not problems, problems=problems, hosts=hosts,
                  master_address=view.hosts[view.master_ref].get('address'))
    if problems and p['fail_on_problems']:
        module.fail_json(msg='The pool of %s is not ready for CloudStack: %s' % (
            view.host_name(view.master_ref), ' '.join(pr['msg'] for pr in problems)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
