# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's main command, end to end, on the main lab.

`make lab-up` starts the lab (kvm1, kvm2, lxc1, lxc2); this test then runs what
an operator runs, ``ansible-playbook -i inventories/lab
cloudstack.hypervisors.site`` (the report goes to a temporary directory
instead of reports/), and asserts:

* the run succeeds and goes through every stage: preflight, the KVM and LXC
  rollouts, verification and the report;
* the readiness report is written as Markdown and JSON, one row per host,
  every host ready with every check passed; the JSON validates against the
  collection's schema (roles/readiness_report/files/readiness.schema.json) and
  carries the operator's record: run time, collection version, inventory, and
  per host zone/pod/cluster, FQDN, libvirt listen mode and transport, the agent
  keys checked (no secret value), chrony, the libvirtd port reached from the
  peer; the Markdown header names the run;
* a second run succeeds and reports 0 changed on every host;
* a third run whose canaries fail (an agent version that the repository does
  not have) stops after the first batch (kvm1 and lxc1, the canaries of the two
  clusters, side by side: issue 13), touches neither kvm2 nor lxc2, writes no
  report of its own, and leaves the previous report marked out of date, with the
  last complete report kept inside it: no "ready" report survives a run that
  stopped early;
* a fourth run where only the KVM cluster's canary fails (the bad version for
  kvm_hosts only, max_fail_percentage 50 so that one canary of two does not
  abort the play) stops that cluster only: kvm2 is left untouched and says why,
  the LXC cluster rolls out to the end, and the report says kvm2's rollout did
  not finish.

The runs use the collection as a user who installed it has it: the tarball
that ``ansible-galaxy collection build`` makes, installed with ``ansible-galaxy
collection install`` into an empty path, which is the only place
``cloudstack.hypervisors`` is found (not the checkout; issue 15).

It prints the two runs' recaps. Skips, saying why, when the main lab is not up
(the CI integration stage starts it).
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import jsonschema
import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

# the report's own rule for which agent.properties keys hold secrets
from ansible_collections.cloudstack.hypervisors.plugins.filter.readiness import is_secret_key  # noqa: E402

LAB = 'lab'
INVENTORY = os.path.join(cshvlab.ROOT, 'inventories', 'lab')
HOSTS = ('kvm1', 'kvm2', 'lxc1', 'lxc2')
ROLLOUT = 'Compute hosts | host preparation'  # the KVM/LXC rollout play, one entry per batch
STAGES = ('Preflight |', ROLLOUT, 'Verify |', 'Report |')
CHECKS = ('bridges', 'libvirt_peers', 'agent')
SCHEMA = os.path.join(cshvlab.ROOT, 'roles', 'readiness_report', 'files', 'readiness.schema.json')
AGENT_PROPERTIES = '/etc/cloudstack/agent/agent.properties'


@pytest.fixture(scope='module')
def lab():
    ok, why = cshvlab.lab_ready(LAB, HOSTS)
    if not ok:
        print('\nSKIP site test: %s' % why)
        pytest.skip(why)


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A collections path holding only the collection installed from its built tarball."""
    base = tmp_path_factory.mktemp('installed')
    galaxy = cshvlab.tool('ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'build', cshvlab.ROOT, '--output-path', str(base), '--force'],
                   check=True, capture_output=True, text=True, cwd=str(base))
    tarball = [str(base / n) for n in os.listdir(str(base)) if n.endswith('.tar.gz')]
    assert len(tarball) == 1, tarball
    path = str(base / 'collections')
    subprocess.run([galaxy, 'collection', 'install', '--no-deps', '-p', path, tarball[0]],
                   check=True, capture_output=True, text=True, cwd=str(base),
                   env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=path))
    copy = os.path.join(path, 'ansible_collections', 'cloudstack', 'hypervisors')
    assert os.path.isfile(os.path.join(copy, 'MANIFEST.json')) and not os.path.islink(copy), copy
    assert not os.path.exists(os.path.join(copy, 'tests')), 'the installed copy carries tests/'
    return path


def site(report_dir, collections, inventories=(), **extra):
    res, took, data = cshvlab.playbook('cloudstack.hypervisors.site', [INVENTORY] + list(inventories),
                                       extra_vars=dict(extra, cshv_report_dir=report_dir),
                                       env={'ANSIBLE_COLLECTIONS_PATH': collections},
                                       json_output=True, timeout=3600)
    assert data is not None, 'no JSON from ansible-playbook (rc %d): %s' % (res.returncode, res.stderr[-3000:])
    return res, took, data['stats'], cshvlab.plays_run(data), data


def changed_tasks(data, host):
    """The tasks (any play) that reported a change on *host*."""
    return [t['task']['name'] for p in data['plays'] for t in p['tasks']
            if t.get('hosts', {}).get(host, {}).get('changed')]


def rollout_tasks(data, host):
    """The rollout-play tasks that ran on *host* (not skipped), every batch."""
    return [t['task']['name'] for p in data['plays'] if p['play']['name'].startswith(ROLLOUT)
            for t in p['tasks'] if host in t.get('hosts', {}) and not t['hosts'][host].get('skipped')]


def load(reports, ext):
    with open(os.path.join(reports, 'readiness.' + ext)) as f:
        return json.load(f) if ext == 'json' else f.read()


def inventory_vars(*parts):
    with open(os.path.join(INVENTORY, 'group_vars', *parts)) as f:
        return yaml.safe_load(f) or {}


def secret_values(host):
    """The non-empty values of the secret-looking keys of the host's agent.properties."""
    res = subprocess.run(cshvlab.LABCTL + ['ssh', LAB, host, '--', 'cat', AGENT_PROPERTIES],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                         timeout=120, check=False)
    assert res.returncode == 0, '%s: cannot read %s: %s' % (host, AGENT_PROPERTIES, res.stderr)
    out = []
    for line in res.stdout.splitlines():
        key, sep, value = line.strip().partition('=')
        if sep and not key.startswith(('#', '!')) and is_secret_key(key.strip()) and value.strip():
            out.append(value.strip())
    return out


