// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

package cshvext

// Clusters and host placement, served through Ops companions (see ext.go):
//   Folder.CreateClusterEx               applies the spec's DRS/HA/DPM settings (0.24.2 ignores them)
//   ClusterComputeResource.ReconfigureComputeResource_Task
//                                        persists DRS/HA/DPM/proactive DRS (0.24.2 keeps none)
//   ClusterComputeResource.AddHost_Task  AlreadyConnected / SSLVerifyFault / InvalidLogin before govmomi's add
//   ClusterComputeResource.MoveHostInto_Task and Folder.MoveIntoFolder_Task of a HostSystem
//                                        (missing from 0.24.2): a host leaves and rejoins a cluster
// Semantics and faults: vSphere Web Services API reference, vim.ClusterComputeResource and vim.Folder.

import (
	"crypto/sha1"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	overrideRegistrations = append(overrideRegistrations, func() {
		override("ClusterComputeResource", "ReconfigureComputeResource_Task", "AddHost_Task", "MoveHostInto_Task", "MoveInto_Task")
		override("Folder", "CreateClusterEx", "MoveIntoFolder_Task")
	})
}

// --- defaults and merge -----------------------------------------------------------------

// defaultClusterConfig is what vCenter shows for a cluster created with an empty spec:
// DRS and HA off, with their default sub-settings.
func defaultClusterConfig(cfg *types.ClusterConfigInfoEx) {
	cfg.DrsConfig = types.ClusterDrsConfigInfo{
		Enabled:                   types.NewBool(false),
		EnableVmBehaviorOverrides: types.NewBool(true),
		DefaultVmBehavior:         types.DrsBehaviorFullyAutomated,
		VmotionRate:               3,
	}
	cfg.DasConfig = types.ClusterDasConfigInfo{
		Enabled:                 types.NewBool(false),
		VmMonitoring:            string(types.ClusterDasConfigInfoVmMonitoringStateVmMonitoringDisabled),
		HostMonitoring:          string(types.ClusterDasConfigInfoServiceStateEnabled),
		VmComponentProtecting:   string(types.ClusterDasConfigInfoServiceStateDisabled),
		FailoverLevel:           1,
		AdmissionControlEnabled: types.NewBool(true),
		AdmissionControlPolicy:  &types.ClusterFailoverLevelAdmissionControlPolicy{FailoverLevel: 1},
		DefaultVmSettings: &types.ClusterDasVmSettings{
			RestartPriority:   string(types.ClusterDasVmSettingsRestartPriorityMedium),
			IsolationResponse: string(types.ClusterDasVmSettingsIsolationResponseNone),
			VmToolsMonitoringSettings: &types.ClusterVmToolsMonitoringSettings{
				Enabled:          types.NewBool(false),
				VmMonitoring:     string(types.ClusterDasConfigInfoVmMonitoringStateVmMonitoringDisabled),
				ClusterSettings:  types.NewBool(true),
				FailureInterval:  30,
				MinUpTime:        120,
				MaxFailures:      3,
				MaxFailureWindow: 3600,
			},
		},
		HBDatastoreCandidatePolicy: "allFeasibleDsWithUserPreference",
	}
	cfg.DpmConfigInfo = &types.ClusterDpmConfigInfo{
		Enabled:             types.NewBool(false),
		DefaultDpmBehavior:  types.DpmBehaviorAutomated,
		HostPowerActionRate: 3,
	}
	cfg.ProactiveDrsConfig = &types.ClusterProactiveDrsConfigInfo{Enabled: types.NewBool(false)}
}

