# SPDX-License-Identifier: GPL-3.0-or-later
"""Clusters: DRS/HA kept by CreateClusterEx and ReconfigureComputeResource_Task, AddHost_Task
refusals, hosts moved out of and back into a cluster.

Faults as the vSphere Web Services API reference lists them for vim.ClusterComputeResource
and vim.Folder methods.
"""
from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from simtools import thumbprint, wait


def drs_spec(enabled=True, behavior='manual', rate=3):
    return vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(
        enabled=enabled, defaultVmBehavior=behavior, vmotionRate=rate, enableVmBehaviorOverrides=True))


def ha_spec(enabled=True, level=1, isolation='none'):
    return vim.cluster.ConfigSpecEx(dasConfig=vim.cluster.DasConfigInfo(
        enabled=enabled, hostMonitoring='enabled', admissionControlEnabled=True,
        admissionControlPolicy=vim.cluster.FailoverLevelAdmissionControlPolicy(failoverLevel=level),
        defaultVmSettings=vim.cluster.DasVmSettings(isolationResponse=isolation, restartPriority='high')))


def test_new_cluster_has_vcenter_defaults(inv):
    cfg = inv.cluster.configurationEx
    assert cfg.drsConfig.enabled is False and cfg.dasConfig.enabled is False
    assert cfg.drsConfig.defaultVmBehavior == 'fullyAutomated' and cfg.drsConfig.vmotionRate == 3


def test_create_cluster_ex_applies_its_spec(si):
    dc = si.RetrieveContent().rootFolder.CreateDatacenter('DC1')
    spec = drs_spec(behavior='partiallyAutomated', rate=2)
    spec.dasConfig = ha_spec().dasConfig
    cluster = dc.hostFolder.CreateClusterEx('C2', spec)
    cfg = cluster.configurationEx
    assert (cfg.drsConfig.enabled, cfg.drsConfig.defaultVmBehavior, cfg.drsConfig.vmotionRate) == \
        (True, 'partiallyAutomated', 2)
    assert cfg.dasConfig.enabled is True
    # CreateClusterEx: DuplicateName for a name in use, InvalidName for an empty name
    with pytest.raises(vim.fault.DuplicateName):
        dc.hostFolder.CreateClusterEx('C2', vim.cluster.ConfigSpecEx())
    with pytest.raises(vim.fault.InvalidName):
        dc.hostFolder.CreateClusterEx('', vim.cluster.ConfigSpecEx())
    # InvalidArgument for a DRS rate outside 1-5
    with pytest.raises(vmodl.fault.InvalidArgument):
        dc.hostFolder.CreateClusterEx('C3', drs_spec(rate=9))


def test_reconfigure_persists_drs(inv):
    wait(inv.cluster.ReconfigureComputeResource_Task(drs_spec(behavior='manual', rate=4), True))
    d = inv.cluster.configurationEx.drsConfig
    assert (d.enabled, d.defaultVmBehavior, d.vmotionRate, d.enableVmBehaviorOverrides) == (True, 'manual', 4, True)
    # modify=True is incremental: an HA change leaves DRS alone
    wait(inv.cluster.ReconfigureComputeResource_Task(ha_spec(), True))
    assert inv.cluster.configurationEx.drsConfig.defaultVmBehavior == 'manual'
    # proactive DRS and DRS advanced options are kept too (vmware.vmware.cluster_drs reads them)
    spec = vim.cluster.ConfigSpecEx(proactiveDrsConfig=vim.cluster.ProactiveDrsConfigInfo(enabled=False),
                                    drsConfig=vim.cluster.DrsConfigInfo(option=[
                                        vim.option.OptionValue(key='TryBalanceVmsPerHost', value='1')]))
    wait(inv.cluster.ReconfigureComputeResource_Task(spec, True))
    d = inv.cluster.configurationEx.drsConfig
    assert [(o.key, o.value) for o in d.option] == [('TryBalanceVmsPerHost', '1')]
    assert d.defaultVmBehavior == 'manual' and inv.cluster.configurationEx.proactiveDrsConfig.enabled is False


def test_reconfigure_persists_ha(inv):
    wait(inv.cluster.ReconfigureComputeResource_Task(ha_spec(level=2, isolation='powerOff'), True))
    das = inv.cluster.configurationEx.dasConfig
    assert das.enabled is True and das.hostMonitoring == 'enabled' and das.admissionControlEnabled is True
    assert isinstance(das.admissionControlPolicy, vim.cluster.FailoverLevelAdmissionControlPolicy)
    assert das.admissionControlPolicy.failoverLevel == 2
    assert (das.defaultVmSettings.isolationResponse, das.defaultVmSettings.restartPriority) == ('powerOff', 'high')
    # nested settings merge: VM tools monitoring defaults survive
    assert das.defaultVmSettings.vmToolsMonitoringSettings.vmMonitoring == 'vmMonitoringDisabled'


def test_reconfigure_without_modify_replaces(inv):
    wait(inv.cluster.ReconfigureComputeResource_Task(ha_spec(), True))
    wait(inv.cluster.ReconfigureComputeResource_Task(drs_spec(behavior='manual'), False))
    cfg = inv.cluster.configurationEx
    assert cfg.drsConfig.defaultVmBehavior == 'manual' and cfg.dasConfig.enabled is False


