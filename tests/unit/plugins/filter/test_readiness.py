# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the verification judgement and the readiness report filters."""
from __future__ import annotations

import json

from ansible_collections.cloudstack.hypervisors.plugins.filter import readiness as r


def link(name, kind='bridge', up=True):
    return {'ifname': name, 'flags': ['BROADCAST', 'UP'] if up else ['BROADCAST'],
            'linkinfo': {'info_kind': kind} if kind else {}}


def good_raw(**over):
    raw = {
        'bridge_type': 'linux',
        'bridges_expected': ['cloudbr0', 'cloudbr1'],
        'links': [link('lo', None), link('cloudbr0'), link('cloudbr1'), link('eth1', 'veth')],
        'ovs_bridges': None,
        'peers': [{'peer': 'kvm2', 'uri': 'qemu+tcp://10.99.0.12/system', 'rc': 0, 'stderr': '', 'msg': ''}],
        'agent_path': '/etc/cloudstack/agent/agent.properties',
        'agent_expected': {'hypervisor.type': 'kvm', 'private.network.device': 'cloudbr0'},
        'agent_exists': True,
        # the package's keys (resource, host, ...) and the role's
        'agent_content': ('# c\nhypervisor.type=kvm\nprivate.network.device = cloudbr0\nguid=\n'
                          'resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n'
                          'host=10.0.0.1\nport=8250\nworkers=5\n'),
    }
    raw.update(over)
    return raw


def test_all_good():
    c = r.verify_checks(good_raw())
    assert all(v['ok'] for v in c.values()), c
    assert c['libvirt_peers']['detail'] == 'ok (1/1 peers, qemu+tcp)'


def test_missing_and_wrong_kind_and_down_bridges():
    raw = good_raw(links=[link('cloudbr0', 'veth'), link('cloudbr9')], bridges_expected=['cloudbr0', 'cloudbr1'])
    c = r.verify_checks(raw)['bridges']
    assert not c['ok'] and 'cloudbr0 is a veth, not a bridge' in c['detail'] and 'cloudbr1 missing' in c['detail']
    c = r.verify_checks(good_raw(links=[link('cloudbr0'), link('cloudbr1', up=False)]))['bridges']
    assert c == {'ok': False, 'detail': 'cloudbr1 is down'}


def test_ovs_bridges_must_be_known_to_ovs():
    raw = good_raw(bridge_type='openvswitch', links=[link('cloudbr0', 'openvswitch'), link('cloudbr1', 'tun')],
                   ovs_bridges=['cloudbr0'])
    c = r.verify_checks(raw)['bridges']
    assert c == {'ok': False, 'detail': 'cloudbr1 is not an OVS bridge'}
    raw['ovs_bridges'] = ['cloudbr0', 'cloudbr1']
    assert r.verify_checks(raw)['bridges']['ok']
    raw['ovs_bridges'] = None
    assert 'ovs-vsctl not available' in r.verify_checks(raw)['bridges']['detail']


def test_no_bridges_configured_is_not_ready():
    assert not r.verify_checks(good_raw(bridges_expected=[]))['bridges']['ok']


def test_peer_failures_are_named():
    peers = [{'peer': 'kvm2', 'uri': 'qemu+tcp://10.99.0.12/system', 'rc': 0, 'stderr': ''},
             {'peer': 'kvm3', 'uri': 'qemu+tcp://10.99.0.13/system', 'rc': 1,
              'stderr': 'error: failed to connect to the hypervisor\nerror: Connection refused\n'}]
    c = r.verify_checks(good_raw(peers=peers))['libvirt_peers']
    assert not c['ok']
    assert c['detail'] == ('1/2 peers unreachable: kvm3 (qemu+tcp://10.99.0.13/system): '
                           'error: failed to connect to the hypervisor')


