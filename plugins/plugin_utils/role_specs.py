# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side: the roles' argument specifications, read once from the collection.

The preflight (action plugin ``cluster_preflight``) and the roles (filter
``role_input_problems``) check role inputs against the same specs the roles
declare in ``roles/<role>/meta/argument_specs.yml``.
"""

from __future__ import annotations

import os

import yaml

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _role_inputs

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'roles')
_CACHE = {}


def role_specs(roles_dir=ROLES_DIR):
    """role -> {option: spec} of the entry point ``main`` of every role with role inputs."""
    if roles_dir not in _CACHE:
        specs = {}
        for _prefix, role in _role_inputs.PREFIXES:
            path = os.path.join(roles_dir, role, 'meta', 'argument_specs.yml')
            with open(path, encoding='utf-8') as f:
                data = yaml.safe_load(f) or {}
            specs[role] = ((data.get('argument_specs') or {}).get('main') or {}).get('options') or {}
        _CACHE[roles_dir] = specs
    return _CACHE[roles_dir]
