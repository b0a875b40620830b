#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: xenserver_pool_join
short_description: Join a XenServer or XCP-ng host to a pool master
version_added: 0.2.0
description:
  - Calls C(pool.join) with a XenAPI session on the joining host (O(api_url)), then waits until the master
    lists the host as enabled.
  - Idempotent - a host that already answers C(HOST_IS_SLAVE) naming O(master_address) is a member; one
    naming another master is an error.
  - Before joining, the checks xapi makes that an operator can act on are made here, each with a
    sentence naming the host and the value - the joiner is the master of other hosts, has running VMs,
    bonds, non-management VLANs, management on a VLAN, another product version or network backend than
    the master.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.xenserver
  - cloudstack.hypervisors.xenserver.ATTRIBUTES
options:
  master_address:
    description: The pool master's management address, as xapi on the joiner reaches it.
    type: str
    required: true
  master_api_url:
    description: XenAPI URL of the master for the pre-checks and the wait; default C(https://<master_address>).
    type: str
  master_username:
    description: User on the master.
    type: str
    default: root
  master_password:
    description: Password of O(master_username) on the master. Never returned or logged.
    type: str
    required: true
  force:
    description: Use C(pool.join_force), which skips xapi's homogeneity checks. The module's own checks still run.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the joined host to be enabled on the master.
    type: int
    default: 300
'''

EXAMPLES = r'''
- name: Join xs2 to the pool of xs1
  cloudstack.hypervisors.xenserver_pool_join:
    api_url: https://192.168.43.22
    api_password: "{{ xenserver_pool_password }}"
    master_address: 192.168.43.21
    master_password: "{{ xenserver_pool_password }}"
  delegate_to: localhost
'''

RETURN = r'''
joined:
  description: Whether the host joined in this run.
  returned: always
  type: bool
commands:
  description: The XenAPI calls made (or, in check mode, that would be made); passwords masked.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi


def prechecks(joiner, master):
    """Sentences for every reason the join would fail (joiner/master: (label, PoolView))."""
    jname, jv = joiner
    mname, mv = master
    problems = []
    if len(jv.hosts) > 1:
        problems.append('%s is the master of a pool with %d hosts (%s); eject them first.' % (
            jname, len(jv.hosts), ', '.join(sorted(jv.host_name(h) for h in jv.hosts))))
    jref = jv.master_ref
    mref = mv.master_ref
    guests = jv.running_guests(jref)
    if guests:
        problems.append('%s has running VMs (%s); xapi refuses to join a host with running VMs.' % (jname, ', '.join(guests)))
    bonds = [b for b, r in jv.bonds.items() if jv.pifs.get(r.get('master'), {}).get('host') == jref]
    if bonds:
        names = sorted('%s (%s)' % (jv.pifs[jv.bonds[b]['master']].get('device'), ', '.join(jv.bond_devices(b))) for b in bonds)
        problems.append('%s has bond(s) %s; xapi refuses to join a host with bonds (POOL_JOINING_HOST_HAS_BONDS) - '
                        'create bonds on the master only, it copies them to joining hosts.' % (jname, ', '.join(names)))
    mgmt = jv.management_pif(jref)
    mvlan = _xapi.to_int(jv.pifs.get(mgmt, {}).get('VLAN'), -1) if mgmt else -1
    if mvlan >= 0:
        problems.append('management of %s is on VLAN %d; CloudStack refuses a management network on a VLAN.' % (jname, mvlan))
    vlans = sorted(set(_xapi.to_int(r.get('VLAN'), -1) for p, r in jv.host_pifs(jref).items()
                       if _xapi.to_int(r.get('VLAN'), -1) >= 0 and p != mgmt))
    if vlans:
        problems.append('%s has VLAN PIF(s) %s besides management; xapi refuses to join it '
                        '(POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS).' % (jname, ', '.join(str(v) for v in vlans)))
    js, ms = jv.software(jref), mv.software(mref)
    for key in ('product_brand', 'product_version'):
        if js.get(key) != ms.get(key):
            problems.append('%s runs %s %s, the master %s runs %s %s; a pool needs one product version.' % (
                jname, js.get('product_brand'), js.get('product_version'), mname, ms.get('product_brand'), ms.get('product_version')))
            break
    if jv.backend(jref) != mv.backend(mref):
        problems.append('network backend of %s is %s, of the master %s %s; xapi refuses the join ("Network backends differ").'
                        % (jname, jv.backend(jref), mname, mv.backend(mref)))
    return problems


def main():
    spec = _xapi.argument_spec()
    spec.update(
        master_address=dict(type='str', required=True),
        master_api_url=dict(type='str'),
        master_username=dict(type='str', default='root'),
        master_password=dict(type='str', required=True, no_log=True),
        force=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=300),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    if p['wait_timeout'] < 0:
        module.fail_json(msg='wait_timeout is %d; use 0 or more seconds.' % p['wait_timeout'])
    joiner = _xapi.Xapi(module)
    if not joiner.login():
        if joiner.slave_of == p['master_address']:
            module.exit_json(changed=False, joined=False, commands=[],
                             msg='%s is already a member of the pool of %s.' % (joiner.url, p['master_address']))
        module.fail_json(msg='%s is already a member of the pool whose master is %s, not of %s; eject it there first.'
                         % (joiner.url, joiner.slave_of, p['master_address']))
    master = _xapi.Xapi(module, url=p['master_api_url'] or p['master_address'], username=p['master_username'],
                        password=p['master_password'], label='master %s' % p['master_address'])
    if not master.login():
        module.fail_json(msg='master_address %s is itself a member of the pool of %s; join to that master.'
                         % (p['master_address'], master.slave_of))
    try:
        jv = _xapi.PoolView(joiner)
    except _xapi.XapiError as e:
        joiner.fail(e, 'read the joining host')
    try:
        mv = _xapi.PoolView(master)
    except _xapi.XapiError as e:
        master.fail(e, 'read the pool')
    jhost = jv.hosts[jv.master_ref]
    jname = jhost.get('name_label') or joiner.url
    if jv.pool.get('uuid') == mv.pool.get('uuid') or master.url == joiner.url:
        module.fail_json(msg='%s is the master %s itself; it cannot join its own pool.' % (jname, p['master_address']))
    problems = prechecks((jname, jv), (mv.host_name(mv.master_ref), mv))
    if problems:
        module.fail_json(msg='Host %s cannot join the pool of %s: %s' % (jname, p['master_address'], ' '.join(problems)),
                         problems=problems, changed=False, commands=[])
    method = 'pool.join_force' if p['force'] else 'pool.join'
    show = '%s(master_address=%s, master_username=%s, master_password=********) on %s' % (
        method, p['master_address'], p['master_username'], jname)
    if module.check_mode:
        module.exit_json(changed=True, joined=False, commands=[show],
                         diff={'before': {'pool_master': jv.host_name(jv.master_ref)}, 'after': {'pool_master': p['master_address']}})
    try:
        joiner.write(method, p['master_address'], p['master_username'], p['master_password'], show=show)
    except _xapi.XapiError as e:
        joiner.fail(e, 'join the pool of %s' % p['master_address'])
    joiner.session = None  # xapi on the joiner restarts as a pool member; its session is gone.
    address = jhost.get('address')

    def enabled():
        try:
            for ref, h in master.read('host.get_all_records').items():
                if h.get('address') == address or h.get('uuid') == jhost.get('uuid'):
                    return bool(master.read('host.get_enabled', ref))
        except _xapi.XapiError:
            return False
        return False

    if not _xapi.wait_for(enabled, p['wait_timeout']):
        module.fail_json(msg='%s joined the pool of %s but is not enabled on the master after %d s.'
                         % (jname, p['master_address'], p['wait_timeout']), changed=True, commands=[show])
    master.logout()
    module.exit_json(changed=True, joined=True, commands=[show],
                     diff={'before': {'pool_master': jv.host_name(jv.master_ref)}, 'after': {'pool_master': p['master_address']}})


if __name__ == '__main__':
    main()
