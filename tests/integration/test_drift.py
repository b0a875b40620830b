# SPDX-License-Identifier: GPL-3.0-or-later
"""Drift test for the kvm role on two real lab hosts.

Converge (drifta: Linux bridges + iptables, driftb: Open vSwitch), check a
second run changes nothing, make the hand edits listed in drift/drifts.py,
converge again and assert that

* every drift is repaired (its check command passes on the host),
* ``changed`` is reported only by the tasks (and loop items) that own a drifted
  item, plus the handlers that follow a repair (restarts, saving iptables),
* a further run reports 0 changed,

then print the table of drifts and results. The lab suite comes from LAB_SUITE
(bookworm by default); set DRIFT_KEEP_LAB=1 to leave the lab up afterwards.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, 'drift'))
from drifts import CHECK_ONLY, CHECK_STAND_INS, CONSEQUENCES, DRIFTS, REAL_ONLY  # noqa: E402

SUITE = os.environ.get('LAB_SUITE', 'bookworm')
LAB = 'drift-' + SUITE
HOSTS = ('drifta', 'driftb')
LABCTL = [sys.executable if os.path.basename(sys.executable).startswith('python') else 'python3',
          os.path.join(ROOT, 'tests', 'lab', 'labctl.py')]
PLAYBOOK = os.path.join(HERE, 'drift', 'converge.yml')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the lab needs root (systemd-nspawn, netns)')


def labctl(*args, check=True):
    return subprocess.run(LABCTL + list(args), cwd=ROOT, check=check, capture_output=True, text=True)


@pytest.fixture(scope='module')
def lab():
    yield from _lab(LAB, HOSTS)


def _lab(name, hosts):
    up = labctl('up', '--reuse', '--name', name, '--suite', SUITE, '--hosts', ','.join(hosts))
    inventory = up.stdout.strip().splitlines()[-1]
    try:
        yield {'inventory': inventory, 'fresh': 'already up' not in up.stderr}
    finally:
        if not os.environ.get('DRIFT_KEEP_LAB'):
            labctl('down', '--name', name, check=False)


@pytest.fixture
def fresh_lab():
    name = 'check-' + SUITE
    labctl('down', '--name', name, check=False)
    yield from _lab(name, ('checka',))


def on(host, command):
    return labctl('ssh', LAB, host, '--', command, check=False)


def converge(inventory, *extra, limit=None):
    """Run the converge playbook; return {host: [(task, item_label_or_None, changed)]} and the stats."""
    env = dict(os.environ,
               ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'),
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
               ANSIBLE_CALLBACK_RESULT_FORMAT='json',
               ANSIBLE_FORCE_COLOR='0')
    argv = [ANSIBLE_PLAYBOOK, '-i', inventory, PLAYBOOK] + list(extra) + (['--limit', limit] if limit else [])
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    try:
        out = json.loads(proc.stdout[proc.stdout.index('{'):])
    except ValueError:
        pytest.fail('ansible-playbook gave no JSON (rc %d): %s %s'
                    % (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    assert proc.returncode == 0, json.dumps(out.get('stats'), indent=1) + proc.stderr[-3000:]
    changes = {h: [] for h in out['stats']}
    for play in out['plays']:
        for task in play['tasks']:
            # "cloudstack.hypervisors.kvm : Linux bridges" -> "Linux bridges"
            name = task['task']['name'].split(' : ', 1)[-1]
            for host, res in task['hosts'].items():
                if res.get('results') and isinstance(res['results'], list):
                    for item in res['results']:
                        if item.get('changed'):
                            changes[host].append((name, item.get('_ansible_item_label', item.get('item')),
                                                  item.get('diff') or item.get('commands')))
                elif res.get('changed') and res.get('changes'):
                    # conf_keys: one result for many keys; its "changes" name each key
                    for change in res['changes']:
                        changes[host].append((name, change.split(':', 1)[0], res.get('diff')))
                elif res.get('changed'):
                    changes[host].append((name, None, res.get('diff') or res.get('commands')))
    return changes, out['stats']


def report(name, lines):
    """Print a table (visible with pytest -s) and keep it in tests/output/drift/."""
    text = '\n'.join(lines) + '\n'
    print('\n\n' + text)
    outdir = os.path.join(ROOT, 'tests', 'output', 'drift')
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, '%s-%s.txt' % (name, SUITE)), 'w') as handle:
        handle.write(text)


def _label_matches(label, want):
    label = str(label)
    return label == want or label.startswith(want + ' ') or label.startswith(want + '=')


def _owned_by(drift, task, label):
    dummy, dummy, dummy, dummy, prefix, item, dummy = drift
    return task.startswith(prefix) and (item is None or label is None or _label_matches(label, item))


def test_drift_is_repaired_and_only_drift_is_reported(lab):
    fresh, lab = lab['fresh'], lab['inventory']
    first, dummy = converge(lab)
    assert any(first.values()) or not fresh, 'the first converge of a fresh lab changed nothing'
    baseline, dummy = converge(lab)
    assert baseline == {h: [] for h in HOSTS}, 'not idempotent before any drift: %r' % baseline

    with open(lab) as handle:
        gw = yaml.safe_load(handle)['all']['vars']['cshv_lab_gateway']
    rows = []
    for drift in DRIFTS:
        did, host, desc, cmd = drift[:4]
        res = on(host, cmd)
        assert res.returncode == 0, 'drift %s could not be made: %s' % (did, res.stderr)
        broken = on(host, drift[6].replace('{gw}', gw)).returncode != 0
        rows.append([did, host, desc, broken])

    repaired, dummy = converge(lab)

    unexpected = []
    for host, items in repaired.items():
        for task, label, dummy in items:
            if task.startswith(CONSEQUENCES):
                continue
            if not any(d[1] == host and _owned_by(d, task, label) for d in DRIFTS):
                unexpected.append((host, task, label))

    failures = []
    for row, drift in zip(rows, DRIFTS):
        did, host, dummy, broken = row
        reported = [(t, lb) for t, lb, dummy in repaired[host] if _owned_by(drift, t, lb)
                    and (drift[5] is None or lb is None or _label_matches(lb, drift[5]))]
        fixed = on(host, drift[6].replace('{gw}', gw)).returncode == 0
        row += ['%s%s' % (drift[4], (' [%s]' % drift[5]) if drift[5] else ''), bool(reported), fixed]
        if not (broken and reported and fixed):
            failures.append(did)

    final, dummy = converge(lab)

    lines = ['Drift test on %s (%s): %d hand edits' % (LAB, SUITE, len(DRIFTS))]
    fmt = '%-3s %-15s %-7s %-9s %-9s %-9s %s'
    lines.append(fmt % ('#', 'drift', 'host', 'drifted', 'reported', 'repaired', 'hand edit -> repaired by'))
    for n, (did, host, desc, broken, owner, reported, fixed) in enumerate(rows, 1):
        lines.append(fmt % (n, did, host, 'yes' if broken else 'NO', 'yes' if reported else 'NO',
                            'yes' if fixed else 'NO', '%s -> %s' % (desc, owner)))
    lines.append('changed tasks on the repair run:')
    for host, items in repaired.items():
        for task, label, dummy in items:
            lines.append('  %-7s %s%s' % (host, task, (' [%s]' % label) if label else ''))
    lines.append('unexpected changes: %s' % (unexpected or 'none'))
    lines.append('changes on the run after the repair: %s' % ({h: len(v) for h, v in final.items()}))
    report('drift', lines)

    assert not failures, 'drifts not made, not reported or not repaired: %s' % failures
    assert not unexpected, 'changed reported for items that did not drift: %s' % unexpected
    assert final == {h: [] for h in HOSTS}, 'the run after the repair changed: %r' % final


def test_check_mode_on_a_fresh_host_predicts_the_real_run(fresh_lab):
    """--check --diff on a fresh host runs to the end; the real run changes what it said."""
    inventory = fresh_lab['inventory']
    predicted, dummy = converge(inventory, '--check', '--diff')
    real, dummy = converge(inventory, '--diff')
    again, dummy = converge(inventory)

    def tasks(changes, mapping=None):
        return {(mapping or {}).get(t, t) for t, dummy, dummy in changes['checka']}

    said = tasks(predicted, CHECK_STAND_INS) - set(CHECK_ONLY) - set(REAL_ONLY)
    did = tasks(real) - set(REAL_ONLY)
    lines = ['--check on fresh host checka (%s): %d tasks predicted changed, %d changed in the real run'
             % (SUITE, len(tasks(predicted)), len(tasks(real)))]
    fmt = '  %-9s %-9s %s'
    lines.append(fmt % ('check', 'real', 'task'))
    for task in sorted(tasks(predicted, CHECK_STAND_INS) | tasks(real)):
        lines.append(fmt % ('changed' if task in tasks(predicted, CHECK_STAND_INS) else '-',
                            'changed' if task in tasks(real) else '-', task))
    report('check-mode', lines)
    assert said == did, 'check mode said %s; the real run did %s' % (sorted(said - did), sorted(did - said))
    assert again['checka'] == [], 'the run after the real run changed: %r' % again['checka']
