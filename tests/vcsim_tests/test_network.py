# SPDX-License-Identifier: GPL-3.0-or-later
"""HostNetworkSystem and HostVirtualNicManager of the extension, per host.

Each refusal cites the fault the vSphere Web Services API reference lists for the method
(vim.host.NetworkSystem, vim.host.VirtualNicManager).
"""
from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl


def ns(host):
    return host.configManager.networkSystem


def vswitch(host, name):
    return next((v for v in host.config.network.vswitch if v.name == name), None)


def portgroup(host, name):
    return next((p for p in host.config.network.portgroup if p.spec.name == name), None)


def switch_spec(ports=4088, mtu=9000, nics=('vmnic1',)):
    return vim.host.VirtualSwitch.Specification(
        numPorts=ports, mtu=mtu, bridge=vim.host.VirtualSwitch.BondBridge(nicDevice=list(nics)))


def pg_spec(name, vlan=0, vswitch_name='vSwitch1'):
    return vim.host.PortGroup.Specification(name=name, vlanId=vlan, vswitchName=vswitch_name,
                                            policy=vim.host.NetworkPolicy())


def vnic_spec(ip, mask='255.255.255.0', mtu=1500):
    return vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress=ip, subnetMask=mask), mtu=mtu)


# --- vSwitches -------------------------------------------------------------------------

def test_add_virtual_switch_stores_ports_mtu_and_uplinks(inv):
    ns(inv.host).AddVirtualSwitch('vSwitch1', switch_spec())
    vs = vswitch(inv.host, 'vSwitch1')
    assert (vs.numPorts, vs.mtu, vs.spec.numPorts, vs.spec.mtu) == (4088, 9000, 4088, 9000)
    assert list(vs.spec.bridge.nicDevice) == ['vmnic1']
    assert list(vs.pnic) == ['key-vim.host.PhysicalNic-vmnic1']
    # networkSystem.networkInfo is the same view as host.config.network
    assert [v.name for v in ns(inv.host).networkInfo.vswitch] == ['vSwitch0', 'vSwitch1']
    # other hosts are untouched
    assert vswitch(inv.hosts[1], 'vSwitch1') is None


def test_add_virtual_switch_refusals(inv):
    n = ns(inv.host)
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    # AddVirtualSwitch: AlreadyExists "if the virtual switch already exists"
    with pytest.raises(vim.fault.AlreadyExists):
        n.AddVirtualSwitch('vSwitch1', switch_spec(nics=('vmnic2',)))
    # ResourceInUse "if the physical network adapter being bridged is already in use"
    with pytest.raises(vim.fault.ResourceInUse):
        n.AddVirtualSwitch('vSwitch2', switch_spec(nics=('vmnic1',)))
    # InvalidArgument for a NIC that does not exist, ports or MTU out of range, a bad name
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddVirtualSwitch('vSwitch2', switch_spec(nics=('vmnic9',)))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddVirtualSwitch('vSwitch2', switch_spec(ports=5000, nics=('vmnic2',)))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddVirtualSwitch('vSwitch2', switch_spec(mtu=9500, nics=('vmnic2',)))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddVirtualSwitch('x' * 33, switch_spec(nics=('vmnic2',)))
    assert [v.name for v in inv.host.config.network.vswitch] == ['vSwitch0', 'vSwitch1']


def test_update_virtual_switch(inv):
    n = ns(inv.host)
    n.AddVirtualSwitch('vSwitch1', switch_spec(ports=128, mtu=1500))
    n.UpdateVirtualSwitch('vSwitch1', switch_spec(ports=4088, mtu=9000, nics=('vmnic1', 'vmnic2')))
    vs = vswitch(inv.host, 'vSwitch1')
    assert (vs.spec.numPorts, vs.mtu) == (4088, 9000)
    assert list(vs.spec.bridge.nicDevice) == ['vmnic1', 'vmnic2']
    # UpdateVirtualSwitch: NotFound "if the virtual switch cannot be found"
    with pytest.raises(vim.fault.NotFound):
        n.UpdateVirtualSwitch('vSwitch9', switch_spec())
    # ResourceInUse: vmnic0 is vSwitch0's uplink
    with pytest.raises(vim.fault.ResourceInUse):
        n.UpdateVirtualSwitch('vSwitch1', switch_spec(nics=('vmnic0',)))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.UpdateVirtualSwitch('vSwitch1', switch_spec(mtu=100))
    assert vswitch(inv.host, 'vSwitch1').mtu == 9000


