// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

package cshvext

// Host networking: HostNetworkSystem (vSwitches, port groups, vmkernel NICs) and
// HostVirtualNicManager (which vmknic carries which traffic type), per host.
//
// One source of truth: host.config.network (types.HostNetworkInfo). The network
// system's networkInfo property is the same pointer, so both read paths agree.
// Semantics and faults follow the vSphere Web Services API reference
// (vim.host.NetworkSystem, vim.host.VirtualNicManager).

import (
	"fmt"
	"net"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	vswitchKeyPrefix   = "key-vim.host.VirtualSwitch-"
	portgroupKeyPrefix = "key-vim.host.PortGroup-"
	vnicKeyPrefix      = "key-vim.host.VirtualNic-"
	pnicKeyPrefix      = "key-vim.host.PhysicalNic-"
	maxVswitchPorts    = 4096
	maxVswitchName     = 32
)

// nicTypes are the HostVirtualNicManager traffic types a standard ESXi 7/8 host knows.
var nicTypes = []string{
	"management", "vmotion", "faultToleranceLogging", "vSphereReplication",
	"vSphereReplicationNFC", "vSphereProvisioning", "vsan", "vsanWitness", "vSphereBackupNFC", "ptp",
	"nvmeTcp", "nvmeRdma",
}

// NetworkSystem replaces govmomi's HostNetworkSystem for one host.
type NetworkSystem struct {
	mo.HostNetworkSystem

	st *hostState
}

// VirtualNicManager is the HostVirtualNicManager govmomi 0.24.2 does not register.
type VirtualNicManager struct {
	mo.HostVirtualNicManager

	st *hostState
}

func init() {
	hostExtensions = append(hostExtensions, extendNetwork)
}

func extendNetwork(host *simulator.HostSystem) {
	st := stateOf(host)
	netinfo := host.Config.Network
	// Two more physical NICs (vmnic2, vmnic3) beside the template's vmnic0/vmnic1,
	// so a host can carry vSwitch0 plus separate storage/guest vSwitches.
	if len(netinfo.Pnic) > 0 {
		base := netinfo.Pnic[len(netinfo.Pnic)-1]
		for i := len(netinfo.Pnic); i < 4; i++ {
			p := base
			p.Device = fmt.Sprintf("vmnic%d", i)
			p.Key = pnicKeyPrefix + p.Device
			p.Pci = fmt.Sprintf("0000:%02x:00.0", 0x1b+i)
			p.Mac = fmt.Sprintf("00:50:56:%02x:%02x:%02x", st.id&0xff, (st.id>>8)&0xff, i)
			netinfo.Pnic = append(netinfo.Pnic, p)
		}
	}
	// A distinct MAC per host for vmk0 (the template shares one).
	for i := range netinfo.Vnic {
		netinfo.Vnic[i].Spec.Mac = fmt.Sprintf("00:50:56:%02x:%02x:%02x", st.id&0xff, (st.id>>8)&0xff, 0x80+i)
	}
	st.selected = map[string][]string{"management": {"vmk0"}}

	ns := &NetworkSystem{st: st}
	ns.Self = *host.ConfigManager.NetworkSystem
	ns.NetworkInfo = netinfo
	old := simulator.Map.Get(ns.Self)
	if stock, ok := old.(*simulator.HostNetworkSystem); ok {
		ns.Capabilities = stock.Capabilities
		ns.OffloadCapabilities = stock.OffloadCapabilities
	}
	simulator.Map.Put(ns)

	vm := &VirtualNicManager{st: st}
	vm.Self = types.ManagedObjectReference{Type: "HostVirtualNicManager", Value: "cshv-vnicmgr-" + host.Self.Value}
	simulator.Map.Put(vm)
	ref := vm.Self
	host.ConfigManager.VirtualNicManager = &ref
	st.vnicMgr = vm
	st.refreshVnics()
}

func fault(f types.BaseMethodFault) *soap.Fault { return simulator.Fault("", f) }

func faultMsg(msg string, f types.BaseMethodFault) *soap.Fault { return simulator.Fault(msg, f) }

func invalidArgument(property string) *types.InvalidArgument {
	return &types.InvalidArgument{InvalidProperty: property}
}

// --- helpers on the host's network info ---------------------------------------------

func (st *hostState) net() *types.HostNetworkInfo { return st.host.Config.Network }

