#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: selinux_permissive
short_description: Put the host's SELinux in permissive mode (or back to enforcing), now and after reboot
version_added: 0.1.0
description:
  - Sets the whole host's SELinux mode the way the CloudStack KVM guides ask - C(SELINUX=permissive)
    in C(/etc/selinux/config), and C(setenforce 0) when the running mode is enforcing - without the
    SELinux Python bindings (it edits the file and runs C(getenforce)/C(setenforce)).
  - O(state=enforcing) moves a host back (C(SELINUX=enforcing), C(setenforce 1)); upstream
    CloudStack is heading there (apache/cloudstack PR 13281 stops C(cloudstack-setup-agent) from
    touching SELinux).
  - Only the C(SELINUX=) line is changed; C(SELINUXTYPE=), comments and order are kept.
  - SELinux absent (no configuration file and no C(getenforce), or C(getenforce) present but no
    configuration file and SELinux disabled) is not an error - the module returns C(changed=false)
    and says so in RV(msg).
  - SELinux disabled in the running kernel cannot be switched on at runtime - the file is written
    and RV(reboot_required) is V(true). Leaving C(disabled) needs a reboot and a full filesystem
    relabel (C(touch /.autorelabel) before rebooting, or C(fixfiles -F onboot)); the module does
    not reboot or schedule the relabel.
  - This is not M(community.general.selinux_permissive), which marks single SELinux domains
    permissive (C(semanage permissive)); use that module for per-domain permissive.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.attributes.LINUX_HOST
attributes:
  check_mode:
    details: Check mode runs C(getenforce) and returns the diff and the C(setenforce) command the real run makes.
  platform:
    details: Linux hosts; SELinux hosts are EL (RHEL, Rocky, Alma, CentOS) and Fedora.
