# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of cloudstack.hypervisors.site on the lab (a script, not a test).

For each layout it brings up a lab "bench<name>" with labctl and measures, wall clock:

* layouts: ``N`` - N KVM hosts, in clusters of at most 4 (1 and 3: one cluster;
  16: four clusters of four, 16 being CloudStack's KVM cluster limit);
  ``lab`` - the main lab's two clusters (kvm1, kvm2 in the KVM cluster, lxc1,
  lxc2 in the LXC cluster);
* floor    - `ansible -m setup -a gather_subset=min` on every host (connect + one
             module per host), best of two runs;
* first    - the first site.yml rollout on fresh hosts;
* no-op    - a second site.yml run (must report 0 changed);
* levers, each a no-op run with one lever taken away: without pipelining
  (ANSIBLE_PIPELINING=False); without the canaries side by side
  (``cshv_serial=[1, "100%"]``: one canary for the whole rollout, then the rest,
  as before issue 13);
* facts    - `-m setup` with all subsets vs the minimal subset;
* keys     - the lever "one module per concern instead of many line edits": ten
             key=value settings as ten lineinfile calls or one conf_keys call
             (tests/bench/lever_keys.yml, on a scratch copy of agent.properties),
             a run that changes them and a run that finds them set;

and from the JSON callback: tasks and module calls per host (a loop item is a
call); from the kernel: the controller's CPU seconds (user + system of the whole
ansible-playbook process tree) per host, a figure a loaded machine disturbs less
than wall time. It prints Markdown tables (also written to --out) with the
ratios first/floor and no-op/floor. Uses only lab addresses (10.99.x.y).

    sudo .venv/bin/python tests/bench/benchmark.py --sizes 1,3,16,lab
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
    cmd += ['kvm_hosts:lxc_hosts'] + args
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


def site(inventories, reports, env=None, log=None, extra=None):
    """(seconds, changed, {host: (tasks, calls)}, controller CPU seconds) of one site.yml run."""
    res, took, data = cshvlab.playbook('cloudstack.hypervisors.site', inventories,
                                       extra_vars=dict(extra or {}, cshv_report_dir=reports), env=env,
                                       json_output=True, timeout=7200)
    if log:
        with open(log, 'w') as f:
            f.write(res.stdout + '\n' + res.stderr)
    stats = cshvlab.json_stats(data)
    if res.returncode != 0 or not stats:
        raise RuntimeError('site.yml failed (rc %d; full output in %s):\n%s\n%s' % (
            res.returncode, log, '\n'.join(failures(data)) or res.stdout[-3000:], res.stderr[-1000:]))
    counts = cshvlab.json_task_counts(data)
    changed = sum(s.get('changed', 0) for s in stats.values())
    return took, changed, counts, res.cpu_seconds


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


