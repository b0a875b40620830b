# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad-input suite: every inventory under bad_inventories/ stops site.yml in the preflight.

Needs the main lab (`make lab-up`: lab "lab", inventories/lab); skips, saying
why, when it is not up. For each fixture, `cloudstack.hypervisors.site` runs
with `-i inventories/lab -i bad_inventories/<name>/hosts.yml` and must:

* fail (rc != 0) in the preflight task of the expected stage (inventory, or
  facts for the fixtures that need hosts to be probed, or host for a host_prep
  host check the preflight play runs — expect.yml names its task), with a problem
  on the expected host whose message holds every expected string (the bad value among them);
* run no play after the preflight (no rollout, no verification).

The canary of the KVM rollout (kvm1, the first batch of ``serial: [1, "100%"]``) is
drifted first (its guest bridge's port detached: something the rollout repairs
whatever state the host is in), and must still be drifted after the suite:
bad input on another host must not let the canary be converged first.
The lab hosts' state (files under /etc, packages, links, addresses, routes,
unit files, services, OVS) is fingerprinted before and after the whole suite
and must be identical (fixtures whose expect.yml names a `lab` get that extra
lab started for them, e.g. a bullseye host for the distribution mismatch,
and its hosts are fingerprinted too). A baseline run of the preflight on the unmodified lab
inventory must pass, so each failure is the fixture's doing. The results are
printed as a table (run pytest with -s to see it live; it is also attached to
the test report on failure).
"""
from __future__ import annotations

import concurrent.futures
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

LAB = 'lab'
LAB_INVENTORY = os.path.join(cshvlab.ROOT, 'inventories', 'lab')
BAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bad_inventories')
FIXTURES = sorted(d for d in os.listdir(BAD) if os.path.isfile(os.path.join(BAD, d, 'expect.yml')))
PREFLIGHT_TASKS = {
    'inventory': 'Check groups, placement, addresses, bridges, VLANs, labels, cluster sizes and secrets',
    'facts': 'Compare distribution, CPU model/count/flags per cluster; hardware virtualisation',
}
# The plays a stopped run may have run: the preflight's, and before them the
# marking of the previous readiness report as out of date (issue 17 kind 6: it
# runs first so that a run stopped in the preflight leaves no "ready" report; it
# writes report files on the controller and contacts no host - the hosts'
# fingerprints below still have to be unchanged).
PREFLIGHT_PLAYS = ('Report | mark the previous readiness report out of date', 'Preflight |')
WORKERS = int(os.environ.get('CSHV_BAD_INPUT_WORKERS', '3'))
CANARY = 'kvm1'
# A drift of the canary that any rollout repairs (cs_bridge attaches eth1 to
# cloudbr1): eth1 out of cloudbr1, the bridge created if the host has none yet.
DRIFT = ('m=$(basename "$(readlink /sys/class/net/eth1/master)" 2>/dev/null); '
         'if [ -d /sys/class/net/cloudbr1 ]; then echo had-bridge; else ip link add cloudbr1 type bridge && echo new-bridge; fi; '
         'ip link set eth1 nomaster; ip link set cloudbr1 up; echo "master=$m"')
DRIFTED = 'test -d /sys/class/net/cloudbr1/bridge && ! test -e /sys/class/net/eth1/master'


def lab_hosts():
    with open(os.path.join(LAB_INVENTORY, 'hosts.yml')) as f:
        inv = yaml.safe_load(f)
    hosts = []
    for group in (inv.get('all', {}).get('children') or {}).values():
        hosts.extend((group or {}).get('hosts') or {})
    return hosts


def expectation(name):
    with open(os.path.join(BAD, name, 'expect.yml')) as f:
        return yaml.safe_load(f)


@pytest.fixture(scope='module')
def lab():
    """(lab, host) pairs to fingerprint: the main lab's hosts and those of the extra labs
    that fact-stage fixtures need (started here, stopped afterwards)."""
    ok, why = cshvlab.lab_ready(LAB, lab_hosts())
    if not ok:
        print('\nSKIP bad-input suite: %s' % why)
        pytest.skip(why)
    extra = [expectation(n)['lab'] for n in FIXTURES if expectation(n).get('lab')]
    started = []
    try:
        for x in extra:
            cshvlab.lab_up(x['name'], x['hosts'], x.get('suite', 'bookworm'), x.get('subnet_index'))
            started.append(x['name'])
        yield [(LAB, h) for h in lab_hosts()] + [(x['name'], h) for x in extra for h in x['hosts']]
    finally:
        if not os.environ.get('CSHV_KEEP_LAB'):
            for name in started:
                cshvlab.lab_down(name)


def run_fixture(name):
    expect = expectation(name)
    # stage host: a host_prep host check that the preflight play runs (expect.yml names the task)
    task_name = expect['task'] if expect.get('stage') == 'host' else PREFLIGHT_TASKS[expect.get('stage', 'inventory')]
    res, took, data = cshvlab.playbook('cloudstack.hypervisors.site',
                                       [LAB_INVENTORY, os.path.join(BAD, name, 'hosts.yml')],
                                       json_output=True, timeout=600)
    row = {'name': name, 'expect': expect, 'rc': res.returncode, 'took': took, 'problems': [],
           'plays': cshvlab.plays_run(data), 'failed_task': None, 'stderr': res.stderr[-1500:]}
    for play in (data or {}).get('plays', []):
        for task in play.get('tasks', []):
            for host, result in task.get('hosts', {}).items():
                if result.get('failed') and row['failed_task'] is None:
                    row['failed_task'] = task['task']['name']
                if result.get('failed') and expect.get('stage') == 'host':
                    row['problems'].append({'host': host, 'check': 'host', 'msg': str(result.get('msg'))})
                if task['task']['name'] in PREFLIGHT_TASKS.values() and result.get('problems'):
                    row['problems'] = result['problems']
    hits = [p for p in row['problems'] if p['host'] == expect['host'] and p['check'] == expect['check']
            and all(s in p['msg'] for s in expect['contains'])]
    row['hit'] = hits[0]['msg'] if hits else None
    leaks = [s for s in expect.get('not_contains', []) if any(s in p['msg'] for p in row['problems'])]
    later = [p for p in row['plays'] if not p.startswith(PREFLIGHT_PLAYS)]
    row['verdict'] = ('ok' if res.returncode != 0 and row['failed_task'] == task_name and hits
                      and not leaks and not later else 'FAIL')
    row['why'] = '; '.join(x for x in (
        'rc=0' if res.returncode == 0 else '',
        'failed in %r' % row['failed_task'] if row['failed_task'] != task_name else '',
        'no matching problem' if not hits else '',
        'message shows %s' % leaks if leaks else '',
        'later plays ran: %s' % later if later else '') if x)
    return row


def table(rows):
    out = ['%-30s %-9s %-6s %-10s %-5s %-4s  %s' % ('bad inventory', 'stage', 'host', 'check', 'ok?', 's', 'message')]
    out.append('-' * 150)
    for r in rows:
        msg = r['hit'] or r['why'] or '-'
        out.append('%-30s %-9s %-6s %-10s %-5s %4.1f  %s' % (
            r['name'], r['expect'].get('stage', 'inventory'), r['expect']['host'], r['expect']['check'],
            r['verdict'], r['took'], msg[:110]))
    return '\n'.join(out)


def ssh(host, script):
    return cshvlab.labctl('ssh', LAB, host, '--', 'sh', '-c', cshvlab.repr_sh(script), check=False, timeout=120)


@pytest.fixture
def drifted_canary(lab):
    """Drift the canary; afterwards put it back as it was."""
    res = ssh(CANARY, DRIFT)
    assert res.returncode == 0 and ssh(CANARY, DRIFTED).returncode == 0, 'could not drift %s: %s %s' % (
        CANARY, res.stdout, res.stderr)
    yield CANARY
    master = [ln.split('=', 1)[1] for ln in res.stdout.splitlines() if ln.startswith('master=')]
    undo = 'ip link del cloudbr1' if 'new-bridge' in res.stdout else (
        'ip link set eth1 master %s' % master[0] if master and master[0] else 'true')
    ssh(CANARY, undo)


def test_bad_inventories_fail_in_preflight_and_change_nothing(lab, drifted_canary):
    assert len(FIXTURES) >= 20
    before = {h: cshvlab.fingerprint(*h) for h in lab}

    base, took, _d = cshvlab.playbook('cloudstack.hypervisors.preflight', [LAB_INVENTORY], timeout=600)
    assert base.returncode == 0, 'the unmodified lab inventory must pass the preflight:\n%s' % base.stdout[-3000:]

    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        rows = list(pool.map(run_fixture, FIXTURES))

    after = {h: cshvlab.fingerprint(*h) for h in lab}
    still_drifted = ssh(drifted_canary, DRIFTED).returncode == 0
    changed = {h: sorted(k for k in before[h] if before[h][k] != after[h][k]) for h in lab}
    changed = {h: v for h, v in changed.items() if v}

    report = table(rows) + '\n\nbaseline preflight on inventories/lab: passed in %.1f s' % took
    unchanged = 'yes (%s)' % ', '.join('%s:%s' % h for h in lab) if not changed else 'NO: %s' % changed
    report += '\nlab hosts unchanged: %s' % unchanged
    report += '\ncanary %s still drifted (eth1 out of cloudbr1): %s' % (drifted_canary, 'yes' if still_drifted else 'NO')
    print('\n' + report)
    bad = [r for r in rows if r['verdict'] != 'ok']
    assert not bad, report + '\n\n' + '\n'.join('%s: %s\n%s' % (r['name'], r['why'], r['stderr']) for r in bad)
    assert not changed, report
    assert still_drifted, report
