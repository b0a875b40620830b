# SPDX-License-Identifier: GPL-3.0-or-later
"""One scenario on one fresh simulator, in the order an operator meets it:

1. ``--check`` on an empty vCenter runs to the end, predicts the datacenter,
   cluster and host additions, and changes nothing;
2. the first run, through site.yml, builds a datacenter with a 3-host cluster
   and everything the role does (checked through pyVmomi, not through the
   role's own reading); the readiness report (readiness.md / .json, the one
   site.yml writes) has the three hosts ready and the zone's traffic labels;
3. the second run changes nothing;
4. eleven hand changes through the API (drift); ``--check`` reports exactly the
   tasks the real run then changes, one per drift at least; the real run
   repairs each (pyVmomi again);
5. a run at ``-vvv`` changes nothing and shows neither the vCenter nor the
   ESXi password anywhere in its output.
"""
from __future__ import annotations

import json
import os
import re

import vsphere_harness as vh

HOSTS = vh.host_names()


def _assert_built(si):
    """Everything the first run must have made, read straight from the simulator."""
    from pyVmomi import vim
    assert vh.DATACENTER in vh.datacenters(si)
    cluster = vh.find(si, vim.ClusterComputeResource, vh.CLUSTER)
    assert cluster is not None
    assert sorted(h.name for h in cluster.host) == HOSTS
    cfg = cluster.configurationEx
    assert cfg.drsConfig.enabled is True and cfg.drsConfig.defaultVmBehavior == 'manual'
    assert cfg.dasConfig.enabled is True
    for h in cluster.host:
        net = h.config.network
        sw = dict((s.name, s) for s in net.vswitch)
        assert sw['vSwitch1'].mtu == 9000 and sw['vSwitch1'].spec.numPorts == 4088, h.name
        assert sw['vSwitch0'].spec.numPorts == 4088, h.name
        assert [p.split('-')[-1] for p in sw['vSwitch1'].pnic] == ['vmnic1'], (h.name, sw['vSwitch1'].pnic)
        pgs = dict((p.spec.name, p.spec) for p in net.portgroup)
        assert pgs['vMotion'].vlanId == 300 and pgs['vMotion'].vswitchName == 'vSwitch1', h.name
        assert pgs['Storage'].vlanId == 400 and pgs['Storage'].vswitchName == 'vSwitch1', h.name
        assert not [p for p in pgs if p.startswith('cloud.')], h.name
        vmk = dict((v.portgroup, v) for v in net.vnic)
        assert vmk['vMotion'].spec.ip.ipAddress.startswith('10.30.0.'), h.name
        assert vmk['Storage'].spec.ip.ipAddress.startswith('10.40.0.'), h.name
        sel = h.configManager.virtualNicManager.QueryNetConfig('vmotion').selectedVnic
        assert any(s.endswith(vmk['vMotion'].device) for s in sel), (h.name, sel)
        assert list(h.configManager.dateTimeSystem.dateTimeInfo.ntpConfig.server) == vh.NTP, h.name
        ntpd = [s for s in h.configManager.serviceSystem.serviceInfo.service if s.key == 'ntpd'][0]
        assert ntpd.running and ntpd.policy == 'on', h.name
        fw = dict((r.key, r) for r in h.configManager.firewallSystem.firewallInfo.ruleset)
        for rs in ('gdbserver', 'ntpClient'):
            assert fw[rs].enabled and fw[rs].allowedHosts.allIp, (h.name, rs)
        opts = dict((o.key, o.value) for o in h.configManager.advancedOption.QueryOptions('UserVars.SuppressShellWarning'))
        assert str(opts['UserVars.SuppressShellWarning']) == '1', h.name
        sd = h.config.storageDevice
        assert sd.softwareInternetScsiEnabled is True, h.name
        hba = [a for a in sd.hostBusAdapter if isinstance(a, vim.host.InternetScsiHba) and a.isSoftwareBased][0]
        assert [(t.address, t.port) for t in hba.configuredSendTarget] == [
            (t['address'], t['port']) for t in vh.ISCSI_TARGETS], (h.name, hba.configuredSendTarget)