// merge copies every field set in src onto dst (both addressable structs of one type):
// set pointers/interfaces/slices/non-zero scalars win, nested structs merge, and
// "Option" lists merge by key. This is ReconfigureComputeResource_Task's modify=true.
func merge(dst, src reflect.Value) {
	t := src.Type()
	for i := 0; i < src.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			continue // DynamicData
		}
		sv, dv := src.Field(i), dst.Field(i)
		switch sv.Kind() {
		case reflect.Ptr:
			if sv.IsNil() {
				continue
			}
			if sv.Elem().Kind() == reflect.Struct && !dv.IsNil() {
				merge(dv.Elem(), sv.Elem())
			} else {
				dv.Set(sv)
			}
		case reflect.Interface:
			if !sv.IsNil() {
				dv.Set(sv)
			}
		case reflect.Slice:
			if sv.Len() == 0 {
				continue
			}
			if opts, ok := sv.Interface().([]types.BaseOptionValue); ok && f.Name == "Option" {
				dv.Set(reflect.ValueOf(mergeOptions(dv.Interface().([]types.BaseOptionValue), opts)))
			} else {
				dv.Set(sv)
			}
		case reflect.Struct:
			merge(dv, sv)
		default:
			if !sv.IsZero() {
				dv.Set(sv)
			}
		}
	}
}

func mergeOptions(have, set []types.BaseOptionValue) []types.BaseOptionValue {
	out := append([]types.BaseOptionValue(nil), have...)
	for _, o := range set {
		key := o.GetOptionValue().Key
		replaced := false
		for i := range out {
			if out[i].GetOptionValue().Key == key {
				out[i] = o
				replaced = true
			}
		}
		if !replaced {
			out = append(out, o)
		}
	}
	return out
}