def layout(size):
    """(lab name, hosts, groups, host_vars) of a benchmark layout ("1", "3", "16", "lab")."""
    if size == 'lab':
        return 'benchlab', ['kvm1', 'kvm2', 'lxc1', 'lxc2'], \
            {'kvm_hosts': ['kvm1', 'kvm2'], 'lxc_hosts': ['lxc1', 'lxc2']}, {}
    n = int(size)
    hosts = ['kvm%d' % i for i in range(1, n + 1)]
    # clusters of at most 4 hosts: 16 hosts are four clusters (the lab's cluster name, numbered)
    host_vars = {h: {'cshv_cluster': 'lab-kvm-%d' % (i // 4 + 1)} for i, h in enumerate(hosts)} if n > 4 else {}
    return 'bench%d' % n, hosts, {'kvm_hosts': hosts}, host_vars


def clusters_of(hosts, host_vars):
    return len({(host_vars.get(h) or {}).get('cshv_cluster', 'one') for h in hosts})


def bench(size, suite, keep, log):
    name, hosts, groups, host_vars = layout(size)
    n = len(hosts)
    t0 = time.time()
    lab_inv = cshvlab.lab_up(name, hosts, suite)
    up = time.time() - t0
    work = tempfile.mkdtemp(prefix='cshv-bench-%s-' % size)
    inventories = [lab_inv, cshvlab.overlay_inventory(os.path.join(work, 'inv'), groups, host_vars)]
    reports = os.path.join(work, 'reports')
    r = {'layout': size, 'hosts': n, 'clusters': len(groups) if size == 'lab' else clusters_of(hosts, host_vars),
         'lab_up': up}
    try:
        floors = [adhoc(inventories, ['-m', 'ansible.builtin.setup', '-a', 'gather_subset=min']) for _i in range(2)]
        r['floor'] = min(floors)
        log('%s: lab up %.0f s, floor %.1f s' % (size, up, r['floor']))
        r['first'], r['first_changed'], counts, cpu = site(inventories, reports, log=os.path.join(work, 'first.log'))
        r['first_tasks'], r['first_calls'] = per_host(counts, hosts)
        r['first_cpu'] = cpu / n
        log('%s: first rollout %.0f s, %d changed, %.1f CPU s/host' % (size, r['first'], r['first_changed'], r['first_cpu']))
        r['noop'], r['noop_changed'], counts, cpu = site(inventories, reports, log=os.path.join(work, 'noop.log'))
        r['noop_tasks'], r['noop_calls'] = per_host(counts, hosts)
        r['noop_cpu'] = cpu / n
        log('%s: no-op %.0f s, %d changed, %.1f CPU s/host' % (size, r['noop'], r['noop_changed'], r['noop_cpu']))
        r['noop_nopipe'], _c, _n, _cpu = site(inventories, reports, env={'ANSIBLE_PIPELINING': 'False'},
                                              log=os.path.join(work, 'noop-nopipelining.log'))
        log('%s: no-op without pipelining %.0f s' % (size, r['noop_nopipe']))
        r['noop_one_canary'], _c, _n, _cpu = site(inventories, reports, extra={'cshv_serial': [1, '100%']},
                                                  log=os.path.join(work, 'noop-one-canary.log'))
        log('%s: no-op with one canary for the whole rollout %.0f s' % (size, r['noop_one_canary']))
        r['facts_all'] = adhoc(inventories, ['-m', 'ansible.builtin.setup'])
        r['facts_min'] = adhoc(inventories, ['-m', 'ansible.builtin.setup', '-a', 'gather_subset=min'])
        log('%s: setup all %.1f s, min %.1f s' % (size, r['facts_all'], r['facts_min']))
        for how in ('line_edits', 'one_module'):
            r[how + '_set'], r[how + '_noop'], r[how + '_calls'] = lever(inventories, how)
            log('%s: ten keys as %s: %.1f s setting, %.1f s already set, %.0f calls/host' % (
                size, how, r[how + '_set'], r[how + '_noop'], r[how + '_calls']))
    finally:
        if not keep:
            cshvlab.lab_down(name)
    return r


def table(results):
    head = ('| layout | hosts | clusters | floor s | first s | first/floor | no-op s | no-op/floor | changed (2nd run) | '
            'tasks/host first | calls/host first | tasks/host no-op | calls/host no-op | '
            'CPU s/host first | CPU s/host no-op | no-op w/o pipelining s | no-op, one canary s | '
            'setup all s | setup min s |')
    lines = [head, '|' + '|'.join('---' for _i in range(head.count('|') - 1)) + '|']
    for r in results:
        lines.append('| %s | %d | %d | %.1f | %.0f | %.1f | %.0f | %.1f | %d | %.0f | %.0f | %.0f | %.0f | '
                     '%.1f | %.1f | %.0f | %.0f | %.1f | %.1f |' % (
                         r['layout'], r['hosts'], r['clusters'], r['floor'], r['first'], r['first'] / r['floor'],
                         r['noop'], r['noop'] / r['floor'], r['noop_changed'], r['first_tasks'], r['first_calls'],
                         r['noop_tasks'], r['noop_calls'], r['first_cpu'], r['noop_cpu'], r['noop_nopipe'],
                         r['noop_one_canary'], r['facts_all'], r['facts_min']))
    lines += ['', '| layout | ten keys, lineinfile loop: set / already set s | calls/host | '
                  'one conf_keys call: set / already set s | calls/host | saved (set / already set) |',
              '|---|---|---|---|---|---|']
    for r in results:
        lines.append('| %s | %.1f / %.1f | %.0f | %.1f / %.1f | %.0f | %.0f %% / %.0f %% |' % (
            r['layout'], r['line_edits_set'], r['line_edits_noop'], r['line_edits_calls'],
            r['one_module_set'], r['one_module_noop'], r['one_module_calls'],
            100.0 * (r['line_edits_set'] - r['one_module_set']) / r['line_edits_set'],
            100.0 * (r['line_edits_noop'] - r['one_module_noop']) / r['line_edits_noop']))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    p.add_argument('--sizes', default='1,3,16,lab',
                   help='comma-separated layouts: a number of KVM hosts, or lab (default 1,3,16,lab)')
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
    for size in [x.strip() for x in args.sizes.split(',') if x.strip()]:
        results.append(bench(size, args.suite, args.keep, log))
        print('\n'.join(ln for ln in table(results[-1:]).splitlines() if ln.startswith('| %s |' % size)), flush=True)
    one = [r for r in results if r['layout'] == '1']
    many = [r for r in results if r['hosts'] >= 16]
    if one and many:
        log('16 hosts vs 1: no-op %.1f x (target <= 4), controller CPU s/host %.1f vs %.1f' % (
            many[0]['noop'] / one[0]['noop'], many[0]['noop_cpu'], one[0]['noop_cpu']))
    out = ['# site.yml benchmark (%s, lab %s)' % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), args.suite),
           '', table(results), '',
           'floor = `ansible -m setup -a gather_subset=min` (best of 2); first = first site.yml on fresh hosts; '
           'no-op = second run; calls = module invocations (loop items count one each); CPU = user + system '
           'seconds of the ansible-playbook process tree, per host.',
           'Raw: ' + json.dumps(results)]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write('\n'.join(out) + '\n')
    print('\n' + '\n'.join(out))
    if any(r['noop_changed'] for r in results):
        sys.exit('benchmark: the second run changed something')


if __name__ == '__main__':
    main()
