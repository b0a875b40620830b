# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the vSphere suites: an inventory in the collection's model for a
simulator, ansible-playbook as a subprocess (json callback), and pyVmomi reads
and hand changes ("drift") against the simulator.

Nothing here talks to anything but the simulator on 127.0.0.1.
"""
from __future__ import annotations

import copy
import json
import os
import ssl
import subprocess
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, '.venv', 'bin')

VCENTER_PASSWORD = 'Vc-Pass-7f3e91'      # the simulator's password is set to this
ESXI_PASSWORD = 'Esx-Pass-c02d5a'        # what AddHost gets; must never show up in output
THUMBPRINT = ':'.join(['5A'] * 20)
DATACENTER = 'cs-dc1'
CLUSTER = 'cs-cluster1'
NTP = ['ntp1.lab.example', 'ntp2.lab.example']
ADVANCED = {'UserVars.SuppressShellWarning': 1, 'Config.HostAgent.log.level': 'info'}
# the storage network's iSCSI portal (software iSCSI, one send target on every host)
ISCSI_TARGETS = [{'address': '10.40.0.5', 'port': 3260}]


def host_names(n=3):
    return ['esxi%d.lab.example' % i for i in range(1, n + 1)]


def model(sim, n=3):
    """(hosts, group_vars) of a zone with one vSphere cluster of *n* hosts."""
    hosts = {}
    for i, h in enumerate(host_names(n), 1):
        hosts[h] = {
            'cshv_management_address': '192.168.60.%d/24' % (10 + i),
            'cshv_esxi_ssl_thumbprint': THUMBPRINT,
            'cshv_vsphere_vmkernel_addresses': {'vMotion': '10.30.0.%d/24' % (10 + i),
                                                'Storage': '10.40.0.%d/24' % (10 + i)},
        }
    group_vars = {
        'cshv_zone': 'zone1', 'cshv_pod': 'pod1', 'cshv_cluster': CLUSTER,
        'cshv_vsphere_datacenter': DATACENTER,
        'cshv_management_gateway': '192.168.60.1',
        'cshv_vcenter_hostname': sim['host'], 'cshv_vcenter_username': sim['user'],
        'cshv_vcenter_password': sim['password'],
        'cshv_esxi_username': 'root', 'cshv_esxi_password': ESXI_PASSWORD,
        'cshv_cloudstack_version': '4.20',
        'cshv_vsphere_vswitches': [{'name': 'vSwitch0', 'nics': ['vmnic0'], 'mtu': 1500, 'ports': 4088},
                                   {'name': 'vSwitch1', 'nics': ['vmnic1'], 'mtu': 9000, 'ports': 4088}],
        'cshv_vsphere_portgroups': [{'name': 'vMotion', 'vswitch': 'vSwitch1', 'vlan': 300, 'service': 'vmotion'},
                                    {'name': 'Storage', 'vswitch': 'vSwitch1', 'vlan': 400, 'service': 'storage'}],
        'cshv_vsphere_management_portgroup': 'Management Network',
        'cshv_vsphere_management_vlan': 0,
        'cshv_traffic_labels': {'management': 'vSwitch0,,vmwaresvs', 'storage': 'vSwitch1,,vmwaresvs',
                                'public': 'vSwitch0,200,vmwaresvs', 'guest': 'vSwitch0,,vmwaresvs'},
        # role variables the model has no name for
        'vsphere_vcenter_port': int(sim['port']),
        'vsphere_vcenter_validate_certs': False,
        'vsphere_ntp_servers': list(NTP),
        'vsphere_advanced_options': dict(ADVANCED),
        'vsphere_iscsi_enabled': True,
        'vsphere_iscsi_send_targets': [dict(t) for t in ISCSI_TARGETS],
    }
    return hosts, group_vars


def write_inventory(path, hosts, group_vars, extra_hosts_yaml=None):
    """An inventory directory: hosts.yml with vsphere_hosts (+ zone/pod/cluster groups), group_vars/vsphere_hosts.yml."""
    os.makedirs(os.path.join(path, 'group_vars'), exist_ok=True)
    inv = {'all': {'children': {'kvm_hosts': {}, 'lxc_hosts': {}, 'xenserver_hosts': {},
                                'vsphere_hosts': {'hosts': copy.deepcopy(hosts)}}}}
    with open(os.path.join(path, 'hosts.yml'), 'w') as f:
        yaml.safe_dump(inv, f, sort_keys=False)
    with open(os.path.join(path, 'group_vars', 'vsphere_hosts.yml'), 'w') as f:
        yaml.safe_dump(group_vars, f, sort_keys=False)
    return path


def env(tmpdir):
    e = dict(os.environ)
    e.update({
        'PATH': VENV_BIN + os.pathsep + e.get('PATH', ''),
        'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, '.collections'),
        'ANSIBLE_CONFIG': os.path.join(ROOT, 'ansible.cfg'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(tmpdir, 'ansible-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
    })
    return e


class Run(object):
    def __init__(self, proc, data, elapsed):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = data
        self.elapsed = elapsed

    @property
    def stats(self):
        return (self.data or {}).get('stats', {})

    def changed(self):
        return sum(s.get('changed', 0) for s in self.stats.values())

    def failed(self):
        return sum(s.get('failures', 0) + s.get('unreachable', 0) for s in self.stats.values())

    def results(self):
        """(play, task, host, result) for every task result."""
        for play in (self.data or {}).get('plays', []):
            for task in play.get('tasks', []):
                for host, res in task.get('hosts', {}).items():
                    yield play['play']['name'], task['task']['name'], host, res

    def changed_tasks(self):
        """Set of (task name, host[, loop item label]) that reported a change."""
        out = set()
        for _play, task, host, res in self.results():
            if res.get('results'):
                for item in res['results']:
                    if item.get('changed'):
                        out.add((task, host, str(item.get('_ansible_item_label', item.get('item')))))
            elif res.get('changed'):
                out.add((task, host))
        return out

    def messages(self):
        return '\n'.join(str(res.get('msg', '')) for _p, _t, _h, res in self.results() if res.get('failed'))

    def text(self):
        return self.stdout + '\n' + self.stderr


def playbook(inventory, tmpdir, name='cloudstack.hypervisors.vsphere', check=False, extra=(), callback='json'):
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', inventory, name,
           '-e', 'cshv_report_dir=%s' % os.path.join(tmpdir, 'reports')]
    if check:
        cmd.append('--check')
    cmd += list(extra)
    e = env(tmpdir)
    if callback:
        e['ANSIBLE_STDOUT_CALLBACK'] = callback
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=e, capture_output=True, text=True, timeout=900, check=False)
    data = None
    if callback == 'json':
        try:
            data = json.loads(proc.stdout[proc.stdout.index('{'):])
        except ValueError:
            data = None
    return Run(proc, data, time.monotonic() - start)


# ---------------------------------------------------------------- pyVmomi

def connect(sim):
    from pyVim.connect import SmartConnect
    ctx = ssl._create_unverified_context()
    return SmartConnect(host=sim['host'], port=int(sim['port']), user=sim['user'], pwd=sim['password'], sslContext=ctx)


def find(si, vimtype, name):
    from pyVmomi import vim
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vimtype], True)
    try:
        for obj in view.view:
            if obj.name == name:
                return obj
    finally:
        view.Destroy()
    return None


def datacenters(si):
    from pyVmomi import vim
    return [e.name for e in si.content.rootFolder.childEntity if isinstance(e, vim.Datacenter)]


def wait(task):
    from pyVmomi import vim
    for _i in range(600):
        if task.info.state in (vim.TaskInfo.State.success, vim.TaskInfo.State.error):
            break
        time.sleep(0.05)
    if task.info.state != vim.TaskInfo.State.success:
        raise RuntimeError('task failed: %s' % task.info.error)
    return task.info.result
