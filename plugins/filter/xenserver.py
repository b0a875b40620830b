# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the xenserver_pool role: the pool rules of plugin_utils/_xenserver_rules.py.

``xenserver_api_problems``  results of xenserver_pool_info per host -> problems before any change
``xenserver_host_problems`` one host's bonds/networks/labels -> problems (the preflight's rules)
``xenserver_report_checks`` a xenserver_pool_check result + host -> the readiness report's checks
"""

from __future__ import annotations

from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils import _xenserver_rules


def xenserver_api_problems(infos, master, settings=None):
    return _xenserver_rules.api_problems(dict(infos or {}), master, dict(settings or {}))


def xenserver_host_problems(variables, host):
    """The inventory rules of one host's variables (bonds, networks, labels)."""
    problems = []
    variables = dict(variables or {})
    _xenserver_rules.check_host(problems, host, variables, variables.get('cshv_traffic_labels'))
    return problems


def xenserver_report_checks(check, host):
    """The three checks the readiness report shows, for a XenServer host."""
    check = check or {}
    name = None
    for n, h in (check.get('hosts') or {}).items():
        if n == host or h.get('address') == host:
            name = n
    mine = [p['msg'] for p in check.get('problems') or [] if p.get('host') in (name, host)]
    pool_wide = [p['msg'] for p in check.get('problems') or [] if p.get('check') in ('labels', 'version', 'size')]
    member = name is not None
    return {
        'bridges': {'ok': not mine and not pool_wide,
                    'detail': (mine + pool_wide)[0] if (mine or pool_wide) else 'networks and labels ok'},
        'libvirt_peers': {'ok': member, 'detail': ('pool of %s' % check.get('master_address')) if member
                          else 'not in the pool of %s' % check.get('master_address')},
        'agent': {'ok': True, 'detail': 'n/a (XenServer: CloudStack connects over XenAPI)'},
    }


class FilterModule(object):
    def filters(self):
        return {
            'xenserver_api_problems': xenserver_api_problems,
            'xenserver_report_checks': xenserver_report_checks,
            'xenserver_host_problems': xenserver_host_problems,
        }
