# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 17, kinds 5, 6 and 9 on real lab hosts, one per firewall backend.

The lab's FIXTURE cloudstack-agent depends on what the real package depends on
(ufw among them). On four hosts (iptables, nftables, firewalld, auto) the kvm role
is rolled out (tests/integration/firewall/converge.yml), then verified, and:

* kind 9: the rollout removes no package on any backend: every package installed
  before is installed after, dpkg's log of the run has no removal, cloudstack-agent,
  ufw and sudo are installed, the agent runs; a second run changes nothing;
* kind 5: agent.properties deleted by hand comes back as the package ships it
  (resource=, port=, workers=, ...) with the role's keys on top, and the agent
  (which, like the real one, stops without resource/guid/host) runs again;
* kinds 5 and 6: a DROP for tcp/16509 put ahead of the role's ACCEPT (iptables on
  one host, nftables on another) is found by the report, which names those hosts,
  not their peers; the next run repairs it (the peers connect again) and the run
  after changes nothing.

Lab: ``c17fw`` (LAB_SUITE, trixie by default); C17_KEEP_LAB=1 leaves it up.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

SUITE = os.environ.get('LAB_SUITE', 'trixie')
LAB = os.environ.get('C17_FIREWALL_LAB', 'c17fw')
BACKENDS = {'fwipt': 'iptables', 'fwnft': 'nftables', 'fwfd': 'firewalld', 'fwauto': 'auto'}
PLAYBOOK = os.path.join(HERE, 'firewall', 'converge.yml')

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the lab needs root (systemd-nspawn, netns)')


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    up = cshvlab.labctl('up', '--reuse', '--name', LAB, '--suite', SUITE, '--hosts', ','.join(BACKENDS),
                        timeout=900)
    inventory = up.stdout.strip().splitlines()[-1]
    tmp = tmp_path_factory.mktemp('c17fw')
    extra = tmp / 'backends.yml'
    extra.write_text(yaml.safe_dump({'all': {'hosts': {h: {'kvm_firewall': b} for h, b in BACKENDS.items()}}}))
    try:
        yield {'inventories': [inventory, str(extra)], 'reports': str(tmp / 'reports')}
    finally:
        if not os.environ.get('C17_KEEP_LAB'):
            cshvlab.labctl('down', '--name', LAB, check=False)


def on(host, command):
    return cshvlab.labctl('ssh', LAB, host, '--', command, check=False, timeout=300)