def test_peer_result_from_loop_result():
    res = {'item': 'kvm3', 'rc': 124, 'stderr': '',
           'cmd': ['timeout', '-k', '5', '20', 'virsh', '-c', 'qemu+tcp://10.99.0.13/system', 'version']}
    p = r.peer_result(res)
    assert p == {'peer': 'kvm3', 'uri': 'qemu+tcp://10.99.0.13/system', 'rc': 124, 'stderr': 'timed out', 'msg': ''}
    p = r.peer_result({'item': 'kvm2', 'msg': '[Errno 2] No such file or directory: virsh', 'cmd': 'timeout'})
    assert p['rc'] is None and 'No such file' in p['msg']
    c = r.verify_checks(good_raw(peers=[p]))['libvirt_peers']
    assert 'No such file' in c['detail']


def test_no_peers_is_fine_and_unchecked_is_not():
    assert r.verify_checks(good_raw(peers=[]))['libvirt_peers'] == {'ok': True, 'detail': 'ok (no peers)'}
    assert not r.verify_checks(good_raw(peers=None))['libvirt_peers']['ok']


def test_agent_properties():
    c = r.verify_checks(good_raw(agent_exists=False))['agent']
    assert c == {'ok': False, 'detail': '/etc/cloudstack/agent/agent.properties missing'}
    c = r.verify_checks(good_raw(agent_content='hypervisor.type=lxc\n'))['agent']
    assert c['detail'] == ('hypervisor.type=lxc (want kvm); private.network.device not set (want cloudbr0); '
                           'resource not set (the agent cannot start without its resource class); '
                           'guid not set (the agent stops with "Unable to find the guid"); '
                           'host not set (no management server to connect to)')
    assert r.verify_checks(good_raw(agent_expected=None))['agent'] == {'ok': True, 'detail': 'not checked'}


def test_parse_properties():
    text = '# comment\n! also\nkey = value\nother:thing\nempty=\nkey=last\n'
    assert r.parse_properties(text) == {'key': 'last', 'other': 'thing', 'empty': ''}


HOSTVARS = {
    'kvm1': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c', 'cshv_rollout_done': True,
             'cluster_verify_checks': r.verify_checks(good_raw())},
    'kvm2': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c'},
    'kvm3': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c', 'cshv_rollout_done': True,
             'cluster_verify_checks': r.verify_checks(good_raw(agent_exists=False))},
    'kvm4': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c'},
}
GROUPS = {'kvm_hosts': ['kvm1', 'kvm2', 'kvm3', 'kvm4']}


def rows(expect_rollout=True, probes=None):
    hosts = ['kvm1', 'kvm2', 'kvm3', 'kvm4']
    info = r.readiness_info(hosts, HOSTVARS, GROUPS)
    return r.readiness_rows(hosts, info, probes or {
        'kvm2': {'unreachable': True, 'msg': 'Task failed: Failed to connect to the host via ssh: Connection timed out '
                                             'during banner exchange with 10.99.0.12 port 22 after three attempts'},
        'kvm4': {'ping': 'pong'},
    }, expect_rollout)


def test_rows_ready_lost_and_not_ready():
    rs = {x['host']: x for x in rows()}
    assert rs['kvm1']['ready'] == 'yes' and rs['kvm1']['ok'] and rs['kvm1']['cluster'] == 'z/p/c'
    assert rs['kvm1']['hypervisor'] == 'kvm' and rs['kvm1']['rollout'] == 'ok'
    assert rs['kvm2']['lost'] and rs['kvm2']['ready'].startswith('no: lost: unreachable (Connection timed out during')
    assert len(rs['kvm2']['ready']) < 110  # the ssh noise is cut
    assert rs['kvm2']['bridges'] == 'not checked'
    assert rs['kvm3']['ready'] == 'no: agent: /etc/cloudstack/agent/agent.properties missing'
    assert rs['kvm3']['agent'].startswith('FAIL: ')
    assert rs['kvm4']['ready'] == 'no: lost: failed during the rollout' and rs['kvm4']['lost']