func oneOf(v string, allowed ...string) bool {
	if v == "" {
		return true
	}
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// checkClusterSpec refuses values vCenter refuses with InvalidArgument
// (ReconfigureComputeResource_Task / CreateClusterEx).
func checkClusterSpec(spec *types.ClusterConfigSpecEx) types.BaseMethodFault {
	if d := spec.DrsConfig; d != nil {
		if !oneOf(string(d.DefaultVmBehavior), "manual", "partiallyAutomated", "fullyAutomated") {
			return invalidArgument("drsConfig.defaultVmBehavior")
		}
		if d.VmotionRate != 0 && (d.VmotionRate < 1 || d.VmotionRate > 5) {
			return invalidArgument("drsConfig.vmotionRate")
		}
	}
	if d := spec.DasConfig; d != nil {
		if !oneOf(d.HostMonitoring, "enabled", "disabled") {
			return invalidArgument("dasConfig.hostMonitoring")
		}
		if !oneOf(d.VmMonitoring, "vmMonitoringDisabled", "vmMonitoringOnly", "vmAndAppMonitoring") {
			return invalidArgument("dasConfig.vmMonitoring")
		}
		if d.FailoverLevel < 0 || d.FailoverLevel > 31 {
			return invalidArgument("dasConfig.failoverLevel")
		}
		if s := d.DefaultVmSettings; s != nil {
			if !oneOf(s.IsolationResponse, "none", "powerOff", "shutdown", "clusterIsolationResponse") {
				return invalidArgument("dasConfig.defaultVmSettings.isolationResponse")
			}
			if !oneOf(s.RestartPriority, "disabled", "lowest", "low", "medium", "high", "highest", "clusterRestartPriority") {
				return invalidArgument("dasConfig.defaultVmSettings.restartPriority")
			}
		}
		switch p := d.AdmissionControlPolicy.(type) {
		case *types.ClusterFailoverLevelAdmissionControlPolicy:
			if p.FailoverLevel < 1 || p.FailoverLevel > 31 {
				return invalidArgument("dasConfig.admissionControlPolicy.failoverLevel")
			}
		case *types.ClusterFailoverResourcesAdmissionControlPolicy:
			if p.CpuFailoverResourcesPercent < 0 || p.CpuFailoverResourcesPercent > 100 ||
				p.MemoryFailoverResourcesPercent < 0 || p.MemoryFailoverResourcesPercent > 100 {
				return invalidArgument("dasConfig.admissionControlPolicy")
			}
		}
	}
	if d := spec.DpmConfig; d != nil {
		if !oneOf(string(d.DefaultDpmBehavior), "manual", "automated") {
			return invalidArgument("dpmConfig.defaultDpmBehavior")
		}
		if d.HostPowerActionRate != 0 && (d.HostPowerActionRate < 1 || d.HostPowerActionRate > 5) {
			return invalidArgument("dpmConfig.hostPowerActionRate")
		}
	}
	return nil
}

// applyClusterSpec writes DRS/HA/DPM/proactive DRS of spec into cfg (modify=false: onto defaults).
func applyClusterSpec(cfg *types.ClusterConfigInfoEx, spec *types.ClusterConfigSpecEx, modify bool) {
	if !modify {
		rules, groups := cfg.Rule, cfg.Group
		defaultClusterConfig(cfg)
		cfg.Rule, cfg.Group = rules, groups
	}
	if spec.DrsConfig != nil {
		merge(reflect.ValueOf(&cfg.DrsConfig).Elem(), reflect.ValueOf(spec.DrsConfig).Elem())
	}
	if spec.DasConfig != nil {
		merge(reflect.ValueOf(&cfg.DasConfig).Elem(), reflect.ValueOf(spec.DasConfig).Elem())
	}
	if spec.DpmConfig != nil {
		if cfg.DpmConfigInfo == nil {
			cfg.DpmConfigInfo = &types.ClusterDpmConfigInfo{}
		}
		merge(reflect.ValueOf(cfg.DpmConfigInfo).Elem(), reflect.ValueOf(spec.DpmConfig).Elem())
	}
	if spec.ProactiveDrsConfig != nil {
		if cfg.ProactiveDrsConfig == nil {
			cfg.ProactiveDrsConfig = &types.ClusterProactiveDrsConfigInfo{}
		}
		merge(reflect.ValueOf(cfg.ProactiveDrsConfig).Elem(), reflect.ValueOf(spec.ProactiveDrsConfig).Elem())
	}
	if spec.InfraUpdateHaConfig != nil {
		cfg.InfraUpdateHaConfig = spec.InfraUpdateHaConfig
	}
	if spec.VmSwapPlacement != "" {
		cfg.VmSwapPlacement = spec.VmSwapPlacement
	}
}

func (o *Ops) cluster() *simulator.ClusterComputeResource {
	c, _ := simulator.Map.Get(o.Target).(*simulator.ClusterComputeResource)
	return c
}

func (o *Ops) folder() *simulator.Folder {
	f, _ := simulator.Map.Get(o.Target).(*simulator.Folder)
	return f
}

func taskFault(task types.ManagedObjectReference) types.BaseMethodFault {
	t, ok := simulator.Map.Get(task).(*simulator.Task)
	if !ok || t.Info.Error == nil {
		return nil
	}
	return t.Info.Error.Fault
}

// --- CreateClusterEx --------------------------------------------------------------------

// CreateClusterEx: govmomi's (DuplicateName, InvalidName...) then the spec's DRS/HA
// settings on vCenter's defaults; InvalidArgument for values vCenter refuses.
func (o *Ops) CreateClusterEx(ctx *simulator.Context, req *types.CreateClusterEx) soap.HasFault {
	f := o.folder()
	body := &methods.CreateClusterExBody{}
	if fa := checkName(req.Name); fa != nil {
		body.Fault_ = fault(fa)
		return body
	}
	if fa := checkClusterSpec(&req.Spec); fa != nil {
		body.Fault_ = fault(fa)
		return body
	}
	res := f.CreateClusterEx(ctx, &types.CreateClusterEx{This: o.Target, Name: req.Name, Spec: req.Spec})
	stock := res.(*methods.CreateClusterExBody)
	if stock.Fault_ != nil {
		return stock
	}
	c := simulator.Map.Get(stock.Res.Returnval).(*simulator.ClusterComputeResource)
	simulator.Map.WithLock(c, func() {
		applyClusterSpec(c.ConfigurationEx.(*types.ClusterConfigInfoEx), &req.Spec, false)
	})
	return stock
}

// checkName refuses entity names vCenter refuses with InvalidName: empty or longer than
// 80 characters. (vCenter accepts spaces, '/' and '%' -- escaping the last two -- so the
// role's own preflight, not vCenter, must stop them for CloudStack's sake.)
func checkName(name string) types.BaseMethodFault {
	if strings.TrimSpace(name) == "" || len(name) > 80 {
		return &types.InvalidName{Name: name}
	}
	return nil
}

// --- ReconfigureComputeResource_Task ---------------------------------------------------

// ReconfigureComputeResource_Task: InvalidArgument for a spec that is not a
// ClusterConfigSpecEx or holds values vCenter refuses; otherwise DRS/HA/DPM/proactive DRS
// are stored (modify=true: incremental, false: onto defaults) and rules, groups and
// per-VM overrides are handed to govmomi.
func (o *Ops) ReconfigureComputeResourceTask(req *types.ReconfigureComputeResource_Task) soap.HasFault {
	c := o.cluster()
	task := simulator.CreateTask(c, "reconfigureCluster", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		spec, ok := req.Spec.(*types.ClusterConfigSpecEx)
		if !ok {
			return nil, invalidArgument("spec")
		}
		if f := checkClusterSpec(spec); f != nil {
			return nil, f
		}
		if len(spec.RulesSpec)+len(spec.GroupSpec)+len(spec.DasVmConfigSpec)+len(spec.DrsVmConfigSpec) > 0 {
			rest := &types.ClusterConfigSpecEx{
				RulesSpec: spec.RulesSpec, GroupSpec: spec.GroupSpec,
				DasVmConfigSpec: spec.DasVmConfigSpec, DrsVmConfigSpec: spec.DrsVmConfigSpec,
			}
			res := c.ReconfigureComputeResourceTask(&types.ReconfigureComputeResource_Task{This: c.Self, Spec: rest, Modify: true})
			if f := taskFault(res.(*methods.ReconfigureComputeResource_TaskBody).Res.Returnval); f != nil {
				return nil, f
			}
		}
		simulator.Map.WithLock(c, func() {
			applyClusterSpec(c.ConfigurationEx.(*types.ClusterConfigInfoEx), spec, req.Modify)
		})
		return nil, nil
	})
	return &methods.ReconfigureComputeResource_TaskBody{
		Res: &types.ReconfigureComputeResource_TaskResponse{Returnval: task.Run()},
	}
}