# The hand changes: (what, host, function(si, host object), task that must repair it)
def _drift(si):
    from pyVmomi import vim
    cluster = vh.find(si, vim.ClusterComputeResource, vh.CLUSTER)
    hosts = dict((h.name, h) for h in cluster.host)
    done = []

    def net(h):
        return h.configManager.networkSystem

    h = hosts['esxi1.lab.example']
    sw = [s for s in h.config.network.vswitch if s.name == 'vSwitch1'][0]
    spec = sw.spec
    spec.mtu = 1500
    net(h).UpdateVirtualSwitch('vSwitch1', spec)
    done.append(('vSwitch MTU', 'esxi1.lab.example', 'Standard vSwitches (explicit port count, uplinks and MTU)'))

    h = hosts['esxi2.lab.example']
    pg = [p for p in h.config.network.portgroup if p.spec.name == 'vMotion'][0].spec
    pg.vlanId = 999
    net(h).UpdatePortGroup('vMotion', pg)
    done.append(('port group VLAN', 'esxi2.lab.example', 'VMotion and storage port groups'))

    h = hosts['esxi3.lab.example']
    vmk = [v.device for v in h.config.network.vnic if v.portgroup == 'vMotion'][0]
    h.configManager.virtualNicManager.DeselectVnicForNicType('vmotion', vmk)
    done.append(('vMotion deselected', 'esxi3.lab.example', 'Vmkernel NICs (vMotion selected on the vMotion port group)'))

    h = hosts['esxi1.lab.example']
    h.configManager.dateTimeSystem.UpdateDateTimeConfig(
        config=vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=vh.NTP[:1])))
    done.append(('NTP server removed', 'esxi1.lab.example', 'NTP servers'))

    h = hosts['esxi2.lab.example']
    h.configManager.serviceSystem.StopService('ntpd')
    done.append(('ntpd stopped', 'esxi2.lab.example', 'Ntpd running and started with the host'))

    vh.wait(cluster.ReconfigureComputeResource_Task(
        vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(defaultVmBehavior='fullyAutomated')), True))
    done.append(('DRS mode flipped', 'esxi1.lab.example', 'DRS of %s' % vh.CLUSTER))

    h = hosts['esxi3.lab.example']
    h.configManager.advancedOption.UpdateOptions(
        changedValue=[vim.option.OptionValue(key='Config.HostAgent.log.level', value='verbose')])
    done.append(('advanced option', 'esxi3.lab.example', 'Advanced options'))

    h = hosts['esxi2.lab.example']
    h.configManager.firewallSystem.DisableRuleset('gdbserver')
    done.append(('firewall ruleset disabled', 'esxi2.lab.example', 'Firewall rulesets enabled (console proxy VNC ports, NTP client)'))

    h = hosts['esxi1.lab.example']
    target = vh.ISCSI_TARGETS[0]
    h.configManager.storageSystem.RemoveInternetScsiSendTargets(
        'vmhba65', [vim.host.InternetScsiHba.SendTarget(address=target['address'], port=target['port'])])
    done.append(('iSCSI send target removed', 'esxi1.lab.example', 'Software iSCSI send targets'))

    h = hosts['esxi2.lab.example']
    h.configManager.storageSystem.UpdateSoftwareInternetScsiEnabled(False)
    done.append(('software iSCSI disabled', 'esxi2.lab.example', 'Software iSCSI adapter enabled'))

    h = hosts['esxi3.lab.example']
    vh.wait(h.EnterMaintenanceMode_Task(0))
    dc = vh.find(si, vim.Datacenter, vh.DATACENTER)
    vh.wait(dc.hostFolder.MoveIntoFolder_Task([h]))
    done.append(('host moved out of the cluster', 'esxi3.lab.example', 'ESXi host in its cluster %s' % vh.CLUSTER))
    return done


ROLE = 'cloudstack.hypervisors.vsphere : '


