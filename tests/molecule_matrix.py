# SPDX-License-Identifier: GPL-3.0-or-later
"""Run every molecule scenario on every lab suite and print the matrix.

A scenario is a directory under molecule/ with a molecule.yml (molecule/resources
is shared playbooks, not a scenario).  Optional files in a scenario directory:

* ``.suites``            – the lab suites it runs on (default: all asked for);
  ``#`` starts a comment (say there why a suite is left out);
* ``.requires-registry`` – it needs images from a container registry (Ubuntu,
  EL): it is listed as skipped with the file's text as the reason, never run.

Each run is ``molecule test -s <scenario>`` with LAB_SUITE=<suite> (destroy,
create, converge, idempotence, verify, destroy).  Logs go to
tests/output/molecule/<scenario>-<suite>.log; a failure prints its tail.
Exit status is non-zero when any run failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEQUENCE = 'create > converge > idempotence > verify > destroy'


def scenarios(only=None):
    base = os.path.join(ROOT, 'molecule')
    for name in sorted(os.listdir(base)):
        d = os.path.join(base, name)
        if name == 'resources' or not os.path.exists(os.path.join(d, 'molecule.yml')):
            continue
        if only and name not in only:
            continue
        yield name, d


def read(path):
    with open(path) as f:
        return f.read().strip()


def why_not(scenario_dir, suite):
    """The comment of ``.suites`` that names *suite*, if any."""
    for line in read(os.path.join(scenario_dir, '.suites')).splitlines():
        if '#' in line and suite in line.split('#', 1)[1]:
            return line.split('#', 1)[1].strip()
    return 'no reason given'


def suites_of(scenario_dir):
    """The suites a scenario's ``.suites`` names (comments left out), or None: every suite."""
    path = os.path.join(scenario_dir, '.suites')
    if not os.path.exists(path):
        return None
    return ' '.join(line.split('#', 1)[0] for line in read(path).splitlines()).split()


# Relative cost of a scenario's run (seconds of one bullseye run in CI, rounded):
# used only to start the long runs first. A scenario not listed counts as 1.
COST = {'kvm': 600, 'libvirt_listen': 190, 'bridge_rollback': 75,
        'host_prep': 80, 'cs_bridge': 70, 'ovs_fakebridge': 95}

# Molecule keeps a scenario's state (instance config, inventory) in its
# ephemeral directory, by default one per scenario name: each run gets its own
# (MOLECULE_EPHEMERAL_DIRECTORY), so the suites of one scenario can run side by
# side (their labs are m-<scenario>-<suite>, apart too).
EPHEMERAL = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'cshv-molecule')


# Lines that say why a molecule run failed (Ansible's fatal/failed lines,
# molecule's own errors, pytest/testinfra assertion lines).
WHY_RE = re.compile(r'fatal: \[|failed: \[|^\S+\s+: ok=\d+\s+changed=\d+\s+unreachable=[1-9]|failed=[1-9]|'
                    r'CRITICAL|^ERROR|Idempotence test failed|^E\s|^FAILED |AssertionError|Traceback')


def why(lines, limit):
    """The first *limit* lines of a run's log that say why it failed."""
    return [ln for ln in lines if WHY_RE.search(ln)][:limit]


def run_one(scenario, suite, logdir):
    return _run_one(scenario, suite, logdir)


def _run_one(scenario, suite, logdir):
    env = dict(os.environ, LAB_SUITE=suite, PY_COLORS='0', ANSIBLE_FORCE_COLOR='0', MOLECULE_NO_LOG='false',
               MOLECULE_EPHEMERAL_DIRECTORY=os.path.join(EPHEMERAL, '%s-%s' % (scenario, suite)))
    log = os.path.join(logdir, '%s-%s.log' % (scenario, suite))
    start = time.time()
    with open(log, 'w') as out:
        rc = subprocess.call([os.path.join(ROOT, '.venv', 'bin', 'molecule'), 'test', '-s', scenario],
                             cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return scenario, suite, rc, time.time() - start, log


def main():
    p = argparse.ArgumentParser()
    p.add_argument('suites', nargs='*', default=['bullseye', 'bookworm', 'trixie'])
    p.add_argument('--scenario', action='append', help='run only these scenarios')
    p.add_argument('--jobs', type=int, default=int(os.environ.get('MOLECULE_JOBS', '2')))
    args = p.parse_args()
    logdir = os.path.join(ROOT, 'tests', 'output', 'molecule')
    os.makedirs(logdir, exist_ok=True)
    runs, skipped = [], []
    for name, d in scenarios(args.scenario):
        reg = os.path.join(d, '.requires-registry')
        if os.path.exists(reg):
            skipped.append((name, '-', 'SKIPPED: ' + read(reg)))
            continue
        allowed = suites_of(d)
        for suite in args.suites:
            if allowed is not None and suite not in allowed:
                skipped.append((name, suite, 'SKIPPED: not declared for %s in %s/.suites (%s)' % (
                    suite, name, why_not(d, suite))))
            else:
                runs.append((name, suite))
    results = []
    # The longest runs first (the scenarios' measured cost), whatever their suite:
    # the short runs come last, so the parallel workers finish together instead of
    # one long run ending alone.
    runs.sort(key=lambda r: (-COST.get(r[0], 1), args.suites.index(r[1]), r[0]))
    print('molecule: %d runs (%s), %d jobs in parallel' % (len(runs), SEQUENCE, args.jobs), flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futs = [pool.submit(run_one, s, suite, logdir) for s, suite in runs]
        for fut in concurrent.futures.as_completed(futs):
            scenario, suite, rc, secs, log = fut.result()
            results.append((scenario, suite, rc, secs, log))
            print('  %-22s %-9s %s in %4.0f s' % (scenario, suite, 'passed' if rc == 0 else 'FAILED (rc=%d)' % rc, secs),
                  flush=True)
            if rc != 0:
                with open(log) as f:
                    lines = f.readlines()
                print('  ---- why (first failure lines of %s) ----' % os.path.relpath(log, ROOT))
                sys.stdout.write(''.join('  | ' + ln for ln in why(lines, 30)))
                print('  ---- tail of %s ----' % os.path.relpath(log, ROOT))
                sys.stdout.write(''.join('  | ' + ln for ln in lines[-80:]))
                print('  ---- end ----', flush=True)
    print('\nmolecule matrix (%s):' % SEQUENCE)
    print('  %-22s %-9s %-8s %s' % ('scenario', 'suite', 'time', 'result'))
    for scenario, suite, rc, secs, dummy in sorted(results):
        print('  %-22s %-9s %6.0f s  %s' % (scenario, suite, secs, 'passed' if rc == 0 else 'FAILED'))
    for scenario, suite, reason in skipped:
        print('  %-22s %-9s %8s  %s' % (scenario, suite, '', reason))
    failed = sum(1 for r in results if r[2] != 0)
    for scenario, suite, rc, secs, log in sorted(results):
        if rc != 0:  # one line each at the very end, where a CI log's tail shows it
            with open(log) as f:
                first = why(f.readlines(), 1)
            print('  %s %s failed: %s' % (scenario, suite, (first[0].strip() if first else 'no failure line found')[:400]))
    print('molecule: %d passed, %d failed, %d skipped' % (len(results) - failed, failed, len(skipped)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
