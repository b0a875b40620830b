# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 10 acceptance on the XAPI double: a 3-host pool per version profile.

For each profile (XCP-ng 8.2, 8.3 at release, 8.3 current, XenServer 8.4), on a fresh
double: ``--check --diff`` first, then the real run, then a second run. The four pools run
side by side in threads (each run is an ansible-playbook subprocess); the tests then read
the results. The 8.3-current pool is kept for the drift test (test_drift.py reuses it
through the ``pools`` fixture).
"""
from __future__ import annotations

import os
import tempfile
import threading

import pytest

from tests.xenserver import xenlab

ROLLOUT = 'cloudstack.hypervisors.xenserver_pool : '


def converge(profile, out):
    d = xenlab.start_double(profile)
    tmp = tempfile.mkdtemp(prefix='xen-%s-' % profile)
    inv = xenlab.write_inventory(os.path.join(tmp, 'hosts.yml'), d, xenlab.hosts_spec(), report_dir=tmp)
    res = {'double': d, 'inventory': inv, 'dir': tmp, 'fresh': d.fingerprint()}
    try:
        res['check'] = xenlab.playbook(inv, check=True, diff=True)
        res['after_check'] = d.fingerprint()
        res['first'] = xenlab.playbook(inv)
        res['second'] = xenlab.playbook(inv)
        res['state'] = d.state()
        res['report'] = xenlab.read_json(os.path.join(tmp, 'readiness.json'))
    except Exception as e:  # pragma: no cover - shown by the tests
        res['error'] = repr(e)
    out[profile] = res


@pytest.fixture(scope='session')
def pools():
    out = {}
    threads = [threading.Thread(target=converge, args=(p, out)) for p in xenlab.PROFILES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    yield out
    for res in out.values():
        xenlab.stop_double(res['double'])


def _pool(pools, profile):
    res = pools[profile]
    assert 'error' not in res, res.get('error')
    return res


@pytest.mark.parametrize('profile', xenlab.PROFILES)
def test_first_run_builds_the_pool(pools, profile):
    res = _pool(pools, profile)
    first = res['first']
    assert first.rc == 0, first.failed() or first.stderr[-3000:]
    cmds = first.commands()
    # Bonds created on the master, before any join.
    creates = [c for c in cmds if c.startswith('Bond.create(')]
    assert creates == ['Bond.create(cloud-private on xs1: eth0, eth1, mode active-backup)',
                       'Bond.create(cloud-public on xs1: eth2, eth3, eth6, mode balance-slb)'], cmds
    joins = [c for c in cmds if c.startswith('pool.join(')]
    assert [j.rsplit(' on ', 1)[1] for j in joins] == ['xs2', 'xs3'], joins
    assert cmds.index(creates[-1]) < cmds.index(joins[0])
    assert 'network.set_name_label(xenbr4, cloud-guest)' in cmds
    assert 'network.set_name_label(xenbr5, cloud-storage)' in cmds
    # One at a time: the join task ran its items in order, each waited for the host to be enabled.
    items = first.results('Join the other hosts', 'xs1')
    assert [i['item'] for i in items] == ['xs2', 'xs3'] and all(i['joined'] for i in items)
    # The resulting pool, read from the double: one pool, three hosts, bonds copied by xapi.
    st = xenlab.session(res['double'], 'xs1')
    try:
        x = st.xenapi
        hosts = x.host.get_all_records()
        assert sorted(h['name_label'] for h in hosts.values()) == ['xs1', 'xs2', 'xs3']
        nets = dict((r['name_label'], r) for r in x.network.get_all_records().values())
        pifs = x.PIF.get_all_records()
        for label in ('cloud-private', 'cloud-public', 'cloud-guest', 'cloud-storage'):
            on = sorted(hosts[pifs[p]['host']]['name_label'] for p in nets[label]['PIFs'])
            assert on == ['xs1', 'xs2', 'xs3'], (label, on)
        bonds = x.Bond.get_all_records()
        assert len(bonds) == 6
        storage = dict((hosts[r['host']]['name_label'], r) for r in pifs.values()
                       if r['device'] == 'eth5' and r['VLAN'] == '-1')
        for i, name in enumerate(['xs1', 'xs2', 'xs3'], 21):
            assert storage[name]['IP'] == '172.16.0.%d' % i and storage[name]['ip_configuration_mode'] == 'Static'
            assert storage[name]['disallow_unplug'] is True
            assert storage[name]['other_config']['management_purpose'] == 'Storage'
    finally:
        st.xenapi.session.logout()


@pytest.mark.parametrize('profile', xenlab.PROFILES)
def test_pool_check_and_report_show_every_host_ready(pools, profile):
    res = _pool(pools, profile)
    check = res['first'].results('Pool check', 'xs1')[0]
    assert check['ready'] is True and check['problems'] == [], check
    assert check['master_address'] == '192.168.43.21'
    rows = dict((r['host'], r) for r in res['report']['hosts'])
    assert sorted(rows) == ['xs1', 'xs2', 'xs3']
    assert all(r['ok'] and r['ready'] == 'yes' for r in rows.values()), rows
    assert res['report']['complete'] is True


@pytest.mark.parametrize('profile', xenlab.PROFILES)
def test_second_run_changes_nothing(pools, profile):
    second = _pool(pools, profile)['second']
    assert second.rc == 0, second.failed()
    assert second.changed() == set() and second.total_changed() == 0, sorted(second.changed())


@pytest.mark.parametrize('profile', xenlab.PROFILES)
def test_check_mode_predicts_the_real_run(pools, profile):
    res = _pool(pools, profile)
    assert res['check'].rc == 0, res['check'].failed()
    assert res['after_check'] == res['fresh'], 'check mode changed the double'
    predicted = set(c for c in res['check'].changed() if c[0].startswith(ROLLOUT))
    real = set(c for c in res['first'].changed() if c[0].startswith(ROLLOUT))
    assert predicted == real
    assert len(real) >= 8
    # And the planned XenAPI calls are the same, in the same order.
    assert res['check'].commands() == res['first'].commands()


@pytest.mark.parametrize('profile', xenlab.PROFILES)
def test_ntp_through_the_api_where_xapi_has_it(pools, profile):
    res = _pool(pools, profile)
    settings = res['first'].results('Dom0 memory')
    if profile in ('xcp-ng-8.2', 'xcp-ng-8.3-ga'):
        assert all(r['unsupported'] == ['ntp'] for r in settings), settings
        assert not any('ntp' in c for c in res['first'].commands())
    else:
        assert all(r['unsupported'] == [] for r in settings), settings
        assert 'host.set_ntp_custom_servers(xs2, 0.pool.ntp.org, 1.pool.ntp.org)' in res['first'].commands()
