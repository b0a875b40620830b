// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

package cshvext

// Software iSCSI per host: HostStorageSystem (0.24.2 shares one storage device list
// between hosts and has no iSCSI calls) and IscsiManager (not registered by 0.24.2).
// Semantics and faults: vSphere Web Services API reference, vim.host.StorageSystem and
// vim.host.IscsiManager. Only configuration is kept: there is no discovery, LUN or VMFS.

import (
	"fmt"
	"net"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const softwareHba = "vmhba65"

func init() {
	hostExtensions = append(hostExtensions, extendStorage)
}

// StorageSystem is a host's HostStorageSystem.
type StorageSystem struct {
	mo.HostStorageSystem

	st    *hostState
	bound []string // vmknics bound to the software iSCSI adapter
}

// IscsiManager is a host's IscsiManager (port binding).
type IscsiManager struct {
	mo.IscsiManager

	storage *StorageSystem
}

func extendStorage(host *simulator.HostSystem) {
	st := stateOf(host)
	dev := *host.Config.StorageDevice
	dev.HostBusAdapter = append([]types.BaseHostHostBusAdapter(nil), dev.HostBusAdapter...)
	dev.SoftwareInternetScsiEnabled = false
	host.Config.StorageDevice = &dev

	ss := &StorageSystem{st: st}
	ss.Self = *host.ConfigManager.StorageSystem
	ss.StorageDeviceInfo = host.Config.StorageDevice
	if old, ok := simulator.Map.Get(ss.Self).(*simulator.HostStorageSystem); ok {
		ss.FileSystemVolumeInfo = old.FileSystemVolumeInfo
	}
	simulator.Map.Put(ss)

	im := &IscsiManager{storage: ss}
	im.Self = types.ManagedObjectReference{Type: "IscsiManager", Value: "cshv-iscsi-" + host.Self.Value}
	simulator.Map.Put(im)
	host.ConfigManager.IscsiManager = &im.Self
}

func (s *StorageSystem) hba(device string) *types.HostInternetScsiHba {
	for _, h := range s.StorageDeviceInfo.HostBusAdapter {
		if i, ok := h.(*types.HostInternetScsiHba); ok && i.Device == device {
			return i
		}
	}
	return nil
}

// UpdateSoftwareInternetScsiEnabled: enabling adds the software adapter vmhba65 (once);
// disabling keeps it, as ESXi does until a reboot.
func (s *StorageSystem) UpdateSoftwareInternetScsiEnabled(req *types.UpdateSoftwareInternetScsiEnabled) soap.HasFault {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.StorageDeviceInfo.SoftwareInternetScsiEnabled = req.Enabled
	if req.Enabled && s.hba(softwareHba) == nil {
		h := &types.HostInternetScsiHba{
			HostHostBusAdapter: types.HostHostBusAdapter{
				Key: "key-vim.host.InternetScsiHba-" + softwareHba, Device: softwareHba,
				Status: "online", Model: "iSCSI Software Adapter", Driver: "iscsi_vmk",
			},
			IsSoftwareBased:       true,
			CanBeDisabled:         types.NewBool(true),
			NetworkBindingSupport: types.HostInternetScsiHbaNetworkBindingSupportTypeOptional,
			DiscoveryCapabilities: types.HostInternetScsiHbaDiscoveryCapabilities{
				SendTargetsDiscoverySettable: true, StaticTargetDiscoverySettable: true,
			},
			DiscoveryProperties: types.HostInternetScsiHbaDiscoveryProperties{
				SendTargetsDiscoveryEnabled: true, StaticTargetDiscoveryEnabled: true,
			},
			AuthenticationCapabilities: types.HostInternetScsiHbaAuthenticationCapabilities{
				ChapAuthSettable: true, MutualChapSettable: types.NewBool(true),
			},
			AuthenticationProperties: types.HostInternetScsiHbaAuthenticationProperties{
				ChapAuthEnabled: false, ChapAuthenticationType: "chapProhibited",
			},
			IScsiName: fmt.Sprintf("iqn.1998-01.com.vmware:%s-%08x", strings.SplitN(s.st.host.Name, ".", 2)[0], s.st.id),
		}
		s.StorageDeviceInfo.HostBusAdapter = append(s.StorageDeviceInfo.HostBusAdapter, h)
	}
	return &methods.UpdateSoftwareInternetScsiEnabledBody{Res: &types.UpdateSoftwareInternetScsiEnabledResponse{}}
}

func notFoundHba(device string, s *StorageSystem) *soap.Fault {
	return faultMsg(fmt.Sprintf("iSCSI adapter %s not found on %s", device, hostName(&s.st.host.HostSystem)), &types.NotFound{})
}

// inheritedAuth is what ESXi reports for a target that inherits the adapter's CHAP settings.
func inheritedAuth() *types.HostInternetScsiHbaAuthenticationProperties {
	return &types.HostInternetScsiHbaAuthenticationProperties{
		ChapAuthEnabled: false, ChapAuthenticationType: "chapProhibited", ChapInherited: types.NewBool(true),
		MutualChapAuthenticationType: "chapProhibited", MutualChapInherited: types.NewBool(true),
	}
}

func validTargetAddress(a string) bool {
	return a != "" && (net.ParseIP(a) != nil || ntpServerRe.MatchString(a))
}

// AddInternetScsiSendTargets: NotFound for an adapter that is not an iSCSI adapter of this
// host; HostConfigFault for an address that is neither a host name nor an IP, or a target
// (address, port) already configured.
func (s *StorageSystem) AddInternetScsiSendTargets(req *types.AddInternetScsiSendTargets) soap.HasFault {
	body := &methods.AddInternetScsiSendTargetsBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	h := s.hba(req.IScsiHbaDevice)
	if h == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaDevice, s)
		return body
	}
	var add []types.HostInternetScsiHbaSendTarget
	for _, t := range req.Targets {
		if t.Port == 0 {
			t.Port = 3260
		}
		if !validTargetAddress(t.Address) {
			body.Fault_ = faultMsg("invalid iSCSI target address "+t.Address, &types.HostConfigFault{})
			return body
		}
		for _, o := range append(h.ConfiguredSendTarget, add...) {
			if o.Address == t.Address && o.Port == t.Port {
				body.Fault_ = faultMsg(fmt.Sprintf("send target %s:%d already exists", t.Address, t.Port), &types.HostConfigFault{})
				return body
			}
		}
		if t.AuthenticationProperties == nil {
			t.AuthenticationProperties = inheritedAuth()
		}
		add = append(add, t)
	}
	h.ConfiguredSendTarget = append(h.ConfiguredSendTarget, add...)
	body.Res = &types.AddInternetScsiSendTargetsResponse{}
	return body
}

