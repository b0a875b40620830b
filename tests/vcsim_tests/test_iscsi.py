# SPDX-License-Identifier: GPL-3.0-or-later
"""Software iSCSI per host (HostStorageSystem, IscsiManager) of the extension.

Faults as the vSphere Web Services API reference lists them for vim.host.StorageSystem
(NotFound, HostConfigFault) and vim.host.IscsiManager (IscsiFault*).
"""
from __future__ import annotations

import pytest
from pyVmomi import vim


def hba(host, device='vmhba65'):
    return next((h for h in host.config.storageDevice.hostBusAdapter
                 if isinstance(h, vim.host.InternetScsiHba) and h.device == device), None)


def send_target(address, port=3260):
    return vim.host.InternetScsiHba.SendTarget(address=address, port=port)


def test_enable_software_iscsi_and_add_targets(inv):
    ss = inv.host.configManager.storageSystem
    assert inv.host.config.storageDevice.softwareInternetScsiEnabled is False and hba(inv.host) is None
    ss.UpdateSoftwareInternetScsiEnabled(True)
    adapter = hba(inv.host)
    assert inv.host.config.storageDevice.softwareInternetScsiEnabled is True
    assert adapter.isSoftwareBased and adapter.iScsiName.startswith('iqn.1998-01.com.vmware:esxi1-')
    assert hba(inv.hosts[1]) is None  # other hosts untouched
    ss.AddInternetScsiSendTargets('vmhba65', [send_target('10.0.20.5')])
    ss.AddInternetScsiStaticTargets('vmhba65', [vim.host.InternetScsiHba.StaticTarget(
        address='10.0.20.6', port=3260, iScsiName='iqn.2026-01.example:lun0')])
    adapter = hba(inv.host)
    assert [(t.address, t.port) for t in adapter.configuredSendTarget] == [('10.0.20.5', 3260)]
    # a new target inherits the adapter's CHAP settings, as ESXi reports it (vmware_host_iscsi reads these)
    auth = adapter.configuredSendTarget[0].authenticationProperties
    assert (auth.chapInherited, auth.chapAuthenticationType) == (True, 'chapProhibited')
    assert [t.iScsiName for t in adapter.configuredStaticTarget] == ['iqn.2026-01.example:lun0']
    ss.RemoveInternetScsiSendTargets('vmhba65', [send_target('10.0.20.5')])
    assert not hba(inv.host).configuredSendTarget
    ss.UpdateInternetScsiName('vmhba65', 'iqn.1998-01.com.vmware:esxi1-cs')
    assert hba(inv.host).iScsiName == 'iqn.1998-01.com.vmware:esxi1-cs'
    ss.RescanAllHba()


def test_iscsi_refusals(inv):
    ss = inv.host.configManager.storageSystem
    # NotFound: the software adapter does not exist before software iSCSI is enabled
    with pytest.raises(vim.fault.NotFound):
        ss.AddInternetScsiSendTargets('vmhba65', [send_target('10.0.20.5')])
    ss.UpdateSoftwareInternetScsiEnabled(True)
    ss.AddInternetScsiSendTargets('vmhba65', [send_target('10.0.20.5')])
    # HostConfigFault: the same target twice, an address that is no address, a bad iSCSI name
    with pytest.raises(vim.fault.HostConfigFault):
        ss.AddInternetScsiSendTargets('vmhba65', [send_target('10.0.20.5')])
    with pytest.raises(vim.fault.HostConfigFault):
        ss.AddInternetScsiSendTargets('vmhba65', [send_target('not an address')])
    with pytest.raises(vim.fault.HostConfigFault):
        ss.UpdateInternetScsiName('vmhba65', 'my initiator')
    # NotFound: removing a target that is not configured, an adapter that is not iSCSI
    with pytest.raises(vim.fault.NotFound):
        ss.RemoveInternetScsiSendTargets('vmhba65', [send_target('10.0.20.9')])
    with pytest.raises(vim.fault.NotFound):
        ss.AddInternetScsiSendTargets('vmhba0', [send_target('10.0.20.7')])
    assert [t.address for t in hba(inv.host).configuredSendTarget] == ['10.0.20.5']


def test_port_binding(inv):
    ss, im = inv.host.configManager.storageSystem, inv.host.configManager.iscsiManager
    ss.UpdateSoftwareInternetScsiEnabled(True)
    assert not im.QueryBoundVnics('vmhba65')
    im.BindVnic('vmhba65', 'vmk0')
    assert [p.vnicDevice for p in im.QueryBoundVnics('vmhba65')] == ['vmk0']
    # IscsiFaultVnicAlreadyBound / IscsiFaultVnicNotFound / IscsiFaultVnicNotBound, NotFound for the adapter
    with pytest.raises(vim.fault.IscsiFaultVnicAlreadyBound):
        im.BindVnic('vmhba65', 'vmk0')
    with pytest.raises(vim.fault.IscsiFaultVnicNotFound):
        im.BindVnic('vmhba65', 'vmk9')
    with pytest.raises(vim.fault.NotFound):
        im.QueryBoundVnics('vmhba99')
    im.UnbindVnic('vmhba65', 'vmk0', False)
    with pytest.raises(vim.fault.IscsiFaultVnicNotBound):
        im.UnbindVnic('vmhba65', 'vmk0', False)