def test_rows_without_rollout():
    rs = {x['host']: x for x in rows(expect_rollout=False)}
    assert rs['kvm1']['rollout'] == 'not run' and rs['kvm1']['ready'] == 'yes'
    assert rs['kvm4']['ready'] == 'no: lost: failed during the verification'


def test_rollout_not_completed_is_not_ready():
    hv = dict(HOSTVARS)
    hv['kvm1'] = dict(hv['kvm1'], cshv_rollout_done=False)
    info = r.readiness_info(['kvm1'], hv, GROUPS)
    row = r.readiness_rows(['kvm1'], info, {}, True)[0]
    assert row['ready'] == 'no: rollout not completed' and not row['ok']


def test_markdown_and_table():
    rs = rows()
    md = r.readiness_markdown(rs, 'Readiness report', {'inventory': 'inventories/lab'})
    lines = md.splitlines()
    assert lines[0] == '# Readiness report' and '- inventory: inventories/lab' in lines
    header = [ln for ln in lines if ln.startswith('| host')][0]
    assert header == '| host | hypervisor | cluster | rollout | bridges | libvirt peers | agent | uefi | ready |'
    assert sum(1 for ln in lines if ln.startswith('| kvm')) == 4
    assert lines[-1] == '1 of 4 host(s) ready; lost: kvm2, kvm4.'
    table = r.readiness_table(rs).splitlines()
    assert table[0].split()[:3] == ['host', 'hypervisor', 'cluster'] and set(table[1]) <= {'-', ' '}
    assert len(table) == 6 and all(len(c.strip()) <= 48 for ln in table for c in ln.split('  '))
    assert any(c.strip().endswith('~') for c in table[3].split('  '))  # kvm2's long reason is cut
    json.dumps(rs)  # the JSON report is these rows


def test_markdown_escapes_pipes():
    row = dict(rows()[0], bridges='a|b')
    assert 'a\\|b' in r.readiness_markdown([row])


# readiness_stale: what a rollout writes over the previous report before it touches a host

COMPLETE_JSON = json.dumps({'complete': True, 'hosts': [{'host': 'kvm1', 'ready': 'yes', 'ok': True}]})
COMPLETE_MD = '# Readiness report\n\n| host | ready |\n| --- | --- |\n| kvm1 | yes |\n'


def test_stale_marks_a_complete_report_and_keeps_it_inside():
    out = r.readiness_stale(COMPLETE_JSON, COMPLETE_MD, '2026-11-22 02:00:00 UTC')
    assert out['write']
    data = json.loads(out['json'])
    assert data['complete'] is False and data['hosts'] == [] and data['since'] == '2026-11-22 02:00:00 UTC'
    assert data['previous'] == json.loads(COMPLETE_JSON)
    assert out['md'].startswith('# Readiness report: out of date\n')
    assert '2026-11-22 02:00:00 UTC' in out['md']
    # the old report follows, its title one level down, its table intact
    assert '\n## Readiness report\n' in out['md'] and '| kvm1 | yes |' in out['md']


def test_stale_treats_a_report_without_the_complete_key_as_complete():
    old = json.dumps({'hosts': [{'host': 'kvm1', 'ready': 'yes'}]})
    assert r.readiness_stale(old, COMPLETE_MD, 'now')['write']


def test_stale_leaves_an_out_of_date_report_alone():
    first = r.readiness_stale(COMPLETE_JSON, COMPLETE_MD, 'then')
    again = r.readiness_stale(first['json'], first['md'], 'now')
    assert again == {'write': False, 'json': None, 'md': None}


def test_stale_without_a_report_writes_nothing():
    assert not r.readiness_stale('', '', 'now')['write']
    assert not r.readiness_stale(None, None, 'now')['write']