// RemoveInternetScsiSendTargets: NotFound for an unknown adapter or target.
func (s *StorageSystem) RemoveInternetScsiSendTargets(req *types.RemoveInternetScsiSendTargets) soap.HasFault {
	body := &methods.RemoveInternetScsiSendTargetsBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	h := s.hba(req.IScsiHbaDevice)
	if h == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaDevice, s)
		return body
	}
	keep := h.ConfiguredSendTarget
	for _, t := range req.Targets {
		if t.Port == 0 {
			t.Port = 3260
		}
		found := false
		var next []types.HostInternetScsiHbaSendTarget
		for _, o := range keep {
			if o.Address == t.Address && o.Port == t.Port {
				found = true
				continue
			}
			next = append(next, o)
		}
		if !found {
			body.Fault_ = fault(&types.NotFound{})
			return body
		}
		keep = next
	}
	h.ConfiguredSendTarget = keep
	body.Res = &types.RemoveInternetScsiSendTargetsResponse{}
	return body
}

// AddInternetScsiStaticTargets: as for send targets; the target's iSCSI name is required.
func (s *StorageSystem) AddInternetScsiStaticTargets(req *types.AddInternetScsiStaticTargets) soap.HasFault {
	body := &methods.AddInternetScsiStaticTargetsBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	h := s.hba(req.IScsiHbaDevice)
	if h == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaDevice, s)
		return body
	}
	var add []types.HostInternetScsiHbaStaticTarget
	for _, t := range req.Targets {
		if t.Port == 0 {
			t.Port = 3260
		}
		if !validTargetAddress(t.Address) || !validIqn(t.IScsiName) {
			body.Fault_ = faultMsg("invalid iSCSI static target "+t.Address+" "+t.IScsiName, &types.HostConfigFault{})
			return body
		}
		for _, o := range append(h.ConfiguredStaticTarget, add...) {
			if o.Address == t.Address && o.Port == t.Port && o.IScsiName == t.IScsiName {
				body.Fault_ = faultMsg("static target already exists", &types.HostConfigFault{})
				return body
			}
		}
		t.DiscoveryMethod = "staticMethod"
		if t.AuthenticationProperties == nil {
			t.AuthenticationProperties = inheritedAuth()
		}
		add = append(add, t)
	}
	h.ConfiguredStaticTarget = append(h.ConfiguredStaticTarget, add...)
	body.Res = &types.AddInternetScsiStaticTargetsResponse{}
	return body
}

