# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private: the keys of CloudStack's ``uefi.properties`` and the rule their values follow.

The KVM agent reads ``/etc/cloudstack/agent/uefi.properties`` (``LibvirtVMDef``:
``guest.loader.legacy``, ``guest.loader.secure``, ``guest.nvram.template.legacy``,
``guest.nvram.template.secure``, ``guest.nvram.path``). A loader is a firmware CODE image
(read-only pflash); an NVRAM template is the VARS image each guest's NVRAM is copied
from. Given the other way round - a secure-boot CODE image as NVRAM template is the
usual mistake - guests do not boot. Used by ``conf_keys`` (host side) and the
readiness filter (controller side), so the rule lives once.
"""

from __future__ import annotations

import posixpath
import re

LOADER_KEYS = ('guest.loader.legacy', 'guest.loader.secure')
TEMPLATE_KEYS = ('guest.nvram.template.legacy', 'guest.nvram.template.secure')
NVRAM_PATH_KEY = 'guest.nvram.path'
KEYS = LOADER_KEYS + TEMPLATE_KEYS + (NVRAM_PATH_KEY,)
FILE_KEYS = LOADER_KEYS + TEMPLATE_KEYS

_CODE = re.compile(r'code', re.I)
_VARS = re.compile(r'vars', re.I)


def problems(values):
    """Sentences about UEFI keys in *values* (key -> path) whose file is of the wrong kind."""
    out = []
    loaders = set(str(values[k]) for k in LOADER_KEYS if values.get(k))
    for key in TEMPLATE_KEYS:
        value = values.get(key)
        if not value:
            continue
        name = posixpath.basename(str(value))
        if _CODE.search(name) or str(value) in loaders:
            out.append('%s=%s names a firmware CODE image (the loader); an NVRAM template must be a VARS '
                       'image, e.g. OVMF_VARS_4M.ms.fd for secure boot' % (key, value))
    for key in LOADER_KEYS:
        value = values.get(key)
        if value and _VARS.search(posixpath.basename(str(value))):
            out.append('%s=%s names an NVRAM VARS image; a loader must be a firmware CODE image, e.g. '
                       'OVMF_CODE_4M.secboot.fd for secure boot' % (key, value))
    return out
