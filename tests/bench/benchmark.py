# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of cloudstack.hypervisors.site on the lab (a script, not a test).

For each lab size N (default 1, 3 and 16 KVM hosts in one cluster — 16 is the
CloudStack KVM cluster limit), it brings up a lab "bench<N>" with labctl and
measures, wall clock:

* floor    — `ansible kvm_hosts -m setup -a gather_subset=min` (connect + one module per host),
             best of two runs;
* first    — the first site.yml rollout on fresh hosts;
* no-op    — a second site.yml run (must report 0 changed);
* no-op without pipelining (ANSIBLE_PIPELINING=False);
* facts    — `-m setup` with all subsets vs the minimal subset;
* keys     — the lever "one module per concern instead of many line edits": ten
             key=value settings as ten lineinfile calls or one conf_keys call
             (tests/bench/lever_keys.yml, on a scratch copy of agent.properties),
             a run that changes them and a run that finds them set;

and from the JSON callback: tasks and module calls per host (a loop item is a
call). It prints a Markdown table (also written to --out) with the ratios
first/floor and no-op/floor. Uses only lab addresses (10.99.x.y).

    sudo .venv/bin/python tests/bench/benchmark.py --sizes 1,3,16
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position


def adhoc(inventories, args, env=None):
    cmd = [cshvlab.tool('ansible')]
    for inv in inventories:
        cmd += ['-i', inv]
    cmd += ['kvm_hosts'] + args
    t0 = time.time()
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                         env=cshvlab.ansible_env(**(env or {})), cwd=cshvlab.ROOT, timeout=1800, check=False)
    took = time.time() - t0
    if res.returncode != 0:
        raise RuntimeError('ansible %s failed:\n%s%s' % (' '.join(args), res.stdout[-2000:], res.stderr[-2000:]))
    return took


def failures(data):
    """'host: task: msg' for every failed or unreachable result in the JSON callback output."""
    out = []
    for play in (data or {}).get('plays', []):
        for task in play.get('tasks', []):
            for host, res in task.get('hosts', {}).items():
                if (res.get('failed') or res.get('unreachable')) and not res.get('ignore_errors'):
                    out.append('%s: %s: %s' % (host, task['task']['name'], str(res.get('msg', ''))[:300]))
    return out


def site(inventories, reports, env=None, log=None):
    res, took, data = cshvlab.playbook('cloudstack.hypervisors.site', inventories,
                                       extra_vars={'cshv_report_dir': reports}, env=env, json_output=True,
                                       timeout=7200)
    if log:
        with open(log, 'w') as f:
            f.write(res.stdout + '\n' + res.stderr)
    stats = cshvlab.json_stats(data)
    if res.returncode != 0 or not stats:
        raise RuntimeError('site.yml failed (rc %d; full output in %s):\n%s\n%s' % (
            res.returncode, log, '\n'.join(failures(data)) or res.stdout[-3000:], res.stderr[-1000:]))
    counts = cshvlab.json_task_counts(data)
    changed = sum(s.get('changed', 0) for s in stats.values())
    return took, changed, counts


LEVER_PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lever_keys.yml')


def lever(inventories, how):
    """(seconds for the run that sets the ten keys, seconds for the run that finds them set, calls/host)."""
    adhoc(inventories, ['-m', 'ansible.builtin.shell', '-a',
                        'rm -rf /var/tmp/cshv-bench && mkdir -p /var/tmp/cshv-bench && '
                        'cp /etc/cloudstack/agent/agent.properties /var/tmp/cshv-bench/'])
    took = []
    for _i in range(2):
        res, secs, data = cshvlab.playbook(LEVER_PLAYBOOK, inventories, extra_vars={'bench_lever': how},
                                           json_output=True, timeout=1800)
        if res.returncode != 0:
            raise RuntimeError('lever %s failed: %s %s' % (how, res.stdout[-2000:], res.stderr[-1000:]))
        took.append(secs)
    calls = [c for _t, c in cshvlab.json_task_counts(data).values()]
    adhoc(inventories, ['-m', 'ansible.builtin.file', '-a', 'path=/var/tmp/cshv-bench state=absent'])
    return took[0], took[1], statistics.mean(calls) if calls else 0


def per_host(counts, hosts):
    tasks = [counts[h][0] for h in hosts if h in counts]
    calls = [counts[h][1] for h in hosts if h in counts]
    return (statistics.mean(tasks) if tasks else 0, statistics.mean(calls) if calls else 0)


