#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: xenserver_host_settings
short_description: NTP, dom0 memory, multipathing and iSCSI IQN of a XenServer host through XenAPI
version_added: 0.2.0
description:
  - O(ntp_servers) - custom NTP servers through C(host.set_ntp_mode) and C(host.set_ntp_custom_servers), which
    xapi has since version 26 (current XCP-ng 8.3 updates, XenServer 8). Older xapi answers
    C(MESSAGE_METHOD_UNKNOWN); the module then reports C(ntp) in RV(unsupported) and changes nothing, so the
    caller can configure chrony in dom0 instead.
  - O(dom0_memory_min_mb) - fails when the control domain has less memory, unless O(dom0_memory_mb) is set;
    O(dom0_memory_mb) sets the control domain's memory (C(VM.set_memory_limits)); it takes effect at the next
    reboot and RV(reboot_required) says so.
  - O(multipathing) - C(host.set_multipathing). Set it before CloudStack creates storage repositories.
  - O(iscsi_iqn) - C(host.set_iscsi_iqn).
  - Talks to the pool master (O(api_url)); O(host) picks the host of the pool.
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
  ntp_servers:
    description: NTP servers (mode C(Custom)). Unset leaves NTP alone.
    type: list
    elements: str
  dom0_memory_min_mb:
    description: Least control-domain memory in MiB (the install guide recommends 2940).
    type: int
  dom0_memory_mb:
    description: Control-domain memory to set, in MiB.
    type: int
  multipathing:
    description: Storage multipathing of the host. Unset leaves it alone.
    type: bool
  iscsi_iqn:
    description: The host's iSCSI initiator name. Unset leaves it alone.
    type: str
'''

EXAMPLES = r'''
- name: NTP and a dom0 memory check on xs1
  cloudstack.hypervisors.xenserver_host_settings:
    api_url: https://192.168.43.21
    api_password: "{{ xenserver_pool_password }}"
    host: 192.168.43.21
    ntp_servers: [0.pool.ntp.org, 1.pool.ntp.org]
    dom0_memory_min_mb: 2940
  delegate_to: localhost
'''

RETURN = r'''
unsupported:
  description: Settings this host's xapi has no call for (C(ntp)); nothing was changed for them.
  returned: always
  type: list
  elements: str
reboot_required:
  description: The control domain's memory change waits for a reboot of the host.
  returned: always
  type: bool
dom0_memory_mb:
  description: The control domain's configured memory (static max) after the run, in MiB.
  returned: success
  type: int
commands:
  description: The XenAPI calls made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
