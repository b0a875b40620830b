#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ovs_fakebridge
short_description: Open vSwitch bridges in the CloudStack guides' layout (parent bridge + fake VLAN bridges)
version_added: 0.1.0
description:
  - Without O(parent), manages a real OVS bridge (the guides' C(cloudbr)) with its uplink ports
    (O(uplinks)) and the VLANs they trunk (O(trunks)).
  - With O(parent) and O(vlan), manages a fake bridge (C(ovs-vsctl add-br mgmt0 cloudbr 100)) -
    a fake bridge with the wrong parent or VLAN, or a real bridge of that name, is deleted and
    recreated in one OVSDB transaction.
  - Reads state with C(ovs-vsctl br-exists), C(br-to-parent), C(br-to-vlan), C(list-ports),
    C(port-to-br) and C(get); returns the exact C(ovs-vsctl) commands, in check mode too.
  - Optionally puts an IPv4 address on the bridge's internal interface (C(mgmt0) in the guides)
    and writes the distribution's files (C(ifcfg-*) with C(TYPE=OVSBridge), C(DEVICETYPE=ovs);
    ifupdown C(allow-ovs) stanzas). The OVS database itself persists bridges, ports and trunks.
  - A change touching the interface with the default route or the controller's SSH address needs
    O(management=true) and is then confirmed over a fresh connection or rolled back by the host,
    as in M(cloudstack.hypervisors.cs_bridge).
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.attributes.LINUX_HOST
  - cloudstack.hypervisors.bridge
attributes:
  action:
    description: An action plugin of the same name runs the confirm-or-roll-back protocol.
    support: full
  async:
    description: The action plugin runs the module asynchronously by itself when O(management=true).
    support: none
