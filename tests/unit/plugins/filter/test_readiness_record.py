# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness report as an operator's record (issue 15): the run's facts, the per-host
fields, the masking of secrets, the JSON Schema the report follows, the fixes in Markdown."""
from __future__ import annotations

import copy
import json
import os

import jsonschema
import pytest

from ansible_collections.cloudstack.hypervisors.plugins.filter import readiness as r

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SCHEMA_FILE = os.path.join(ROOT, 'roles', 'readiness_report', 'files', 'readiness.schema.json')

TRACKING_SYNCED = ('Reference ID    : C0A80001 (192.168.0.1)\nStratum         : 3\n'
                   'Leap status     : Normal\n')
TRACKING_UNSYNCED = 'Reference ID    : 00000000 ()\nStratum         : 0\nLeap status     : Not synchronised\n'
AGENT = ('guid=\nresource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nworkers=5\n'
         'host=10.0.0.1\nport=8250\nhypervisor.type=kvm\nprivate.network.device=cloudbr0\n'
         'keystore.passphrase=hunter2-not-for-the-report\n')


def schema():
    with open(SCHEMA_FILE) as f:
        return json.load(f)


def validate(doc):
    jsonschema.validate(doc, schema(), cls=jsonschema.Draft202012Validator)


def raw(host, peers, **over):
    out = {
        'bridge_type': 'linux', 'bridges_expected': ['cloudbr0'],
        'links': [{'ifname': 'cloudbr0', 'flags': ['UP'], 'linkinfo': {'info_kind': 'bridge'}}],
        'ovs_bridges': None, 'peers': peers,
        'agent_path': '/etc/cloudstack/agent/agent.properties',
        'agent_expected': {'hypervisor.type': 'kvm', 'private.network.device': 'cloudbr0'},
        'agent_exists': True, 'agent_content': AGENT, 'agent_sudo': True,
        'fqdn': '%s.lab.example\n' % host, 'chrony_tracking': TRACKING_SYNCED, 'ntp_synchronized': None,
        'libvirt_listen_mode': 'tcp', 'libvirt_listen_source': 'rollout', 'libvirt_transport': 'tcp',
        'libvirt_uri_scheme': 'qemu',
    }
    out.update(over)
    return out


def peer(dst, ok=True, uri=None):
    return {'peer': dst, 'uri': uri or 'qemu+tcp://%s/system' % dst, 'rc': 0 if ok else 1,
            'stderr': '' if ok else 'error: Connection refused\n', 'msg': ''}


def kvm_hostvars(**raws):
    hv = {}
    for h, rw in raws.items():
        hv[h] = {'cshv_zone': 'zone1', 'cshv_pod': 'pod1', 'cshv_cluster': 'kvm-a', 'cshv_rollout_done': True,
                 'cluster_verify_raw': rw, 'cluster_verify_checks': r.verify_checks(rw)}
    return hv


META = {'generated_at': '2026-11-29T21:00:00Z', 'collection': {'name': 'cloudstack.hypervisors', 'version': '0.1.0'},
        'inventory': ['/srv/inventories/prod'], 'check_mode': False}


def document(hostvars, groups, probes=None, hosts=None):
    hosts = hosts or list(hostvars)
    info = r.readiness_info(hosts, hostvars, groups)
    return r.readiness_document(r.readiness_rows(hosts, info, probes or {}, True), META)


def two_kvm_hosts(**over):
    return kvm_hostvars(kvm1=raw('kvm1', [peer('kvm2')], **over), kvm2=raw('kvm2', [peer('kvm1')]))


def test_run_facts_at_the_top():
    doc = document(two_kvm_hosts(), {'kvm_hosts': ['kvm1', 'kvm2']})
    assert doc['schema_version'] == 1 and doc['complete'] is True
    assert doc['generated_at'] == '2026-11-29T21:00:00Z'
    assert doc['collection'] == {'name': 'cloudstack.hypervisors', 'version': '0.1.0'}
    assert doc['inventory'] == ['/srv/inventories/prod'] and doc['check_mode'] is False
    validate(doc)


def test_kvm_host_record():
    doc = document(two_kvm_hosts(), {'kvm_hosts': ['kvm1', 'kvm2']})
    row = doc['hosts'][0]
    assert row['host'] == 'kvm1' and row['ok'], row
    assert row['cluster'] == 'zone1/pod1/kvm-a'  # the old column keeps its meaning
    assert row['placement'] == {'zone': 'zone1', 'pod': 'pod1', 'cluster': 'kvm-a'}
    assert row['fqdn'] == 'kvm1.lab.example'
    assert row['chrony'] == {'synchronised': True, 'source': 'chronyc tracking'}
    assert row['libvirt'] == {'listen_mode': 'tcp', 'listen_mode_source': 'rollout', 'transport': 'tcp',
                              'port': 16509, 'uri_scheme': 'qemu+tcp'}
    assert row['agent_keys']['host'] == '10.0.0.1' and row['agent_keys']['hypervisor.type'] == 'kvm'
    assert row['agent_keys']['private.network.device'] == 'cloudbr0' and row['agent_keys']['guid'] == ''
    assert row['firewall'] == [{'port': 16509, 'protocol': 'tcp', 'service': 'libvirtd', 'from': 'kvm2', 'ok': True}]
    assert row['problems'] == []


def test_secrets_are_never_in_the_report():
    hv = two_kvm_hosts(agent_expected={'hypervisor.type': 'kvm', 'keystore.passphrase': 'want-this-secret',
                                       'db.cloud.password': 'x', 'private.network.device': 'cloudbr0'})
    doc = document(hv, {'kvm_hosts': ['kvm1', 'kvm2']})
    text = json.dumps(doc)
    assert 'hunter2' not in text and 'want-this-secret' not in text, text
    keys = doc['hosts'][0]['agent_keys']
    assert keys['keystore.passphrase'] == r.MASK and keys['db.cloud.password'] is None
    # the check still fails on the wrong secret and says which key, but not the values
    assert 'keystore.passphrase=%s (want %s)' % (r.MASK, r.MASK) in doc['hosts'][0]['ready']
    md = r.readiness_markdown(doc['hosts'])
    assert 'hunter2' not in md and 'want-this-secret' not in md
    validate(doc)


@pytest.mark.parametrize('key', ['keystore.passphrase', 'db.password', 'api.secret', 'auth.token', 'ssl.key',
                                 'private.key', 'key', 'KEYSTORE.file'])
def test_secret_key_names(key):
    assert r.is_secret_key(key)


@pytest.mark.parametrize('key', ['host', 'guid', 'private.network.device', 'hypervisor.type', 'port', 'keyword.x'])
def test_plain_key_names(key):
    assert not r.is_secret_key(key)


def test_chrony_from_chronyc_then_timedatectl_else_null():
    assert r.chrony_state({'chrony_tracking': TRACKING_UNSYNCED}) == {
        'synchronised': False, 'source': 'chronyc tracking'}
    assert r.chrony_state({'chrony_tracking': None, 'ntp_synchronized': 'yes'}) == {
        'synchronised': True, 'source': 'timedatectl NTPSynchronized'}
    assert r.chrony_state({'ntp_synchronized': 'no\n'})['synchronised'] is False
    assert r.chrony_state({'chrony_tracking': None, 'ntp_synchronized': None}) == {
        'synchronised': None, 'source': None}
    assert r.chrony_state({'chrony_tracking': 'garbage'})['synchronised'] is None


def test_missing_tools_give_null_not_a_failure():
    hv = two_kvm_hosts(fqdn=None, chrony_tracking=None, ntp_synchronized=None)
    doc = document(hv, {'kvm_hosts': ['kvm1', 'kvm2']})
    row = doc['hosts'][0]
    assert row['ok'] and row['fqdn'] is None and row['chrony']['synchronised'] is None
    validate(doc)


def test_firewall_ports_from_peers_tls_and_explicit_port():
    hv = kvm_hostvars(kvm1=raw('kvm1', [peer('kvm2', uri='qemu+tls://10.0.0.2/system')]),
                      kvm2=raw('kvm2', [peer('kvm1', ok=False, uri='qemu+tcp://10.0.0.1:16600/system')]))
    doc = document(hv, {'kvm_hosts': ['kvm1', 'kvm2']})
    rows = {x['host']: x for x in doc['hosts']}
    assert rows['kvm2']['firewall'] == [{'port': 16514, 'protocol': 'tcp', 'service': 'libvirtd',
                                         'from': 'kvm1', 'ok': True}]
    assert rows['kvm1']['firewall'] == [{'port': 16600, 'protocol': 'tcp', 'service': 'libvirtd',
                                         'from': 'kvm2', 'ok': False}]
    validate(doc)


def test_every_not_ready_check_has_its_reason_and_fix():
    hv = kvm_hostvars(kvm1=raw('kvm1', [peer('kvm2', ok=False)]), kvm2=raw('kvm2', [peer('kvm1')], agent_exists=False))
    hv['kvm2']['cshv_rollout_done'] = False
    hv['kvm3'] = {'cshv_zone': 'zone1', 'cshv_pod': 'pod1', 'cshv_cluster': 'kvm-a'}
    probes = {'kvm3': {'unreachable': True, 'msg': 'Failed to connect to the host via ssh: No route to host'}}
    doc = document(hv, {'kvm_hosts': ['kvm1', 'kvm2', 'kvm3']}, probes)
    rows = {x['host']: x for x in doc['hosts']}
    assert rows['kvm1']['ok'], rows['kvm1']  # the closed port is kvm2's
    problems = {p['check']: p for p in rows['kvm2']['problems']}
    assert sorted(problems) == ['agent', 'libvirt_peers', 'rollout'], problems
    assert problems['libvirt_peers']['fix']['host'] == 'kvm2'
    assert 'kvm_libvirt_listen_mode' in problems['libvirt_peers']['fix']['variables']
    assert problems['agent']['reason'] == '/etc/cloudstack/agent/agent.properties missing'
    assert 'kvm_agent_properties' in problems['agent']['fix']['variables']
    lost = rows['kvm3']
    assert lost['lost'] and lost['problems'][0]['check'] == 'lost'
    assert lost['problems'][0]['fix'] == {'host': 'kvm3', 'variables': ['ansible_host', 'ansible_user'],
                                          'hint': lost['problems'][0]['fix']['hint']}
    assert lost['fqdn'] is None and lost['libvirt'] is None and lost['agent_keys'] is None
    assert lost['firewall'] is None and lost['placement']['cluster'] == 'kvm-a'
    validate(doc)


def test_markdown_header_and_fix_lines():
    hv = kvm_hostvars(kvm1=raw('kvm1', [peer('kvm2')]), kvm2=raw('kvm2', [peer('kvm1')], agent_exists=False))
    doc = document(hv, {'kvm_hosts': ['kvm1', 'kvm2']})
    md = r.readiness_markdown(doc['hosts'], 'Readiness report',
                              {'generated at': doc['generated_at'], 'collection': 'cloudstack.hypervisors 0.1.0',
                               'inventory': '/srv/inventories/prod'})
    lines = md.splitlines()
    assert '- generated at: 2026-11-29T21:00:00Z' in lines and '- collection: cloudstack.hypervisors 0.1.0' in lines
    assert '- inventory: /srv/inventories/prod' in lines
    table_end = max(i for i, ln in enumerate(lines) if ln.startswith('|'))
    section = lines.index('## Not ready: reason and what to fix')
    assert section > table_end
    assert '- kvm2, agent: /etc/cloudstack/agent/agent.properties missing' in lines
    fix = lines[lines.index('- kvm2, agent: /etc/cloudstack/agent/agent.properties missing') + 1]
    assert fix.startswith('  - fix: on host kvm2, variables kvm_agent_properties, ')
    assert not any(ln.startswith('- kvm1,') for ln in lines)
    assert lines[-1] == '1 of 2 host(s) ready.'


def test_markdown_without_not_ready_hosts_has_no_fix_section():
    doc = document(two_kvm_hosts(), {'kvm_hosts': ['kvm1', 'kvm2']})
    assert 'Not ready' not in r.readiness_markdown(doc['hosts'])


def test_xenserver_and_vsphere_rows_have_null_kvm_fields():
    ok = {'ok': True, 'detail': 'ok'}
    hostvars = {
        'xs1': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'xen', 'cshv_rollout_done': True,
                'cluster_verify_checks': {'bridges': ok, 'libvirt_peers': {'ok': False, 'detail': 'not in the pool'},
                                          'agent': ok}},
        'esx1': {'cshv_zone': 'z', 'cshv_pod': 'p', 'cshv_cluster': 'vc', 'cshv_rollout_done': True,
                 'vsphere_checks': {'bridges': ok, 'libvirt_peers': ok, 'agent': ok},
                 'vsphere_traffic_labels': ['management: vSwitch0,,vmwaresvs']},
    }
    doc = document(hostvars, {'xenserver_hosts': ['xs1'], 'vsphere_hosts': ['esx1']})
    rows = {x['host']: x for x in doc['hosts']}
    for row in rows.values():
        assert row['libvirt'] is None and row['agent_keys'] is None and row['firewall'] is None, row
        assert row['fqdn'] is None and row['chrony'] == {'synchronised': None, 'source': None}, row
    assert rows['xs1']['problems'][0]['fix']['variables'] == ['xenserver_pool_master']
    assert rows['esx1']['ok'] and rows['esx1']['traffic_labels']
    validate(doc)


def test_collection_from_manifest_or_galaxy_yml():
    manifest = json.dumps({'collection_info': {'namespace': 'cloudstack', 'name': 'hypervisors', 'version': '1.2.3'}})
    galaxy = 'namespace: cloudstack\nname: hypervisors\nversion: 0.1.0\n'
    assert r.readiness_collection(manifest, galaxy) == {'name': 'cloudstack.hypervisors', 'version': '1.2.3'}
    assert r.readiness_collection('', galaxy) == {'name': 'cloudstack.hypervisors', 'version': '0.1.0'}
    assert r.readiness_collection(None, None) == {'name': None, 'version': None}
    assert r.readiness_collection('{broken', ': [') == {'name': None, 'version': None}


def test_the_collection_galaxy_yml_gives_its_version():
    with open(os.path.join(ROOT, 'galaxy.yml')) as f:
        info = r.readiness_collection(None, f.read())
    assert info['name'] == 'cloudstack.hypervisors' and info['version']


def test_the_schema_is_a_valid_schema_and_describes_every_field():
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in (node.get('properties') or {}).items():
                assert isinstance(sub, dict) and ('description' in sub or '$ref' in sub), '%s.%s' % (path, name)
            for k, v in node.items():
                if k not in ('if', 'then', 'else'):  # conditions on fields described elsewhere
                    walk(v, path + '/' + k)
        elif isinstance(node, list):
            for n, v in enumerate(node):
                walk(v, '%s[%d]' % (path, n))
    walk(s, '#')


def test_the_out_of_date_report_validates_too():
    doc = document(two_kvm_hosts(), {'kvm_hosts': ['kvm1', 'kvm2']})
    stale = r.readiness_stale(json.dumps(doc), '# Readiness report\n', '2026-11-29 21:00:00 UTC')
    validate(json.loads(stale['json']))


def _refused(doc):
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_the_schema_refuses_a_row_without_a_required_field_or_of_the_wrong_type():
    good = document(two_kvm_hosts(), {'kvm_hosts': ['kvm1', 'kvm2']})
    validate(good)
    for field in ('fqdn', 'placement', 'libvirt', 'agent_keys', 'chrony', 'firewall', 'problems', 'ready'):
        bad = copy.deepcopy(good)
        del bad['hosts'][0][field]
        _refused(bad)
    for path, value in ((('hosts', 0, 'ok'), 'yes'), (('hosts', 0, 'chrony', 'synchronised'), 'maybe'),
                        (('hosts', 0, 'placement', 'zone'), 3), (('generated_at',), '29/11/2026'),
                        (('hosts', 0, 'libvirt', 'transport'), 'ssh'), (('collection',), '0.1.0'),
                        (('hosts', 0, 'firewall', 0, 'port'), '16509')):
        bad = copy.deepcopy(good)
        node = bad
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
        _refused(bad)
    bad = copy.deepcopy(good)
    del bad['generated_at']
    _refused(bad)
    bad = copy.deepcopy(good)
    bad['hosts'][0]['surprise'] = 1  # undocumented fields are refused
    _refused(bad)


def test_the_schema_refuses_an_unmasked_secret_and_a_not_ready_row_without_a_reason():
    good = document(two_kvm_hosts(), {'kvm_hosts': ['kvm1', 'kvm2']})
    bad = copy.deepcopy(good)
    bad['hosts'][0]['agent_keys']['keystore.passphrase'] = 'hunter2'
    _refused(bad)
    bad = copy.deepcopy(good)
    bad['hosts'][0]['ok'] = False
    bad['hosts'][0]['ready'] = 'no: something'
    _refused(bad)  # problems is empty
