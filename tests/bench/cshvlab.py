# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the lab-driven tests (tests/integration/test_bad_inputs.py,
test_lost_host.py) and the benchmark (tests/bench/benchmark.py).

They drive the lab only through tests/lab/labctl.py and ansible-playbook; every
address involved is a lab address (10.99.x.y) reached through the lab's netns.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
LABCTL = [sys.executable, os.path.join(ROOT, 'tests', 'lab', 'labctl.py')]
RUN = os.environ.get('CSHV_LAB_RUN', '/var/tmp/cshv-lab/run')
LAB_GROUP_VARS = os.path.join(ROOT, 'inventories', 'lab', 'group_vars')


def tool(name):
    """A tool from the project venv when there is one, else from PATH."""
    for d in (os.path.join(ROOT, '.venv', 'bin'), os.path.dirname(sys.executable)):
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    return shutil.which(name) or name


def ansible_env(**extra):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': os.path.join(ROOT, 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, '.collections'),
        'ANSIBLE_FORCE_COLOR': '0', 'ANSIBLE_NOCOLOR': '1', 'PY_COLORS': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def ensure_collection_link():
    link = os.path.join(ROOT, '.collections', 'ansible_collections', 'cloudstack', 'hypervisors')
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(ROOT, os.path.dirname(link)), link)


def labctl(*args, check=True, timeout=600):
    res = subprocess.run(LABCTL + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=timeout, check=False)
    if check and res.returncode != 0:
        raise RuntimeError('labctl %s failed (%d): %s' % (' '.join(args), res.returncode, res.stderr[-2000:]))
    return res


def lab_state(name):
    """The labctl state of lab *name*, or None when it is not up."""
    res = labctl('status', check=False, timeout=60)
    if res.returncode != 0:
        return None
    hosts, found = {}, False
    for line in res.stdout.splitlines():
        if not line.startswith(' '):
            found = line.split()[:1] == [name]
            continue
        if found:
            parts = line.split()
            hosts[parts[0]] = {'address': parts[1], 'running': parts[2] == 'running'}
    return hosts or None


def lab_ready(name, hosts=None):
    """(True, '') when lab *name* is up with *hosts* running and answering ssh, else (False, why)."""
    if os.geteuid() != 0:
        return False, 'the lab needs root'
    if not os.path.exists(os.path.join(ROOT, 'tests', 'lab', 'labctl.py')):
        return False, 'tests/lab/labctl.py is missing'
    state = lab_state(name)
    if not state:
        return False, 'lab %r is not up (make lab-up)' % name
    for h in hosts or state:
        if h not in state:
            return False, 'lab %r has no host %s' % (name, h)
        # ssh decides, not the status column (a lab started by an older labctl shows "stopped")
        res = labctl('ssh', name, h, '--', 'true', check=False, timeout=60)
        if res.returncode != 0:
            return False, 'lab host %s of %r does not answer on ssh: %s' % (h, name, res.stderr.strip()[-300:])
    return True, ''


def lab_up(name, hosts, suite='bookworm', subnet_index=None):
    """Start lab *name* with *hosts* (reusing it when it is up); returns its inventory path."""
    args = ['up', '--name', name, '--suite', suite, '--hosts', ','.join(hosts), '--reuse']
    if subnet_index is not None:
        args += ['--subnet-index', str(subnet_index)]
    labctl(*args, timeout=1800)
    return os.path.join(RUN, name, 'inventory.yml')


def lab_down(name):
    labctl('down', '--name', name, check=False, timeout=600)


def own_lab(name, hosts, suite, what):
    """Body of a pytest fixture for a test's own lab: yields its inventory path.

    Skips, saying why, when the lab cannot run here (not root, no labctl) or does
    not come up; takes the lab down afterwards unless CSHV_KEEP_LAB is set.
    Use as ``yield from cshvlab.own_lab(LAB, HOSTS, SUITE, 'lost-host test')``."""
    import pytest  # pylint: disable=import-outside-toplevel
    if os.geteuid() != 0:
        pytest.skip('the lab needs root')
    if not os.path.exists(LABCTL[1]):
        pytest.skip('tests/lab/labctl.py is missing')
    try:
        inventory = lab_up(name, hosts, suite)
    except (RuntimeError, subprocess.SubprocessError) as e:
        print('\nSKIP %s: the lab did not come up: %s' % (what, e))
        pytest.skip('the lab did not come up: %s' % e)
    try:
        yield inventory
    finally:
        if not os.environ.get('CSHV_KEEP_LAB'):
            lab_down(name)


def container_inits(lab, host=None):
    """PIDs of orphaned container inits (PID 1 inside, parent PID 1 outside: no systemd-nspawn
    supervises them any more) of *host* (or every host) of lab *lab*, found by the overlay upper
    directory of their root mount."""
    prefix = os.path.join(RUN, lab, 'hosts') + os.sep
    want = os.path.join(prefix, host, 'upper') if host else None
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
            if stat[stat.rindex(')') + 2:].split()[1] != '1':  # parent is PID 1: an orphaned init
                continue
            with open('/proc/%s/mountinfo' % entry) as f:
                root = f.readline()
        except (OSError, ValueError, IndexError):
            continue
        for opt in root.split()[-1].split(','):
            if opt.startswith('upperdir=') and opt[9:].startswith(prefix) and (want is None or opt[9:] == want):
                pids.append(int(entry))
    return pids


def stop_host(lab, host):
    """Pull the plug on *host* (`labctl stop-host`) and make sure it is really gone.

    Returns the PIDs of container inits that were still running afterwards
    (labctl before bf699d0 left the init of a SIGKILLed nspawn running); the
    callers fail on a non-empty list instead of papering over a lab bug.
    """
    labctl('stop-host', lab, host)
    deadline = time.time() + 30
    while container_inits(lab, host) and time.time() < deadline:
        time.sleep(0.2)
    return container_inits(lab, host)


