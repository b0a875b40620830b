# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ovs_fakebridge: the same confirm-or-roll-back protocol as cs_bridge."""

from __future__ import annotations

from ansible_collections.cloudstack.hypervisors.plugins.action.cs_bridge import ActionModule as BridgeAction


class ActionModule(BridgeAction):

    MODULE = 'cloudstack.hypervisors.ovs_fakebridge'
