# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the checkout importable as ansible_collections.cloudstack.hypervisors.

The repository root *is* the collection.  `make collection-link` (and this
conftest, when the link is missing) creates
``.collections/ansible_collections/cloudstack/hypervisors -> <repo root>``;
that directory is put first on sys.path so unit tests import the modules by
their collection name, exactly as Ansible does.
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, '.collections')
LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'cloudstack', 'hypervisors')

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.relpath(ROOT, os.path.dirname(LINK)), LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