func (st *hostState) vswitch(name string) *types.HostVirtualSwitch {
	n := st.net()
	for i := range n.Vswitch {
		if n.Vswitch[i].Name == name {
			return &n.Vswitch[i]
		}
	}
	return nil
}

func (st *hostState) portgroup(name string) *types.HostPortGroup {
	n := st.net()
	for i := range n.Portgroup {
		if n.Portgroup[i].Spec.Name == name {
			return &n.Portgroup[i]
		}
	}
	return nil
}

func (st *hostState) vnic(device string) *types.HostVirtualNic {
	n := st.net()
	for i := range n.Vnic {
		if n.Vnic[i].Device == device {
			return &n.Vnic[i]
		}
	}
	return nil
}

func (st *hostState) pnicExists(device string) bool {
	for _, p := range st.net().Pnic {
		if p.Device == device {
			return true
		}
	}
	return false
}

func bridgeNics(spec *types.HostVirtualSwitchSpec) []string {
	if spec == nil || spec.Bridge == nil {
		return nil
	}
	if b, ok := spec.Bridge.(*types.HostVirtualSwitchBondBridge); ok {
		return b.NicDevice
	}
	if b, ok := spec.Bridge.(*types.HostVirtualSwitchSimpleBridge); ok {
		return []string{b.NicDevice}
	}
	return nil
}