// --- AddHost_Task ----------------------------------------------------------------------

var thumbprintRe = regexp.MustCompile(`^([0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$`)

// HostThumbprint is the SHA-1 thumbprint a simulated host presents: it has no real
// certificate, so it is derived from the host name.
func HostThumbprint(name string) string {
	sum := sha1.Sum([]byte("cshv-vcsim-host:" + name))
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// findHost returns the host of that name anywhere in the inventory, or nil.
func findHost(name string) *simulator.HostSystem {
	for _, e := range simulator.Map.All("HostSystem") {
		if h, ok := e.(*simulator.HostSystem); ok && strings.EqualFold(h.Name, name) {
			return h
		}
	}
	return nil
}

// checkConnectSpec gives the faults vCenter gives before it reaches the host:
// AlreadyConnected for a host already in this vCenter, SSLVerifyFault without a
// well-formed thumbprint (carrying the host's thumbprint, as vCenter does) -- or, with
// VCSIM_STRICT_THUMBPRINTS=1, without HostThumbprint(name) itself --, InvalidLogin
// when VCSIM_ESXI_PASSWORD is set and the password differs, NoHost for an empty name.
func checkConnectSpec(spec types.HostConnectSpec) types.BaseMethodFault {
	if spec.HostName == "" {
		return &types.NoHost{Name: spec.HostName}
	}
	if findHost(spec.HostName) != nil {
		return &types.AlreadyConnected{Name: spec.HostName}
	}
	want := HostThumbprint(spec.HostName)
	if !thumbprintRe.MatchString(spec.SslThumbprint) {
		return &types.SSLVerifyFault{SelfSigned: true, Thumbprint: want}
	}
	if os.Getenv("VCSIM_STRICT_THUMBPRINTS") == "1" && !strings.EqualFold(spec.SslThumbprint, want) {
		return &types.SSLVerifyFault{SelfSigned: true, Thumbprint: want}
	}
	if want := os.Getenv("VCSIM_ESXI_PASSWORD"); want != "" {
		if spec.UserName != "root" || spec.Password != want {
			return &types.InvalidLogin{}
		}
	}
	return nil
}

// AddHost_Task: the checks above, then govmomi's add (which runs our host hooks).
func (o *Ops) AddHostTask(req *types.AddHost_Task) soap.HasFault {
	c := o.cluster()
	if f := checkConnectSpec(req.Spec); f != nil {
		task := simulator.CreateTask(c, "addHost", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			return nil, f
		})
		return &methods.AddHost_TaskBody{Res: &types.AddHost_TaskResponse{Returnval: task.Run()}}
	}
	req.This = c.Self
	return c.AddHostTask(req)
}