notes:
  - O(trunks) is set on the uplink ports, where it decides which VLANs cross the wire. The guides
    set C(trunks=100,200,300) on the bridge's own internal port instead; that does not restrict
    the uplink, and it drops the untagged traffic of the bridge's own interface unless VLAN 0 is
    listed (C(trunks=0,100,200,300)). To keep untagged traffic on an uplink, list V(0) too.
  - On kernels without the OVS datapath module (containers, this collection's lab) use
    O(datapath_type=netdev); with the default datapath C(ovs-vsctl add-br) succeeds there but the
    bridge is dead. A fake bridge always uses its parent's datapath.
  - O(backend=networkmanager) and O(backend=netplan) are not rendered for OVS; with V(auto) such
    hosts get V(none) (the OVS database persists the layout) and a warning when an address is set.
  - Ports of libvirt guests (C(vnet*)) are never removed; ports not listed in O(uplinks) are left alone.
  - With O(backend=ifupdown) each bridge gets C(/etc/network/interfaces.d/cshv-<name>); openvswitch-switch
    brings C(allow-ovs) interfaces up in file order, so with an empty OVS database a fake bridge whose
    file sorts before its parent's would come up first. The OVS database normally persists the layout,
    which makes this order matter only on a rebuilt database.
  - An uplink already defined in another ifupdown file keeps that stanza (switched to C(inet manual));
    ifupdown merges it with the C(ovs_*) stanza this module writes.
options:
  name:
    description: The bridge's name, at most 15 characters.
    type: str
    required: true
  parent:
    description: Make O(name) a fake bridge of this real bridge. Requires O(vlan).
    type: str
  vlan:
    description: VLAN id of the fake bridge, 1 to 4094. Required with O(parent).
    type: int
  uplinks:
    description:
      - Ports (NICs, bonds) of a real bridge, added when missing and moved from another bridge.
        Not used with O(parent).
    type: list
    elements: str
    default: []
  trunks:
    description:
      - VLANs the uplink ports carry (C(trunks=) on each port in O(uplinks)); V([]) means all VLANs.
        Omitted, the ports' trunks are left as they are. V(0) keeps untagged traffic.
    type: list
    elements: int
  datapath_type:
    description: Datapath of a real bridge (V(system) kernel datapath, V(netdev) userspace).
    type: str
    choices: [system, netdev]
    default: system
  fail_mode:
    description: Fail mode of a real bridge; omitted, left alone.
    type: str
    choices: [standalone, secure]
  ipv4:
    description: IPv4 address C(address/prefix) on the bridge's internal interface, or C(dhcp) (persisted only). Omitted, addresses are left alone.
    type: str
  state:
    description: V(present) or V(absent) (deleting a real bridge deletes its fake bridges too).
    type: str
    choices: [present, absent]
    default: present
  backend:
    description:
      - Where distribution files go besides the OVS database. V(auto) picks ifupdown or ifcfg when
        the host uses them, else V(none).
    type: str
    choices: [auto, ifupdown, ifcfg, none]
    default: auto
seealso:
  - module: cloudstack.hypervisors.cs_bridge
  - module: openvswitch.openvswitch.openvswitch_bridge
    description: Creates fake bridges too, but never repairs a wrong parent or VLAN.
'''

EXAMPLES = r'''
- name: Parent bridge on the trunk NIC (guide - add-br cloudbr; add-port cloudbr eth0)
  cloudstack.hypervisors.ovs_fakebridge:
    name: cloudbr
    uplinks: [eth0]
    trunks: [0, 100, 200, 300]
    datapath_type: system

- name: Fake bridges per VLAN (guide - add-br cloudbr0 cloudbr 200)
  cloudstack.hypervisors.ovs_fakebridge:
    name: "{{ item.name }}"
    parent: cloudbr
    vlan: "{{ item.vlan }}"
  loop:
    - {name: cloudbr0, vlan: 200}
    - {name: cloudbr1, vlan: 300}

- name: Management fake bridge with the host address, confirmed or rolled back
  cloudstack.hypervisors.ovs_fakebridge:
    name: mgmt0
    parent: cloudbr
    vlan: 100
    ipv4: 192.0.2.11/24
    gateway: 192.0.2.1
    management: true
'''

RETURN = r'''
commands:
  description: ovs-vsctl and ip commands run (or that would run in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["ovs-vsctl -t 10 del-br cloudbr0 -- add-br cloudbr0 cloudbr 200"]
backend:
  description: The persistence backend used.
  returned: always
  type: str
files:
  description: Configuration files written (or that would be), or removed.
  returned: always
  type: list
  elements: str
bridge:
  description: The bridge as wanted (name, parent, vlan, uplinks, trunks, datapath_type, ipv4, state).
  returned: always
  type: dict
management_touched:
  description: Whether the change touches the management path.
  returned: always
  type: bool
confirmed:
  description: Whether the controller confirmed a management change.
  returned: when the change touched the management path
  type: bool
rolled_back:
  description: Whether the host restored its previous state.
  returned: when the change touched the management path
  type: bool
rollback_commands:
  description: What the host ran to restore its previous state.
  returned: when rolled back
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils._runner import Runner
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _changes, _iproute, _netpersist, _ovs, _rollback
from ansible_collections.cloudstack.hypervisors.plugins.module_utils._iproute import (
    check_address, check_ifname, check_vlan)


def argument_spec():
    spec = dict(
        name=dict(type='str', required=True),
        parent=dict(type='str'),
        vlan=dict(type='int'),
        uplinks=dict(type='list', elements='str', default=[]),
        trunks=dict(type='list', elements='int'),
        datapath_type=dict(type='str', choices=['system', 'netdev'], default='system'),
        fail_mode=dict(type='str', choices=['standalone', 'secure']),
        ipv4=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        backend=dict(type='str', choices=['auto', 'ifupdown', 'ifcfg', 'none'], default='auto'),
    )
    spec.update(_netpersist.common_bridge_args())
    return spec


def build_want(module):
    p = module.params
    check_ifname(module, p['name'], 'Bridge name')
    if p['parent']:
        check_ifname(module, p['parent'], 'Parent bridge')
        if p['parent'] == p['name']:
            module.fail_json(msg='Bridge %s cannot be its own parent.' % p['name'])
        check_vlan(module, p['vlan'], 'fake bridge %s' % p['name'])
    for port in p['uplinks']:
        check_ifname(module, port, 'Uplink')
    for t in p['trunks'] or []:
        if not 0 <= t <= 4094:
            module.fail_json(msg='Trunk VLAN %d is out of range (0 for untagged, 1 to 4094).' % t)
    if p['confirm_host'] and not p['management']:
        module.fail_json(msg='confirm_host %s is only used with management: true.' % p['confirm_host'])
    if p['rollback_timeout'] < 10:
        module.fail_json(msg='rollback_timeout %d is too short: use at least 10 seconds.' % p['rollback_timeout'])
    ipv4, gateway = check_address(module, p)
    return dict(name=p['name'], parent=p['parent'], vlan=p['vlan'] if p['parent'] else None,
                uplinks=p['uplinks'], trunks=sorted(set(p['trunks'])) if p['trunks'] is not None else None,
                datapath_type=p['datapath_type'], fail_mode=p['fail_mode'], ipv4=ipv4, gateway=gateway,
                dns=p['dns'], dns_search=p['dns_search'], state=p['state'], manage_ipv4=p['ipv4'] is not None)


def resolve_backend(module, runner, want):
    backend = module.params['backend']
    if backend == 'auto':
        found = _netpersist.detect(runner)
        backend = found if found in ('ifupdown', 'ifcfg') else 'none'
        if backend == 'none' and want['manage_ipv4']:
            module.warn('No ifupdown or ifcfg configuration found: the address of %s is set now but not persisted.'
                        % want['name'])
    return backend


def runtime_text(have, name):
    if not have['exists']:
        return 'ovs bridge %s: absent\n' % name
    if have['parent']:
        return 'ovs bridge %s: fake, parent %s, vlan %s\n' % (name, have['parent'], have['vlan'])
    lines = ['ovs bridge %s: real, datapath_type %s, fail_mode %s' % (name, have['datapath_type'], have['fail_mode'])]
    for port, u in sorted(have['uplinks'].items()):
        lines.append('uplink %s: bridge %s, trunks %s' % (port, u['bridge'], ','.join(str(t) for t in u['trunks']) or 'all'))
    return '\n'.join(lines) + '\n'


def wanted_text(want):
    name = want['name']
    if want['state'] == 'absent':
        return 'ovs bridge %s: absent\n' % name
    if want['parent']:
        return 'ovs bridge %s: fake, parent %s, vlan %s\n' % (name, want['parent'], want['vlan'])
    lines = ['ovs bridge %s: real, datapath_type %s, fail_mode %s' % (name, want['datapath_type'], want['fail_mode'])]
    for port in sorted(want['uplinks']):
        lines.append('uplink %s: bridge %s, trunks %s' % (
            port, name, 'unchanged' if want['trunks'] is None else (','.join(str(t) for t in want['trunks']) or 'all')))
    return '\n'.join(lines) + '\n'


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_by={'parent': ['vlan'], 'gateway': ['ipv4']},
        mutually_exclusive=[('parent', 'uplinks'), ('parent', 'trunks'), ('parent', 'fail_mode')],
        supports_check_mode=True,
    )
    p = module.params
    if p['vlan'] is not None and not p['parent']:
        module.fail_json(msg='vlan %s needs parent: a VLAN makes a fake bridge of a parent bridge.' % p['vlan'])
    want = build_want(module)
    runner = Runner(module)
    vs = _ovs.Vsctl(runner)
    name = want['name']
    backend = resolve_backend(module, runner, want)
    have = vs.read(name, want['uplinks'])
    state = _iproute.LinkState(runner)

    if want['parent'] and want['state'] == 'present' and not vs.br_exists(want['parent']):
        if module.check_mode:
            module.warn('Parent bridge %s does not exist (yet); assuming an earlier task creates it.' % want['parent'])
        else:
            module.fail_json(msg='Parent bridge %s of fake bridge %s does not exist; create it first '
                                 '(ovs_fakebridge name: %s).' % (want['parent'], name, want['parent']))
    if want['parent'] and want['state'] == 'present' and vs.br_exists(want['parent']) \
            and vs.br_to_parent(want['parent']) != want['parent']:
        module.fail_json(msg='Parent %s of %s is itself a fake bridge; a fake bridge needs a real parent.'
                             % (want['parent'], name))
    for port in want['uplinks'] if want['state'] == 'present' else []:
        if not state.exists(port) and not module.check_mode:
            module.fail_json(msg='Uplink %s does not exist on this host.' % port)

    plan = _ovs.plan(want, have, vs)
    recreated = any(('del-br' in a and 'add-br' in a) or (not have['exists'] and 'add-br' in a) for a in plan)
    if want['state'] == 'present':
        if recreated or not state.exists(name) or not state.links[name]['up']:
            plan.append(['ip', 'link', 'set', 'dev', name, 'up'])
        for port in want['uplinks']:
            for cidr in state.cidrs(port):
                plan.append(['ip', 'addr', 'del', cidr, 'dev', port])
            if state.exists(port) and not state.links[port]['up']:
                plan.append(['ip', 'link', 'set', 'dev', port, 'up'])
        if want['manage_ipv4'] or want['gateway']:
            cidrs = [] if recreated else state.cidrs(name)
            gw = None if recreated else state.default_gateway(name)
            plan += _iproute.plan_address(name, want['ipv4'], cidrs, want['gateway'], gw, unknown=recreated)
        elif want['parent'] and have['exists'] and recreated and state.cidrs(name):
            module.warn('Recreating %s drops its addresses %s; set ipv4 to have them put back.'
                        % (name, ' '.join(state.cidrs(name))))

    spec = dict(want, ports=[])
    files = _netpersist.changes_for(module, backend, spec, 'ovs', want['state'])

    token, run_dir, controller = _rollback.protocol()
    addrs = _rollback.controller_addresses(controller)
    mgmt = _rollback.management_devices(state, addrs)
    hit = _rollback.touches(plan, mgmt, addrs)
    if hit and not p['management']:
        module.fail_json(msg='Changing OVS bridge %s would touch the management path (%s: the default route and/or the '
                             'controller\'s SSH address %s) with "%s". Nothing was changed. Set management: true to '
                             'apply it with a confirmed rollback (rollback_timeout %ds).'
                             % (name, ', '.join(sorted(mgmt)) or '-', ', '.join(addrs) or '-', Runner.display(hit),
                                p['rollback_timeout']),
                         commands=[Runner.display(a) for a in plan], management_touched=True)

    result = dict(changed=bool(plan or files), backend=backend, files=[c.path for c in files],
                  bridge=dict((k, want[k]) for k in ('name', 'parent', 'vlan', 'uplinks', 'trunks', 'datapath_type',
                                                     'fail_mode', 'ipv4', 'gateway', 'state')),
                  management_touched=bool(hit))
    before = runtime_text(have, name)
    result['diff'] = [dict(before_header='%s (ovsdb)' % name, after_header='%s (ovsdb)' % name, before=before,
                           after=wanted_text(want) if plan else before)] + _netpersist.diffs(files)

    if module.check_mode or not result['changed']:
        runner.run_plan(plan, check_mode=True)
        module.exit_json(commands=runner.commands, **result)

    _changes.track(module).plan_diff(result['diff'])
    if hit:
        if not token:
            module.fail_json(msg='management: true needs the cloudstack.hypervisors.ovs_fakebridge action plugin '
                                 '(call the module by its collection name). Nothing was changed.')
        start_file, applied_file, confirm_file = _rollback.paths(name, run_dir)
        guard = _rollback.Guard(runner, state, [name] + want['uplinks'] + sorted(mgmt), files)
        if not _rollback.wait_for(start_file, token, p['rollback_timeout']):
            _rollback.clear(start_file, applied_file, confirm_file)
            module.fail_json(msg='The controller did not start the change of %s within %ds. Nothing was changed.'
                                 % (name, p['rollback_timeout']))

        def ovs_back():
            return _ovs.restore_plan(name, have, vs)

        result['backup_files'] = _netpersist.write_all(files, p['backup'])
        for argv in plan:
            rc, out, err = runner.change(argv, ok_rcs=range(0, 256))
            if rc != 0:
                guard.restore(ovs_back)
                _rollback.clear(start_file, applied_file, confirm_file)
                module.fail_json(msg='Command "%s" failed (%s); %s was restored to its previous state.'
                                     % (Runner.display(argv), (err or out).strip(), name),
                                 commands=runner.commands, rolled_back=True, rollback_commands=guard.commands)
        _rollback.mark(applied_file, token)
        confirmed = _rollback.wait_for(confirm_file, token, p['rollback_timeout'])
        _rollback.clear(start_file, applied_file, confirm_file)
        if not confirmed:
            guard.restore(ovs_back)
            module.fail_json(msg='No confirmation over a fresh connection within %ds after changing %s; the host '
                                 'rolled back to its previous addresses (%s).'
                                 % (p['rollback_timeout'], name,
                                    '; '.join('%s %s' % (d, ' '.join(a)) for d, a in sorted(guard.addresses().items()))),
                             commands=runner.commands, rolled_back=True, confirmed=False,
                             rollback_commands=guard.commands, **dict((k, v) for k, v in result.items() if k != 'changed'))
        module.exit_json(commands=runner.commands, confirmed=True, rolled_back=False, **result)

    result['backup_files'] = _netpersist.write_all(files, p['backup'])
    runner.run_plan(plan, check_mode=False)
    module.exit_json(commands=runner.commands, **result)


if __name__ == '__main__':
    main()