def assert_operator_record(report, markdown, started, ended):
    """Issue 15: the fields the readiness JSON carries for the operator, on the real lab report."""
    with open(SCHEMA) as f:
        jsonschema.validate(report, json.load(f), cls=jsonschema.Draft202012Validator)
    assert report['schema_version'] == 1, report['schema_version']
    generated = datetime.datetime.strptime(report['generated_at'], '%Y-%m-%dT%H:%M:%SZ').replace(
        tzinfo=datetime.timezone.utc)
    assert started.replace(microsecond=0) <= generated <= ended, (started, report['generated_at'], ended)
    with open(os.path.join(cshvlab.ROOT, 'galaxy.yml')) as f:
        galaxy = yaml.safe_load(f)
    assert report['collection'] == {'name': '%s.%s' % (galaxy['namespace'], galaxy['name']),
                                    'version': str(galaxy['version'])}, report['collection']
    assert [os.path.realpath(p) for p in report['inventory']] == [os.path.realpath(INVENTORY)], report['inventory']
    assert report['check_mode'] is False
    for line in ('- generated at: %s' % report['generated_at'],
                 '- collection: %s %s' % (report['collection']['name'], report['collection']['version'])):
        assert line in markdown.splitlines(), line

    zone_pod = inventory_vars('all', 'placement.yml')
    for row in report['hosts']:
        host = row['host']
        kind = 'kvm' if host.startswith('kvm') else 'lxc'
        assert row['hypervisor'] == kind, row
        cluster = inventory_vars('%s_hosts' % kind, 'placement.yml')['cshv_cluster']
        assert row['placement'] == {'zone': zone_pod['cshv_zone'], 'pod': zone_pod['cshv_pod'],
                                    'cluster': cluster}, row['placement']
        # host_prep's preflight only passes a host whose `hostname --fqdn` is a dotted name
        assert isinstance(row['fqdn'], str) and '.' in row['fqdn'].strip(), row['fqdn']
        lv = row['libvirt']
        assert lv['listen_mode'] in ('tcp', 'tls') and lv['listen_mode_source'] == 'rollout', lv
        assert lv['transport'] == lv['listen_mode'], lv
        assert lv['port'] == {'tcp': 16509, 'tls': 16514}[lv['transport']], lv
        assert lv['uri_scheme'] == '%s+%s' % ('qemu' if kind == 'kvm' else 'lxc', lv['transport']), lv
        keys = row['agent_keys']
        for key in ('host', 'resource', 'guid', 'hypervisor.type', 'private.network.device'):
            assert key in keys, (host, sorted(keys))
        assert keys['hypervisor.type'] == kind and keys['host'], keys
        assert row['chrony']['synchronised'] in (True, False, None), row['chrony']
        assert (row['chrony']['source'] is None) == (row['chrony']['synchronised'] is None), row['chrony']
        # cluster_verify_peers: cluster - each host is tried by the other host of its cluster
        peers = sorted(h for h in HOSTS if h != host and h[:3] == host[:3])
        assert sorted(p['from'] for p in row['firewall']) == peers, row['firewall']
        assert all(p['ok'] and p['port'] == lv['port'] for p in row['firewall']), row['firewall']
        assert row['problems'] == [], row['problems']
        for key, value in keys.items():
            if is_secret_key(key):
                assert value in ('********', None), (host, key)
    text = json.dumps(report) + markdown
    for host in HOSTS:
        for value in secret_values(host):
            assert value not in text, '%s: a secret value of agent.properties is in the report' % host


def recap(label, took, stats):
    print('\n%s: %.0f s' % (label, took))
    for host in sorted(stats):
        s = stats[host]
        print('  %-6s ok=%-4d changed=%-4d failed=%d unreachable=%d' % (
            host, s.get('ok', 0), s.get('changed', 0), s.get('failures', 0), s.get('unreachable', 0)))