// --- moving hosts in and out of a cluster -----------------------------------------------

func parentOf(e mo.Entity) mo.Reference {
	if e.Entity().Parent == nil {
		return nil
	}
	return simulator.Map.Get(*e.Entity().Parent)
}

func datacenterOf(e mo.Entity) *simulator.Datacenter {
	for e != nil {
		p := parentOf(e)
		if dc, ok := p.(*simulator.Datacenter); ok {
			return dc
		}
		pe, ok := p.(mo.Entity)
		if !ok {
			return nil
		}
		e = pe
	}
	return nil
}

func summaryDelta(s *types.ComputeResourceSummary, h *simulator.HostSystem, sign int32) {
	hw := h.Summary.Hardware // the same sums govmomi's addComputeResource makes
	s.TotalCpu += sign * hw.CpuMhz
	s.TotalMemory += int64(sign) * hw.MemorySize
	s.NumCpuCores += int16(sign) * hw.NumCpuCores
	s.NumCpuThreads += int16(sign) * hw.NumCpuThreads
	s.EffectiveCpu += sign * hw.CpuMhz
	s.EffectiveMemory += int64(sign) * hw.MemorySize
	s.NumHosts += sign
	s.NumEffectiveHosts += sign
}

// detachHost takes a host out of its current compute resource: out of a cluster's host
// list, or, for a standalone host, removes its ComputeResource (and pool) from the folder.
func detachHost(h *simulator.HostSystem) {
	switch p := parentOf(h).(type) {
	case *simulator.ClusterComputeResource:
		simulator.Map.RemoveReference(p, &p.Host, h.Self)
		summaryDelta(p.Summary.GetComputeResourceSummary(), h, -1)
	case *mo.ComputeResource:
		if f, ok := parentOf(p).(*simulator.Folder); ok {
			simulator.Map.RemoveReference(f, &f.ChildEntity, p.Self)
		}
		if p.ResourcePool != nil {
			simulator.Map.Remove(*p.ResourcePool)
		}
		simulator.Map.Remove(p.Self)
	}
}

// MoveHostInto_Task (missing from 0.24.2): InvalidArgument for a host of another
// datacenter; InvalidState when the host is in another cluster and not in maintenance
// mode (the API: "if the host is part of a cluster, the host must be in maintenance mode").
// A host already in this cluster is left where it is.
func (o *Ops) MoveHostIntoTask(req *types.MoveHostInto_Task) soap.HasFault {
	c := o.cluster()
	task := simulator.CreateTask(c, "moveHostInto", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, moveIntoCluster(c, []types.ManagedObjectReference{req.Host})
	})
	return &methods.MoveHostInto_TaskBody{Res: &types.MoveHostInto_TaskResponse{Returnval: task.Run()}}
}

// MoveInto_Task (missing from 0.24.2): the same for a list of hosts.
func (o *Ops) MoveIntoTask(req *types.MoveInto_Task) soap.HasFault {
	c := o.cluster()
	task := simulator.CreateTask(c, "moveInto", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, moveIntoCluster(c, req.Host)
	})
	return &methods.MoveInto_TaskBody{Res: &types.MoveInto_TaskResponse{Returnval: task.Run()}}
}