'''

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _xapi

MIB = 1024 * 1024
HOSTNAME_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$')
IQN_RE = re.compile(r'^(iqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:.+)?|eui\.[0-9A-Fa-f]{16})$')


def validate(p):
    errors = []
    for s in p['ntp_servers'] or []:
        if not HOSTNAME_RE.match(s or ''):
            errors.append('NTP server %r is not a host name or address.' % s)
    if p['ntp_servers'] is not None and not p['ntp_servers']:
        errors.append('ntp_servers is an empty list; give at least one server or leave it unset.')
    for k in ('dom0_memory_min_mb', 'dom0_memory_mb'):
        if p[k] is not None and not 512 <= p[k] <= 65536:
            errors.append('%s is %d; use 512..65536 MiB.' % (k, p[k]))
    if p['dom0_memory_mb'] is not None and p['dom0_memory_min_mb'] is not None and p['dom0_memory_mb'] < p['dom0_memory_min_mb']:
        errors.append('dom0_memory_mb %d is below dom0_memory_min_mb %d.' % (p['dom0_memory_mb'], p['dom0_memory_min_mb']))
    if p['iscsi_iqn'] is not None and not IQN_RE.match(p['iscsi_iqn']):
        errors.append('iscsi_iqn %r is not an iqn.YYYY-MM.domain[:name] or eui. name.' % p['iscsi_iqn'])
    return errors


def main():
    spec = _xapi.argument_spec()
    spec.update(
        host=dict(type='str', default=''),
        ntp_servers=dict(type='list', elements='str'),
        dom0_memory_min_mb=dict(type='int'),
        dom0_memory_mb=dict(type='int'),
        multipathing=dict(type='bool'),
        iscsi_iqn=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    errors = validate(p)
    if errors:
        module.fail_json(msg='Host settings of %s: %s' % (p['host'] or 'the master', ' '.join(errors)))
    x = _xapi.connect(module)
    try:
        view = _xapi.PoolView(x)
    except _xapi.XapiError as e:
        x.fail(e, 'read the pool')
    href = view.host_ref(p['host'])
    if href is None:
        module.fail_json(msg='Host %s is not in the pool of %s.' % (p['host'], view.host_name(view.master_ref)))
    name = view.host_name(href)
    h = view.hosts[href]
    before, after, plan, unsupported = {}, {}, [], []

    if p['ntp_servers'] is not None:
        try:
            has_ntp = x.has_method('host.get_ntp_mode', href)
            if has_ntp:
                before['ntp_mode'] = x.read('host.get_ntp_mode', href)
                before['ntp_servers'] = list(x.read('host.get_ntp_custom_servers', href))
        except _xapi.XapiError as e:
            x.fail(e, 'read the NTP settings of %s' % name)
        if not has_ntp:
            unsupported.append('ntp')
        else:
            after['ntp_mode'] = 'Custom'
            after['ntp_servers'] = list(p['ntp_servers'])
            if before['ntp_servers'] != after['ntp_servers']:
                plan.append(('host.set_ntp_custom_servers', [href, list(p['ntp_servers'])],
                             'host.set_ntp_custom_servers(%s, %s)' % (name, ', '.join(p['ntp_servers']))))
            if before['ntp_mode'] != 'Custom':
                plan.append(('host.set_ntp_mode', [href, 'Custom'], 'host.set_ntp_mode(%s, Custom)' % name))

    cd = view.control_domain(href)
    vm = view.vms.get(cd) or {}
    have_mb = _xapi.to_int(vm.get('memory_static_max'), 0) // MIB if vm else None
    reboot_required = bool(vm.get('requires_reboot'))
    dom0_after = have_mb
    if p['dom0_memory_mb'] is not None or p['dom0_memory_min_mb'] is not None:
        if cd is None:
            module.fail_json(msg='Host %s has no control domain in XenAPI; cannot check its memory.' % name)
        before['dom0_memory_mb'] = have_mb
        if p['dom0_memory_mb'] is not None and have_mb != p['dom0_memory_mb']:
            b = str(p['dom0_memory_mb'] * MIB)
            smin = _xapi.to_int(vm.get('memory_static_min'), 0)
            smin = str(min(smin, p['dom0_memory_mb'] * MIB))
            plan.append(('VM.set_memory_limits', [cd, smin, b, b, b],
                         'VM.set_memory_limits(control domain of %s, static/dynamic max %d MiB)' % (name, p['dom0_memory_mb'])))
            dom0_after = p['dom0_memory_mb']
            reboot_required = True
        elif p['dom0_memory_min_mb'] is not None and have_mb < p['dom0_memory_min_mb']:
            module.fail_json(msg='The control domain (dom0) of %s has %d MiB of memory, less than %d MiB; set '
                             'dom0_memory_mb to raise it (takes effect at the next reboot).' % (name, have_mb, p['dom0_memory_min_mb']),
                             dom0_memory_mb=have_mb)
        after['dom0_memory_mb'] = dom0_after

    if p['multipathing'] is not None:
        before['multipathing'] = bool(h.get('multipathing'))
        after['multipathing'] = p['multipathing']
        if before['multipathing'] != p['multipathing']:
            plan.append(('host.set_multipathing', [href, p['multipathing']], 'host.set_multipathing(%s, %s)' % (name, p['multipathing'])))

    if p['iscsi_iqn'] is not None:
        before['iscsi_iqn'] = h.get('iscsi_iqn', '')
        after['iscsi_iqn'] = p['iscsi_iqn']
        if before['iscsi_iqn'] != p['iscsi_iqn']:
            plan.append(('host.set_iscsi_iqn', [href, p['iscsi_iqn']], 'host.set_iscsi_iqn(%s, %s)' % (name, p['iscsi_iqn'])))

    if not module.check_mode:
        for method, args, show in plan:
            try:
                x.write(method, *args, show=show)
            except _xapi.XapiError as e:
                x.fail(e, show)
        if any(m == 'VM.set_memory_limits' for m, _a, _s in plan):
            try:
                reboot_required = bool(x.read('VM.get_requires_reboot', cd))
            except _xapi.XapiError as e:
                x.fail(e, 'read VM.requires_reboot of the control domain of %s' % name)
    x.logout()
    module.exit_json(changed=bool(plan), unsupported=unsupported, reboot_required=reboot_required,
                     dom0_memory_mb=dom0_after, commands=[s for _m, _a, s in plan],
                     diff={'before': before, 'after': after})


if __name__ == '__main__':
    main()
