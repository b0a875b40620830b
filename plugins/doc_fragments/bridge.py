# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """Private fragment: options shared by cs_bridge and ovs_fakebridge.

    Their argument spec is ``_netpersist.COMMON_BRIDGE_ARGS``.
    """

    DOCUMENTATION = r'''
options:
  gateway:
    description:
      - Default gateway via the bridge; must be inside the subnet of O(ipv4).
    type: str
  dns:
    description: DNS servers written to the persistent configuration.
    type: list
    elements: str
    default: []
  dns_search:
    description: DNS search domains written to the persistent configuration.
    type: list
    elements: str
    default: []
  backup:
    description: Keep a timestamped copy of every configuration file before changing it.
    type: bool
    default: false
  management:
    description:
      - Allow a change that touches the management path - the interface with the default
        route or with the address the controller connects to (or a port of it).
      - The change is then applied asynchronously and kept only when the controller reaches
        the host again over a fresh connection within O(rollback_timeout) seconds; otherwise
        the host restores the previous links, addresses, routes and files by itself and the
        task fails.
      - Without it, such a change fails before anything is touched.
    type: bool
    default: false
  rollback_timeout:
    description: Seconds the host waits for the confirmation before it rolls back (O(management=true)).
    type: int
    default: 60
  confirm_host:
    description:
      - Address the controller connects to for the confirmation, when the change moves the
        management address. Defaults to the current C(ansible_host). Follow the task with
        C(ansible.builtin.set_fact) of C(ansible_host) when it differs.
    type: str
'''