func removeString(list []string, s string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkVswitchSpec validates a HostVirtualSwitchSpec the way ESXi refuses bad ones:
// InvalidArgument for ports/MTU out of range or an unknown physical NIC, ResourceInUse
// for a physical NIC another vSwitch already bridges (AddVirtualSwitch/UpdateVirtualSwitch).
func (st *hostState) checkVswitchSpec(name string, spec *types.HostVirtualSwitchSpec) types.BaseMethodFault {
	if spec == nil {
		return nil
	}
	if spec.NumPorts < 0 || spec.NumPorts > maxVswitchPorts {
		return invalidArgument("spec.numPorts")
	}
	if spec.Mtu != 0 && (spec.Mtu < 1280 || spec.Mtu > 9000) {
		return invalidArgument("spec.mtu")
	}
	for _, nic := range bridgeNics(spec) {
		if !st.pnicExists(nic) {
			return invalidArgument("spec.bridge.nicDevice")
		}
		for _, vs := range st.net().Vswitch {
			if vs.Name != name && hasString(vs.Pnic, pnicKeyPrefix+nic) {
				return &types.ResourceInUse{Type: "PhysicalNic", Name: nic}
			}
		}
	}
	return nil
}

func applyVswitchSpec(vs *types.HostVirtualSwitch, spec types.HostVirtualSwitchSpec) {
	if spec.Policy == nil {
		spec.Policy = vs.Spec.Policy
	}
	vs.Spec = spec
	vs.NumPorts = spec.NumPorts
	if vs.NumPorts == 0 {
		vs.NumPorts = 128
	}
	vs.NumPortsAvailable = vs.NumPorts - 8
	vs.Mtu = spec.Mtu
	if vs.Mtu == 0 {
		vs.Mtu = 1500
	}
	vs.Pnic = nil
	for _, nic := range bridgeNics(&spec) {
		vs.Pnic = append(vs.Pnic, pnicKeyPrefix+nic)
	}
}

// --- vSwitches ------------------------------------------------------------------------

// AddVirtualSwitch: AlreadyExists for a name in use; InvalidArgument for a bad name or
// spec; ResourceInUse for an uplink another vSwitch has. Stores numPorts, MTU and uplinks.
func (s *NetworkSystem) AddVirtualSwitch(req *types.AddVirtualSwitch) soap.HasFault {
	body := &methods.AddVirtualSwitchBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	if req.VswitchName == "" || len(req.VswitchName) > maxVswitchName {
		body.Fault_ = fault(invalidArgument("vswitchName"))
		return body
	}
	if st.vswitch(req.VswitchName) != nil {
		body.Fault_ = fault(&types.AlreadyExists{Name: req.VswitchName})
		return body
	}
	if f := st.checkVswitchSpec(req.VswitchName, req.Spec); f != nil {
		body.Fault_ = fault(f)
		return body
	}
	vs := types.HostVirtualSwitch{Name: req.VswitchName, Key: vswitchKeyPrefix + req.VswitchName}
	spec := types.HostVirtualSwitchSpec{NumPorts: 128}
	if req.Spec != nil {
		spec = *req.Spec
	}
	if spec.Policy == nil {
		spec.Policy = defaultSwitchPolicy(bridgeNics(&spec))
	}
	applyVswitchSpec(&vs, spec)
	st.net().Vswitch = append(st.net().Vswitch, vs)
	body.Res = &types.AddVirtualSwitchResponse{}
	return body
}

func defaultSwitchPolicy(nics []string) *types.HostNetworkPolicy {
	return &types.HostNetworkPolicy{
		Security: &types.HostNetworkSecurityPolicy{
			AllowPromiscuous: types.NewBool(false),
			MacChanges:       types.NewBool(false),
			ForgedTransmits:  types.NewBool(false),
		},
		NicTeaming: &types.HostNicTeamingPolicy{
			Policy:         "loadbalance_srcid",
			ReversePolicy:  types.NewBool(true),
			NotifySwitches: types.NewBool(true),
			RollingOrder:   types.NewBool(false),
			NicOrder:       &types.HostNicOrderPolicy{ActiveNic: nics},
		},
		ShapingPolicy: &types.HostNetworkTrafficShapingPolicy{Enabled: types.NewBool(false)},
	}
}

// UpdateVirtualSwitch (missing from govmomi): NotFound for an unknown vSwitch, the same
// spec checks as AddVirtualSwitch; the new spec replaces the old one.
func (s *NetworkSystem) UpdateVirtualSwitch(req *types.UpdateVirtualSwitch) soap.HasFault {
	body := &methods.UpdateVirtualSwitchBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	vs := st.vswitch(req.VswitchName)
	if vs == nil {
		body.Fault_ = faultMsg(fmt.Sprintf("vSwitch %s not found on %s", req.VswitchName, hostName(&st.host.HostSystem)),
			&types.NotFound{})
		return body
	}
	if f := st.checkVswitchSpec(req.VswitchName, &req.Spec); f != nil {
		body.Fault_ = fault(f)
		return body
	}
	applyVswitchSpec(vs, req.Spec)
	body.Res = &types.UpdateVirtualSwitchResponse{}
	return body
}

// RemoveVirtualSwitch: NotFound for an unknown vSwitch; ResourceInUse while a vmkernel
// NIC sits on one of its port groups. Its port groups go with it.
func (s *NetworkSystem) RemoveVirtualSwitch(req *types.RemoveVirtualSwitch) soap.HasFault {
	body := &methods.RemoveVirtualSwitchBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	vs := st.vswitch(req.VswitchName)
	if vs == nil {
		body.Fault_ = fault(&types.NotFound{})
		return body
	}
	var pgs []string
	for _, pg := range st.net().Portgroup {
		if pg.Vswitch == vs.Key {
			pgs = append(pgs, pg.Spec.Name)
		}
	}
	for _, v := range st.net().Vnic {
		if hasString(pgs, v.Portgroup) {
			body.Fault_ = fault(&types.ResourceInUse{Type: "HostVirtualNic", Name: v.Device})
			return body
		}
	}
	for _, name := range pgs {
		st.dropPortgroup(name)
	}
	n := st.net()
	for i := range n.Vswitch {
		if n.Vswitch[i].Name == req.VswitchName {
			n.Vswitch = append(n.Vswitch[:i], n.Vswitch[i+1:]...)
			break
		}
	}
	body.Res = &types.RemoveVirtualSwitchResponse{}
	return body
}

// --- port groups ----------------------------------------------------------------------

func checkVlan(vlan int32) types.BaseMethodFault {
	if vlan < 0 || vlan > 4095 {
		return invalidArgument("portgrp.vlanId")
	}
	return nil
}

// AddPortGroup: InvalidArgument for an empty name or a VLAN outside 0-4095, NotFound for
// an unknown vSwitch, AlreadyExists for a name in use on this host. The same name on
// several hosts shares the datacenter's Network of that name (as vCenter does).
func (s *NetworkSystem) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	body := &methods.AddPortGroupBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	spec := req.Portgrp
	if spec.Name == "" {
		body.Fault_ = fault(invalidArgument("portgrp.name"))
		return body
	}
	if f := checkVlan(spec.VlanId); f != nil {
		body.Fault_ = fault(f)
		return body
	}
	vs := st.vswitch(spec.VswitchName)
	if vs == nil {
		body.Fault_ = faultMsg(fmt.Sprintf("vSwitch %s not found on %s", spec.VswitchName, hostName(&st.host.HostSystem)),
			&types.NotFound{})
		return body
	}
	if st.portgroup(spec.Name) != nil {
		body.Fault_ = fault(&types.AlreadyExists{Name: spec.Name})
		return body
	}
	normalizePolicy(&spec.Policy)
	pg := types.HostPortGroup{
		Key:            portgroupKeyPrefix + spec.Name,
		Vswitch:        vs.Key,
		Spec:           spec,
		ComputedPolicy: computedPolicy(vs, spec.Policy),
	}
	st.net().Portgroup = append(st.net().Portgroup, pg)
	vs.Portgroup = append(vs.Portgroup, pg.Key)
	st.attachNetwork(ctx, spec.Name)
	body.Res = &types.AddPortGroupResponse{}
	return body
}

