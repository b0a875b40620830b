# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-host NTP (HostDateTimeSystem), services (HostServiceSystem), firewall rulesets
(HostFirewallSystem) and advanced options (OptionManager) of the extension.

Faults as the vSphere Web Services API reference lists them for vim.host.DateTimeSystem,
vim.host.ServiceSystem, vim.host.FirewallSystem and vim.option.OptionManager.
"""
from __future__ import annotations

import pytest
from pyVmomi import VmomiSupport, vim, vmodl


def ntp(servers):
    return vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=servers))


def service(host, key):
    return next(s for s in host.configManager.serviceSystem.serviceInfo.service if s.key == key)


def ruleset(host, key):
    return next(r for r in host.config.firewall.ruleset if r.key == key)


def option(host, key):
    return host.configManager.advancedOption.QueryOptions(key)[0].value


# --- NTP ---------------------------------------------------------------------------------

def test_ntp_servers_per_host(inv):
    ds = inv.host.configManager.dateTimeSystem
    assert not ds.dateTimeInfo.ntpConfig.server
    ds.UpdateDateTimeConfig(ntp(['0.pool.ntp.org', '10.0.0.1']))
    assert list(ds.dateTimeInfo.ntpConfig.server) == ['0.pool.ntp.org', '10.0.0.1']
    assert list(inv.host.config.dateTimeInfo.ntpConfig.server) == ['0.pool.ntp.org', '10.0.0.1']
    # the list is replaced, not merged (removing a server is a change the role must repair)
    ds.UpdateDateTimeConfig(ntp(['10.0.0.1']))
    assert list(ds.dateTimeInfo.ntpConfig.server) == ['10.0.0.1']
    assert not inv.hosts[1].config.dateTimeInfo.ntpConfig.server
    assert ds.dateTimeInfo.timeZone.key == 'UTC'
    assert ds.QueryDateTime() is not None


def test_ntp_refusals(inv):
    ds = inv.host.configManager.dateTimeSystem
    ds.UpdateDateTimeConfig(ntp(['10.0.0.1']))
    # UpdateDateTimeConfig: HostConfigFault "for all other failures" (a server name ESXi cannot use)
    with pytest.raises(vim.fault.HostConfigFault):
        ds.UpdateDateTimeConfig(ntp(['not a host']))
    # InvalidArgument: a time zone ESXi does not have
    with pytest.raises(vmodl.fault.InvalidArgument):
        ds.UpdateDateTimeConfig(vim.host.DateTimeConfig(timeZone='Mars/Olympus'))
    assert list(ds.dateTimeInfo.ntpConfig.server) == ['10.0.0.1']


# --- services ----------------------------------------------------------------------------

def test_ntpd_and_ssh_services(inv):
    ss = inv.host.configManager.serviceSystem
    assert (service(inv.host, 'ntpd').running, service(inv.host, 'ntpd').policy) == (False, 'off')
    ss.UpdateServicePolicy('ntpd', 'on')
    ss.StartService('ntpd')
    assert (service(inv.host, 'ntpd').running, service(inv.host, 'ntpd').policy) == (True, 'on')
    # host.config.service is the same view
    assert next(s for s in inv.host.config.service.service if s.key == 'ntpd').running is True
    # ESXi 5+ does not fault on starting a running service or stopping a stopped one
    ss.StartService('ntpd')
    ss.RestartService('ntpd')
    ss.StopService('ntpd')
    ss.StopService('ntpd')
    assert service(inv.host, 'ntpd').running is False
    ss.StartService('TSM-SSH')
    assert service(inv.host, 'TSM-SSH').running is True
    assert service(inv.hosts[1], 'TSM-SSH').running is False


def test_service_refusals(inv):
    ss = inv.host.configManager.serviceSystem
    # StartService/StopService/RestartService/UpdateServicePolicy: NotFound for an unknown service id
    for call in (ss.StartService, ss.StopService, ss.RestartService):
        with pytest.raises(vim.fault.NotFound):
            call('nosuchd')
    with pytest.raises(vim.fault.NotFound):
        ss.UpdateServicePolicy('nosuchd', 'on')
    # InvalidArgument for a policy that is not on/off/automatic
    with pytest.raises(vmodl.fault.InvalidArgument):
        ss.UpdateServicePolicy('ntpd', 'sometimes')
    assert service(inv.host, 'ntpd').policy == 'off'


# --- firewall ----------------------------------------------------------------------------

def test_rulesets_are_per_host(inv):
    fw = inv.host.configManager.firewallSystem
    assert ruleset(inv.host, 'gdbserver').enabled is False
    fw.EnableRuleset('gdbserver')
    fw.EnableRuleset('ntpClient')
    assert ruleset(inv.host, 'gdbserver').enabled is True and ruleset(inv.host, 'ntpClient').enabled is True
    assert ruleset(inv.hosts[1], 'gdbserver').enabled is False
    fw.DisableRuleset('gdbserver')
    assert ruleset(inv.host, 'gdbserver').enabled is False
    # the gdbserver ruleset covers the console proxy's VNC range 50000-50999
    ports = [(r.port, r.endPort) for r in ruleset(inv.host, 'gdbserver').rule]
    assert any(p <= 50000 and (e or p) >= 50999 for p, e in ports)


def test_update_ruleset_allowed_hosts(inv):
    fw = inv.host.configManager.firewallSystem
    spec = vim.host.Ruleset.RulesetSpec(allowedHosts=vim.host.Ruleset.IpList(
        allIp=False, ipAddress=['10.0.0.5'],
        ipNetwork=[vim.host.Ruleset.IpNetwork(network='10.0.1.0', prefixLength=24)]))
    fw.UpdateRuleset('gdbserver', spec)
    allowed = ruleset(inv.host, 'gdbserver').allowedHosts
    assert allowed.allIp is False and list(allowed.ipAddress) == ['10.0.0.5']
    assert [(n.network, n.prefixLength) for n in allowed.ipNetwork] == [('10.0.1.0', 24)]
    assert ruleset(inv.hosts[1], 'gdbserver').allowedHosts.allIp is True
    fw.UpdateRuleset('gdbserver', vim.host.Ruleset.RulesetSpec(allowedHosts=vim.host.Ruleset.IpList(allIp=True)))
    assert ruleset(inv.host, 'gdbserver').allowedHosts.allIp is True


def test_firewall_refusals(inv):
    fw = inv.host.configManager.firewallSystem
    # Enable/DisableRuleset and UpdateRuleset: NotFound for a ruleset the host does not have
    # (the API cannot create rulesets: the VNC range beyond 50999 needs the SSH step on real ESXi)
    for call in (fw.EnableRuleset, fw.DisableRuleset):
        with pytest.raises(vim.fault.NotFound):
            call('vncAdditionalPorts')
    any_ip = vim.host.Ruleset.RulesetSpec(allowedHosts=vim.host.Ruleset.IpList(allIp=True))
    with pytest.raises(vim.fault.NotFound):
        fw.UpdateRuleset('vncAdditionalPorts', any_ip)
    # InvalidArgument for an address or network that does not parse
    with pytest.raises(vmodl.fault.InvalidArgument):
        fw.UpdateRuleset('gdbserver', vim.host.Ruleset.RulesetSpec(
            allowedHosts=vim.host.Ruleset.IpList(allIp=False, ipAddress=['10.0.0.300'])))
    with pytest.raises(vmodl.fault.InvalidArgument):
        fw.UpdateRuleset('gdbserver', vim.host.Ruleset.RulesetSpec(allowedHosts=vim.host.Ruleset.IpList(
            allIp=False, ipNetwork=[vim.host.Ruleset.IpNetwork(network='10.0.1.0', prefixLength=33)])))
    assert ruleset(inv.host, 'gdbserver').allowedHosts.allIp is True


# --- advanced options --------------------------------------------------------------------

def long(v):
    return VmomiSupport.vmodlTypes['long'](v)


def test_advanced_options_per_host(inv):
    om = inv.host.configManager.advancedOption
    keys = {d.key: d for d in om.supportedOption}
    for key in ('Net.TcpipHeapSize', 'UserVars.SuppressShellWarning', 'Config.HostAgent.log.level'):
        assert key in keys
    assert isinstance(keys['Net.TcpipHeapSize'].optionType, vim.option.LongOption)
    assert isinstance(keys['Config.HostAgent.log.level'].optionType, vim.option.StringOption)
    om.UpdateOptions([vim.option.OptionValue(key='Net.TcpipHeapSize', value=long(32)),
                      vim.option.OptionValue(key='UserVars.SuppressShellWarning', value=long(1)),
                      vim.option.OptionValue(key='Config.HostAgent.log.level', value='verbose')])
    assert option(inv.host, 'Net.TcpipHeapSize') == 32
    assert option(inv.host, 'Config.HostAgent.log.level') == 'verbose'
    # values stay on their host (the stock simulator shares them between hosts)
    assert option(inv.hosts[1], 'Net.TcpipHeapSize') == 0
    assert option(inv.hosts[1], 'Config.HostAgent.log.level') == 'info'
    # a subtree query ends in "."
    assert {o.key for o in om.QueryOptions('UserVars.')} >= {'UserVars.SuppressShellWarning'}
    assert {o.key: o.value for o in inv.host.config.option}['Net.TcpipHeapSize'] == 32


def test_advanced_option_refusals(inv):
    om = inv.host.configManager.advancedOption
    # QueryOptions / UpdateOptions: InvalidName "if one or more OptionValue objects refers to a
    # non-existent option"
    with pytest.raises(vim.fault.InvalidName):
        om.QueryOptions('No.Such.Option')
    with pytest.raises(vim.fault.InvalidName):
        om.UpdateOptions([vim.option.OptionValue(key='No.Such.Option', value=long(1))])
    # InvalidArgument "if one or more OptionValue contains an invalid value": wrong type, out of range
    with pytest.raises(vmodl.fault.InvalidArgument):
        om.UpdateOptions([vim.option.OptionValue(key='Net.TcpipHeapSize', value='32')])
    with pytest.raises(vmodl.fault.InvalidArgument):
        om.UpdateOptions([vim.option.OptionValue(key='Net.TcpipHeapSize', value=long(64))])
    with pytest.raises(vmodl.fault.InvalidArgument):
        om.UpdateOptions([vim.option.OptionValue(key='Config.HostAgent.log.level', value=long(1))])
    # all or nothing: a valid value next to an invalid one is not applied
    with pytest.raises(vmodl.fault.InvalidArgument):
        om.UpdateOptions([vim.option.OptionValue(key='UserVars.SuppressShellWarning', value=long(1)),
                          vim.option.OptionValue(key='Net.TcpipHeapSize', value=long(99))])
    assert option(inv.host, 'UserVars.SuppressShellWarning') == 0
    assert option(inv.host, 'Net.TcpipHeapSize') == 0