// RemoveInternetScsiStaticTargets: NotFound for an unknown adapter or target.
func (s *StorageSystem) RemoveInternetScsiStaticTargets(req *types.RemoveInternetScsiStaticTargets) soap.HasFault {
	body := &methods.RemoveInternetScsiStaticTargetsBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	h := s.hba(req.IScsiHbaDevice)
	if h == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaDevice, s)
		return body
	}
	keep := h.ConfiguredStaticTarget
	for _, t := range req.Targets {
		if t.Port == 0 {
			t.Port = 3260
		}
		found := false
		var next []types.HostInternetScsiHbaStaticTarget
		for _, o := range keep {
			if o.Address == t.Address && o.Port == t.Port && o.IScsiName == t.IScsiName {
				found = true
				continue
			}
			next = append(next, o)
		}
		if !found {
			body.Fault_ = fault(&types.NotFound{})
			return body
		}
		keep = next
	}
	h.ConfiguredStaticTarget = keep
	body.Res = &types.RemoveInternetScsiStaticTargetsResponse{}
	return body
}

func validIqn(name string) bool {
	return (strings.HasPrefix(name, "iqn.") || strings.HasPrefix(name, "eui.") || strings.HasPrefix(name, "naa.")) &&
		!strings.ContainsAny(name, " \t/")
}

// UpdateInternetScsiName: NotFound for an unknown adapter, HostConfigFault for a name that
// is not an iqn./eui./naa. name.
func (s *StorageSystem) UpdateInternetScsiName(req *types.UpdateInternetScsiName) soap.HasFault {
	body := &methods.UpdateInternetScsiNameBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	h := s.hba(req.IScsiHbaDevice)
	if h == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaDevice, s)
		return body
	}
	if !validIqn(req.IScsiName) {
		body.Fault_ = faultMsg("invalid iSCSI name "+req.IScsiName, &types.HostConfigFault{})
		return body
	}
	h.IScsiName = req.IScsiName
	body.Res = &types.UpdateInternetScsiNameResponse{}
	return body
}

// UpdateInternetScsiAlias: NotFound for an unknown adapter.
func (s *StorageSystem) UpdateInternetScsiAlias(req *types.UpdateInternetScsiAlias) soap.HasFault {
	body := &methods.UpdateInternetScsiAliasBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	h := s.hba(req.IScsiHbaDevice)
	if h == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaDevice, s)
		return body
	}
	h.IScsiAlias = req.IScsiAlias
	body.Res = &types.UpdateInternetScsiAliasResponse{}
	return body
}

// UpdateInternetScsiAuthenticationProperties: NotFound for an unknown adapter; without a
// target set the adapter's CHAP settings change, else those of the listed targets.
func (s *StorageSystem) UpdateInternetScsiAuthenticationProperties(req *types.UpdateInternetScsiAuthenticationProperties) soap.HasFault {
	body := &methods.UpdateInternetScsiAuthenticationPropertiesBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	h := s.hba(req.IScsiHbaDevice)
	if h == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaDevice, s)
		return body
	}
	auth := req.AuthenticationProperties
	if req.TargetSet == nil {
		h.AuthenticationProperties = auth
	} else {
		for _, t := range req.TargetSet.SendTargets {
			for i := range h.ConfiguredSendTarget {
				if h.ConfiguredSendTarget[i].Address == t.Address {
					a := auth
					h.ConfiguredSendTarget[i].AuthenticationProperties = &a
				}
			}
		}
		for _, t := range req.TargetSet.StaticTargets {
			for i := range h.ConfiguredStaticTarget {
				if h.ConfiguredStaticTarget[i].Address == t.Address && h.ConfiguredStaticTarget[i].IScsiName == t.IScsiName {
					a := auth
					h.ConfiguredStaticTarget[i].AuthenticationProperties = &a
				}
			}
		}
	}
	body.Res = &types.UpdateInternetScsiAuthenticationPropertiesResponse{}
	return body
}