options:
  state:
    description:
      - V(permissive) - log denials, enforce nothing (what CloudStack's guides and C(cloudstack-setup-agent) set).
      - V(enforcing) - move the host back to enforcing.
    type: str
    default: permissive
    choices: [permissive, enforcing]
  config_file:
    description: The SELinux configuration file.
    type: path
    default: /etc/selinux/config
  backup:
    description: Keep a timestamped copy of the configuration file before changing it.
    type: bool
    default: false
notes:
  - The lab and CI kernels have SELinux compiled in but never enabled (C(getenforce) says
    C(Disabled)), so the runtime switch (C(setenforce)) is tested in unit tests against
    C(getenforce)/C(setenforce) output only; the configuration-file logic is also tested on a real
    EL-style C(/etc/selinux/config) on a lab host.
  - C(reboot_required) is V(true) only when the running mode cannot reach O(state) without a reboot
    (SELinux currently disabled).
seealso:
  - module: community.general.selinux_permissive
    description: Per-domain permissive mode with C(semanage).
  - module: ansible.posix.selinux
    description: Full SELinux policy/state management using the Python bindings.
'''

EXAMPLES = r'''
- name: SELinux permissive, as the CloudStack KVM installation guide asks
  cloudstack.hypervisors.selinux_permissive:

- name: Move a host back to enforcing
  cloudstack.hypervisors.selinux_permissive:
    state: enforcing
  register: selinux_result

- name: Tell the operator when a reboot (and relabel) is needed
  ansible.builtin.debug:
    msg: "{{ selinux_result.msg }}"
  when: selinux_result.reboot_required
'''

RETURN = r'''
changed:
  description: Whether the configuration file or the running mode was (or in check mode would be) changed.
  returned: always
  type: bool
msg:
  description: What was found and done, in a sentence; says when a reboot and a relabel are needed.
  returned: always
  type: str
  sample: SELinux switched from enforcing to permissive now and in /etc/selinux/config.
selinux_present:
  description: Whether the host has SELinux (configuration file or a running SELinux kernel).
  returned: always
  type: bool
commands:
  description: The commands run, or in check mode the commands the real run would run.
  returned: always
  type: list
  elements: str
  sample: [setenforce 0]
reboot_required:
  description: V(true) when the configured mode only takes effect after a reboot (SELinux is disabled in the running kernel).
  returned: always
  type: bool
runtime_mode:
  description: The running mode before and after (V(enforcing), V(permissive), V(disabled) or V(absent)).
  returned: always
  type: dict
  sample: {before: enforcing, after: permissive}
config_mode:
  description: C(SELINUX=) in the configuration file before and after (V(absent) when there is no file or no line).
  returned: always
  type: dict
  sample: {before: enforcing, after: permissive}
diff:
  description: Before/after text of the configuration file.
  returned: when changed and diff mode is on
  type: dict
backup_file:
  description: The backup copy made of the configuration file.
  returned: when O(backup=true) and the file changed
  type: str
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudstack.hypervisors.plugins.module_utils._conffile import (
    SHELL_VARS, ManagedFile, parse_keys, set_keys)
from ansible_collections.cloudstack.hypervisors.plugins.module_utils._runner import Runner

MODES = ('enforcing', 'permissive', 'disabled')
SETENFORCE = {'enforcing': '1', 'permissive': '0'}


def read_runtime(module, runner):
    """The running mode from getenforce, or 'absent' when the tool is not installed."""
    if not runner.has('getenforce'):
        return 'absent'
    rc, out, err = runner.query(['getenforce'])
    mode = out.strip().lower()
    if rc != 0 or mode not in MODES:
        module.fail_json(msg='getenforce returned %r (exit code %d), not Enforcing, Permissive or Disabled.'
                         % ((out or err).strip(), rc), rc=rc, stdout=out, stderr=err)
    return mode


def config_value(module, path, text):
    raw = parse_keys(text, SHELL_VARS, keys=['SELINUX']).get('SELINUX')
    if raw is None:
        return None
    value = re.sub(r'\s+#.*$', '', raw).strip('\'" ').lower()
    if value not in MODES:
        module.fail_json(msg='%s has SELINUX=%s, which is none of enforcing, permissive, disabled; '
                             'fix the file, nothing was changed.' % (path, raw))
    return value


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='permissive', choices=['permissive', 'enforcing']),
            config_file=dict(type='path', default='/etc/selinux/config'),
            backup=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    state = module.params['state']
    path = module.params['config_file']
    runner = Runner(module)

    runtime = read_runtime(module, runner)
    has_config = os.path.isfile(path)
    if not has_config and runtime in ('absent', 'disabled'):
        module.exit_json(
            changed=False, selinux_present=False, commands=[], reboot_required=False,
            runtime_mode=dict(before=runtime, after=runtime), config_mode=dict(before='absent', after='absent'),
            msg='SELinux is not present on this host (no %s%s); nothing to do.'
                % (path, ', no getenforce' if runtime == 'absent' else ', getenforce says Disabled'))

    mf = ManagedFile(module, path) if has_config else None
    config_before = config_value(module, path, mf.before) if mf else None
    if mf is not None and config_before != state:
        mf.after = set_keys(mf.before, {'SELINUX': state}, SHELL_VARS)
    config_after = state if mf is not None else None

    plan = []
    runtime_after = runtime
    if runtime in SETENFORCE and runtime != state:
        if not runner.has('setenforce'):
            module.fail_json(msg='SELinux is %s at runtime but setenforce is not installed; install '
                                 'libselinux-utils (EL) or selinux-utils (Debian, Ubuntu).' % runtime)
        plan.append(['setenforce', SETENFORCE[state]])
        runtime_after = state
    reboot_required = runtime == 'disabled' and config_after == state

    changed = bool(plan) or (mf is not None and mf.changed)
    backup_file = None
    if not module.check_mode:
        if mf is not None:
            backup_file = mf.write(module.params['backup'])
    runner.run_plan(plan, module.check_mode)

    if runtime == 'absent':
        note = ' getenforce is not installed, so the running mode is unknown.'
    elif mf is None:
        note = ' %s does not exist, so the mode after a reboot is not set by this module.' % path
    else:
        note = ''
    if reboot_required:
        msg = ('SELinux is disabled in the running kernel; %s says SELINUX=%s, which takes effect after a reboot. '
               'Leaving disabled needs a full relabel: run "touch /.autorelabel" (or "fixfiles -F onboot") '
               'before rebooting.' % (path, state))
        if state == 'enforcing':
            msg += ' Booting enforcing without the relabel can keep services (and logins) from starting.'
    elif changed:
        parts = []
        if plan:
            parts.append('now (setenforce %s)' % SETENFORCE[state])
        if mf is not None and mf.changed:
            parts.append('in %s' % path)
        msg = 'SELinux set to %s %s.' % (state, ' and '.join(parts))
    else:
        msg = 'SELinux is already %s.' % state
    msg += note

    result = dict(
        changed=changed, msg=msg, selinux_present=True, commands=runner.commands,
        reboot_required=reboot_required,
        runtime_mode=dict(before=runtime, after=runtime_after),
        config_mode=dict(before=config_before or 'absent', after=config_after or 'absent'),
    )
    if module._diff and mf is not None:
        result['diff'] = mf.diff()
    if backup_file:
        result['backup_file'] = backup_file
    module.exit_json(**result)


if __name__ == '__main__':
    main()