def test_remove_virtual_switch(inv):
    n = ns(inv.host)
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    n.AddPortGroup(pg_spec('Storage', 20))
    n.AddVirtualNic('Storage', vnic_spec('10.0.20.11'))
    # ResourceInUse while a vmkernel NIC is on one of its port groups
    with pytest.raises(vim.fault.ResourceInUse):
        n.RemoveVirtualSwitch('vSwitch1')
    n.RemoveVirtualNic('vmk1')
    n.RemoveVirtualSwitch('vSwitch1')
    assert vswitch(inv.host, 'vSwitch1') is None and portgroup(inv.host, 'Storage') is None
    with pytest.raises(vim.fault.NotFound):
        n.RemoveVirtualSwitch('vSwitch1')


# --- port groups -----------------------------------------------------------------------

def test_same_port_group_on_every_host_shares_one_network(inv):
    for h in inv.hosts:
        ns(h).AddVirtualSwitch('vSwitch1', switch_spec())
        ns(h).AddPortGroup(pg_spec('vMotion', 30))
    for h in inv.hosts:
        pg = portgroup(h, 'vMotion')
        assert pg.spec.vlanId == 30 and pg.vswitch == 'key-vim.host.VirtualSwitch-vSwitch1'
        assert 'key-vim.host.PortGroup-vMotion' in vswitch(h, 'vSwitch1').portgroup
    nets = [n for n in inv.dc.network if n.name == 'vMotion']
    assert len(nets) == 1
    assert sorted(h.name for h in nets[0].host) == sorted(h.name for h in inv.hosts)
    assert all(nets[0] in h.network for h in inv.hosts)


def test_add_port_group_refusals(inv):
    n = ns(inv.host)
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    n.AddPortGroup(pg_spec('Storage', 20))
    # AddPortGroup: AlreadyExists "if the port group already exists"
    with pytest.raises(vim.fault.AlreadyExists):
        n.AddPortGroup(pg_spec('Storage', 21))
    # NotFound "if the virtual switch does not exist"
    with pytest.raises(vim.fault.NotFound):
        n.AddPortGroup(pg_spec('Other', 21, 'vSwitch9'))
    # InvalidArgument: VLAN outside 0-4095, empty name
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddPortGroup(pg_spec('Other', 4096))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddPortGroup(pg_spec('', 1))
    assert portgroup(inv.host, 'Storage').spec.vlanId == 20 and portgroup(inv.host, 'Other') is None