// normalizePolicy gives a port group's spec.policy what ESXi reports for "no override":
// empty (not absent) security, NIC teaming, offload and shaping policies.
func normalizePolicy(p *types.HostNetworkPolicy) {
	if p.Security == nil {
		p.Security = &types.HostNetworkSecurityPolicy{}
	}
	if p.NicTeaming == nil {
		p.NicTeaming = &types.HostNicTeamingPolicy{}
	}
	if p.NicTeaming.FailureCriteria == nil {
		p.NicTeaming.FailureCriteria = &types.HostNicFailureCriteria{}
	}
	if p.OffloadPolicy == nil {
		p.OffloadPolicy = &types.HostNetOffloadCapabilities{}
	}
	if p.ShapingPolicy == nil {
		p.ShapingPolicy = &types.HostNetworkTrafficShapingPolicy{}
	}
}

func computedPolicy(vs *types.HostVirtualSwitch, over types.HostNetworkPolicy) types.HostNetworkPolicy {
	p := types.HostNetworkPolicy{}
	if vs.Spec.Policy != nil {
		p = *vs.Spec.Policy
	}
	if over.Security != nil {
		p.Security = over.Security
	}
	if over.NicTeaming != nil {
		p.NicTeaming = over.NicTeaming
	}
	if over.OffloadPolicy != nil {
		p.OffloadPolicy = over.OffloadPolicy
	}
	if over.ShapingPolicy != nil {
		p.ShapingPolicy = over.ShapingPolicy
	}
	return p
}

// UpdatePortGroup (missing from govmomi): NotFound for an unknown port group or vSwitch,
// AlreadyExists when renaming onto a name in use, InvalidArgument for a bad VLAN.
// Renaming carries the vmkernel NICs on it along.
func (s *NetworkSystem) UpdatePortGroup(ctx *simulator.Context, req *types.UpdatePortGroup) soap.HasFault {
	body := &methods.UpdatePortGroupBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	pg := st.portgroup(req.PgName)
	if pg == nil {
		body.Fault_ = faultMsg(fmt.Sprintf("port group %s not found on %s", req.PgName, hostName(&st.host.HostSystem)),
			&types.NotFound{})
		return body
	}
	spec := req.Portgrp
	if spec.Name == "" {
		spec.Name = req.PgName
	}
	if spec.VswitchName == "" {
		spec.VswitchName = pg.Spec.VswitchName
	}
	if f := checkVlan(spec.VlanId); f != nil {
		body.Fault_ = fault(f)
		return body
	}
	vs := st.vswitch(spec.VswitchName)
	if vs == nil {
		body.Fault_ = faultMsg(fmt.Sprintf("vSwitch %s not found on %s", spec.VswitchName, hostName(&st.host.HostSystem)),
			&types.NotFound{})
		return body
	}
	if spec.Name != req.PgName && st.portgroup(spec.Name) != nil {
		body.Fault_ = fault(&types.AlreadyExists{Name: spec.Name})
		return body
	}
	normalizePolicy(&spec.Policy)
	oldKey, oldSwitch := pg.Key, pg.Vswitch
	pg.Spec = spec
	pg.Key = portgroupKeyPrefix + spec.Name
	pg.Vswitch = vs.Key
	pg.ComputedPolicy = computedPolicy(vs, spec.Policy)
	if oldSwitch != vs.Key || oldKey != pg.Key {
		for i := range st.net().Vswitch {
			sw := &st.net().Vswitch[i]
			sw.Portgroup = removeString(sw.Portgroup, oldKey)
		}
		vs.Portgroup = append(vs.Portgroup, pg.Key)
	}
	if spec.Name != req.PgName {
		for i := range st.net().Vnic {
			v := &st.net().Vnic[i]
			if v.Portgroup == req.PgName {
				v.Portgroup = spec.Name
				v.Spec.Portgroup = spec.Name
			}
		}
		st.detachNetwork(ctx, req.PgName)
		st.attachNetwork(ctx, spec.Name)
		st.refreshVnics()
	}
	body.Res = &types.UpdatePortGroupResponse{}
	return body
}

