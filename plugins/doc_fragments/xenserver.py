# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """The XenAPI connection options shared by the xenserver_* modules."""

    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - URL of the XenAPI endpoint of the host this task talks to - its management address, the way
        CloudStack's management server reaches the pool.
      - Without a scheme, V(https://) is used (current XenServer and XCP-ng pools can be HTTPS-only).
    type: str
    required: true
  api_username:
    description: User that logs in to XenAPI; CloudStack needs the same user and password on every host of a pool.
    type: str
    default: root
  api_password:
    description: Password of O(api_username). Never returned or logged.
    type: str
    required: true
  validate_certs:
    description:
      - Check the host's TLS certificate. Hosts come with self-signed certificates; prefer adding their CA
        to the controller over turning this off.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for one XenAPI call to answer.
    type: int
    default: 60
requirements:
  - XenAPI (the xapi project's Python client, on the controller)
notes:
  - Runs on the controller (C(delegate_to=localhost)) and speaks XenAPI over the network; nothing is
    installed in dom0.
  - A XenAPI error is reported with the host, the object and the xapi error code (C(xapi_error) in the failed result).
'''

    # Attributes of a module that talks to a XenAPI endpoint.
    ATTRIBUTES = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: XenServer, XCP-ng
'''
