# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness report's DEFAULT directory is marked out of date by a run that stops early.

Issue 17 (kind 6): the play that marks the previous report out of date is imported
from ``playbooks/plays/``, so its ``playbook_dir`` differs from the report play's;
with the default ``readiness_report_dir`` (no ``cshv_report_dir``) it wrote to a
directory that does not exist and left the old "every host ready" report alone.
And a run that stopped in the preflight (an unreachable host) never reached the
marking play at all.

This test needs no lab: it lays the collection out under a temporary collections
path (its playbooks copied, so that ``playbook_dir`` is inside the temporary tree and
the default report directory is ``<collection>/reports``), writes a complete
"ready" report there, and runs ``cloudstack.hypervisors.site`` against an inventory in
the documented model whose hosts cannot be reached (``ProxyCommand=/bin/false``: ssh
sends nothing). The run stops in the preflight's host stage; the report must then be
the out-of-date version carrying the old one.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

ROOT = cshvlab.ROOT
INVENTORY = """\
all:
  children:
    kvm_hosts:
      hosts:
        kvm1: {ansible_host: 192.168.42.11, cshv_management_address: 192.168.42.11/24}
        kvm2: {ansible_host: 192.168.42.12, cshv_management_address: 192.168.42.12/24}
    lxc_hosts:
    xenserver_hosts:
    vsphere_hosts:
    zone1:
      children:
        zone1_pod1:
          children:
            zone1_pod1_cluster1:
              hosts:
                kvm1:
                kvm2:
"""


def _collection(tmp):
    """A collections path holding this collection, its playbooks as real files under *tmp*."""
    coll = os.path.join(tmp, 'collections', 'ansible_collections', 'cloudstack', 'hypervisors')
    os.makedirs(coll)
    for name in ('galaxy.yml', 'meta', 'plugins', 'roles'):
        os.symlink(os.path.join(ROOT, name), os.path.join(coll, name))
    shutil.copytree(os.path.join(ROOT, 'playbooks'), os.path.join(coll, 'playbooks'))
    return coll


def _inventory(tmp):
    inv = os.path.join(tmp, 'inventory')
    shutil.copytree(os.path.join(ROOT, 'inventories', 'example-basic', 'group_vars'), os.path.join(inv, 'group_vars'))
    with open(os.path.join(inv, 'hosts.yml'), 'w') as f:
        f.write(INVENTORY)
    with open(os.path.join(inv, 'group_vars', 'all', 'zz_unreachable.yml'), 'w') as f:
        f.write("ansible_ssh_common_args: -o ProxyCommand=/bin/false -o ConnectTimeout=5\n")
    return inv


def test_a_run_that_stops_in_the_preflight_marks_the_default_report_out_of_date(tmp_path):
    tmp = str(tmp_path)
    coll = _collection(tmp)
    inv = _inventory(tmp)
    reports = os.path.join(coll, 'reports')
    os.makedirs(reports)
    good = {'complete': True, 'hosts': [{'host': 'kvm1', 'ready': 'yes', 'ok': True},
                                        {'host': 'kvm2', 'ready': 'yes', 'ok': True}]}
    with open(os.path.join(reports, 'readiness.json'), 'w') as f:
        json.dump(good, f)
    with open(os.path.join(reports, 'readiness.md'), 'w') as f:
        f.write('# Readiness report\n\n| host | ready |\n|---|---|\n| kvm1 | yes |\n| kvm2 | yes |\n\n'
                '2 of 2 host(s) ready.\n')

    env = cshvlab.ansible_env(ANSIBLE_COLLECTIONS_PATH=os.path.join(tmp, 'collections'))
    env.pop('CSHV_REPORT_DIR', None)
    res = subprocess.run([cshvlab.tool('ansible-playbook'), '-i', inv, 'cloudstack.hypervisors.site'],
                         cwd=tmp, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = res.stdout + res.stderr
    print(out[-3000:])
    assert res.returncode != 0, 'the run against unreachable hosts succeeded'
    assert 'Preflight | probe the hosts' in out, 'the run did not reach the preflight host stage'
    after = out.split('PLAY [Compute hosts |', 1)[-1] if 'PLAY [Compute hosts |' in out else ''
    assert 'TASK [' not in after, 'a task ran after the preflight: %s' % after[:2000]
    # nothing went anywhere else (the old bug wrote below playbooks/)
    assert not os.path.exists(os.path.join(coll, 'playbooks', 'reports')), os.listdir(os.path.join(coll, 'playbooks'))

    with open(os.path.join(reports, 'readiness.json')) as f:
        stale = json.load(f)
    assert stale['complete'] is False and stale['hosts'] == [], stale
    assert stale['previous'] == good, stale
    with open(os.path.join(reports, 'readiness.md')) as f:
        md = f.read()
    assert md.startswith('# Readiness report: out of date\n'), md[:300]
    assert '2 of 2 host(s) ready.' in md, md
