# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter ``uefi_problems``: uefi.properties values (key -> path) -> sentences about files of the
wrong kind (a firmware CODE image as NVRAM template, a VARS image as loader). The rule is
module_utils/_uefi.py's, which conf_keys applies on the host too."""

from __future__ import annotations

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _uefi


def uefi_problems(values):
    return _uefi.problems(dict(values or {}))


class FilterModule(object):
    def filters(self):
        return {'uefi_problems': uefi_problems}