// RemovePortGroup: NotFound for an unknown port group; ResourceInUse while a vmkernel
// NIC is on it.
func (s *NetworkSystem) RemovePortGroup(ctx *simulator.Context, req *types.RemovePortGroup) soap.HasFault {
	body := &methods.RemovePortGroupBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	if st.portgroup(req.PgName) == nil {
		body.Fault_ = fault(&types.NotFound{})
		return body
	}
	for _, v := range st.net().Vnic {
		if v.Portgroup == req.PgName {
			body.Fault_ = fault(&types.ResourceInUse{Type: "HostVirtualNic", Name: v.Device})
			return body
		}
	}
	st.dropPortgroup(req.PgName)
	st.detachNetwork(ctx, req.PgName)
	body.Res = &types.RemovePortGroupResponse{}
	return body
}

func (st *hostState) dropPortgroup(name string) {
	n := st.net()
	for i := range n.Portgroup {
		if n.Portgroup[i].Spec.Name == name {
			key := n.Portgroup[i].Key
			n.Portgroup = append(n.Portgroup[:i], n.Portgroup[i+1:]...)
			for j := range n.Vswitch {
				n.Vswitch[j].Portgroup = removeString(n.Vswitch[j].Portgroup, key)
			}
			return
		}
	}
}

// networkFolder returns the host's datacenter and its network folder, or nils.
func (st *hostState) networkFolder() (*simulator.Datacenter, *simulator.Folder) {
	var e mo.Entity = st.host
	for e != nil && e.Entity().Parent != nil {
		parent := simulator.Map.Get(*e.Entity().Parent)
		if dc, ok := parent.(*simulator.Datacenter); ok {
			f, _ := simulator.Map.Get(dc.NetworkFolder).(*simulator.Folder)
			if f == nil {
				return nil, nil
			}
			return dc, f
		}
		pe, ok := parent.(mo.Entity)
		if !ok {
			return nil, nil
		}
		e = pe
	}
	return nil, nil
}

// attachNetwork makes the datacenter Network named name list this host, creating it if
// no host had a port group of that name yet.
func (st *hostState) attachNetwork(ctx *simulator.Context, name string) {
	dc, folder := st.networkFolder()
	if folder == nil {
		return
	}
	var network *mo.Network
	if e := simulator.Map.FindByName(name, folder.ChildEntity); e != nil {
		n, ok := e.(*mo.Network)
		if !ok {
			return // a distributed port group of that name: leave it alone
		}
		network = n
	} else {
		network = &mo.Network{}
		network.Name = name
		summary := &types.NetworkSummary{Name: name, Accessible: true}
		network.Summary = summary
		simulator.Map.WithLock(folder, func() {
			folder.ChildEntity = append(folder.ChildEntity, simulator.Map.NewEntity(network).Reference())
			simulator.Map.PutEntity(folder, network)
		})
		summary.Network = &network.Self
		simulator.Map.AddReference(dc, &dc.Network, network.Self)
	}
	simulator.Map.AddReference(network, &network.Host, st.host.Self)
	simulator.Map.AddReference(st.host, &st.host.Network, network.Self)
}

// detachNetwork drops this host from the datacenter Network named name and removes the
// Network once no host and no VM uses it.
func (st *hostState) detachNetwork(ctx *simulator.Context, name string) {
	dc, folder := st.networkFolder()
	if folder == nil {
		return
	}
	e := simulator.Map.FindByName(name, folder.ChildEntity)
	network, ok := e.(*mo.Network)
	if !ok {
		return
	}
	simulator.Map.RemoveReference(st.host, &st.host.Network, network.Self)
	simulator.Map.RemoveReference(network, &network.Host, st.host.Self)
	if len(network.Host) == 0 && len(network.Vm) == 0 {
		simulator.Map.RemoveReference(folder, &folder.ChildEntity, network.Self)
		simulator.Map.RemoveReference(dc, &dc.Network, network.Self)
		simulator.Map.Remove(network.Self)
	}
}

