# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Version profiles: what a freshly installed host of each product reports.

The ``software_version`` keys are the ones xapi fills in (``xapi_globs.ml``:
``_product_brand``, ``_product_version``, ``_platform_version``, ``_xapi_version``,
``_db_schema``; ``network_backend`` is added from xcp-networkd's bridge kind).
Versions come from the research notes (XCP-ng 8.2 = xapi 1.249.x; XCP-ng 8.3 at release
= xapi 24.19.x; current XCP-ng 8.3 updates = xapi 26.1.4 (``xcp-ng-rpms/xapi`` branch 8.3
``SPECS/xapi.spec``); XenServer 8.4 (brand "XenServer", platform 3.4.x).

Which calls exist is decided by the xapi version against ``signatures.py`` ``since``:
the NTP/timezone API first appears in xapi 26.0.0, so 8.2 and 8.3-GA answer
``MESSAGE_METHOD_UNKNOWN`` for it.  XenServer 8.4's current updates carry xapi 26.x as
well (the XenServer 8 "current" stream); this is an assumption only a real host can
confirm -- see README.md.
"""
from __future__ import annotations

PROFILES = {
    'xcp-ng-8.2': {
        'product_brand': 'XCP-ng',
        'product_version': '8.2.1',
        'product_version_text': '8.2',
        'product_version_text_short': '8.2',
        'platform_name': 'XCP',
        'platform_version': '3.2.1',
        'xapi': '1.249.32',
        'xen': '4.13.5-9.40',
        'db_schema': '5.603',
        'API_version_major': 2,
        'API_version_minor': 16,
        'tls_verification_enabled': False,
        'dom0_memory_mb': 2640,
    },
    'xcp-ng-8.3-ga': {
        'product_brand': 'XCP-ng',
        'product_version': '8.3.0',
        'product_version_text': '8.3',
        'product_version_text_short': '8.3',
        'platform_name': 'XCP',
        'platform_version': '3.4.0',
        'xapi': '24.19.2',
        'xen': '4.17.4-3',
        'db_schema': '5.775',
        'API_version_major': 2,
        'API_version_minor': 21,
        'tls_verification_enabled': True,
        'dom0_memory_mb': 4304,
    },
    'xcp-ng-8.3-current': {
        'product_brand': 'XCP-ng',
        'product_version': '8.3.0',
        'product_version_text': '8.3',
        'product_version_text_short': '8.3',
        'platform_name': 'XCP',
        'platform_version': '3.4.0',
        'xapi': '26.1.4',
        'xen': '4.17.5-15',
        'db_schema': '5.786',
        'API_version_major': 2,
        'API_version_minor': 21,
        'tls_verification_enabled': True,
        'dom0_memory_mb': 4304,
    },
    'xenserver-8.4': {
        'product_brand': 'XenServer',
        'product_version': '8.4.0',
        'product_version_text': '8',
        'product_version_text_short': '8',
        'platform_name': 'XCP',
        'platform_version': '3.4.0',
        'xapi': '26.1.3',
        'xen': '4.17.5-15',
        'db_schema': '5.786',
        'API_version_major': 2,
        'API_version_minor': 21,
        'tls_verification_enabled': True,
        'dom0_memory_mb': 4304,
    },
}

DEFAULT_PROFILE = 'xcp-ng-8.3-current'


def software_version(profile_name, backend='openvswitch', product_version=None, overrides=None):
    """The host.software_version map of a fresh host of this profile."""
    prof = PROFILES[profile_name]
    out = {
        'product_brand': prof['product_brand'],
        'product_version': product_version or prof['product_version'],
        'product_version_text': prof['product_version_text'],
        'product_version_text_short': prof['product_version_text_short'],
        'platform_name': prof['platform_name'],
        'platform_version': prof['platform_version'],
        'build_number': 'release/%s' % prof['product_version'],
        'hostname': 'localhost',
        'date': '2026-01-01',
        'xapi': prof['xapi'],
        'xapi_build': prof['xapi'],
        'xen': prof['xen'],
        'linux': '4.19.0+1',
        'xencenter_min': '2.21',
        'xencenter_max': '2.21',
        'network_backend': backend,
        'db_schema': prof['db_schema'],
    }
    out.update(overrides or {})
    return out