def overlay_inventory(directory, groups, host_vars=None):
    """An inventory that puts lab hosts into groups and takes the lab's group_vars.

    Used with the lab's own inventory (connection settings) in front of it:
    ``-i <RUN>/<lab>/inventory.yml -i <directory>/hosts.yml``. *host_vars*:
    host -> {name: value} (plain strings, e.g. another ``cshv_cluster``).
    """
    os.makedirs(directory, exist_ok=True)
    lines = ['---', '# generated by tests/bench/cshvlab.py', 'all:', '  children:']
    for group, hosts in groups.items():
        lines.append('    %s:' % group)
        lines.append('      hosts:')
        for h in hosts:
            hv = (host_vars or {}).get(h)
            lines.append('        %s:' % h)
            for k, v in sorted((hv or {}).items()):
                lines.append('          %s: %s' % (k, json.dumps(v)))
    path = os.path.join(directory, 'hosts.yml')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    gv = os.path.join(directory, 'group_vars')
    if os.path.islink(gv):
        os.unlink(gv)
    os.symlink(LAB_GROUP_VARS, gv)
    return path


def playbook(playbook_name, inventories, extra_vars=None, args=(), env=None, timeout=3600, json_output=False):
    """Run ansible-playbook; returns (CompletedProcess, seconds, parsed JSON or None)."""
    ensure_collection_link()
    cmd = [tool('ansible-playbook')]
    for inv in inventories:
        cmd += ['-i', inv]
    if extra_vars:
        cmd += ['-e', json.dumps(extra_vars)]
    cmd += list(args) + [playbook_name]
    envd = ansible_env(**(env or {}))
    if json_output:
        envd['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.posix.json'
    t0 = time.time()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                         env=envd, timeout=timeout, cwd=ROOT, check=False)
    took = time.time() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # user + system seconds of the ansible-playbook process tree (every process it waited for)
    res.cpu_seconds = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    data = None
    if json_output:
        try:
            data = json.loads(res.stdout[res.stdout.index('{'):])
        except ValueError:
            data = None
    return res, took, data


# Everything on a lab host that a rollout would change, part by part. Volatile
# things (counters, timestamps, running one-shot units) are left out.
FINGERPRINT_PARTS = {
    'etc': "find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum; "
           "find /etc -xdev -type l -printf '%p -> %l\\n' | sort",
    'packages': "dpkg-query -W -f '${Package} ${Version} ${Status}\\n'",
    'links': "ip -o link show | awk '{print $2, $3}' | sed 's/@[^:]*//'",
    'addresses': "ip -o addr show | awk '{print $2, $3, $4}'",
    'routes': 'ip route show; ip -6 route show',
    # transient units (ssh login sessions: session-N.scope) come and go with every connection
    'units': "systemctl list-unit-files --no-legend --no-pager | grep -v ' transient ' | sort",
    'services': 'for u in libvirtd libvirtd.socket libvirtd-tcp.socket cloudstack-agent openvswitch-switch '
                'chrony ssh; do printf "%s " $u; systemctl is-active $u; done',
    'ovs': 'ovs-vsctl show 2>/dev/null || echo no-ovs',
}


def fingerprint(lab, host):
    """part -> sha256 of that part of the host's state (via labctl ssh)."""
    script = '; '.join('printf "%s " {0}; ({1}) 2>&1 | sha256sum'.format(part, cmd)
                       for part, cmd in FINGERPRINT_PARTS.items())
    res = labctl('ssh', lab, host, '--', 'sh', '-c', repr_sh(script), timeout=120)
    out = {}
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in FINGERPRINT_PARTS:
            out[parts[0]] = parts[1]
    missing = set(FINGERPRINT_PARTS) - set(out)
    if missing:
        raise RuntimeError('fingerprint of %s misses %s: %s %s' % (host, missing, res.stdout, res.stderr))
    return out


def repr_sh(s):
    """Quote *s* as one word for the remote shell (ssh joins its arguments)."""
    return "'" + s.replace("'", "'\\''") + "'"


def recap(stdout):
    """host -> {ok, changed, unreachable, failed, ...} from a default-callback PLAY RECAP."""
    out = {}
    seen = False
    for line in stdout.splitlines():
        if line.startswith('PLAY RECAP'):
            seen = True
            continue
        if seen and ':' in line and '=' in line:
            host, _s, rest = line.partition(':')
            out[host.strip()] = {k: int(v) for k, v in (kv.split('=') for kv in rest.split())}
    return out


def plays_run(data):
    """Names of the plays that ran a task on some host, from the ansible.posix.json callback output
    (a play after an aborted one is listed with no host)."""
    return [p['play']['name'] for p in (data or {}).get('plays', [])
            if any(t.get('hosts') for t in p.get('tasks', []))]


def json_stats(data):
    """host -> stats from the ansible.posix.json callback output."""
    return (data or {}).get('stats', {})


def json_task_counts(data):
    """host -> (tasks, module calls): tasks with a result for the host; calls = results not skipped
    (each loop item is one call)."""
    counts = {}
    for play in (data or {}).get('plays', []):
        for task in play.get('tasks', []):
            for host, res in task.get('hosts', {}).items():
                t, c = counts.get(host, (0, 0))
                t += 1
                if isinstance(res.get('results'), list):
                    c += sum(1 for r in res['results'] if isinstance(r, dict) and not r.get('skipped'))
                elif not res.get('skipped'):
                    c += 1
                counts[host] = (t, c)
    return counts