def test_stale_keeps_an_unreadable_report_as_text():
    out = r.readiness_stale('{not json', 'garbage', 'now')
    assert out['write'] and json.loads(out['json'])['previous'] == {'unreadable': '{not json'}


def test_vsphere_host_rows_carry_checks_and_traffic_labels():
    """A vSphere host has no cluster_verify_checks; its vsphere_checks and zone labels make its row."""
    from ansible_collections.cloudstack.hypervisors.plugins.filter import readiness as r
    ok = {'ok': True, 'detail': 'ok'}
    hostvars = {'esxi1': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c', 'cshv_rollout_done': True,
                          'vsphere_checks': {'bridges': ok, 'libvirt_peers': ok,
                                             'agent': {'ok': False, 'detail': 'ntpd not running'}},
                          'vsphere_traffic_labels': ['management: vSwitch0,,vmwaresvs']}}
    info = r.readiness_info(['esxi1'], hostvars, {'vsphere_hosts': ['esxi1']})
    rows = r.readiness_rows(['esxi1'], info)
    assert rows[0]['hypervisor'] == 'vsphere' and rows[0]['ok'] is False and 'ntpd not running' in rows[0]['ready']
    assert rows[0]['traffic_labels'] == ['management: vSwitch0,,vmwaresvs']
    md = r.readiness_markdown(rows)
    assert 'Traffic labels for the zone (vSphere cluster z/p/c): management: vSwitch0,,vmwaresvs' in md


# Issue 17 kind 6: the host whose libvirtd port is unreachable is the one not ready.

def _peer(src, dst, ok, addr=None):
    return {'peer': dst, 'uri': 'qemu+tcp://%s/system' % (addr or dst), 'rc': 0 if ok else 1,
            'stderr': '' if ok else 'error: failed to connect to the hypervisor\nerror: Connection refused\n',
            'msg': ''}


def _cluster(reach):
    """reach: {(src, dst): ok} -> (hosts, info) as readiness_info builds them."""
    hosts = sorted({s for s, _d in reach} | {d for _s, d in reach})
    hostvars = {}
    for h in hosts:
        raw = good_raw(peers=[_peer(h, d, ok) for (s, d), ok in sorted(reach.items()) if s == h])
        hostvars[h] = {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c', 'cshv_rollout_done': True,
                       'cluster_verify_raw': raw, 'cluster_verify_checks': r.verify_checks(raw)}
    return hosts, r.readiness_info(hosts, hostvars, {'kvm_hosts': hosts})


def _rows(reach):
    hosts, info = _cluster(reach)
    return {x['host']: x for x in r.readiness_rows(hosts, info, {}, True)}


def test_the_host_with_the_closed_port_is_not_ready_and_its_peers_are():
    rs = _rows({('a', 'b'): False, ('b', 'a'): True})
    assert rs['a']['ok'] and rs['a']['ready'] == 'yes', rs['a']
    assert not rs['b']['ok'], rs['b']
    assert rs['b']['ready'].startswith('no: libvirt peers: libvirtd not reachable from 1/1 peers: a ('), rs['b']
    assert 'Connection refused' not in rs['a']['libvirt_peers']


def test_three_hosts_one_closed_port():
    rs = _rows({('a', 'b'): False, ('c', 'b'): False, ('b', 'a'): True, ('b', 'c'): True,
                ('a', 'c'): True, ('c', 'a'): True})
    assert rs['a']['ok'] and rs['c']['ok'], (rs['a'], rs['c'])
    assert not rs['b']['ok'] and 'not reachable from 2/2 peers: a (' in rs['b']['ready'], rs['b']
    assert rs['a']['checks']['libvirt_peers']['detail'].startswith('ok ('), rs['a']['checks']