def test_site_rolls_out_the_lab_reports_ready_and_reruns_with_no_change(lab, installed, tmp_path):
    reports = str(tmp_path / 'reports')
    # the collection the runs use is the installed copy, not the checkout
    found = subprocess.run([cshvlab.tool('ansible-galaxy'), 'collection', 'list', 'cloudstack.hypervisors'],
                           capture_output=True, text=True, check=True,
                           env=cshvlab.ansible_env(ANSIBLE_COLLECTIONS_PATH=installed)).stdout
    assert installed in found and cshvlab.ROOT + '/.collections' not in found, found

    started = datetime.datetime.now(datetime.timezone.utc)
    res, took, stats, plays, data = site(reports, installed)
    ended = datetime.datetime.now(datetime.timezone.utc)
    recap('first run', took, stats)
    assert res.returncode == 0, res.stderr[-3000:]
    for stage in STAGES:
        assert any(p.startswith(stage) for p in plays), 'no play of stage %r ran: %s' % (stage, plays)
    assert set(HOSTS) <= set(stats), stats

    report = load(reports, 'json')
    assert report['complete'] is True, report
    rows = {r['host']: r for r in report['hosts']}
    markdown = load(reports, 'md')
    print(markdown)
    assert sorted(rows) == sorted(HOSTS), rows
    for host, row in rows.items():
        assert row['ready'] == 'yes' and row['ok'], row
        assert row['rollout'] == 'ok', row
        for check in CHECKS:
            assert row['checks'][check]['ok'], '%s: %s is %r' % (host, check, row['checks'][check])
        # the peers were really asked, and the agent's keys really compared
        assert row['checks']['libvirt_peers']['detail'].startswith('ok ('), row['checks']
        assert row['checks']['agent']['detail'].startswith('ok ('), row['checks']
        assert '| %s |' % host in markdown, 'the Markdown report has no row for %s' % host
    assert_operator_record(report, markdown, started, ended)

    res, took, stats, plays, data = site(reports, installed)
    recap('second run', took, stats)
    assert res.returncode == 0, res.stderr[-3000:]
    changed = {h: s['changed'] for h, s in stats.items() if s.get('changed')}
    assert not changed, 'the second run changed something: %s' % changed

    good_json, good_md = load(reports, 'json'), load(reports, 'md')
    res, took, stats, plays, data = site(reports, installed, kvm_agent_version='0.0.0~cshv-no-such-version')
    recap('third run, failing canaries', took, stats)
    assert res.returncode != 0, 'the run with failing canaries succeeded'
    assert not any(p.startswith('Verify |') for p in plays), plays
    assert stats['kvm1'].get('failures') and stats['lxc1'].get('failures'), stats
    for host in ('kvm2', 'lxc2'):
        assert rollout_tasks(data, host) == [], '%s ran rollout tasks after its canary failed' % host
    stale = load(reports, 'json')
    assert stale['complete'] is False and stale['hosts'] == [], stale
    assert stale['previous'] == good_json, 'the last complete report was not kept'
    stale_md = load(reports, 'md')
    assert stale_md.startswith('# Readiness report: out of date\n'), stale_md[:300]
    assert all('| %s |' % h in stale_md for h in HOSTS), stale_md
    print('\n' + stale_md.split('\n\n')[1])
    assert good_md.strip().splitlines()[-1] in stale_md

    # Only the KVM cluster's canary fails: that cluster stops, the LXC cluster goes on.
    overlay = tmp_path / 'kvm-canary-fails.yml'
    overlay.write_text('all:\n  children:\n    kvm_hosts:\n      vars:\n'
                       '        kvm_agent_version: 0.0.0~cshv-no-such-version\n')
    res, took, stats, plays, data = site(reports, installed, inventories=[str(overlay)], cshv_max_fail_percentage=50)
    recap('fourth run, only the KVM canary fails', took, stats)
    assert res.returncode != 0, 'the run with a failing KVM canary succeeded'
    assert stats['kvm1'].get('failures') and not stats['lxc1'].get('failures'), stats
    kvm2 = rollout_tasks(data, 'kvm2')
    assert 'Say why this host is left untouched' in kvm2, kvm2
    assert set(kvm2) <= {'Say why this host is left untouched', 'End the rollout of this host'}, kvm2
    # (the report's closing "every host must be ready" may count as a failure of kvm2: it is not ready)
    assert not stats['kvm2'].get('changed'), stats
    # the one change allowed on the LXC hosts: the third run's failing canary lxc1 left the bad
    # version's apt pin behind, and this run (no version asked for the LXC hosts) removes it
    undo_pin = {'cloudstack.hypervisors.kvm : No version pin when none is requested'}
    for host in ('lxc1', 'lxc2'):
        assert 'Record that this host finished its rollout' in rollout_tasks(data, host), rollout_tasks(data, host)
        assert set(changed_tasks(data, host)) <= undo_pin, (host, changed_tasks(data, host))
    rows = {r['host']: r for r in load(reports, 'json')['hosts']}
    # (the lab run gave ready 'no: rollout not completed', rollout 'not completed')
    assert rows['kvm2']['ready'].startswith('no') and rows['kvm2']['rollout'] == 'not completed', rows['kvm2']
    assert all(rows[h]['ready'] == 'yes' for h in ('lxc1', 'lxc2')), {h: rows[h] for h in ('lxc1', 'lxc2')}