def test_update_port_group_vlan_and_switch(inv):
    n = ns(inv.host)
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    n.AddPortGroup(pg_spec('Storage', 20))
    n.UpdatePortGroup('Storage', pg_spec('Storage', 25))
    assert portgroup(inv.host, 'Storage').spec.vlanId == 25
    n.UpdatePortGroup('Storage', pg_spec('Storage', 25, 'vSwitch0'))
    assert portgroup(inv.host, 'Storage').vswitch == 'key-vim.host.VirtualSwitch-vSwitch0'
    assert 'key-vim.host.PortGroup-Storage' in vswitch(inv.host, 'vSwitch0').portgroup
    assert 'key-vim.host.PortGroup-Storage' not in vswitch(inv.host, 'vSwitch1').portgroup
    # the management port group's VLAN can be changed too (the role only does it on opt-in)
    n.UpdatePortGroup('Management Network', pg_spec('Management Network', 10, 'vSwitch0'))
    assert portgroup(inv.host, 'Management Network').spec.vlanId == 10
    # UpdatePortGroup: NotFound for an unknown port group or vSwitch; AlreadyExists on rename
    with pytest.raises(vim.fault.NotFound):
        n.UpdatePortGroup('Nope', pg_spec('Nope', 1))
    with pytest.raises(vim.fault.NotFound):
        n.UpdatePortGroup('Storage', pg_spec('Storage', 1, 'vSwitch9'))
    with pytest.raises(vim.fault.AlreadyExists):
        n.UpdatePortGroup('Storage', pg_spec('VM Network', 1, 'vSwitch0'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.UpdatePortGroup('Storage', pg_spec('Storage', -1, 'vSwitch0'))
    assert portgroup(inv.host, 'Storage').spec.vlanId == 25


def test_remove_port_group(inv):
    for h in inv.hosts[:2]:
        ns(h).AddVirtualSwitch('vSwitch1', switch_spec())
        ns(h).AddPortGroup(pg_spec('Storage', 20))
    n = ns(inv.host)
    n.AddVirtualNic('Storage', vnic_spec('10.0.20.11'))
    # RemovePortGroup: ResourceInUse "if the port group has virtual NICs"
    with pytest.raises(vim.fault.ResourceInUse):
        n.RemovePortGroup('Storage')
    n.RemoveVirtualNic('vmk1')
    n.RemovePortGroup('Storage')
    assert portgroup(inv.host, 'Storage') is None
    assert 'key-vim.host.PortGroup-Storage' not in vswitch(inv.host, 'vSwitch1').portgroup
    net = next(x for x in inv.dc.network if x.name == 'Storage')
    assert [h.name for h in net.host] == [inv.hosts[1].name]
    ns(inv.hosts[1]).RemovePortGroup('Storage')
    assert 'Storage' not in [x.name for x in inv.dc.network]
    with pytest.raises(vim.fault.NotFound):
        n.RemovePortGroup('Storage')


# --- vmkernel NICs and traffic types -----------------------------------------------------

def test_vmk0_is_management_from_the_start(inv):
    for h in inv.hosts:
        cfg = h.configManager.virtualNicManager.QueryNetConfig('management')
        assert [c.device for c in cfg.candidateVnic if c.key in cfg.selectedVnic] == ['vmk0']
        vm = h.configManager.virtualNicManager.QueryNetConfig('vmotion')
        assert not vm.selectedVnic
    macs = {h.config.network.vnic[0].spec.mac for h in inv.hosts}
    assert len(macs) == 3


def test_add_virtual_nic_and_select_vmotion(inv):
    n, mgr = ns(inv.host), inv.host.configManager.virtualNicManager
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    n.AddPortGroup(pg_spec('vMotion', 30))
    device = n.AddVirtualNic('vMotion', vnic_spec('10.0.30.11', mtu=9000))
    assert device == 'vmk1'
    vnic = next(v for v in inv.host.config.network.vnic if v.device == 'vmk1')
    assert (vnic.portgroup, vnic.spec.ip.ipAddress, vnic.spec.mtu) == ('vMotion', '10.0.30.11', 9000)
    mgr.SelectVnicForNicType('vmotion', 'vmk1')
    cfg = mgr.QueryNetConfig('vmotion')
    assert [c.device for c in cfg.candidateVnic if c.key in cfg.selectedVnic] == ['vmk1']
    info = {c.nicType: c for c in inv.host.config.virtualNicManagerInfo.netConfig}
    assert info['vmotion'].selectedVnic == ['vmotion.key-vim.host.VirtualNic-vmk1']
    assert inv.host.config.vmotion.netConfig.selectedVnic.endswith('vmk1')
    mgr.DeselectVnicForNicType('vmotion', 'vmk1')
    assert not mgr.QueryNetConfig('vmotion').selectedVnic
    # vmk0 can carry vMotion too (the guide's way)
    mgr.SelectVnicForNicType('vmotion', 'vmk0')
    cfg = mgr.QueryNetConfig('vmotion')
    assert [c.device for c in cfg.candidateVnic if c.key in cfg.selectedVnic] == ['vmk0']


def test_virtual_nic_refusals(inv):
    n, mgr = ns(inv.host), inv.host.configManager.virtualNicManager
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    n.AddPortGroup(pg_spec('vMotion', 30))
    n.AddVirtualNic('vMotion', vnic_spec('10.0.30.11'))
    # AddVirtualNic on a port group that does not exist: NotFound
    with pytest.raises(vim.fault.NotFound):
        n.AddVirtualNic('Nope', vnic_spec('10.0.31.11'))
    # a second vmknic on the same port group: AlreadyExists
    with pytest.raises(vim.fault.AlreadyExists):
        n.AddVirtualNic('vMotion', vnic_spec('10.0.30.12'))
    # InvalidArgument for a malformed IP or netmask, or an IP another vmknic has
    n.AddPortGroup(pg_spec('Storage', 20))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddVirtualNic('Storage', vnic_spec('10.0.20.300'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddVirtualNic('Storage', vnic_spec('10.0.20.11', mask='255.255.255.x'))
    with pytest.raises(vmodl.fault.InvalidArgument):
        n.AddVirtualNic('Storage', vnic_spec('10.0.30.11'))
    # UpdateVirtualNic / RemoveVirtualNic of an unknown device: NotFound
    with pytest.raises(vim.fault.NotFound):
        n.UpdateVirtualNic('vmk7', vnic_spec('10.0.30.13'))
    with pytest.raises(vim.fault.NotFound):
        n.RemoveVirtualNic('vmk7')
    # Select/DeselectVnicForNicType: InvalidArgument "if nicType is invalid, or device
    # represents a nonexistent or invalid VirtualNic"; QueryNetConfig likewise for nicType
    with pytest.raises(vmodl.fault.InvalidArgument):
        mgr.SelectVnicForNicType('vmotion', 'vmk7')
    with pytest.raises(vmodl.fault.InvalidArgument):
        mgr.SelectVnicForNicType('teleport', 'vmk1')
    with pytest.raises(vmodl.fault.InvalidArgument):
        mgr.DeselectVnicForNicType('vmotion', 'vmk7')
    with pytest.raises(vmodl.fault.InvalidArgument):
        mgr.QueryNetConfig('teleport')
    assert [v.device for v in inv.host.config.network.vnic] == ['vmk0', 'vmk1']


def test_update_virtual_nic(inv):
    n = ns(inv.host)
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    n.AddPortGroup(pg_spec('vMotion', 30))
    n.AddPortGroup(pg_spec('vMotion2', 31))
    n.AddVirtualNic('vMotion', vnic_spec('10.0.30.11'))
    inv.host.configManager.virtualNicManager.SelectVnicForNicType('vmotion', 'vmk1')
    n.UpdateVirtualNic('vmk1', vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress='10.0.30.21', subnetMask='255.255.255.0'), mtu=9000))
    vnic = next(v for v in inv.host.config.network.vnic if v.device == 'vmk1')
    assert (vnic.spec.ip.ipAddress, vnic.spec.mtu, vnic.portgroup) == ('10.0.30.21', 9000, 'vMotion')
    n.UpdateVirtualNic('vmk1', vim.host.VirtualNic.Specification(portgroup='vMotion2'))
    vnic = next(v for v in inv.host.config.network.vnic if v.device == 'vmk1')
    assert vnic.portgroup == 'vMotion2' and vnic.spec.ip.ipAddress == '10.0.30.21'
    with pytest.raises(vim.fault.NotFound):
        n.UpdateVirtualNic('vmk1', vim.host.VirtualNic.Specification(portgroup='Nope'))
    # removing it also takes it out of vMotion
    n.RemoveVirtualNic('vmk1')
    assert not inv.host.configManager.virtualNicManager.QueryNetConfig('vmotion').selectedVnic


def test_port_group_policy_reads_back_as_esxi_reports_it(inv):
    # ESXi reports "no override" as empty policy objects, not absent ones; vmware_portgroup
    # compares against that, so a sim returning None would never be idempotent.
    n = ns(inv.host)
    n.AddVirtualSwitch('vSwitch1', switch_spec())
    n.AddPortGroup(vim.host.PortGroup.Specification(name='vMotion', vlanId=30, vswitchName='vSwitch1',
                                                    policy=vim.host.NetworkPolicy()))
    policy = portgroup(inv.host, 'vMotion').spec.policy
    assert policy.security is not None and policy.security.allowPromiscuous is None
    assert policy.nicTeaming is not None and policy.shapingPolicy is not None


def test_every_traffic_type_vmware_vmkernel_queries_is_known(inv):
    mgr = inv.host.configManager.virtualNicManager
    for nic_type in ('vmotion', 'vsan', 'management', 'faultToleranceLogging', 'vSphereProvisioning',
                     'vSphereReplication', 'vSphereReplicationNFC', 'vSphereBackupNFC'):
        assert mgr.QueryNetConfig(nic_type).nicType == nic_type
