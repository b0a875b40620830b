# SPDX-License-Identifier: GPL-3.0-or-later
"""A host lost in the middle of the rollout.

Starts its own lab ("lost": kvm1, kvm2, kvm3 in one KVM cluster, so that the
batch after the canary holds two hosts), runs `cloudstack.hypervisors.site`
with `cshv_max_fail_percentage=50`, and pulls the plug on kvm3
(`labctl stop-host`) as soon as kvm3 starts its rollout tasks in the second
batch (`labctl stop-host`, checked: no container init of kvm3 may survive). Then:

* kvm1 (the canary) and kvm2 finish: the readiness report says they are
  ready, and names kvm3 as lost (unreachable);
* after `labctl start-host`, a re-run completes: every host ready, rc 0.

Before that, with kvm3 down when the run starts, the preflight must stop the
run with nothing changed on kvm1/kvm2 (state fingerprinted before and after).

Skips, saying why, when the lab cannot be started (not root, no labctl).
Set CSHV_KEEP_LAB=1 to keep the lab afterwards.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

LAB = os.environ.get('CSHV_LOST_LAB', 'lost')
HOSTS = ['kvm1', 'kvm2', 'kvm3']
VICTIM = 'kvm3'
SUITE = os.environ.get('LAB_SUITE', 'bookworm')


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    for lab_inv in cshvlab.own_lab(LAB, HOSTS, SUITE, 'lost-host test'):
        d = tmp_path_factory.mktemp('lost')
        overlay = cshvlab.overlay_inventory(str(d / 'inv'), {'kvm_hosts': HOSTS})
        yield {'inventories': [lab_inv, overlay], 'reports': str(d / 'reports')}


def run_and_pull_the_plug(cmd, env, log_path):
    """Run *cmd*, stop VICTIM when it starts tasks in the second batch; returns (rc, output, when)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            env=env, cwd=cshvlab.ROOT)
    lines, state = [], {'kvm_plays': 0, 'stopped_at': None}
    t0 = time.time()

    def stop():
        state['orphans'] = cshvlab.stop_host(LAB, VICTIM)

    with open(log_path, 'w') as log:
        for line in proc.stdout:
            lines.append(line)
            log.write(line)
            if line.startswith('PLAY [Compute hosts | host preparation'):
                state['kvm_plays'] += 1
            victim_task = line.startswith(('ok: [%s]' % VICTIM, 'changed: [%s]' % VICTIM))
            if state['stopped_at'] is None and state['kvm_plays'] >= 2 and victim_task:
                state['stopped_at'] = time.time() - t0
                state['task'] = [ln for ln in lines if ln.startswith('TASK [')][-1].strip()
                threading.Thread(target=stop).start()
    return proc.wait(), ''.join(lines), state


def load_report(path):
    with open(os.path.join(path, 'readiness.json')) as f:
        return {r['host']: r for r in json.load(f)['hosts']}


def test_host_down_before_the_run_stops_it_in_preflight(lab):
    """A host that is down when the run starts: the preflight fails, nothing is changed anywhere."""
    alive = [h for h in HOSTS if h != VICTIM]
    before = {h: cshvlab.fingerprint(LAB, h) for h in alive}
    assert cshvlab.stop_host(LAB, VICTIM) == [], 'labctl stop-host left %s running' % VICTIM
    try:
        res, took, data = cshvlab.playbook('cloudstack.hypervisors.site', lab['inventories'],
                                           extra_vars={'cshv_report_dir': lab['reports']}, json_output=True,
                                           timeout=900)
    finally:
        cshvlab.labctl('start-host', LAB, VICTIM, timeout=300)
    plays = cshvlab.plays_run(data)  # later plays start with no host left
    stats = cshvlab.json_stats(data)
    after = {h: cshvlab.fingerprint(LAB, h) for h in alive}
    print('\nhost down before the run: rc=%d in %.0f s; plays run: %s; %s unreachable=%s' % (
        res.returncode, took, plays, VICTIM, stats.get(VICTIM, {}).get('unreachable')))
    assert res.returncode != 0
    assert stats[VICTIM]['unreachable'] >= 1, stats
    # the preflight's plays, and before them the out-of-date marking of the previous
    # report (issue 17 kind 6: controller only, no host contacted)
    assert all(p.startswith(('Report | mark the previous readiness report out of date', 'Preflight |'))
               for p in plays), plays
    assert all(s.get('changed', 0) == 0 for s in stats.values()), stats
    assert before == after, 'hosts changed although the preflight failed'


def test_lost_host_mid_rollout_then_rerun(lab, tmp_path):
    cshvlab.ensure_collection_link()
    cmd = [cshvlab.tool('ansible-playbook')]
    for inv in lab['inventories']:
        cmd += ['-i', inv]
    cmd += ['-e', json.dumps({'cshv_max_fail_percentage': 50, 'cshv_report_dir': lab['reports']}),
            'cloudstack.hypervisors.site']
    rc, out, state = run_and_pull_the_plug(cmd, cshvlab.ansible_env(), str(tmp_path / 'run1.log'))
    assert state['stopped_at'] is not None, 'kvm3 never started its rollout batch:\n' + out[-3000:]
    assert state['orphans'] == [], 'labctl stop-host left %s running' % VICTIM
    rows = load_report(lab['reports'])
    print('\nrun 1: %s stopped %s s into the run, at %s; rc=%d' % (VICTIM, round(state['stopped_at']), state['task'], rc))
    print('\n'.join('  %-5s ready=%s' % (h, r['ready']) for h, r in sorted(rows.items())))
    recap = cshvlab.recap(out)
    assert rc != 0, 'a lost host must make the run fail'
    assert recap[VICTIM]['unreachable'] >= 1 or recap[VICTIM]['failed'] >= 1, recap
    assert rows[VICTIM]['lost'] and rows[VICTIM]['ready'].startswith('no: lost'), rows[VICTIM]
    assert 'unreachable' in rows[VICTIM]['ready'], rows[VICTIM]
    for h in ('kvm1', 'kvm2'):
        assert rows[h]['ok'] and rows[h]['ready'] == 'yes', rows[h]
        assert rows[h]['rollout'] == 'ok'

    cshvlab.labctl('start-host', LAB, VICTIM, timeout=300)
    res, took, _d = cshvlab.playbook('cloudstack.hypervisors.site', lab['inventories'],
                                     extra_vars={'cshv_report_dir': lab['reports']}, timeout=3600)
    with open(str(tmp_path / 'run2.log'), 'w') as f:
        f.write(res.stdout + res.stderr)
    rows = load_report(lab['reports'])
    print('run 2 (after start-host %s): rc=%d in %.0f s' % (VICTIM, res.returncode, took))
    print('\n'.join('  %-5s ready=%s' % (h, r['ready']) for h, r in sorted(rows.items())))
    assert res.returncode == 0, res.stdout[-4000:]
    assert all(r['ok'] for r in rows.values()), rows
