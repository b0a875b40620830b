# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters from the inventory model (cshv_*) to the roles' variables, and the role-input rules.

The preflight validates ``cshv_bridges``/``cshv_traffic_labels``/
``cshv_management_*`` and every role input; these filters run the very same
code (``module_utils/_role_inputs.py``) inside the roles, so what was validated
is what gets applied.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster, _role_inputs
from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils.role_specs import role_specs


def bridge_params(bridges, kind, bridge_type='linux', labels=None, address=None, gateway=None,
                  management_options=None):
    try:
        return _role_inputs.bridge_params(bridges, kind, bridge_type, labels, address, gateway, management_options)
    except (ValueError, TypeError) as e:
        raise AnsibleFilterError('bridge_params: %s' % e)


def kvm_model_inputs(bridges, bridge_type=None, labels=None, address=None, gateway=None):
    """{kvm_network_bridge_type, kvm_bridges, kvm_ovs_bridges, kvm_*_network_device} from the model."""
    try:
        return _role_inputs.model_inputs(bridges, bridge_type, labels, address, gateway)
    except (ValueError, TypeError, AttributeError) as e:
        raise AnsibleFilterError('kvm_model_inputs: %s' % e)


def role_input_problems(values, host, hypervisor='kvm', model=None):
    """Sentences for every problem the preflight's rules find in *values* (a role's inputs)."""
    if not isinstance(values, dict):
        raise AnsibleFilterError('role_input_problems: expects a mapping of input names to values')
    problems = _cluster.Problems()
    _role_inputs.check_inputs(problems, host, hypervisor, role_specs(), dict(values), model or {})
    return [p['msg'] for p in problems.items]


class FilterModule(object):
    def filters(self):
        return {'bridge_params': bridge_params, 'kvm_model_inputs': kvm_model_inputs,
                'role_input_problems': role_input_problems}
