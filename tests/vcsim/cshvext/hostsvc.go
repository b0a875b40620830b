// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

package cshvext

// Per-host system managers: HostDateTimeSystem and HostServiceSystem (govmomi 0.24.2 has
// neither), HostFirewallSystem (0.24.2 shares one ruleset list between all hosts and has
// no UpdateRuleset) and the host OptionManager (0.24.2 shares values between hosts and
// has no supportedOption). Semantics and faults: vSphere Web Services API reference,
// vim.host.DateTimeSystem, vim.host.ServiceSystem, vim.host.FirewallSystem, vim.option.OptionManager.

import (
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	hostExtensions = append(hostExtensions, extendSystems)
}

// DateTimeSystem is a host's HostDateTimeSystem.
type DateTimeSystem struct {
	mo.HostDateTimeSystem

	st *hostState
}

// ServiceSystem is a host's HostServiceSystem.
type ServiceSystem struct {
	mo.HostServiceSystem

	st *hostState
}

// FirewallSystem is a host's HostFirewallSystem, with its own rulesets.
type FirewallSystem struct {
	mo.HostFirewallSystem

	st *hostState
}

// OptionManager is a host's advanced-settings OptionManager.
type OptionManager struct {
	mo.OptionManager

	st *hostState
}

func extendSystems(host *simulator.HostSystem) {
	st := stateOf(host)
	id := host.Self.Value

	dt := &DateTimeSystem{st: st}
	dt.Self = types.ManagedObjectReference{Type: "HostDateTimeSystem", Value: "cshv-datetime-" + id}
	dt.DateTimeInfo = types.HostDateTimeInfo{
		TimeZone:            types.HostDateTimeSystemTimeZone{Key: "UTC", Name: "UTC", Description: "UTC", GmtOffset: 0},
		SystemClockProtocol: "ntp",
		NtpConfig:           &types.HostNtpConfig{},
	}
	simulator.Map.Put(dt)
	host.ConfigManager.DateTimeSystem = &dt.Self
	host.Config.DateTimeInfo = &dt.DateTimeInfo

	ss := &ServiceSystem{st: st}
	ss.Self = types.ManagedObjectReference{Type: "HostServiceSystem", Value: "cshv-services-" + id}
	ss.ServiceInfo = types.HostServiceInfo{Service: defaultServices()}
	simulator.Map.Put(ss)
	host.ConfigManager.ServiceSystem = &ss.Self
	host.Config.Service = &ss.ServiceInfo

	fw := &FirewallSystem{st: st}
	fw.Self = *host.ConfigManager.FirewallSystem
	info := esx.HostFirewallInfo
	info.Ruleset = make([]types.HostFirewallRuleset, len(esx.HostFirewallInfo.Ruleset))
	for i, r := range esx.HostFirewallInfo.Ruleset {
		r.Rule = append([]types.HostFirewallRule(nil), r.Rule...)
		r.AllowedHosts = &types.HostFirewallRulesetIpList{AllIp: true}
		info.Ruleset[i] = r
	}
	fw.FirewallInfo = &info
	simulator.Map.Put(fw)
	host.Config.Firewall = fw.FirewallInfo

	om := &OptionManager{st: st}
	om.Self = *host.ConfigManager.AdvancedOption
	om.SupportedOption = supportedOptions()
	for _, def := range om.SupportedOption {
		om.Setting = append(om.Setting, &types.OptionValue{Key: def.Key, Value: defaultValue(def.OptionType)})
	}
	simulator.Map.Put(om)
	host.Config.Option = om.Setting
	host.Config.OptionDef = om.SupportedOption
}

// --- HostDateTimeSystem -------------------------------------------------------------------

var ntpServerRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$`)

// UpdateDateTimeConfig: the NTP server list is replaced by the one given; HostConfigFault
// for a server name that is neither a host name nor an address, InvalidArgument for a
// time zone other than UTC (ESXi 5.0+ only knows UTC).
func (s *DateTimeSystem) UpdateDateTimeConfig(req *types.UpdateDateTimeConfig) soap.HasFault {
	body := &methods.UpdateDateTimeConfigBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if req.Config.TimeZone != "" && req.Config.TimeZone != "UTC" {
		body.Fault_ = fault(invalidArgument("config.timeZone"))
		return body
	}
	if n := req.Config.NtpConfig; n != nil {
		for _, server := range n.Server {
			if !ntpServerRe.MatchString(server) || len(server) > 255 {
				body.Fault_ = faultMsg("invalid NTP server "+server, &types.HostConfigFault{})
				return body
			}
		}
		cfg := types.HostNtpConfig{Server: append([]string(nil), n.Server...), ConfigFile: n.ConfigFile}
		s.DateTimeInfo.NtpConfig = &cfg
	}
	body.Res = &types.UpdateDateTimeConfigResponse{}
	return body
}

// QueryDateTime returns the host's clock (the simulator's).
func (s *DateTimeSystem) QueryDateTime(*types.QueryDateTime) soap.HasFault {
	return &methods.QueryDateTimeBody{Res: &types.QueryDateTimeResponse{Returnval: time.Now().UTC()}}
}

// QueryAvailableTimeZones: only UTC.
func (s *DateTimeSystem) QueryAvailableTimeZones(*types.QueryAvailableTimeZones) soap.HasFault {
	return &methods.QueryAvailableTimeZonesBody{Res: &types.QueryAvailableTimeZonesResponse{
		Returnval: []types.HostDateTimeSystemTimeZone{s.DateTimeInfo.TimeZone},
	}}
}

// RefreshDateTimeSystem succeeds and changes nothing.
func (s *DateTimeSystem) RefreshDateTimeSystem(*types.RefreshDateTimeSystem) soap.HasFault {
	return &methods.RefreshDateTimeSystemBody{Res: &types.RefreshDateTimeSystemResponse{}}
}

// UpdateDateTime is accepted (the simulated clock cannot be set).
func (s *DateTimeSystem) UpdateDateTime(*types.UpdateDateTime) soap.HasFault {
	return &methods.UpdateDateTimeBody{Res: &types.UpdateDateTimeResponse{}}
}

// --- HostServiceSystem --------------------------------------------------------------------

func defaultServices() []types.HostService {
	svc := func(key, label string, running bool, policy string, rulesets ...string) types.HostService {
		return types.HostService{Key: key, Label: label, Running: running, Policy: policy, Ruleset: rulesets}
	}
	return []types.HostService{
		svc("DCUI", "Direct Console UI", true, "on"),
		svc("TSM", "ESXi Shell", false, "off"),
		svc("TSM-SSH", "SSH", false, "off", "sshServer"),
		svc("lbtd", "Load-Based Teaming Daemon", true, "on"),
		svc("lwsmd", "Active Directory Service", false, "off", "activeDirectoryAll"),
		svc("ntpd", "NTP Daemon", false, "off", "ntpClient"),
		svc("pcscd", "PC/SC Smart Card Daemon", false, "off"),
		svc("sfcbd-watchdog", "CIM Server", false, "on", "CIMHttpServer", "CIMHttpsServer"),
		svc("snmpd", "SNMP Server", false, "on", "snmp"),
		svc("vmsyslogd", "Syslog Server", true, "on"),
		svc("vpxa", "VMware vCenter Agent", true, "on", "vpxHeartbeats"),
		svc("xorg", "X.Org Server", false, "on"),
	}
}

func (s *ServiceSystem) service(id string) *types.HostService {
	for i := range s.ServiceInfo.Service {
		if s.ServiceInfo.Service[i].Key == id {
			return &s.ServiceInfo.Service[i]
		}
	}
	return nil
}

// setRunning: NotFound for an unknown service id. Starting a running service or stopping
// a stopped one succeeds (the API: only ESX 4.1 and older throw InvalidState there).
func (s *ServiceSystem) setRunning(id string, running bool) types.BaseMethodFault {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	svc := s.service(id)
	if svc == nil {
		return &types.NotFound{}
	}
	svc.Running = running
	return nil
}

// StartService starts a service.
func (s *ServiceSystem) StartService(req *types.StartService) soap.HasFault {
	body := &methods.StartServiceBody{}
	if f := s.setRunning(req.Id, true); f != nil {
		body.Fault_ = fault(f)
	} else {
		body.Res = &types.StartServiceResponse{}
	}
	return body
}

// StopService stops a service.
func (s *ServiceSystem) StopService(req *types.StopService) soap.HasFault {
	body := &methods.StopServiceBody{}
	if f := s.setRunning(req.Id, false); f != nil {
		body.Fault_ = fault(f)
	} else {
		body.Res = &types.StopServiceResponse{}
	}
	return body
}

// RestartService leaves the service running.
func (s *ServiceSystem) RestartService(req *types.RestartService) soap.HasFault {
	body := &methods.RestartServiceBody{}
	if f := s.setRunning(req.Id, true); f != nil {
		body.Fault_ = fault(f)
	} else {
		body.Res = &types.RestartServiceResponse{}
	}
	return body
}

// UpdateServicePolicy: NotFound for an unknown service, InvalidArgument for a policy other
// than on, off or automatic (HostServicePolicy).
func (s *ServiceSystem) UpdateServicePolicy(req *types.UpdateServicePolicy) soap.HasFault {
	body := &methods.UpdateServicePolicyBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	svc := s.service(req.Id)
	if svc == nil {
		body.Fault_ = fault(&types.NotFound{})
		return body
	}
	if !oneOf(req.Policy, "on", "off", "automatic") || req.Policy == "" {
		body.Fault_ = fault(invalidArgument("policy"))
		return body
	}
	svc.Policy = req.Policy
	body.Res = &types.UpdateServicePolicyResponse{}
	return body
}

// RefreshServices succeeds and changes nothing.
func (s *ServiceSystem) RefreshServices(*types.RefreshServices) soap.HasFault {
	return &methods.RefreshServicesBody{Res: &types.RefreshServicesResponse{}}
}

// --- HostFirewallSystem -------------------------------------------------------------------

func (s *FirewallSystem) ruleset(id string) *types.HostFirewallRuleset {
	for i := range s.FirewallInfo.Ruleset {
		if s.FirewallInfo.Ruleset[i].Key == id {
			return &s.FirewallInfo.Ruleset[i]
		}
	}
	return nil
}

func (s *FirewallSystem) setEnabled(id string, enabled bool) types.BaseMethodFault {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	r := s.ruleset(id)
	if r == nil {
		return &types.NotFound{}
	}
	r.Enabled = enabled
	return nil
}

// EnableRuleset: NotFound for an unknown ruleset.
func (s *FirewallSystem) EnableRuleset(req *types.EnableRuleset) soap.HasFault {
	body := &methods.EnableRulesetBody{}
	if f := s.setEnabled(req.Id, true); f != nil {
		body.Fault_ = fault(f)
	} else {
		body.Res = &types.EnableRulesetResponse{}
	}
	return body
}

// DisableRuleset: NotFound for an unknown ruleset.
func (s *FirewallSystem) DisableRuleset(req *types.DisableRuleset) soap.HasFault {
	body := &methods.DisableRulesetBody{}
	if f := s.setEnabled(req.Id, false); f != nil {
		body.Fault_ = fault(f)
	} else {
		body.Res = &types.DisableRulesetResponse{}
	}
	return body
}

// UpdateRuleset (missing from govmomi): NotFound for an unknown ruleset; InvalidArgument
// for an address or network that does not parse or a prefix length outside 0-32.
// allowedHosts replaces the ruleset's list (allIp=false with empty lists allows nobody,
// as on ESXi).
func (s *FirewallSystem) UpdateRuleset(req *types.UpdateRuleset) soap.HasFault {
	body := &methods.UpdateRulesetBody{}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	r := s.ruleset(req.Id)
	if r == nil {
		body.Fault_ = faultMsg("ruleset "+req.Id+" not found on "+hostName(&s.st.host.HostSystem), &types.NotFound{})
		return body
	}
	allowed := req.Spec.AllowedHosts
	for _, ip := range allowed.IpAddress {
		if net.ParseIP(ip) == nil {
			body.Fault_ = fault(invalidArgument("spec.allowedHosts.ipAddress"))
			return body
		}
	}
	for _, n := range allowed.IpNetwork {
		ip := net.ParseIP(n.Network)
		max := int32(128)
		if ip != nil && ip.To4() != nil {
			max = 32
		}
		if ip == nil || n.PrefixLength < 0 || n.PrefixLength > max {
			body.Fault_ = fault(invalidArgument("spec.allowedHosts.ipNetwork"))
			return body
		}
	}
	copied := types.HostFirewallRulesetIpList{
		AllIp:     allowed.AllIp,
		IpAddress: append([]string(nil), allowed.IpAddress...),
		IpNetwork: append([]types.HostFirewallRulesetIpNetwork(nil), allowed.IpNetwork...),
	}
	r.AllowedHosts = &copied
	body.Res = &types.UpdateRulesetResponse{}
	return body
}

// UpdateDefaultPolicy stores the default policy.
func (s *FirewallSystem) UpdateDefaultPolicy(req *types.UpdateDefaultPolicy) soap.HasFault {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.FirewallInfo.DefaultPolicy = req.DefaultPolicy
	return &methods.UpdateDefaultPolicyBody{Res: &types.UpdateDefaultPolicyResponse{}}
}

// RefreshFirewall succeeds and changes nothing.
func (s *FirewallSystem) RefreshFirewall(*types.RefreshFirewall) soap.HasFault {
	return &methods.RefreshFirewallBody{Res: &types.RefreshFirewallResponse{}}
}

// --- host OptionManager ---------------------------------------------------------------------

func longOpt(key, label string, min, max, def int64) types.OptionDef {
	return types.OptionDef{
		ElementDescription: types.ElementDescription{Key: key, Description: types.Description{Label: label, Summary: label}},
		OptionType:         &types.LongOption{Min: min, Max: max, DefaultValue: def},
	}
}

func stringOpt(key, label, def string) types.OptionDef {
	return types.OptionDef{
		ElementDescription: types.ElementDescription{Key: key, Description: types.Description{Label: label, Summary: label}},
		OptionType:         &types.StringOption{DefaultValue: def},
	}
}

func boolOpt(key, label string, def bool) types.OptionDef {
	return types.OptionDef{
		ElementDescription: types.ElementDescription{Key: key, Description: types.Description{Label: label, Summary: label}},
		OptionType:         &types.BoolOption{DefaultValue: def},
	}
}

// supportedOptions: a subset of ESXi 8's advanced settings, with ESXi's types (integer
// settings are LongOption) and ranges, covering what the role and its tests set.
func supportedOptions() []types.OptionDef {
	defs := []types.OptionDef{
		stringOpt("Config.HostAgent.log.level", "Logging level of hostd", "info"),
		boolOpt("Config.HostAgent.plugins.solo.enableMob", "Enable the managed object browser", false),
		longOpt("Net.TcpipHeapSize", "Size of the TCP/IP heap in megabytes", 0, 32, 0),
		longOpt("Net.TcpipHeapMax", "Maximum size of the TCP/IP heap in megabytes", 32, 1576, 512),
		longOpt("NFS.MaxVolumes", "Maximum number of NFS mounted volumes", 8, 256, 8),
		longOpt("NFS.HeartbeatFrequency", "Time in seconds between NFS heartbeats", 5, 86400, 12),
		longOpt("NFS.HeartbeatTimeout", "Time in seconds before an NFS heartbeat is aborted", 3, 30, 5),
		longOpt("NFS.HeartbeatMaxFailures", "Number of failed NFS heartbeats before marking a volume unavailable", 3, 10, 10),
		longOpt("Misc.BlueScreenTimeout", "Timeout in seconds before rebooting after a PSOD", 0, 65535, 0),
		longOpt("Mem.ShareForceSalting", "Transparent page sharing salting", 0, 2, 2),
		longOpt("UserVars.SuppressShellWarning", "Do not warn that the ESXi Shell or SSH is enabled", 0, 1, 0),
		longOpt("UserVars.ESXiShellTimeOut", "Seconds before the ESXi Shell and SSH are disabled", 0, 86400, 0),
		longOpt("UserVars.ESXiShellInteractiveTimeOut", "Idle seconds before an interactive shell is logged out", 0, 86400, 0),
		longOpt("UserVars.DcuiTimeOut", "Idle seconds before the DCUI is logged out", 0, 3600, 600),
		stringOpt("Syslog.global.logHost", "Remote syslog hosts", ""),
		stringOpt("Syslog.global.logDir", "Datastore path of the log directory", "[] /scratch/log"),
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Key < defs[j].Key })
	return defs
}

func defaultValue(t types.BaseOptionType) types.AnyType {
	switch o := t.(type) {
	case *types.LongOption:
		return o.DefaultValue
	case *types.IntOption:
		return o.DefaultValue
	case *types.BoolOption:
		return o.DefaultValue
	case *types.StringOption:
		return o.DefaultValue
	}
	return nil
}

func (m *OptionManager) def(key string) *types.OptionDef {
	for i := range m.SupportedOption {
		if m.SupportedOption[i].Key == key {
			return &m.SupportedOption[i]
		}
	}
	return nil
}

// QueryOptions: every setting for an empty name, the subtree for a name ending in ".",
// else the exact key; InvalidName when nothing matches.
func (m *OptionManager) QueryOptions(req *types.QueryOptions) soap.HasFault {
	body := &methods.QueryOptionsBody{}
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	var out []types.BaseOptionValue
	for _, o := range m.Setting {
		key := o.GetOptionValue().Key
		if req.Name == "" || key == req.Name || (strings.HasSuffix(req.Name, ".") && strings.HasPrefix(key, req.Name)) {
			v := *o.GetOptionValue()
			out = append(out, &v)
		}
	}
	if len(out) == 0 {
		body.Fault_ = fault(&types.InvalidName{Name: req.Name})
		return body
	}
	body.Res = &types.QueryOptionsResponse{Returnval: out}
	return body
}

// checkValue: InvalidArgument for a value of the wrong type or outside the option's range.
func checkValue(def *types.OptionDef, v types.AnyType) types.BaseMethodFault {
	bad := invalidArgument(def.Key)
	switch o := def.OptionType.(type) {
	case *types.LongOption:
		n, ok := v.(int64)
		if !ok || n < o.Min || n > o.Max {
			return bad
		}
	case *types.IntOption:
		n, ok := v.(int32)
		if !ok || n < o.Min || n > o.Max {
			return bad
		}
	case *types.BoolOption:
		if _, ok := v.(bool); !ok {
			return bad
		}
	case *types.StringOption:
		s, ok := v.(string)
		if !ok {
			return bad
		}
		if o.ValidCharacters != "" && strings.Trim(s, o.ValidCharacters) != "" {
			return bad
		}
	}
	return nil
}

// UpdateOptions: InvalidName for a key the host does not support, InvalidArgument for a
// value of the wrong type or out of range; nothing is changed unless every value is valid.
func (m *OptionManager) UpdateOptions(req *types.UpdateOptions) soap.HasFault {
	body := &methods.UpdateOptionsBody{}
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	for _, c := range req.ChangedValue {
		v := c.GetOptionValue()
		def := m.def(v.Key)
		if def == nil {
			body.Fault_ = fault(&types.InvalidName{Name: v.Key})
			return body
		}
		if f := checkValue(def, v.Value); f != nil {
			body.Fault_ = fault(f)
			return body
		}
	}
	for _, c := range req.ChangedValue {
		v := c.GetOptionValue()
		for _, o := range m.Setting {
			if o.GetOptionValue().Key == v.Key {
				o.GetOptionValue().Value = v.Value
			}
		}
	}
	body.Res = &types.UpdateOptionsResponse{}
	return body
}