func moveIntoCluster(c *simulator.ClusterComputeResource, refs []types.ManagedObjectReference) types.BaseMethodFault {
	dc := datacenterOf(c)
	var hosts []*simulator.HostSystem
	for _, ref := range refs {
		h, ok := simulator.Map.Get(ref).(*simulator.HostSystem)
		if !ok {
			return &types.ManagedObjectNotFound{Obj: ref}
		}
		if datacenterOf(h) != dc {
			return invalidArgument("host")
		}
		if other, ok := parentOf(h).(*simulator.ClusterComputeResource); ok && other.Self != c.Self && !h.Runtime.InMaintenanceMode {
			return &types.InvalidState{}
		}
		hosts = append(hosts, h)
	}
	for _, h := range hosts {
		if p, ok := parentOf(h).(*simulator.ClusterComputeResource); ok && p.Self == c.Self {
			continue
		}
		detachHost(h)
		simulator.Map.WithLock(h, func() { h.Parent = &c.Self })
		simulator.Map.AddReference(c, &c.Host, h.Self)
		summaryDelta(c.Summary.GetComputeResourceSummary(), h, 1)
	}
	return nil
}

// MoveIntoFolder_Task of a HostSystem out of a cluster (missing from 0.24.2): the host
// becomes a standalone host (its own ComputeResource) in the folder. NotSupported when the
// folder holds no compute resources; InvalidState when the host is not in maintenance mode.
// Other objects go to govmomi's MoveIntoFolder_Task.
func (o *Ops) MoveIntoFolderTask(ctx *simulator.Context, req *types.MoveIntoFolder_Task) soap.HasFault {
	f := o.folder()
	var hosts, others []types.ManagedObjectReference
	for _, ref := range req.List {
		if ref.Type == "HostSystem" {
			hosts = append(hosts, ref)
		} else {
			others = append(others, ref)
		}
	}
	if len(hosts) == 0 {
		req.This = f.Self
		return f.MoveIntoFolderTask(ctx, req)
	}
	task := simulator.CreateTask(f, "moveIntoFolder", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		if len(others) > 0 {
			return nil, &types.NotSupported{}
		}
		if !hasString(f.ChildType, "ComputeResource") {
			return nil, &types.NotSupported{}
		}
		for _, ref := range hosts {
			h, ok := simulator.Map.Get(ref).(*simulator.HostSystem)
			if !ok {
				return nil, &types.ManagedObjectNotFound{Obj: ref}
			}
			if _, inCluster := parentOf(h).(*simulator.ClusterComputeResource); !inCluster {
				return nil, &types.NotSupported{} // standalone hosts move as their ComputeResource
			}
			if !h.Runtime.InMaintenanceMode {
				return nil, &types.InvalidState{}
			}
			if datacenterOf(h) != datacenterOf(f) {
				return nil, invalidArgument("list")
			}
		}
		for _, ref := range hosts {
			h := simulator.Map.Get(ref).(*simulator.HostSystem)
			detachHost(h)
			standalone(f, h)
		}
		return nil, nil
	})
	return &methods.MoveIntoFolder_TaskBody{Res: &types.MoveIntoFolder_TaskResponse{Returnval: task.Run()}}
}

// standalone wraps h in a new ComputeResource (with its root pool) inside folder f.
func standalone(f *simulator.Folder, h *simulator.HostSystem) {
	summary := &types.ComputeResourceSummary{}
	cr := &mo.ComputeResource{
		ConfigurationEx: &types.ComputeResourceConfigInfo{
			VmSwapPlacement: string(types.VirtualMachineConfigInfoSwapPlacementTypeVmDirectory),
		},
		Summary: summary,
	}
	cr.Name = h.Name
	simulator.Map.NewEntity(cr)
	cr.Host = []types.ManagedObjectReference{h.Self}
	cr.Network = h.Network
	summaryDelta(summary, h, 1)
	summary.OverallStatus = types.ManagedEntityStatusGreen

	pool := simulator.NewResourcePool()
	simulator.Map.PutEntity(cr, simulator.Map.NewEntity(pool))
	pool.Owner = cr.Self
	cr.ResourcePool = &pool.Self

	simulator.Map.WithLock(f, func() {
		f.ChildEntity = append(f.ChildEntity, cr.Self)
	})
	simulator.Map.PutEntity(f, cr)
	simulator.Map.WithLock(h, func() { h.Parent = &cr.Self })
}