def test_a_host_that_reaches_no_peer_while_they_reach_each_other_is_the_one_not_ready():
    rs = _rows({('a', 'b'): False, ('a', 'c'): False, ('b', 'a'): True, ('c', 'a'): True,
                ('b', 'c'): True, ('c', 'b'): True})
    assert rs['b']['ok'] and rs['c']['ok'], (rs['b'], rs['c'])
    assert not rs['a']['ok'] and 'reaches no peer' in rs['a']['ready'], rs['a']


# Issue 17 kind 5: the agent check verifies what the agent needs to start.

AGENT_OK = ('guid=\nresource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nworkers=5\n'
            'host=10.0.0.1\nport=8250\nhypervisor.type=kvm\nprivate.network.device=cloudbr0\n')


def test_agent_without_the_keys_it_needs_to_start_is_not_ok():
    # what the role writes into an agent.properties that was deleted by hand: only its own keys
    c = r.verify_checks(good_raw(agent_content='hypervisor.type=kvm\nprivate.network.device=cloudbr0\n'
                                               'host=10.0.0.1\n'))['agent']
    assert not c['ok'], c
    assert 'resource not set' in c['detail'] and 'guid not set' in c['detail'], c
    c = r.verify_checks(good_raw(agent_content=AGENT_OK))['agent']
    assert c['ok'], c
    c = r.verify_checks(good_raw(agent_content=AGENT_OK.replace('port=8250', 'port=x')))['agent']
    assert not c['ok'] and 'port=x' in c['detail'], c
    c = r.verify_checks(good_raw(agent_content=AGENT_OK.replace('host=10.0.0.1', 'host=')))['agent']
    assert not c['ok'] and 'host' in c['detail'], c


def test_agent_needs_sudo_for_cloudstack_setup_agent():
    c = r.verify_checks(good_raw(agent_content=AGENT_OK, agent_sudo=False))['agent']
    assert not c['ok'] and 'sudo' in c['detail'], c
    assert r.verify_checks(good_raw(agent_content=AGENT_OK, agent_sudo=True))['agent']['ok']


# Issue 17 kind 6: setup-agent takes the default-route device as the management device.

def test_default_route_must_go_through_the_management_bridge():
    c = r.verify_checks(good_raw(mgmt_bridge='cloudbr0', routes=[{'dst': 'default', 'dev': 'eth0',
                                                                  'gateway': '10.0.0.1'}]))['bridges']
    assert not c['ok'] and 'default route' in c['detail'] and 'eth0' in c['detail'], c
    c = r.verify_checks(good_raw(mgmt_bridge='cloudbr0', routes=[]))['bridges']
    assert not c['ok'] and 'no default route' in c['detail'], c
    c = r.verify_checks(good_raw(mgmt_bridge='cloudbr0', routes=[{'dst': 'default', 'dev': 'cloudbr0'}]))['bridges']
    assert c['ok'], c


def test_columns_a_hypervisor_lacks_are_not_applicable_not_missing():
    """A XenServer or vSphere row has no UEFI check: "n/a", not a missing check that makes it not ready;
    a KVM row without it is still not ready (merge of the UEFI column with the XenServer/vSphere rows)."""
    ok = {'ok': True, 'detail': 'ok'}
    checks = {'bridges': ok, 'libvirt_peers': ok, 'agent': ok}
    for hv, group in (('xenserver', 'xenserver_hosts'), ('vsphere', 'vsphere_hosts')):
        hostvars = {'h1': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c', 'cshv_rollout_done': True,
                           'cluster_verify_checks': checks}}
        row = r.readiness_rows(['h1'], r.readiness_info(['h1'], hostvars, {group: ['h1']}))[0]
        assert row['hypervisor'] == hv and row['ok'] and row['uefi'] == 'n/a', row
    hostvars = {'h1': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'c', 'cshv_rollout_done': True,
                       'cluster_verify_checks': checks}}
    row = r.readiness_rows(['h1'], r.readiness_info(['h1'], hostvars, {'kvm_hosts': ['h1']}))[0]
    assert not row['ok'] and 'missing' in row['ready'], row