// --- vmkernel NICs --------------------------------------------------------------------

func checkVnicSpec(nic *types.HostVirtualNicSpec) types.BaseMethodFault {
	if nic.Ip != nil && !nic.Ip.Dhcp && nic.Ip.IpAddress != "" {
		if ip := net.ParseIP(nic.Ip.IpAddress); ip == nil || ip.To4() == nil {
			return invalidArgument("nic.ip.ipAddress")
		}
		mask := net.ParseIP(nic.Ip.SubnetMask)
		if mask == nil || mask.To4() == nil {
			return invalidArgument("nic.ip.subnetMask")
		}
		if ones, bits := net.IPMask(mask.To4()).Size(); bits == 0 || ones == 0 {
			return invalidArgument("nic.ip.subnetMask")
		}
	}
	if nic.Mtu != 0 && (nic.Mtu < 1280 || nic.Mtu > 9000) {
		return invalidArgument("nic.mtu")
	}
	return nil
}

// ipInUse returns the vmknic (other than except) of any host that already has ip.
func ipInUse(ip, except string, st *hostState) string {
	if ip == "" {
		return ""
	}
	for _, v := range st.net().Vnic {
		if v.Device != except && v.Spec.Ip != nil && !v.Spec.Ip.Dhcp && v.Spec.Ip.IpAddress == ip {
			return v.Device
		}
	}
	return ""
}

// AddVirtualNic (missing from govmomi): NotFound for a port group that does not exist on
// this host, AlreadyExists when the port group already has a vmkernel NIC,
// InvalidArgument for a bad IP/netmask/MTU. Returns the new device (vmk1, vmk2, ...).
func (s *NetworkSystem) AddVirtualNic(req *types.AddVirtualNic) soap.HasFault {
	body := &methods.AddVirtualNicBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	if req.Portgroup == "" {
		body.Fault_ = fault(invalidArgument("portgroup"))
		return body
	}
	if st.portgroup(req.Portgroup) == nil {
		body.Fault_ = faultMsg(fmt.Sprintf("port group %s not found on %s", req.Portgroup, hostName(&st.host.HostSystem)),
			&types.NotFound{})
		return body
	}
	for _, v := range st.net().Vnic {
		if v.Portgroup == req.Portgroup {
			body.Fault_ = fault(&types.AlreadyExists{Name: req.Portgroup})
			return body
		}
	}
	nic := req.Nic
	if f := checkVnicSpec(&nic); f != nil {
		body.Fault_ = fault(f)
		return body
	}
	if nic.Ip != nil {
		if other := ipInUse(nic.Ip.IpAddress, "", st); other != "" {
			body.Fault_ = faultMsg(fmt.Sprintf("IP %s is already used by %s on %s", nic.Ip.IpAddress, other,
				hostName(&st.host.HostSystem)), invalidArgument("nic.ip.ipAddress"))
			return body
		}
	}
	device := ""
	for i := 0; ; i++ {
		device = fmt.Sprintf("vmk%d", i)
		if st.vnic(device) == nil {
			break
		}
	}
	nic.Portgroup = req.Portgroup
	if nic.Mtu == 0 {
		nic.Mtu = 1500
	}
	if nic.NetStackInstanceKey == "" {
		nic.NetStackInstanceKey = "defaultTcpipStack"
	}
	if nic.Mac == "" {
		nic.Mac = fmt.Sprintf("00:50:56:%02x:%02x:%02x", st.id&0xff, (st.id>>8)&0xff, 0x80+len(st.net().Vnic))
	}
	if nic.Ip == nil {
		nic.Ip = &types.HostIpConfig{Dhcp: true}
	}
	st.nextPort++
	st.net().Vnic = append(st.net().Vnic, types.HostVirtualNic{
		Device:    device,
		Key:       vnicKeyPrefix + device,
		Portgroup: req.Portgroup,
		Spec:      nic,
		Port:      fmt.Sprintf("key-vim.host.PortGroup.Port-%d", 33554500+st.nextPort),
	})
	st.refreshVnics()
	body.Res = &types.AddVirtualNicResponse{Returnval: device}
	return body
}