def converge(lab, *extra):
    env = cshvlab.ansible_env(ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_CALLBACK_RESULT_FORMAT='json')
    argv = [cshvlab.tool('ansible-playbook')]
    for inv in lab['inventories']:
        argv += ['-i', inv]
    argv += [PLAYBOOK, '-e', 'firewall_test_report_dir=%s' % lab['reports']] + list(extra)
    res = subprocess.run(argv, cwd=cshvlab.ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
    try:
        data = json.loads(res.stdout[res.stdout.index('{'):])
    except ValueError:
        pytest.fail('no JSON from ansible-playbook (rc %d): %s %s' % (res.returncode, res.stdout[-2000:],
                                                                      res.stderr[-2000:]))
    failed = {}
    for play in data['plays']:
        for task in play['tasks']:
            for host, r in task['hosts'].items():
                if r.get('failed') or r.get('unreachable'):
                    failed.setdefault(host, []).append('%s: %s' % (task['task']['name'], str(r.get('msg'))[:600]))
    return res.returncode, data['stats'], failed


def report(lab):
    with open(os.path.join(lab['reports'], 'readiness.json')) as f:
        return {r['host']: r for r in json.load(f)['hosts']}


def installed(host):
    res = on(host, "dpkg-query -W -f '${db:Status-Status} ${Package}\\n'")
    assert res.returncode == 0, res.stderr
    return {line.split()[1] for line in res.stdout.splitlines() if line.startswith('installed ')}


def removals(host):
    res = on(host, "grep -hE ' (remove|purge) ' /var/log/dpkg.log || true")
    return res.stdout.strip().splitlines()


def test_every_backend_keeps_every_package_repairs_agent_properties_and_shadowed_ports(lab):
    before = {h: installed(h) for h in BACKENDS}
    removed_before = {h: removals(h) for h in BACKENDS}

    rc, stats, failed = converge(lab)
    print('\nfirst run: rc=%d %s' % (rc, {h: (s.get('changed'), s.get('failures')) for h, s in stats.items()}))
    after = {h: installed(h) for h in BACKENDS}
    lines = []
    for h, backend in BACKENDS.items():
        gone = sorted(before[h] - after[h])
        lines.append('%-7s %-9s +%d packages, removed: %s, dpkg.log removals: %d'
                     % (h, backend, len(after[h] - before[h]), gone or 'none',
                        len(removals(h)) - len(removed_before[h])))
    print('\n'.join(lines))
    for h in BACKENDS:
        assert not (before[h] - after[h]), '%s (%s): packages removed: %s' % (h, BACKENDS[h], before[h] - after[h])
        assert removals(h) == removed_before[h], '%s (%s): dpkg removed packages in the run: %s' % (
            h, BACKENDS[h], removals(h)[len(removed_before[h]):])
        assert {'cloudstack-agent', 'ufw', 'sudo'} <= after[h], (h, {'cloudstack-agent', 'ufw', 'sudo'} - after[h])
    assert rc == 0 and not failed, failed
    for h in BACKENDS:
        assert on(h, 'systemctl is-active cloudstack-agent').stdout.strip() == 'active', h
    rows = report(lab)
    for h in BACKENDS:
        assert rows[h]['checks']['libvirt_peers']['ok'] and rows[h]['checks']['agent']['ok'], rows[h]

    rc, stats, failed = converge(lab)
    assert rc == 0 and not failed, failed
    changed = {h: s['changed'] for h, s in stats.items() if s.get('changed')}
    assert not changed, 'the second run changed something: %s' % changed
    assert {h: installed(h) for h in BACKENDS} == after

    # kind 5: agent.properties deleted by hand
    assert on('fwnft', 'rm /etc/cloudstack/agent/agent.properties && systemctl restart cloudstack-agent; '
                       'sleep 1; systemctl is-active cloudstack-agent').stdout.strip() != 'active'
    # kinds 5 and 6: a DROP for libvirt's port ahead of the role's ACCEPT
    assert on('fwipt', 'iptables -w -I INPUT 1 -p tcp --dport 16509 -j DROP').returncode == 0
    assert on('fwnft', 'nft insert rule inet filter input tcp dport 16509 drop').returncode == 0
    rc, stats, failed = converge(lab, '--tags', 'verify')
    rows = report(lab)
    print('\nreport with the drops in place:')
    for h in BACKENDS:
        print('  %-7s %s' % (h, rows[h]['ready']))
    for h in ('fwipt', 'fwnft'):
        assert not rows[h]['checks']['libvirt_peers']['ok'], rows[h]
        assert 'not reachable from' in rows[h]['checks']['libvirt_peers']['detail'], rows[h]
    for h in ('fwfd', 'fwauto'):
        assert rows[h]['checks']['libvirt_peers']['ok'], rows[h]
    assert not rows['fwnft']['checks']['agent']['ok'], rows['fwnft']

    rc, stats, failed = converge(lab)
    assert rc == 0 and not failed, failed
    props = on('fwnft', 'cat /etc/cloudstack/agent/agent.properties').stdout
    for line in ('resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource', 'port=8250', 'workers=5',
                 'domr.scripts.dir=scripts/network/domr/kvm', 'hypervisor.type=kvm'):
        assert line in props.splitlines(), 'agent.properties restored without %r:\n%s' % (line, props)
    assert on('fwnft', 'systemctl is-active cloudstack-agent').stdout.strip() == 'active'
    rows = report(lab)
    for h in BACKENDS:
        assert rows[h]['checks']['libvirt_peers']['ok'] and rows[h]['checks']['agent']['ok'], rows[h]

    rc, stats, failed = converge(lab)
    assert rc == 0 and not failed, failed
    changed = {h: s['changed'] for h, s in stats.items() if s.get('changed')}
    assert not changed, 'the run after the repair changed something: %s' % changed