def bench(n, suite, keep, log):
    name = 'bench%d' % n
    hosts = ['kvm%d' % i for i in range(1, n + 1)]
    t0 = time.time()
    lab_inv = cshvlab.lab_up(name, hosts, suite)
    up = time.time() - t0
    work = tempfile.mkdtemp(prefix='cshv-bench-%d-' % n)
    inventories = [lab_inv, cshvlab.overlay_inventory(os.path.join(work, 'inv'), {'kvm_hosts': hosts})]
    reports = os.path.join(work, 'reports')
    r = {'hosts': n, 'lab_up': up}
    try:
        floors = [adhoc(inventories, ['-m', 'ansible.builtin.setup', '-a', 'gather_subset=min']) for _i in range(2)]
        r['floor'] = min(floors)
        log('N=%d: lab up %.0f s, floor %.1f s' % (n, up, r['floor']))
        r['first'], r['first_changed'], counts = site(inventories, reports, log=os.path.join(work, 'first.log'))
        r['first_tasks'], r['first_calls'] = per_host(counts, hosts)
        log('N=%d: first rollout %.0f s, %d changed' % (n, r['first'], r['first_changed']))
        r['noop'], r['noop_changed'], counts = site(inventories, reports, log=os.path.join(work, 'noop.log'))
        r['noop_tasks'], r['noop_calls'] = per_host(counts, hosts)
        log('N=%d: no-op %.0f s, %d changed' % (n, r['noop'], r['noop_changed']))
        r['noop_nopipe'], _c, _n = site(inventories, reports, env={'ANSIBLE_PIPELINING': 'False'},
                                        log=os.path.join(work, 'noop-nopipelining.log'))
        log('N=%d: no-op without pipelining %.0f s' % (n, r['noop_nopipe']))
        r['facts_all'] = adhoc(inventories, ['-m', 'ansible.builtin.setup'])
        r['facts_min'] = adhoc(inventories, ['-m', 'ansible.builtin.setup', '-a', 'gather_subset=min'])
        log('N=%d: setup all %.1f s, min %.1f s' % (n, r['facts_all'], r['facts_min']))
        for how in ('line_edits', 'one_module'):
            r[how + '_set'], r[how + '_noop'], r[how + '_calls'] = lever(inventories, how)
            log('N=%d: ten keys as %s: %.1f s setting, %.1f s already set, %.0f calls/host' % (
                n, how, r[how + '_set'], r[how + '_noop'], r[how + '_calls']))
    finally:
        if not keep:
            cshvlab.lab_down(name)
    return r


def table(results):
    head = ('| hosts | floor s | first s | first/floor | no-op s | no-op/floor | changed (2nd run) | '
            'tasks/host first | calls/host first | tasks/host no-op | calls/host no-op | '
            'no-op w/o pipelining s | pipelining saves | setup all s | setup min s |')
    lines = [head, '|' + '|'.join('---' for _i in range(head.count('|') - 1)) + '|']
    for r in results:
        lines.append('| %d | %.1f | %.0f | %.1f | %.0f | %.1f | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f %% | %.1f | %.1f |' % (
            r['hosts'], r['floor'], r['first'], r['first'] / r['floor'], r['noop'], r['noop'] / r['floor'],
            r['noop_changed'], r['first_tasks'], r['first_calls'], r['noop_tasks'], r['noop_calls'],
            r['noop_nopipe'], 100.0 * (r['noop_nopipe'] - r['noop']) / r['noop_nopipe'],
            r['facts_all'], r['facts_min']))
    lines += ['', '| hosts | ten keys, lineinfile loop: set / already set s | calls/host | '
                  'one conf_keys call: set / already set s | calls/host | saved (set / already set) |',
              '|---|---|---|---|---|---|']
    for r in results:
        lines.append('| %d | %.1f / %.1f | %.0f | %.1f / %.1f | %.0f | %.0f %% / %.0f %% |' % (
            r['hosts'], r['line_edits_set'], r['line_edits_noop'], r['line_edits_calls'],
            r['one_module_set'], r['one_module_noop'], r['one_module_calls'],
            100.0 * (r['line_edits_set'] - r['one_module_set']) / r['line_edits_set'],
            100.0 * (r['line_edits_noop'] - r['one_module_noop']) / r['line_edits_noop']))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    p.add_argument('--sizes', default='1,3,16', help='comma-separated lab sizes (default 1,3,16)')
    p.add_argument('--suite', default=os.environ.get('LAB_SUITE', 'bookworm'))
    p.add_argument('--keep', action='store_true', help='leave the labs up')
    p.add_argument('--out', default=os.path.join(cshvlab.ROOT, 'tests', 'output', 'benchmark.md'))
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit('benchmark: the lab needs root')

    def log(msg):
        sys.stderr.write('[%s] %s\n' % (time.strftime('%H:%M:%S'), msg))
        sys.stderr.flush()

    results = []
    for n in [int(x) for x in args.sizes.split(',') if x]:
        results.append(bench(n, args.suite, args.keep, log))
        print('\n'.join(ln for ln in table(results[-1:]).splitlines() if ln.startswith('| %d |' % n)), flush=True)
    out = ['# site.yml benchmark (%s, lab %s)' % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), args.suite),
           '', table(results), '',
           'floor = `ansible -m setup -a gather_subset=min` (best of 2); first = first site.yml on fresh hosts; '
           'no-op = second run; calls = module invocations (loop items count one each).',
           'Raw: ' + json.dumps(results)]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write('\n'.join(out) + '\n')
    print('\n' + '\n'.join(out))
    if any(r['noop_changed'] for r in results):
        sys.exit('benchmark: the second run changed something')


if __name__ == '__main__':
    main()
