# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the XenServer tests: a XAPI double per test, an inventory that maps every
host to its endpoint, and ansible-playbook runs whose per-task results are read from the
ansible.posix.json callback.

The inventory is written in the collection's documented model (cshv_* variables and the
role's xenserver_pool_* ones), the same shape as inventories/example-advanced.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import yaml

from tests.xapi_double import XapiDouble

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
API_PASSWORD = 'Xs-api-pw-5b1e'      # grepped for in -vvv output: must never appear
NICS = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5', 'eth6']
PROFILES = ['xcp-ng-8.2', 'xcp-ng-8.3-ga', 'xcp-ng-8.3-current', 'xenserver-8.4']

LABELS = {'management': 'cloud-private', 'public': 'cloud-public', 'guest': 'cloud-guest', 'storage': 'cloud-storage'}
GROUP_VARS = {
    'cshv_zone': 'zone1',
    'cshv_pod': 'pod2',
    'cshv_cluster': 'xen-pool1',
    'cshv_management_gateway': '192.168.43.1',
    'cshv_traffic_labels': LABELS,
    'xenserver_pool_password': API_PASSWORD,
    'xenserver_pool_bonds': [
        {'name_label': 'cloud-private', 'members': ['eth0', 'eth1'], 'mode': 'active-backup'},
        {'name_label': 'cloud-public', 'members': ['eth2', 'eth3', 'eth6'], 'mode': 'balance-slb'},
    ],
    'xenserver_pool_networks': [
        {'device': 'eth4', 'name_label': 'cloud-guest'},
        {'device': 'eth5', 'name_label': 'cloud-storage'},
    ],
    'xenserver_pool_ntp_servers': ['0.pool.ntp.org', '1.pool.ntp.org'],
    'xenserver_pool_dom0_min_memory_mb': 2048,
    'xenserver_pool_multipathing': True,
    'xenserver_pool_cloudstack_version': '4.20.1',
}


def hosts_spec(n=3, overrides=None):
    overrides = overrides or {}
    out = []
    for i in range(1, n + 1):
        name = 'xs%d' % i
        spec = {'name': name, 'address': '192.168.43.%d' % (20 + i), 'nics': list(NICS)}
        spec.update(overrides.get(name, {}))
        out.append(spec)
    return out


# Every (xapi version, host, method, n_args) the doubles of this test session answered - for the
# contract test (tests/xenserver/test_zz_contract.py).
CALLS = []


def start_double(profile, n=3, overrides=None, extra_hosts=()):
    d = XapiDouble(profile=profile, hosts=hosts_spec(n, overrides) + list(extra_hosts), username='root',
                   password=API_PASSWORD)
    d.start()
    return d


def calls_of(d):
    """(xapi version of the host, host, method, number of XML-RPC args) of every call *d* answered."""
    return [(d.xapi_version(d.world.hosts[h]), h, m, n) for h, m, n in list(d.calls)]


def stop_double(d):
    CALLS.extend(calls_of(d))
    d.stop()


def session(d, name):
    """A XenAPI session (the real client) on host *name* of double *d* - for hand changes."""
    import XenAPI
    s = XenAPI.Session(d.endpoints[name])
    s.xenapi.login_with_password('root', API_PASSWORD, '1.0', 'drift-test')
    return s


def read_json(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def write_inventory(path, double, hosts, group_vars=None, host_vars=None, report_dir=None):
    """An inventory in the collection's model: xenserver_hosts, each host -> its endpoint."""
    gv = copy.deepcopy(GROUP_VARS)
    gv.update(group_vars or {})
    if report_dir:
        gv['cshv_report_dir'] = report_dir
    hv = {}
    for spec in hosts:
        name = spec['name']
        last = spec['address'].rsplit('.', 1)[1]
        v = {
            'cshv_management_address': '%s/24' % spec['address'],
            'xenserver_pool_api_url': double.endpoints[name] if name in double.endpoints else 'http://127.0.0.1:9',
            'xenserver_pool_storage_interfaces': [{'device': 'eth5', 'ip': '172.16.0.%s/24' % last}],
            'xenserver_pool_iscsi_iqn': 'iqn.2026-11.org.example:%s' % name,
        }
        v.update((host_vars or {}).get(name, {}))
        hv[name] = v
    inv = {'all': {'children': {'xenserver_hosts': {'vars': gv, 'hosts': hv}}}}
    with open(path, 'w', encoding='utf-8') as f:
        yaml.safe_dump(inv, f, sort_keys=False)
    return path


def env():
    e = dict(os.environ)
    e.update({
        'PATH': VENV_BIN + os.pathsep + e.get('PATH', ''),
        'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, '.collections'),
        'ANSIBLE_CONFIG': os.path.join(ROOT, 'ansible.cfg'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_DEPRECATION_WARNINGS': 'false',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
    })
    return e


class Run(object):
    def __init__(self, proc, data):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = data

    def tasks(self):
        """[(play, task name, host, result)] for every task result."""
        out = []
        for play in (self.data or {}).get('plays', []):
            for task in play.get('tasks', []):
                for host, res in task.get('hosts', {}).items():
                    out.append((play['play']['name'], task['task']['name'], host, res))
        return out

    def changed(self):
        """{(task, host, item)} of every result that changed; item is None outside loops."""
        out = set()
        for _p, t, h, r in self.tasks():
            if r.get('results'):
                for i in r['results']:
                    if i.get('changed'):
                        out.add((t, h, json.dumps(i.get('item'), sort_keys=True)))
            elif r.get('changed'):
                out.add((t, h, None))
        return out

    def results(self, task_part, host=None):
        """Results (loop items flattened) of the tasks whose name contains task_part."""
        out = []
        for _p, t, h, r in self.tasks():
            if task_part in t and (host is None or h == host):
                out.extend(r['results'] if r.get('results') else [r])
        return out

    def commands(self):
        """Every XenAPI call a module listed, in run order."""
        out = []
        for _p, _t, _h, r in self.tasks():
            for i in (r['results'] if r.get('results') else [r]):
                out.extend(i.get('commands') or [])
        return out

    def failed(self):
        return [(t, h, r.get('msg')) for _p, t, h, r in self.tasks() if r.get('failed')]

    def stats(self):
        return (self.data or {}).get('stats', {})

    def total_changed(self):
        return sum(s.get('changed', 0) for s in self.stats().values())

    def all_messages(self):
        """Every failure message, as one text."""
        return '\n'.join(str(m) for _t, _h, m in self.failed())


def playbook(inventory, name='xenserver.yml', check=False, diff=False, extra_args=(), json_output=True, verbosity=0):
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', inventory, os.path.join(ROOT, 'playbooks', name)]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if verbosity:
        cmd.append('-' + 'v' * verbosity)
    cmd.extend(extra_args)
    e = env()
    if json_output:
        e['ANSIBLE_STDOUT_CALLBACK'] = 'ansible.posix.json'
    proc = subprocess.run(cmd, cwd=ROOT, env=e, capture_output=True, text=True, timeout=900, check=False)
    data = None
    if json_output:
        # The callback prints one JSON document at the end; at -vvv debug lines come first.
        start = proc.stdout.find('{\n') if proc.stdout.startswith('{') else proc.stdout.rfind('\n{\n') + 1
        try:
            data = json.loads(proc.stdout[start:])
        except ValueError:
            data = None
    return Run(proc, data)
