# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped example inventories roll out on lab hosts (issue 17, kind 1).

``inventories/example-basic`` (3 KVM hosts, Linux bridges) and the KVM cluster
of ``inventories/example-advanced`` (3 KVM hosts, Open vSwitch) each run
``cloudstack.hypervisors.site`` on a lab of their own, with the example's own
``group_vars`` and an overlay of host variables that changes only:

* connection settings (the lab's addresses, ssh key and ProxyCommand), and the
  management addresses/gateway, which must be the lab's addresses;
* what the lab cannot have, each listed in ``SUBSTITUTIONS`` below (802.1Q
  sub-interfaces, NIC names, internet access, a CA, the OVS kernel datapath).

Then asserts the bridges exist as the example describes them (after the
substitutions), every host is reported ready, and a second run reports 0
changed. The XenServer pool of example-advanced is only validated by the
preflight (``--limit`` keeps every play off it; its hosts get a ProxyCommand
that cannot connect anywhere).

Lab names come from CSHV_EXAMPLE_LABS (default "exb,exa"; an empty name
leaves that example out, e.g. "exb,"). Both examples run at once, each on its
own lab; labs are taken down afterwards unless CSHV_KEEP_LAB is set.
"""
from __future__ import annotations

import concurrent.futures
import copy
import json
import os
import shutil
import sys
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

INVENTORIES = os.path.join(cshvlab.ROOT, 'inventories')
LABS = dict(zip(('basic', 'advanced'), (os.environ.get('CSHV_EXAMPLE_LABS', 'exb,exa').split(',') + ['', ''])[:2]))
SUITE = os.environ.get('LAB_SUITE', 'bookworm')

EXAMPLES = {
    'basic': {'dir': 'example-basic', 'hosts': ['kvm1', 'kvm2', 'kvm3'], 'limit': 'kvm_hosts'},
    'advanced': {'dir': 'example-advanced', 'hosts': ['kvm11', 'kvm12', 'kvm13'], 'limit': 'kvm_hosts'},
}

# Every change the overlay makes besides connection settings, and why.
SUBSTITUTIONS = {
    'basic': [
        ('cshv_bridges cloudbr0 ports', '[eth0] -> [host0]', "the lab's management NIC is named host0 (nspawn)"),
        ('cshv_bridges cloudbr1 ports/vlan', '[eth0] VLAN 200 -> [eth1] untagged',
         'the lab kernel has no 802.1Q; eth1 is the lab\'s second L2 segment'),
    ],
    'advanced': [
        ('cshv_bridges cloudbr ports', '[eth0] -> [eth1]', 'eth0 does not exist; eth1 is the lab\'s second segment'),
        ('cshv_bridges mgmt0', 'fake bridge on VLAN 100 of cloudbr -> OVS bridge on host0, untagged',
         'the lab\'s management segment (host0) reaches the controller untagged: no 802.1Q there'),
        ('kvm_libvirt_listen_mode / cluster_verify_libvirt_transport', 'tls -> tcp',
         'the lab has no CA or management server to issue libvirt certificates'),
        ('vault_xenserver_pool_password', 'a test value', 'the lab has no vault; the Xen pool is only validated'),
        ('kvm_ovs_datapath_type', 'system -> netdev', 'the lab kernel has no Open vSwitch module'),
    ],
}
# What every lab host needs whatever the example (the lab inventory sets the same).
LAB_ONLY = [
    ('kvm_repo_url / kvm_repo_key_url', "the lab's signed fixture repository", 'no route to download.cloudstack.org'),
    ('host_prep_ntp_servers / host_prep_ntp_pools', 'the lab gateway / none', 'no route to pool.ntp.org'),
    ('host_prep_require_vt', 'false', "the lab CPU hides vmx/svm (/dev/kvm is there; the preflight's check stays on)"),
]


def overlay(example, lab, state):
    """Host variables for every example host (connection + substitutions) and the limit."""
    ex = EXAMPLES[example]
    run = os.path.join(cshvlab.RUN, lab)
    gw = state[ex['hosts'][0]]['address'].rsplit('.', 1)[0] + '.1'
    common = {
        'ansible_user': 'root',
        'ansible_ssh_private_key_file': os.path.join(run, 'id_ed25519'),
        'ansible_ssh_common_args': (
            "-o ProxyCommand='nsenter --net=/run/netns/cshv-%s socat STDIO TCP:%%h:%%p,connect-timeout=5' "
            '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null '
            '-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=%s/cp/%%C' % (lab, run)),
        'cshv_management_gateway': gw,
        'kvm_repo_url': 'http://%s:8080' % gw,
        'kvm_repo_key_url': 'http://%s:8080/cshv-lab-fixture.gpg' % gw,
        'host_prep_ntp_servers': [gw],
        'host_prep_ntp_pools': [],
        'host_prep_require_vt': False,
    }
    with open(os.path.join(INVENTORIES, ex['dir'], 'group_vars', 'kvm_hosts', 'network.yml')) as f:
        bridges = copy.deepcopy(yaml.safe_load(f)['cshv_bridges'])
    if example == 'basic':
        assert [b['name'] for b in bridges] == ['cloudbr0', 'cloudbr1'] and bridges[1]['vlan'] == 200
        bridges[0]['ports'] = ['host0']
        bridges[1]['ports'] = ['eth1']
        del bridges[1]['vlan']
        common['cshv_bridges'] = bridges
    else:
        assert [b['name'] for b in bridges] == ['cloudbr', 'mgmt0', 'cloudbr0', 'cloudbr1']
        bridges[0]['ports'] = ['eth1']
        bridges[1] = {'name': 'mgmt0', 'ports': ['host0']}
        common['cshv_bridges'] = bridges
        common.update(kvm_libvirt_listen_mode='tcp', cluster_verify_libvirt_transport='tcp',
                      kvm_ovs_datapath_type='netdev')
    hosts = {}
    for h in ex['hosts']:
        addr = state[h]['address']
        hosts[h] = dict(common, ansible_host=addr, cshv_management_address=addr + '/24')
    if example == 'advanced':
        # never contacted (--limit), and unable to connect if something tried
        for h in ('xen21', 'xen22'):
            hosts[h] = {'ansible_ssh_common_args': '-o ProxyCommand=/bin/false',
                        'vault_xenserver_pool_password': 'lab-test-only-not-a-secret'}
    return {'all': {'hosts': hosts}}


def host_links(lab, host):
    res = cshvlab.labctl('ssh', lab, host, '--', 'ip', '-details', '-json', 'link', 'show', check=False, timeout=120)
    return {link['ifname']: link for link in json.loads(res.stdout or '[]')}


def ovs_bridges(lab, host):
    res = cshvlab.labctl('ssh', lab, host, '--', 'ovs-vsctl', 'list-br', check=False, timeout=120)
    return res.stdout.split()


def prepare(name, tmp):
    """Start the example's lab and write its inventory copy and overlay; returns the run settings."""
    ex = EXAMPLES[name]
    lab = LABS[name]
    cshvlab.lab_up(lab, ex['hosts'], SUITE)
    state = cshvlab.lab_state(lab)
    inv = os.path.join(tmp, ex['dir'])
    shutil.copytree(os.path.join(INVENTORIES, ex['dir']), inv)
    with open(os.path.join(tmp, 'overlay.yml'), 'w') as f:
        yaml.safe_dump(overlay(name, lab, state), f, default_flow_style=False)
    return {'name': name, 'lab': lab, 'hosts': ex['hosts'], 'limit': ex['limit'],
            'inventories': [inv, os.path.join(tmp, 'overlay.yml')], 'reports': os.path.join(tmp, 'reports')}


def site(ex):
    res, took, data = cshvlab.playbook('cloudstack.hypervisors.site', ex['inventories'],
                                       extra_vars={'cshv_report_dir': ex['reports']},
                                       args=['--limit', ex['limit']], json_output=True, timeout=3600)
    assert data is not None, 'no JSON from ansible-playbook (rc %d): %s' % (res.returncode, res.stderr[-3000:])
    return res, took, data


def roll_out(name, tmp):
    """Both runs of one example on its own lab; returns the lines to print. Raises on a failure."""
    out = ['%s example on lab %s; substitutions besides connection settings:' % (name, LABS[name])]
    for what, change, why in SUBSTITUTIONS[name] + LAB_ONLY:
        out.append('  %-55s %-45s (%s)' % (what, change, why))
    example = prepare(name, tmp)
    try:
        res, took, data = site(example)
        stats = data['stats']
        out.append('%s first run: %.0f s, changed %s' % (
            name, took, {h: s.get('changed', 0) for h, s in sorted(stats.items())}))
        failed = [(t['task']['name'], h, r.get('msg')) for p in data['plays'] for t in p['tasks']
                  for h, r in t['hosts'].items() if r.get('failed')]
        assert res.returncode == 0, '%s: site failed: %s\n%s' % (name, failed[:5], res.stdout[-2000:] if not failed else '')
        assert sorted(stats) == sorted(example['hosts']), 'hosts outside the KVM cluster were touched: %s' % sorted(stats)

        # the bridges of the (substituted) example exist on every host
        for h in example['hosts']:
            if name == 'basic':
                links = host_links(example['lab'], h)
                for br, port in (('cloudbr0', 'host0'), ('cloudbr1', 'eth1')):
                    assert links.get(br, {}).get('linkinfo', {}).get('info_kind') == 'bridge', (h, br, sorted(links))
                    assert links[port].get('master') == br, (h, port, links[port].get('master'))
            else:
                assert set(ovs_bridges(example['lab'], h)) >= {'cloudbr', 'mgmt0', 'cloudbr0', 'cloudbr1'}, h

        with open(os.path.join(example['reports'], 'readiness.json')) as f:
            report = json.load(f)
        rows = {r['host']: r for r in report['hosts']}
        assert report['complete'] is True and sorted(rows) == sorted(example['hosts']), report
        for row in rows.values():
            assert row['ready'] == 'yes' and row['ok'], row

        res, took, data = site(example)
        changed = {h: s.get('changed', 0) for h, s in data['stats'].items() if s.get('changed')}
        out.append('%s second run: %.0f s, changed %s' % (name, took, changed or 'none'))
        assert res.returncode == 0, res.stdout[-2000:]
        assert not changed, '%s: the second run changed something: %s' % (name, changed)
    finally:
        if not os.environ.get('CSHV_KEEP_LAB'):
            cshvlab.lab_down(example['lab'])
    return out


def test_example_inventories_roll_out_on_lab_hosts(tmp_path):
    if os.geteuid() != 0:
        pytest.skip('the lab needs root')
    names = [n for n in EXAMPLES if LABS.get(n)]
    assert names, 'CSHV_EXAMPLE_LABS names no lab'
    # one lab per example, both at once: the wall time of the slower one
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = {n: pool.submit(roll_out, n, str(tmp_path / n)) for n in names}
    errors = []
    for n, fut in futures.items():
        try:
            print('\n' + '\n'.join(fut.result()))
        except Exception as e:  # pylint: disable=broad-except
            errors.append('%s: %s' % (n, e))
    print('\nexample inventories: %.0f s wall time' % (time.time() - t0))
    assert not errors, '\n\n'.join(errors)