def _names(changed):
    """(task, host) of the vsphere role's changed tasks (the report role writes files, not vCenter)."""
    return set((t[0][len(ROLE):], t[1]) for t in changed if t[0].startswith(ROLE))


def test_lifecycle(sim, tmp_path):
    hosts, gv = vh.model(sim)
    inv = vh.write_inventory(str(tmp_path / 'inv'), hosts, gv)
    si = vh.connect(sim)

    # 1. --check on an empty vCenter
    check = vh.playbook(inv, str(tmp_path), check=True)
    assert check.rc == 0, check.messages() or check.text()[-4000:]
    names = _names(check.changed_tasks())
    assert ('Datacenter %s' % vh.DATACENTER, HOSTS[0]) in names, '\n'.join(map(str, sorted(names)))
    assert ('Cluster with DRS and HA would be created (check mode, no datacenter yet) %s' % vh.CLUSTER, HOSTS[0]) in names
    for h in HOSTS:
        assert ('ESXi host would be added to or moved into its cluster (check mode) %s' % vh.CLUSTER, h) in names, sorted(names)
    assert vh.DATACENTER not in vh.datacenters(si), 'check mode created the datacenter'

    # 2. first run, through the README's one command (site.yml: every hypervisor
    #    of the inventory, the vSphere rows in the one readiness report)
    first = vh.playbook(inv, str(tmp_path), name='cloudstack.hypervisors.site')
    assert first.rc == 0, first.messages() or first.text()[-4000:]
    names = _names(first.changed_tasks())
    for h in HOSTS:
        assert ('ESXi host in its cluster %s' % vh.CLUSTER, h) in names, sorted(names)
    _assert_built(si)
    report = json.load(open(os.path.join(str(tmp_path), 'reports', 'readiness.json')))
    assert report['complete'] is True
    assert [r['host'] for r in report['hosts']] == HOSTS and all(r['ok'] for r in report['hosts']), report
    assert 'management: vSwitch0,,vmwaresvs' in report['hosts'][0]['traffic_labels']
    md = open(os.path.join(str(tmp_path), 'reports', 'readiness.md')).read()
    assert 'public: vSwitch0,200,vmwaresvs' in md

    # 3. second run: nothing to do
    second = vh.playbook(inv, str(tmp_path))
    assert second.rc == 0, second.messages()
    assert second.changed_tasks() == set(), sorted(second.changed_tasks())

    # 4. drift: --check predicts the real run, which repairs every hand change
    drifts = _drift(si)
    assert len(drifts) >= 8
    check = vh.playbook(inv, str(tmp_path), check=True)
    assert check.rc == 0, check.messages() or check.text()[-4000:]
    repair = vh.playbook(inv, str(tmp_path))
    assert repair.rc == 0, repair.messages() or repair.text()[-4000:]
    predicted, done = _names(check.changed_tasks()), _names(repair.changed_tasks())
    # in check mode the host moved out is predicted by its "would ... move" line,
    # and the targets of a disabled software adapter by theirs
    predicted = set((t.replace('ESXi host would be added to or moved into its cluster (check mode)',
                               'ESXi host in its cluster')
                     .replace('Software iSCSI send targets would be added (check mode, adapter not enabled yet)',
                              'Software iSCSI send targets'), h) for t, h in predicted)
    assert predicted == done, 'check: %s\nreal: %s' % (sorted(predicted), sorted(done))
    for what, host, task in drifts:
        assert (task, host) in done, '%s on %s was not repaired by "%s": %s' % (what, host, task, sorted(done))
    _assert_built(si)

    # 5. -vvv: nothing changes, no password anywhere in the output
    loud = vh.playbook(inv, str(tmp_path), extra=['-vvv'], callback='default')
    out = loud.text()
    assert loud.rc == 0, out[-4000:]
    recap = re.findall(r'^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)', out, re.M)
    assert sorted(h for h, _c in recap) == HOSTS and all(c == '0' for _h, c in recap), recap
    for secret in (sim['password'], vh.ESXI_PASSWORD):
        assert secret not in out, 'a password appears in the -vvv output'
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in out  # -vvv did show module arguments, masked