// RescanAllHba, RescanHba, RescanVmfs and RefreshStorageSystem succeed and find nothing new.
func (s *StorageSystem) RescanAllHba(*types.RescanAllHba) soap.HasFault {
	return &methods.RescanAllHbaBody{Res: &types.RescanAllHbaResponse{}}
}

// RescanHba: NotFound for an adapter the host does not have.
func (s *StorageSystem) RescanHba(req *types.RescanHba) soap.HasFault {
	body := &methods.RescanHbaBody{}
	for _, h := range s.StorageDeviceInfo.HostBusAdapter {
		if h.GetHostHostBusAdapter().Device == req.HbaDevice {
			body.Res = &types.RescanHbaResponse{}
			return body
		}
	}
	body.Fault_ = fault(&types.NotFound{})
	return body
}

// RescanVmfs succeeds.
func (s *StorageSystem) RescanVmfs(*types.RescanVmfs) soap.HasFault {
	return &methods.RescanVmfsBody{Res: &types.RescanVmfsResponse{}}
}

// RefreshStorageSystem succeeds.
func (s *StorageSystem) RefreshStorageSystem(*types.RefreshStorageSystem) soap.HasFault {
	return &methods.RefreshStorageSystemBody{Res: &types.RefreshStorageSystemResponse{}}
}

// --- IscsiManager -----------------------------------------------------------------------

// QueryBoundVnics: NotFound for an adapter that is not this host's iSCSI adapter.
func (m *IscsiManager) QueryBoundVnics(req *types.QueryBoundVnics) soap.HasFault {
	body := &methods.QueryBoundVnicsBody{}
	s := m.storage
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if s.hba(req.IScsiHbaName) == nil {
		body.Fault_ = notFoundHba(req.IScsiHbaName, s)
		return body
	}
	var out []types.IscsiPortInfo
	for _, d := range s.bound {
		info := types.IscsiPortInfo{VnicDevice: d}
		if v := s.st.vnic(d); v != nil {
			vv := *v
			info.Vnic = &vv
			info.PortgroupName = v.Portgroup
		}
		out = append(out, info)
	}
	body.Res = &types.QueryBoundVnicsResponse{Returnval: out}
	return body
}

// BindVnic: NotFound for an unknown adapter, IscsiFaultVnicNotFound for a vmknic the host
// does not have, IscsiFaultVnicAlreadyBound when it is bound already.
func (m *IscsiManager) BindVnic(req *types.BindVnic) soap.HasFault {
	body := &methods.BindVnicBody{}
	s := m.storage
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	switch {
	case s.hba(req.IScsiHbaName) == nil:
		body.Fault_ = notFoundHba(req.IScsiHbaName, s)
	case s.st.vnic(req.VnicDevice) == nil:
		body.Fault_ = fault(&types.IscsiFaultVnicNotFound{VnicDevice: req.VnicDevice})
	case hasString(s.bound, req.VnicDevice):
		body.Fault_ = fault(&types.IscsiFaultVnicAlreadyBound{VnicDevice: req.VnicDevice})
	default:
		s.bound = append(s.bound, req.VnicDevice)
		body.Res = &types.BindVnicResponse{}
	}
	return body
}

// UnbindVnic: NotFound for an unknown adapter, IscsiFaultVnicNotBound when not bound.
func (m *IscsiManager) UnbindVnic(req *types.UnbindVnic) soap.HasFault {
	body := &methods.UnbindVnicBody{}
	s := m.storage
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	switch {
	case s.hba(req.IScsiHbaName) == nil:
		body.Fault_ = notFoundHba(req.IScsiHbaName, s)
	case !hasString(s.bound, req.VnicDevice):
		body.Fault_ = fault(&types.IscsiFaultVnicNotBound{VnicDevice: req.VnicDevice})
	default:
		s.bound = removeString(s.bound, req.VnicDevice)
		body.Res = &types.UnbindVnicResponse{}
	}
	return body
}
