#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: cs_bridge
short_description: One Linux bridge for CloudStack traffic, now and after reboot
version_added: 0.1.0
description:
  - Makes one Linux bridge (C(cloudbr0), C(cloudbr1), ...) exist now, with its ports, STP
    settings, MTU and IPv4 address, using C(ip) and C(bridge) - not only after a reboot.
  - Writes the matching persistent configuration for the host's network stack (O(backend)) -
    the C(interfaces) stanza or the C(ifcfg-*) files of the CloudStack install guide,
    NetworkManager keyfiles, or a netplan file.
  - Repairs drift - a missing bridge, a port attached elsewhere, a changed address or STP
    setting, a hand-edited file - and leaves anything already right untouched.
  - A change that touches the interface carrying the default route or the controller's
    SSH address fails before doing anything unless O(management=true); then the change is
    applied asynchronously, confirmed over a fresh connection, or rolled back by the host
    itself after O(rollback_timeout) seconds (the action plugin of the same name does this;
    the pattern of community.general's C(iptables_state)).
  - VLAN ports are kernel 802.1Q sub-interfaces (C(eth0.200)); when the kernel cannot make
    them the module fails with a clear message before changing anything.
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
    description: The action plugin runs the module asynchronously by itself when O(management=true); do not set C(async) on the task.
    support: none
notes:
  - The runtime is changed with C(ip) and C(bridge) commands, never with C(ifup), C(nmcli up)
    or C(netplan apply), so no other interface is bounced. The persistent files take effect
    at the next boot or when the operator reloads the network stack.
  - O(backend=ifupdown) needs the C(bridge-utils) package on the host for C(bridge_ports) at
    boot (the module warns when its hook is missing), and C(vlan) for VLAN ports on old releases.
    Ports' own C(iface) stanzas, in whatever file they live, are switched to C(inet manual);
    this is not undone by O(state=absent).
  - O(backend=netplan) writes C(/etc/netplan/60-cshv-<name>.yaml) (mode 0600); ports defined in
    other netplan files with addresses must be cleaned there.
  - O(backend=networkmanager) writes C(cshv-<name>.nmconnection) and one bridge-slave
    keyfile per port and runs C(nmcli connection reload); other profiles on the ports with
    autoconnect may compete.
  - DNS servers (O(dns)) are only persisted, never applied at runtime.
options:
  name:
    description:
      - The bridge's interface name (the CloudStack traffic label), at most 15 characters.
    type: str
    required: true
  ports:
    description:
      - The bridge's ports. A string is an existing NIC or bond (C(eth1), C(bond0)).
      - A dictionary C({device, vlan}) is the 802.1Q sub-interface C(<device>.<vlan>),
        created when missing. C(vlan) is an integer from 1 to 4094.
      - Ports attached to another bridge are moved; global IPv4 addresses on a port are removed
        (they belong on the bridge).
    type: list
    elements: raw
    default: []
  purge_ports:
    description:
      - Detach ports that are attached to the bridge but not listed in O(ports).
      - Tap devices (the C(vnet*) ports libvirt attaches for guests) are never detached.
    type: bool
    default: false
  ipv4:
    description:
      - The bridge's IPv4 address as C(address/prefix) (C(10.99.200.11/24)), or C(dhcp).
      - Omitted, the bridge has no IPv4 address (C(inet manual), C(BOOTPROTO=none)); any
        global IPv4 address found on it is removed.
    type: str
  stp:
    description: Enable the Spanning Tree Protocol on the bridge (guides - Ubuntu C(bridge_stp off), RHEL C(STP=yes)).
    type: bool
    default: false
  forward_delay:
    description:
      - Forward delay in seconds (C(bridge_fd), C(DELAY)). With O(stp=true) it must be 2 to 30.
    type: int
    default: 5
  mtu:
    description: MTU of the bridge and its ports. Omitted, the MTU is left alone.
    type: int
  state:
    description: V(present) makes the bridge exist as described; V(absent) deletes it and its persistent configuration.
    type: str
    choices: [present, absent]
    default: present
  backend:
    description:
      - Where the persistent configuration goes.
      - V(auto) picks netplan (C(/etc/netplan/*.yaml) and the C(netplan) command), then ifupdown
        (C(/etc/network/interfaces) and C(ifup)), then NetworkManager (running), then ifcfg
        (C(/etc/sysconfig/network-scripts)); it fails when none is found.
      - V(none) changes the runtime only.
    type: str
    choices: [auto, ifupdown, netplan, networkmanager, ifcfg, none]
    default: auto
seealso:
  - module: cloudstack.hypervisors.ovs_fakebridge
  - module: community.general.iptables_state
    description: The confirm-or-roll-back pattern this module follows.
'''

EXAMPLES = r'''
- name: Public traffic bridge on a NIC, no address (guide - cloudbr0)
  cloudstack.hypervisors.cs_bridge:
    name: cloudbr0
    ports: [eth1]

- name: Guest bridge on VLAN 300 of eth0 (guide - eth0.300 in cloudbr1)
  cloudstack.hypervisors.cs_bridge:
    name: cloudbr1
    ports:
      - device: eth0
        vlan: 300
    stp: false
    forward_delay: 5

- name: Move the management address into cloudbr0, confirmed or rolled back
  cloudstack.hypervisors.cs_bridge:
    name: cloudbr0
    ports: [eth0]
    ipv4: 192.0.2.11/24
    gateway: 192.0.2.1
    dns: [192.0.2.1]
    management: true
    rollback_timeout: 60

- name: Remove a bridge
  cloudstack.hypervisors.cs_bridge:
    name: cloudbr9
    state: absent
'''

RETURN = r'''
commands:
  description: Commands run (or, in check mode, that would run), in order. File writes are in the diff.
  returned: always
  type: list
  elements: str
  sample: ["ip link add name cloudbr0 type bridge stp_state 0 forward_delay 500", "ip link set dev eth1 master cloudbr0"]
backend:
  description: The persistence backend used (after V(auto) detection).
  returned: always
  type: str
  sample: ifupdown
files:
  description: Configuration files written (or that would be written, or removed).
  returned: always
  type: list
  elements: str
  sample: [/etc/network/interfaces.d/cshv-cloudbr0]
bridge:
  description: The bridge as the module leaves it (wanted state).
  returned: always
  type: dict
  sample: {name: cloudbr0, ports: [eth1], ipv4: null, stp: false, forward_delay: 5, mtu: null, state: present}
management_touched:
  description: Whether the change touches the management path (see O(management)).
  returned: always
  type: bool
confirmed:
  description: With O(management=true), whether the controller confirmed the change over a fresh connection.
  returned: when the change touched the management path
  type: bool
rolled_back:
  description: Whether the host restored its previous state because no confirmation came.
  returned: when the change touched the management path
  type: bool
rollback_commands:
  description: What the host ran to restore its previous state.
  returned: when rolled back
  type: list
  elements: str
backup_files:
  description: Backup copies made with O(backup=true).
  returned: when files were backed up
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils._runner import Runner
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _changes, _iproute, _netpersist, _rollback

BRIDGE_UTILS_HOOKS = ('etc/network/if-pre-up.d/bridge', 'lib/bridge-utils/ifupdown.sh')
check_ifname = _iproute.check_ifname
check_vlan = _iproute.check_vlan


def normalize_ports(module, raw):
    ports, seen = [], set()
    for item in raw:
        if isinstance(item, str):
            port = {'device': item.strip(), 'vlan': None}
        elif isinstance(item, dict):
            unknown = set(item) - set(['device', 'vlan'])
            if unknown or not item.get('device'):
                module.fail_json(msg='Port %r must be a device name or a dictionary with "device" and "vlan" '
                                     '(unknown keys: %s).' % (item, ', '.join(sorted(unknown)) or 'none'))
            port = {'device': str(item['device']).strip(), 'vlan': None}
            if item.get('vlan') is not None:
                port['vlan'] = check_vlan(module, item['vlan'], 'port %s' % port['device'])
        else:
            module.fail_json(msg='Port %r must be a device name or a dictionary with "device" and "vlan".' % (item,))
        check_ifname(module, port['device'], 'Port device')
        port['ifname'] = _iproute.vlan_ifname(port['device'], port['vlan']) if port['vlan'] else port['device']
        check_ifname(module, port['ifname'], 'VLAN sub-interface')
        if port['ifname'] in seen:
            module.fail_json(msg='Port %s is listed twice.' % port['ifname'])
        if port['ifname'] == module.params['name']:
            module.fail_json(msg='Bridge %s cannot be its own port.' % port['ifname'])
        seen.add(port['ifname'])
        ports.append(port)
    return ports


def plan_present(module, spec, state):
    """Runtime commands for a present bridge; returns (plan, vlan_ports_to_create)."""
    name = spec['name']
    plan, vlans = [], []
    new = not state.exists(name)
    if not new and state.kind(name) != 'bridge':
        module.fail_json(msg='%s exists and is a %s device, not a bridge; delete it first.' % (name, state.kind(name) or 'plain'))
    stp, fd = int(spec['stp']), spec['forward_delay'] * 100
    if new:
        # link options (mtu) go before "type"; bridge options after it
        argv = ['ip', 'link', 'add', 'name', name] + (['mtu', spec['mtu']] if spec['mtu'] else [])
        plan.append(argv + ['type', 'bridge', 'stp_state', stp, 'forward_delay', fd])
    else:
        have = state.bridge_settings(name)
        set_fd = have['forward_delay'] != spec['forward_delay']
        set_stp = have['stp'] != spec['stp']
        # the kernel checks forward_delay against 2..30 s while STP is on: order matters
        if set_stp and not spec['stp']:
            plan.append(['ip', 'link', 'set', 'dev', name, 'type', 'bridge', 'stp_state', 0])
        if set_fd:
            plan.append(['ip', 'link', 'set', 'dev', name, 'type', 'bridge', 'forward_delay', fd])
        if set_stp and spec['stp']:
            plan.append(['ip', 'link', 'set', 'dev', name, 'type', 'bridge', 'stp_state', 1])
        if spec['mtu'] and state.links[name]['mtu'] != spec['mtu']:
            plan.append(['ip', 'link', 'set', 'dev', name, 'mtu', spec['mtu']])
    if new or not state.links[name]['up']:
        plan.append(['ip', 'link', 'set', 'dev', name, 'up'])
    wanted = set()
    for port in spec['ports']:
        ifname = port['ifname']
        wanted.add(ifname)
        link = state.links.get(ifname)
        if port['vlan']:
            if not state.exists(port['device']):
                module.fail_json(msg='Port device %s (for VLAN %d) does not exist on this host.' % (port['device'], port['vlan']))
            if link and (link['kind'] != 'vlan' or link['vlan_id'] != port['vlan'] or link['parent'] != port['device']):
                plan.append(['ip', 'link', 'del', 'dev', ifname])
                link = None
            if not link:
                vlans.append(port)
                plan.append(['ip', 'link', 'add', 'link', port['device'], 'name', ifname, 'type', 'vlan', 'id', port['vlan']])
                plan.append(['ip', 'link', 'set', 'dev', port['device'], 'up'] if not state.links[port['device']]['up'] else None)
        elif not link:
            module.fail_json(msg='Port %s does not exist on this host.' % ifname)
        for cidr in (state.cidrs(ifname) if link else []):
            plan.append(['ip', 'addr', 'del', cidr, 'dev', ifname])
        if spec['mtu'] and (not link or link['mtu'] != spec['mtu']):
            plan.append(['ip', 'link', 'set', 'dev', ifname, 'mtu', spec['mtu']])
        if not link or link['master'] != name:
            plan.append(['ip', 'link', 'set', 'dev', ifname, 'master', name])
        if not link or not link['up']:
            plan.append(['ip', 'link', 'set', 'dev', ifname, 'up'])
    if spec['purge_ports'] and not new:
        for port in state.ports_of(name):
            if port not in wanted and state.kind(port) != 'tun':
                plan.append(['ip', 'link', 'set', 'dev', port, 'nomaster'])
    have_cidrs = [] if new else state.cidrs(name)
    have_gw = None if new else state.default_gateway(name)
    plan += _iproute.plan_address(name, spec['ipv4'], have_cidrs, spec['gateway'], have_gw)
    if spec['ipv4'] == 'dhcp' and not have_cidrs:
        client = [c for c in ('dhclient', 'dhcpcd') if state.runner.has(c)]
        if client:
            plan.append(['dhclient', '-nw', name] if client[0] == 'dhclient' else ['dhcpcd', '-b', name])
        else:
            module.warn('No DHCP client (dhclient, dhcpcd) found: %s gets its DHCP address only when the '
                        'network stack brings it up from the persistent configuration.' % name)
    return [p for p in plan if p], vlans


def plan_absent(module, spec, state):
    name = spec['name']
    plan = []
    if state.exists(name):
        if state.kind(name) != 'bridge':
            module.fail_json(msg='%s is a %s device, not a bridge; not deleting it.' % (name, state.kind(name) or 'plain'))
        plan.append(['ip', 'link', 'del', 'dev', name])
    for port in spec['ports']:
        if port['vlan'] and state.kind(port['ifname']) == 'vlan':
            plan.append(['ip', 'link', 'del', 'dev', port['ifname']])
    return plan


def runtime_text(name, state):
    if not state.exists(name):
        return 'bridge %s: absent\n' % name
    s = state.bridge_settings(name) if state.kind(name) == 'bridge' else {'stp': None, 'forward_delay': None}
    return ('bridge %s: present\nports: %s\nipv4: %s\nstp: %s\nforward_delay: %s\nmtu: %s\nup: %s\n'
            % (name, ' '.join(state.ports_of(name)) or '-', ' '.join(state.cidrs(name)) or '-', s['stp'],
               s['forward_delay'], state.links[name]['mtu'], state.links[name]['up']))


def wanted_text(spec):
    if spec['state'] == 'absent':
        return 'bridge %s: absent\n' % spec['name']
    return ('bridge %s: present\nports: %s\nipv4: %s\nstp: %s\nforward_delay: %s\nmtu: %s\nup: True\n'
            % (spec['name'], ' '.join(sorted(p['ifname'] for p in spec['ports'])) or '-', spec['ipv4'] or '-',
               spec['stp'], spec['forward_delay'], spec['mtu'] or '(unchanged)'))


def argument_spec():
    spec = dict(
        name=dict(type='str', required=True),
        ports=dict(type='list', elements='raw', default=[]),
        purge_ports=dict(type='bool', default=False),
        ipv4=dict(type='str'),
        stp=dict(type='bool', default=False),
        forward_delay=dict(type='int', default=5),
        mtu=dict(type='int'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        backend=dict(type='str', choices=['auto', 'ifupdown', 'netplan', 'networkmanager', 'ifcfg', 'none'], default='auto'),
    )
    spec.update(_netpersist.common_bridge_args())
    return spec


def build_spec(module):
    p = module.params
    check_ifname(module, p['name'], 'Bridge name')
    if p['forward_delay'] < 0 or p['forward_delay'] > 30 or (p['stp'] and p['forward_delay'] < 2):
        module.fail_json(msg='forward_delay %d is out of range: use 2 to 30 seconds with stp, 0 to 30 without.' % p['forward_delay'])
    if p['mtu'] is not None and not 68 <= p['mtu'] <= 65535:
        module.fail_json(msg='mtu %d is out of range (68 to 65535).' % p['mtu'])
    if p['confirm_host'] and not p['management']:
        module.fail_json(msg='confirm_host %s is only used with management: true.' % p['confirm_host'])
    if p['rollback_timeout'] < 10:
        module.fail_json(msg='rollback_timeout %d is too short: use at least 10 seconds.' % p['rollback_timeout'])
    ipv4, gateway = _iproute.check_address(module, p)
    return dict(name=p['name'], ports=normalize_ports(module, p['ports']), ipv4=ipv4, gateway=gateway,
                dns=p['dns'], dns_search=p['dns_search'], stp=p['stp'], forward_delay=p['forward_delay'],
                mtu=p['mtu'], purge_ports=p['purge_ports'], state=p['state'])


def resolve_backend(module, runner):
    backend = module.params['backend']
    if backend == 'auto':
        backend = _netpersist.detect(runner)
        if backend is None:
            module.fail_json(msg='backend auto found no known network configuration (netplan, ifupdown, '
                                 'NetworkManager, ifcfg) on this host; set backend explicitly or use backend: none.')
    return backend


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_by={'gateway': 'ipv4'},
        supports_check_mode=True,
    )
    spec = build_spec(module)
    p = module.params
    runner = Runner(module)
    backend = resolve_backend(module, runner)
    state = _iproute.LinkState(runner)

    if spec['state'] == 'present':
        plan, vlans = plan_present(module, spec, state)
    else:
        plan, vlans = plan_absent(module, spec, state), []
    files = _netpersist.changes_for(module, backend, spec, 'bridge', spec['state'])
    plan += _netpersist.reload_commands(backend, runner, files)

    if vlans and not _iproute.vlan_supported(runner, module.check_mode):
        port = vlans[0]
        module.fail_json(msg='Cannot create VLAN sub-interface %s (VLAN %d on %s): this kernel has no 802.1Q VLAN '
                             'support (no %s, module 8021q cannot be loaded). Nothing was changed.'
                             % (port['ifname'], port['vlan'], port['device'], _iproute.PROC_NET_VLAN))

    token, run_dir, controller = _rollback.protocol()
    addrs = _rollback.controller_addresses(controller)
    mgmt = _rollback.management_devices(state, addrs)
    hit = _rollback.touches(plan, mgmt, addrs)
    if hit and not p['management']:
        module.fail_json(msg='Changing bridge %s would touch the management path (%s: the default route and/or the '
                             'controller\'s SSH address %s) with "%s". Nothing was changed. Set management: true to '
                             'apply it with a confirmed rollback (rollback_timeout %ds).'
                             % (spec['name'], ', '.join(sorted(mgmt)) or '-', ', '.join(addrs) or '-',
                                Runner.display(hit), p['rollback_timeout']),
                         commands=[Runner.display(a) for a in plan], management_touched=True)
    if backend == 'ifupdown' and spec['state'] == 'present' and spec['ports'] and not any(
            os.path.exists(_netpersist.path(h)) for h in BRIDGE_UTILS_HOOKS):
        module.warn('bridge-utils is not installed: ifupdown will not attach bridge_ports of %s at boot.' % spec['name'])

    before = runtime_text(spec['name'], state)
    result = dict(changed=bool(plan or files), backend=backend or 'none', files=[c.path for c in files],
                  bridge=dict((k, spec[k]) for k in ('name', 'ipv4', 'gateway', 'stp', 'forward_delay', 'mtu', 'state')),
                  management_touched=bool(hit))
    result['bridge']['ports'] = [x['ifname'] for x in spec['ports']]
    result['diff'] = [dict(before_header='%s (runtime)' % spec['name'], after_header='%s (runtime)' % spec['name'],
                           before=before, after=wanted_text(spec) if plan else before)] + _netpersist.diffs(files)

    if module.check_mode or not result['changed']:
        runner.run_plan(plan, check_mode=True)
        module.exit_json(commands=runner.commands, **result)

    _changes.track(module).plan_diff(result['diff'])
    if hit:
        if not token:
            module.fail_json(msg='management: true needs the cloudstack.hypervisors.cs_bridge action plugin '
                                 '(call the module by its collection name). Nothing was changed.')
        start_file, applied_file, confirm_file = _rollback.paths(spec['name'], run_dir)
        watch = [spec['name']] + [x['ifname'] for x in spec['ports']] + sorted(mgmt)
        guard = _rollback.Guard(runner, state, watch, files)
        if not _rollback.wait_for(start_file, token, p['rollback_timeout']):
            _rollback.clear(start_file, applied_file, confirm_file)
            module.fail_json(msg='The controller did not start the change of %s within %ds. Nothing was changed.'
                                 % (spec['name'], p['rollback_timeout']))
        result['backup_files'] = _netpersist.write_all(files, p['backup'])
        for argv in plan:
            rc, out, err = runner.change(argv, ok_rcs=range(0, 256))
            if rc != 0:
                guard.restore()
                _rollback.clear(start_file, applied_file, confirm_file)
                module.fail_json(msg='Command "%s" failed (%s); %s was restored to its previous state.'
                                     % (Runner.display(argv), (err or out).strip(), spec['name']),
                                 commands=runner.commands, rolled_back=True, rollback_commands=guard.commands)
        _rollback.mark(applied_file, token)
        confirmed = _rollback.wait_for(confirm_file, token, p['rollback_timeout'])
        _rollback.clear(start_file, applied_file, confirm_file)
        if not confirmed:
            guard.restore()
            module.fail_json(msg='No confirmation over a fresh connection within %ds after changing %s; the host '
                                 'rolled back to its previous addresses (%s).'
                                 % (p['rollback_timeout'], spec['name'],
                                    '; '.join('%s %s' % (d, ' '.join(a)) for d, a in sorted(guard.addresses().items()))),
                             commands=runner.commands, rolled_back=True, confirmed=False,
                             rollback_commands=guard.commands, **dict((k, v) for k, v in result.items() if k != 'changed'))
        module.exit_json(commands=runner.commands, confirmed=True, rolled_back=False, **result)

    result['backup_files'] = _netpersist.write_all(files, p['backup'])
    for argv in plan:
        if argv[:3] == ['ip', 'link', 'add'] and 'vlan' in argv:
            rc, out, err = runner.change(argv, ok_rcs=range(0, 256))
            if rc != 0:
                module.fail_json(msg='Cannot create VLAN sub-interface %s: %s (does the kernel have 802.1Q support?).'
                                     % (argv[6], (err or out).strip()), commands=runner.commands)
            continue
        runner.change(argv)
    module.exit_json(commands=runner.commands, **result)


if __name__ == '__main__':
    main()
