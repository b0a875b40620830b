# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters from the inventory model (cshv_*) to the roles' variables.

The preflight validates ``cshv_bridges``/``cshv_traffic_labels``/
``cshv_management_*``; these filters turn the very same values into the items
``cloudstack.hypervisors.cs_bridge`` (``kvm_bridges``) and
``cloudstack.hypervisors.ovs_fakebridge`` (``kvm_ovs_bridges``) take, so what
was validated is what gets applied.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

_LINUX_KEYS = ('stp', 'forward_delay', 'mtu')


def bridge_params(bridges, kind, bridge_type='linux', labels=None, address=None, gateway=None,
                  management_options=None):
    """Items for cs_bridge (*kind* ``linux``) or ovs_fakebridge (*kind* ``openvswitch``).

    Returns ``[]`` when *kind* is not the host's *bridge_type*. The bridge named
    by the management traffic label gets the management *address*/*gateway*
    and ``management: true`` (the bridge modules then confirm the change over a
    fresh connection or roll it back), plus *management_options*.
    """
    if kind not in ('linux', 'openvswitch'):
        raise AnsibleFilterError('bridge_params: kind must be linux or openvswitch, not %r' % (kind,))
    if (bridge_type or 'linux') != kind:
        return []
    labels = labels or {}
    mgmt = labels.get('management')
    out = []
    for br in bridges or []:
        if not isinstance(br, dict) or 'name' not in br:
            raise AnsibleFilterError('bridge_params: every bridge needs a name, got %r' % (br,))
        ports = br.get('ports') or []
        if isinstance(ports, str):
            ports = [ports]
        item = {'name': br['name']}
        vlan = br.get('vlan')
        if kind == 'linux':
            if vlan not in (None, ''):
                item['ports'] = [{'device': p, 'vlan': int(vlan)} for p in ports]
            else:
                item['ports'] = list(ports)
            for key in _LINUX_KEYS:
                if br.get(key) is not None:
                    item[key] = br[key]
        else:
            if br.get('parent'):
                item['parent'] = br['parent']
                item['vlan'] = int(vlan)
            else:
                item['uplinks'] = list(ports)
                if br.get('trunks') is not None:
                    item['trunks'] = [int(t) for t in br['trunks']]
        if br['name'] == mgmt and address:
            item['ipv4'] = address
            if gateway:
                item['gateway'] = gateway
            item['management'] = True
            item.update(management_options or {})
        out.append(item)
    return out


class FilterModule(object):
    def filters(self):
        return {'bridge_params': bridge_params}