// UpdateVirtualNic (missing from govmomi): NotFound for an unknown device or port group,
// AlreadyExists when moving onto a port group that has a vmkernel NIC, InvalidArgument
// for a bad IP/netmask/MTU. Fields left unset in the spec keep their value.
func (s *NetworkSystem) UpdateVirtualNic(req *types.UpdateVirtualNic) soap.HasFault {
	body := &methods.UpdateVirtualNicBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	v := st.vnic(req.Device)
	if v == nil {
		body.Fault_ = faultMsg(fmt.Sprintf("virtual NIC %s not found on %s", req.Device, hostName(&st.host.HostSystem)),
			&types.NotFound{})
		return body
	}
	nic := req.Nic
	if f := checkVnicSpec(&nic); f != nil {
		body.Fault_ = fault(f)
		return body
	}
	if nic.Portgroup != "" && nic.Portgroup != v.Portgroup {
		if st.portgroup(nic.Portgroup) == nil {
			body.Fault_ = fault(&types.NotFound{})
			return body
		}
		for _, o := range st.net().Vnic {
			if o.Portgroup == nic.Portgroup {
				body.Fault_ = fault(&types.AlreadyExists{Name: nic.Portgroup})
				return body
			}
		}
		v.Portgroup = nic.Portgroup
		v.Spec.Portgroup = nic.Portgroup
	}
	if nic.Ip != nil {
		if other := ipInUse(nic.Ip.IpAddress, v.Device, st); other != "" {
			body.Fault_ = faultMsg(fmt.Sprintf("IP %s is already used by %s", nic.Ip.IpAddress, other),
				invalidArgument("nic.ip.ipAddress"))
			return body
		}
		ip := *nic.Ip
		v.Spec.Ip = &ip
	}
	if nic.Mtu != 0 {
		v.Spec.Mtu = nic.Mtu
	}
	if nic.Mac != "" {
		v.Spec.Mac = nic.Mac
	}
	if nic.TsoEnabled != nil {
		v.Spec.TsoEnabled = nic.TsoEnabled
	}
	if nic.DistributedVirtualPort != nil {
		v.Spec.DistributedVirtualPort = nic.DistributedVirtualPort
	}
	st.refreshVnics()
	body.Res = &types.UpdateVirtualNicResponse{}
	return body
}

// RemoveVirtualNic (missing from govmomi): NotFound for an unknown device. The NIC also
// leaves every traffic type it was selected for.
func (s *NetworkSystem) RemoveVirtualNic(req *types.RemoveVirtualNic) soap.HasFault {
	body := &methods.RemoveVirtualNicBody{}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()

	n := st.net()
	for i := range n.Vnic {
		if n.Vnic[i].Device == req.Device {
			n.Vnic = append(n.Vnic[:i], n.Vnic[i+1:]...)
			for t := range st.selected {
				st.selected[t] = removeString(st.selected[t], req.Device)
			}
			st.refreshVnics()
			body.Res = &types.RemoveVirtualNicResponse{}
			return body
		}
	}
	body.Fault_ = fault(&types.NotFound{})
	return body
}

// UpdateNetworkConfig is accepted and stored, as govmomi does (not applied).
func (s *NetworkSystem) UpdateNetworkConfig(req *types.UpdateNetworkConfig) soap.HasFault {
	cfg := req.Config
	s.NetworkConfig = &cfg
	return &methods.UpdateNetworkConfigBody{Res: &types.UpdateNetworkConfigResponse{}}
}

// QueryNetworkHint lists the physical NICs, as govmomi does.
func (s *NetworkSystem) QueryNetworkHint(req *types.QueryNetworkHint) soap.HasFault {
	var info []types.PhysicalNicHintInfo
	for _, nic := range s.st.net().Pnic {
		if len(req.Device) == 0 || hasString(req.Device, nic.Device) {
			info = append(info, types.PhysicalNicHintInfo{Device: nic.Device})
		}
	}
	return &methods.QueryNetworkHintBody{Res: &types.QueryNetworkHintResponse{Returnval: info}}
}

