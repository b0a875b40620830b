# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad inventories: each one is stopped in the preflight, before anything is
changed in vCenter, with a message that names the host and the bad value.

One simulator serves the inventory cases (none of them may change it: after
each run it must still be empty); the unsupported vCenter version needs a
simulator of its own that reports 6.7.
"""
from __future__ import annotations

import copy

import pytest

import vsphere_harness as vh
from conftest import start_sim


def _switch_renamed(hosts, gv):
    """esxi3 calls vSwitch1 'vSwitch2' (its port groups and labels follow)."""
    h = hosts['esxi3.lab.example']
    h['cshv_vsphere_vswitches'] = [dict(s, name='vSwitch2' if s['name'] == 'vSwitch1' else s['name'])
                                   for s in gv['cshv_vsphere_vswitches']]
    h['cshv_vsphere_portgroups'] = [dict(p, vswitch='vSwitch2') for p in gv['cshv_vsphere_portgroups']]
    h['cshv_traffic_labels'] = dict((k, v.replace('vSwitch1', 'vSwitch2')) for k, v in gv['cshv_traffic_labels'].items())


def _nine_hosts(hosts, gv):
    for i in range(4, 10):
        h = 'esxi%d.lab.example' % i
        hosts[h] = {'cshv_management_address': '192.168.60.%d/24' % (10 + i), 'cshv_esxi_ssl_thumbprint': vh.THUMBPRINT,
                    'cshv_vsphere_vmkernel_addresses': {'vMotion': '10.30.0.%d/24' % (10 + i), 'Storage': '10.40.0.%d/24' % (10 + i)}}


def _set(key, value, host=None):
    def change(hosts, gv):
        if host:
            hosts[host][key] = value
        else:
            gv[key] = value
    return change


def _delete(key, host=None):
    def change(hosts, gv):
        if host:
            del hosts[host][key]
        else:
            del gv[key]
    return change


def _label(traffic, label):
    def change(hosts, gv):
        gv['cshv_traffic_labels'] = dict(gv['cshv_traffic_labels'], **{traffic: label})
    return change


def _vswitch_name(name):
    def change(hosts, gv):
        gv['cshv_vsphere_vswitches'] = [dict(s, name=name if s['name'] == 'vSwitch1' else s['name']) for s in gv['cshv_vsphere_vswitches']]
        gv['cshv_vsphere_portgroups'] = [dict(p, vswitch=name) for p in gv['cshv_vsphere_portgroups']]
        gv['cshv_traffic_labels'] = dict((k, v.replace('vSwitch1', name)) for k, v in gv['cshv_traffic_labels'].items())
    return change


# id -> (change, host the message must name, strings it must contain)
CASES = {
    'cluster-name-with-space': (_set('cshv_cluster', 'cs cluster1'), 'esxi1.lab.example', ["'cs cluster1'", 'space']),
    'datacenter-name-with-slash': (_set('cshv_vsphere_datacenter', 'cs/dc1'), 'esxi1.lab.example', ["'cs/dc1'", '"/"']),
    'vswitch-name-with-percent': (_vswitch_name('vSwitch%1'), 'esxi1.lab.example', ["'vSwitch%1'", '"%"']),
    'management-label-on-distributed-switch': (_label('management', 'dvSwitch0,,vmwaredvs'), 'esxi2.lab.example',
                                               ["'dvSwitch0,,vmwaredvs'", 'standard vSwitch']),
    'storage-label-on-distributed-switch': (_label('storage', 'dvSwitch1,,vmwaredvs'), 'esxi1.lab.example',
                                            ["'dvSwitch1,,vmwaredvs'", 'standard vSwitch']),
    'nine-hosts-in-a-cluster': (_nine_hosts, 'esxi9.lab.example', ['9 vsphere hosts', 'at most 8']),
    'host-without-thumbprint': (_delete('cshv_esxi_ssl_thumbprint', 'esxi2.lab.example'), 'esxi2.lab.example',
                                ['cshv_esxi_ssl_thumbprint']),
    'management-vlan-4095': (_set('cshv_vsphere_management_vlan', 4095), 'esxi3.lab.example', ['management VLAN 4095']),
    'vswitch-names-differ-in-cluster': (_switch_renamed, 'esxi3.lab.example', ["'vSwitch2'", 'vSwitch names']),
    'missing-vcenter-password': (_delete('cshv_vcenter_password'), 'esxi1.lab.example', ['cshv_vcenter_password']),
    # ESXi answers AddInternetScsiSendTargets with HostConfigFault for it, after earlier hosts were changed
    'iscsi-target-not-an-address': (_set('vsphere_iscsi_send_targets', [{'address': '10.40.0.5 '}], 'esxi2.lab.example'),
                                    'esxi2.lab.example', ["'10.40.0.5 '", 'neither an IP address nor a host name']),
}


@pytest.fixture(scope='module')
def shared_sim():
    proc, info = start_sim()
    try:
        yield info
    finally:
        proc.stop()


def _assert_untouched(info):
    si = vh.connect(info)
    assert vh.datacenters(si) == [], 'the simulator was changed: %s' % vh.datacenters(si)


@pytest.mark.parametrize('case', sorted(CASES))
def test_bad_inventory_is_stopped_before_any_change(case, shared_sim, tmp_path):
    change, host, contains = CASES[case]
    hosts, gv = vh.model(shared_sim)
    hosts, gv = copy.deepcopy(hosts), copy.deepcopy(gv)
    change(hosts, gv)
    inv = vh.write_inventory(str(tmp_path / 'inv'), hosts, gv)
    run = vh.playbook(inv, str(tmp_path))
    assert run.rc != 0, '%s was not stopped' % case
    msgs = run.messages()
    lines = [l for l in msgs.splitlines() if host in l and all(c in l for c in contains)]
    assert lines, 'no message naming %s and %s in:\n%s' % (host, contains, msgs or run.text()[-3000:])
    assert not any(res.get('changed') for _p, _t, _h, res in run.results()), 'a task reported a change'
    for secret in (shared_sim['password'], vh.ESXI_PASSWORD):
        assert secret not in run.text()
    _assert_untouched(shared_sim)


def test_unsupported_vcenter_version_is_stopped_before_any_change(tmp_path):
    proc, info = start_sim(version='6.7.0', build_number='8169922')
    try:
        hosts, gv = vh.model(info)
        inv = vh.write_inventory(str(tmp_path / 'inv'), hosts, gv)
        run = vh.playbook(inv, str(tmp_path))
        assert run.rc != 0
        msgs = run.messages()
        assert "vCenter version '6.7.0' is not supported by CloudStack 4.20" in msgs, msgs or run.text()[-3000:]
        assert 'esxi1.lab.example' in msgs
        assert not any(res.get('changed') for _p, _t, _h, res in run.results())
        _assert_untouched(info)
    finally:
        proc.stop()


def test_the_unchanged_inventory_passes_the_preflight(shared_sim, tmp_path):
    """The cases above fail because of their one change: the base inventory passes (preflight only)."""
    hosts, gv = vh.model(shared_sim)
    inv = vh.write_inventory(str(tmp_path / 'inv'), hosts, gv)
    run = vh.playbook(inv, str(tmp_path), name='cloudstack.hypervisors.preflight')
    assert run.rc == 0, run.messages() or run.text()[-3000:]
    _assert_untouched(shared_sim)
