# SPDX-License-Identifier: GPL-3.0-or-later
"""The XenServer cluster of inventories/example-advanced, unchanged, rolled out against the
double: a second inventory source only points each host's xenserver_pool_api_url at its
endpoint (and http, since the double has no TLS). First run builds the pool, second run
changes nothing."""
from __future__ import annotations

import os
import tempfile

import yaml

from tests.xenserver import xenlab

EXAMPLE = os.path.join(xenlab.ROOT, 'inventories', 'example-advanced')


def test_example_advanced_xenserver_pool():
    d = xenlab.XapiDouble(profile='xcp-ng-8.3-current', username='root', password=xenlab.API_PASSWORD,
                          hosts=[{'name': 'xen21', 'address': '192.168.43.21', 'nics': ['eth0', 'eth1', 'eth2', 'eth3']},
                                 {'name': 'xen22', 'address': '192.168.43.22', 'nics': ['eth0', 'eth1', 'eth2', 'eth3']}])
    d.start()
    try:
        tmp = tempfile.mkdtemp(prefix='xen-example-')
        overlay = os.path.join(tmp, 'endpoints.yml')
        with open(overlay, 'w', encoding='utf-8') as f:
            yaml.safe_dump({'all': {'hosts': {h: {'xenserver_pool_api_url': u, 'xenserver_pool_validate_certs': False}
                                              for h, u in d.endpoints.items()}}}, f)
        args = ['-i', overlay, '-e', 'vault_xenserver_pool_password=%s' % xenlab.API_PASSWORD, '-e', 'cshv_report_dir=%s' % tmp]
        first = xenlab.playbook(EXAMPLE, extra_args=args)
        assert first.rc == 0, first.failed() or first.stderr[-2000:]
        cmds = first.commands()
        assert 'Bond.create(cloud-private on xen21: eth0, eth1, mode active-backup)' in cmds
        assert any(c.startswith('pool.join(master_address=192.168.43.21') and c.endswith(' on xen22') for c in cmds), cmds
        assert 'network.set_name_label(xenbr3, cloud-guest)' in cmds
        report = xenlab.read_json(os.path.join(tmp, 'readiness.json'))
        assert sorted((r['host'], r['ready']) for r in report['hosts']) == [('xen21', 'yes'), ('xen22', 'yes')]
        second = xenlab.playbook(EXAMPLE, extra_args=args)
        assert second.rc == 0 and second.changed() == set(), sorted(second.changed())
    finally:
        xenlab.stop_double(d)
