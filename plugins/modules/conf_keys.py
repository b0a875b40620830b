#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: conf_keys
short_description: Set several C(key=value) lines of one configuration file in one step, keeping the rest
version_added: 0.1.0
description:
  - Owns the keys it is given in a C(key=value) file that a package and other tools also write - CloudStack's
    C(agent.properties), libvirt's C(qemu.conf), shell variable files - and leaves every other line, comment
    and the order alone.
  - A key that is set is rewritten in place; later duplicates of it are dropped, so the file says one thing
    once (the programs reading these files take the last one). A key that is not set goes right after its
    commented example (C(#vnc_listen = "0.0.0.0")), or else at the end of the file.
  - One call replaces a loop of M(ansible.builtin.lineinfile) tasks, one per key - one module run, one diff
    and one atomic write per file.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.attributes.LINUX_HOST
  - ansible.builtin.files
attributes:
  check_mode:
    details: Check mode reads the file and returns the diff and RV(changes) of the real run.
  platform:
    details: Any POSIX host.
options:
  path:
    description: The file to edit.
    type: path
    required: true
  keys:
    description:
      - Key to value. Values are written as given (quote them yourself where the file wants quotes, as in
        C(qemu.conf)); booleans are written as V(true)/V(false), numbers as digits.
      - Keys are letters, digits, C(.), C(_) and C(-).
    type: dict
    default: {}
  absent:
    description: Keys whose assignments are removed (commented examples stay).
    type: list
    elements: str
    default: []
  separator:
    description:
      - What is written between key and value. V(=) is how C(cloudstack-setup-agent) writes both
        C(agent.properties) and C(qemu.conf); libvirt's own files use V(" = ").
      - Reading accepts any spacing around C(=) whatever this says, so a hand edit with other spacing is
        found and rewritten, not duplicated.
    type: str
    default: '='
  colon:
    description:
      - Also read lines with a colon between key and value (C(key:value)) as assignments, as Java reads properties files.
    type: bool
    default: false
  create:
    description: Create the file when it is missing; when V(false), a missing file is an error.
    type: bool
    default: true
  backup:
    description: Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
notes:
  - CloudStack's UEFI keys (C(guest.loader.*), C(guest.nvram.template.*)) are checked - a firmware CODE image
    given as NVRAM template, or a VARS image as loader, is refused before anything is written.
  - O(mode), O(owner) and O(group) apply to the file whether or not a key changed; a new file gets
    O(mode) or, without it, C(0644).
seealso:
  - module: ansible.builtin.lineinfile
    description: One line at a time.
  - module: community.general.ini_file
    description: Sectioned INI files.
'''

EXAMPLES = r'''
- name: The agent.properties keys the kvm role owns
  cloudstack.hypervisors.conf_keys:
    path: /etc/cloudstack/agent/agent.properties
    colon: true
    keys:
      hypervisor.type: kvm
      network.bridge.type: native
      guest.cpu.mode: host-model

- name: qemu.conf as cloudstack-setup-agent writes it
  cloudstack.hypervisors.conf_keys:
    path: /etc/libvirt/qemu.conf
    mode: "0600"
    keys:
      vnc_listen: '"0.0.0.0"'
      security_driver: '"none"'
'''

RETURN = r'''
changed:
  description: Whether the file's text or attributes were (or in check mode would be) changed.
  returned: always
  type: bool
changes:
  description: One sentence per key that was (or in check mode would be) added, changed or removed.
  returned: always
  type: list
  elements: str
  sample: ["guest.cpu.mode: custom -> host-model", "hypervisor.type: added (kvm)"]
commands:
  description: Always empty; the module runs no command.
  returned: always
  type: list
  elements: str
  sample: []
created:
  description: Whether the file did not exist and was (or would be) created.
  returned: always
  type: bool
backup_file:
  description: The copy made with O(backup).
  returned: when a backup was made
  type: str
diff:
  description: Before/after text of the file.
  returned: when diff mode is on
  type: dict
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _uefi
from ansible_collections.cloudstack.hypervisors.plugins.module_utils._conffile import (
    KeyStyle, ManagedFile, parse_keys, set_keys)

KEY_RE = re.compile(r'^[A-Za-z0-9_.\-]+$')


def render_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return to_text(value)


def validate(module, keys, absent):
    """Fail on a bad key or value; returns the values as they will be written."""
    bad = [k for k in list(keys) + list(absent) if not KEY_RE.match(to_text(k))]
    if bad:
        module.fail_json(msg='Key %r of %s is not a key name (letters, digits, ".", "_", "-" only); '
                             'nothing was changed.' % (bad[0], module.params['path']))
    both = sorted(set(keys) & set(absent))
    if both:
        module.fail_json(msg='Key %r is both in keys and in absent; say one or the other.' % both[0])
    values = {}
    for key, value in keys.items():
        if value is None or isinstance(value, (dict, list)):
            module.fail_json(msg='Key %r of %s has no single value (%r); give a string, number or boolean, '
                                 'or list the key under absent.' % (key, module.params['path'], value))
        values[key] = render_value(value)
        if '\n' in values[key] or '\r' in values[key]:
            module.fail_json(msg='The value of key %r of %s spans lines; one line per key only.'
                                 % (key, module.params['path']))
    wrong = _uefi.problems(values)
    if wrong:
        module.fail_json(msg='%s: %s; nothing was changed.' % (module.params['path'], '; '.join(wrong)))
    return values


def plan_changes(before, after, want, absent):
    """Sentences for what differs between the assignments in *before* and *after*."""
    out = []
    for key in want:
        if key not in before:
            out.append('%s: added (%s)' % (key, after.get(key)))
        elif before[key] != after.get(key):
            out.append('%s: %s -> %s' % (key, before[key], after.get(key)))
    for key in absent:
        if key in before:
            out.append('%s: removed (was %s)' % (key, before[key]))
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            keys=dict(type='dict', default={}, no_log=False),
            absent=dict(type='list', elements='str', default=[], no_log=False),
            separator=dict(type='str', default='='),
            colon=dict(type='bool', default=False),
            create=dict(type='bool', default=True),
            backup=dict(type='bool', default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params['path']
    absent = module.params['absent']
    values = validate(module, module.params['keys'], absent)
    if os.path.isdir(path):
        module.fail_json(msg='%s is a directory, not a configuration file.' % path)
    if not os.path.exists(path) and not module.params['create']:
        module.fail_json(msg='%s does not exist and create is false; nothing was changed.' % path)

    style = KeyStyle(sep=module.params['separator'], colon=module.params['colon'])
    mode = module.params['mode']
    # a new file has its final octal mode before it is moved into place (no wider window)
    default_mode = int(mode, 8) if isinstance(mode, str) and re.match(r'^0?[0-7]{3,4}$', mode) else 0o644

    # read -> plan
    mf = ManagedFile(module, path, default_mode=default_mode)
    owned = set(values) | set(absent)
    have = parse_keys(mf.before, style, keys=owned)
    mf.after = set_keys(mf.before, values, style, remove=absent)
    if not mf.exists and mf.after == '':
        mf.after = '\n'  # create: true with nothing to set still makes the file
    changes = plan_changes(have, parse_keys(mf.after, style, keys=owned), values, absent)
    if mf.exists and mf.after != mf.before and not changes:
        changes = ['owned keys rewritten as key%svalue (spacing or duplicate lines)' % style.sep]
    changed = mf.changed

    # act unless check mode
    backup_file = None
    if not module.check_mode:
        backup_file = mf.write(module.params['backup'])
    file_args = module.load_file_common_arguments(module.params)
    if os.path.exists(path):
        changed = module.set_fs_attributes_if_different(file_args, changed)

    result = dict(changed=changed, changes=changes, commands=[], created=not mf.exists)
    if backup_file:
        result['backup_file'] = backup_file
    if module._diff:
        result['diff'] = mf.diff()
    module.exit_json(**result)


if __name__ == '__main__':
    main()
