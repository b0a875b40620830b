# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for cloudstack.hypervisors.cluster_preflight (runs on the controller only)."""

from __future__ import annotations

import base64

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _cluster, _role_inputs
from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils.role_specs import ROLES_DIR, role_specs
from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils import _xenserver_rules
from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils import _vsphere_rules

STAGES = ('inventory', 'facts')


def _read(hv, name):
    """A host variable, templated; the exception itself when templating fails."""
    try:
        return hv[name]
    except (AnsibleError, KeyError, TypeError, ValueError) as e:
        return e


def collect_inventory(groups, hostvars):
    """groups/hostvars (Ansible's) -> the plain dicts _cluster.validate_inventory takes."""
    plain_groups = {g: list(groups.get(g) or []) for g in _cluster.HYPERVISOR_GROUPS}
    wanted = set()
    for g in plain_groups.values():
        wanted.update(g)
    out = {}
    for h in list(groups.get('all') or []):
        if h not in hostvars:
            continue
        hv = hostvars[h]
        if h not in wanted:
            if 'cshv_cluster' in hv:
                out[h] = {'cshv_cluster': _read(hv, 'cshv_cluster')}
            continue
        v = {}
        for name in _cluster.MODEL_VARS + _xenserver_rules.INVENTORY_VARS + _vsphere_rules.MODEL_VARS:
            if name in hv:
                v[name] = _read(hv, name)
        secrets = {}
        names = v.get('cshv_required_secrets')
        if isinstance(names, list):
            for name in names:
                if isinstance(name, str) and name in hv:
                    secrets[name] = _read(hv, name)
        v['__secrets'] = secrets
        inputs = {}
        for name in hv:
            if _role_inputs.role_of(name):
                inputs[name] = _read(hv, name)
        v['__inputs'] = inputs
        out[h] = v
    return plain_groups, out


def validate(groups, hostvars, roles_dir=ROLES_DIR):
    """The inventory stage: (problems, clusters, plain groups, model, effective role inputs per host)."""
    plain_groups, model = collect_inventory(groups, hostvars)
    problems, clusters = _cluster.validate_inventory(plain_groups, model)
    more = _cluster.Problems()
    specs = role_specs(roles_dir)
    inputs = {}
    for h, v in model.items():
        hvs = _cluster.hypervisor_of(plain_groups, h)
        if len(hvs) == 1 and hvs[0] in _cluster.BRIDGED:
            inputs[h] = _role_inputs.check_inputs(more, h, hvs[0], specs, v.get('__inputs', {}), v)
    return problems + more.items, clusters, plain_groups, model, inputs


def collect_probes(hosts, hostvars):
    """host -> probe dict from the facts the preflight play gathered."""
    probes = {}
    require_vt = {}
    for h in hosts:
        if h not in hostvars:
            continue
        hv = hostvars[h]
        facts = hv['ansible_facts'] if 'ansible_facts' in hv else {}
        cpu = hv['__cshv_cpuinfo'] if '__cshv_cpuinfo' in hv else {}
        kvm = hv['__cshv_dev_kvm'] if '__cshv_dev_kvm' in hv else {}
        if not facts.get('distribution') or not isinstance(cpu, dict) or 'content' not in cpu:
            continue
        try:
            cpuinfo = to_text(base64.b64decode(cpu['content']), errors='surrogate_or_strict')
        except (TypeError, ValueError):
            cpuinfo = ''
        pki = hv['__cshv_pki'] if '__cshv_pki' in hv else None
        files = None
        if isinstance(pki, dict) and isinstance(pki.get('files'), list):
            files = set(f.get('path') for f in pki['files'] if isinstance(f, dict))
        probes[h] = {
            'files': files,
            'distribution': facts.get('distribution'),
            'distribution_version': facts.get('distribution_version'),
            'cpuinfo': cpuinfo,
            'dev_kvm': bool(isinstance(kvm, dict) and kvm.get('stat', {}).get('exists')),
        }
        if 'cshv_require_vt' in hv:
            require_vt[h] = hv['cshv_require_vt']
    return probes, require_vt


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        _args, args = self.validate_argument_spec(argument_spec=dict(
            stage=dict(type='str', choices=list(STAGES), default='inventory'),
            hosts=dict(type='list', elements='str'),
        ))
        if not _cluster.HAS_NETADDR:
            result.update(failed=True, msg='cluster_preflight needs the netaddr Python library on the controller.')
            return result
        groups = task_vars.get('groups', {})
        hostvars = task_vars.get('hostvars', {})
        problems, clusters, plain_groups, model, inputs = validate(groups, hostvars)
        result['clusters'] = clusters
        hypervisors = {}
        for h in model:
            hvs = _cluster.hypervisor_of(plain_groups, h)
            if hvs:
                hypervisors[h] = hvs[0]
        result['hypervisors'] = hypervisors
        if args['stage'] == 'facts':
            hosts = args['hosts'] if args['hosts'] is not None else list(hypervisors)
            probes, require_vt = collect_probes(hosts, hostvars)
            problems = problems + _cluster.validate_facts(
                probes, dict((name, c['hosts']) for name, c in clusters.items()),
                require_vt=require_vt, hypervisors=hypervisors)
            more = _cluster.Problems()
            for h in sorted(probes):
                if h in inputs:
                    _role_inputs.check_facts(more, h, inputs[h], probes[h].get('files'))
            problems = problems + more.items
            result['probed'] = sorted(probes)
            result['not_probed'] = sorted(h for h in hosts if h not in probes)
        result['changed'] = False
        result['problems'] = problems
        if problems:
            result['failed'] = True
            result['msg'] = _cluster.format_problems(problems)
        else:
            result['msg'] = 'Preflight (%s): %d host(s) in %d cluster(s) passed.' % (
                args['stage'], len(hypervisors), len(clusters))
        return result