// RefreshNetworkSystem is a no-op that succeeds, as on ESXi.
func (s *NetworkSystem) RefreshNetworkSystem(*types.RefreshNetworkSystem) soap.HasFault {
	return &methods.RefreshNetworkSystemBody{Res: &types.RefreshNetworkSystemResponse{}}
}

// --- HostVirtualNicManager ------------------------------------------------------------

func knownNicType(t string) bool { return hasString(nicTypes, t) }

// netConfig builds the VirtualNicManagerNetConfig of one traffic type: every vmknic is a
// candidate, keyed "<nicType>.key-vim.host.VirtualNic-vmkN", as ESXi reports them.
func (st *hostState) netConfig(nicType string) types.VirtualNicManagerNetConfig {
	c := types.VirtualNicManagerNetConfig{NicType: nicType, MultiSelectAllowed: true}
	for _, v := range st.net().Vnic {
		cand := v
		cand.Key = nicType + "." + v.Key
		c.CandidateVnic = append(c.CandidateVnic, cand)
		if hasString(st.selected[nicType], v.Device) {
			c.SelectedVnic = append(c.SelectedVnic, cand.Key)
		}
	}
	return c
}

// refreshVnics recomputes the properties derived from vmknics and their selection:
// the manager's info, host.config.virtualNicManagerInfo and host.config.vmotion.
func (st *hostState) refreshVnics() {
	info := types.HostVirtualNicManagerInfo{}
	for _, t := range nicTypes {
		info.NetConfig = append(info.NetConfig, st.netConfig(t))
	}
	if st.vnicMgr != nil {
		st.vnicMgr.Info = info
	}
	copyInfo := info
	st.host.Config.VirtualNicManagerInfo = &copyInfo
	vmotion := &types.HostVMotionInfo{NetConfig: &types.HostVMotionNetConfig{}}
	for _, v := range st.net().Vnic {
		cand := v
		cand.Key = "VMotionConfig.vmotion." + v.Key
		vmotion.NetConfig.CandidateVnic = append(vmotion.NetConfig.CandidateVnic, cand)
		if vmotion.NetConfig.SelectedVnic == "" && hasString(st.selected["vmotion"], v.Device) {
			vmotion.NetConfig.SelectedVnic = cand.Key
			vmotion.IpConfig = v.Spec.Ip
		}
	}
	st.host.Config.Vmotion = vmotion
}

// QueryNetConfig: InvalidArgument for an unknown traffic type.
func (m *VirtualNicManager) QueryNetConfig(req *types.QueryNetConfig) soap.HasFault {
	body := &methods.QueryNetConfigBody{}
	st := m.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if !knownNicType(req.NicType) {
		body.Fault_ = fault(invalidArgument("nicType"))
		return body
	}
	c := st.netConfig(req.NicType)
	body.Res = &types.QueryNetConfigResponse{Returnval: &c}
	return body
}

// selection implements Select/DeselectVnicForNicType: InvalidArgument for an unknown
// traffic type or a device that is not a vmkernel NIC of this host (API reference).
func (m *VirtualNicManager) selection(nicType, device string, selectIt bool) types.BaseMethodFault {
	st := m.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if !knownNicType(nicType) {
		return invalidArgument("nicType")
	}
	if st.vnic(device) == nil {
		return invalidArgument("device")
	}
	if selectIt {
		if !hasString(st.selected[nicType], device) {
			st.selected[nicType] = append(st.selected[nicType], device)
		}
	} else {
		st.selected[nicType] = removeString(st.selected[nicType], device)
	}
	st.refreshVnics()
	return nil
}

// SelectVnicForNicType (missing from govmomi).
func (m *VirtualNicManager) SelectVnicForNicType(req *types.SelectVnicForNicType) soap.HasFault {
	body := &methods.SelectVnicForNicTypeBody{}
	if f := m.selection(req.NicType, req.Device, true); f != nil {
		body.Fault_ = fault(f)
	} else {
		body.Res = &types.SelectVnicForNicTypeResponse{}
	}
	return body
}

// DeselectVnicForNicType (missing from govmomi).
func (m *VirtualNicManager) DeselectVnicForNicType(req *types.DeselectVnicForNicType) soap.HasFault {
	body := &methods.DeselectVnicForNicTypeBody{}
	if f := m.selection(req.NicType, req.Device, false); f != nil {
		body.Fault_ = fault(f)
	} else {
		body.Res = &types.DeselectVnicForNicTypeResponse{}
	}
	return body
}