@pytest.mark.parametrize('spec', [
    drs_spec(rate=0 - 1), drs_spec(rate=6), drs_spec(behavior='sometimes'),
    ha_spec(level=0), ha_spec(isolation='panic'),
])
def test_reconfigure_refuses_what_vcenter_refuses(inv, spec):
    # ReconfigureComputeResource_Task: InvalidArgument for values outside the API's ranges/enums
    before = (inv.cluster.configurationEx.drsConfig.vmotionRate, inv.cluster.configurationEx.dasConfig.enabled)
    with pytest.raises(vmodl.fault.InvalidArgument):
        wait(inv.cluster.ReconfigureComputeResource_Task(spec, True))
    assert (inv.cluster.configurationEx.drsConfig.vmotionRate, inv.cluster.configurationEx.dasConfig.enabled) == before


# --- AddHost_Task ------------------------------------------------------------------------

def connect_spec(name, tp='auto', password='secret'):
    return vim.host.ConnectSpec(hostName=name, userName='root', password=password,
                                sslThumbprint=thumbprint(name) if tp == 'auto' else tp)


def test_add_host_refusals(inv):
    # AlreadyConnected: "the host is already connected to a VirtualCenter server ... added more than once"
    with pytest.raises(vim.fault.AlreadyConnected):
        wait(inv.cluster.AddHost_Task(connect_spec(inv.host.name), True))
    # SSLVerifyFault without a thumbprint, carrying the host's own (what TOFU clients retry with)
    with pytest.raises(vim.fault.SSLVerifyFault) as err:
        wait(inv.cluster.AddHost_Task(connect_spec('esxi4.lab.example', tp=None), True))
    assert err.value.thumbprint == thumbprint('esxi4.lab.example')
    with pytest.raises(vim.fault.SSLVerifyFault):
        wait(inv.cluster.AddHost_Task(connect_spec('esxi4.lab.example', tp='AA:BB'), True))
    assert len(inv.cluster.host) == 3


def test_strict_thumbprints_and_esxi_password(vcsim_binary):
    from vcsim import Vcsim
    with Vcsim(binary=vcsim_binary, strict_thumbprints=True, esxi_password='Esx!pw') as s:
        dc = s.connect().RetrieveContent().rootFolder.CreateDatacenter('DC1')
        cluster = dc.hostFolder.CreateClusterEx('C1', vim.cluster.ConfigSpecEx())
        with pytest.raises(vim.fault.SSLVerifyFault):
            wait(cluster.AddHost_Task(connect_spec('esxi1.lab.example', tp=':'.join(['AA'] * 20),
                                                   password='Esx!pw'), True))
        # InvalidLogin: the ESXi root password is wrong
        with pytest.raises(vim.fault.InvalidLogin):
            wait(cluster.AddHost_Task(connect_spec('esxi1.lab.example', password='wrong'), True))
        host = wait(cluster.AddHost_Task(connect_spec('esxi1.lab.example', password='Esx!pw'), True))
        assert host.name == 'esxi1.lab.example'


# --- moving hosts ---------------------------------------------------------------------------

def test_host_moved_out_of_the_cluster_and_back(inv):
    host = inv.hosts[2]
    # MoveIntoFolder_Task of a connected cluster host not in maintenance mode: InvalidState
    with pytest.raises(vim.fault.InvalidState):
        wait(inv.dc.hostFolder.MoveIntoFolder_Task([host]))
    wait(host.EnterMaintenanceMode_Task(0))
    wait(inv.dc.hostFolder.MoveIntoFolder_Task([host]))
    assert isinstance(host.parent, vim.ComputeResource) and not isinstance(host.parent, vim.ClusterComputeResource)
    assert host.parent.parent == inv.dc.hostFolder and host.parent.name == host.name
    assert host not in inv.cluster.host and inv.cluster.summary.numHosts == 2
    # and back, as vmware.vmware.esxi_host does it
    wait(inv.cluster.MoveHostInto_Task(host=host, resourcePool=None))
    assert host.parent == inv.cluster and host in inv.cluster.host
    assert inv.cluster.summary.numHosts == 3
    assert [e for e in inv.dc.hostFolder.childEntity if e.name == host.name] == []
    # the host keeps its own configuration through the move
    assert [v.device for v in host.config.network.vnic] == ['vmk0']


def test_move_host_into_refusals(inv, si):
    dc = inv.dc
    other = dc.hostFolder.CreateClusterEx('Cluster2', vim.cluster.ConfigSpecEx())
    # MoveHostInto_Task from another cluster without maintenance mode: InvalidState
    with pytest.raises(vim.fault.InvalidState):
        wait(other.MoveHostInto_Task(host=inv.host, resourcePool=None))
    # a host of another datacenter: InvalidArgument
    dc2 = si.RetrieveContent().rootFolder.CreateDatacenter('DC2')
    c2 = dc2.hostFolder.CreateClusterEx('C', vim.cluster.ConfigSpecEx())
    h2 = wait(c2.AddHost_Task(connect_spec('esxi9.lab.example'), True))
    wait(h2.EnterMaintenanceMode_Task(0))
    with pytest.raises(vmodl.fault.InvalidArgument):
        wait(other.MoveHostInto_Task(host=h2, resourcePool=None))
    assert inv.host.parent == inv.cluster and h2.parent == c2
