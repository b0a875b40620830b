# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator process: loopback only, credentials, start/stop by PID, empty inventory."""
from __future__ import annotations

import os
import subprocess

import pytest
from pyVmomi import vim

from simtools import HOSTS


def test_listens_on_loopback_with_its_credentials(sim, si):
    content = si.RetrieveContent()
    assert sim.host == '127.0.0.1' and sim.url.startswith('https://127.0.0.1:%d/' % sim.port)
    assert content.about.apiType == 'VirtualCenter'
    assert content.about.version == '8.0.2'
    # The role creates its own datacenter: the inventory starts empty.
    assert content.rootFolder.childEntity == []


def test_wrong_password_is_refused(sim):
    # SessionManager.Login: InvalidLogin for a wrong user name or password.
    from pyVim.connect import SmartConnect
    with pytest.raises(vim.fault.InvalidLogin):
        SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password + 'x',
                     disableSslCertValidation=True)


@pytest.mark.parametrize('addr', ['0.0.0.0:0', '10.99.1.1:8989', 'localhost:0', '[::1]:0', '127.0.0.1'])
def test_refuses_to_listen_anywhere_but_127_0_0_1(vcsim_binary, addr):
    proc = subprocess.run([vcsim_binary, '-l', addr], env=dict(os.environ, VCSIM_PASSWORD='x'),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20, check=False)
    assert proc.returncode == 2
    assert addr in proc.stderr


def test_password_is_never_taken_from_the_command_line(vcsim_binary):
    env = {k: v for k, v in os.environ.items() if k != 'VCSIM_PASSWORD'}
    proc = subprocess.run([vcsim_binary, '-l', '127.0.0.1:0'], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=20, check=False)
    assert proc.returncode == 2 and 'VCSIM_PASSWORD' in proc.stderr


def test_stop_ends_the_process_by_pid(vcsim_binary):
    from vcsim import Vcsim
    s = Vcsim(binary=vcsim_binary).start()
    pid = s.pid
    os.kill(pid, 0)
    s.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_preset_inventory(vcsim_binary):
    from vcsim import Vcsim
    with Vcsim(binary=vcsim_binary, datacenters=1, clusters=1, cluster_hosts=2, standalone_hosts=1,
               version='7.0.3') as s:
        content = s.connect().RetrieveContent()
        assert content.about.version == '7.0.3'
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        assert len(view.view) == 3


def test_add_host_with_a_lab_name(inv):
    assert [h.name for h in inv.hosts] == list(HOSTS)
    assert [h.runtime.connectionState for h in inv.hosts] == ['connected'] * 3
    assert all(h.parent == inv.cluster for h in inv.hosts)
    # Each host has vSwitch0 with the Management Network and vmk0 from the start.
    for h in inv.hosts:
        net = h.config.network
        assert [v.name for v in net.vswitch] == ['vSwitch0']
        assert 'Management Network' in [p.spec.name for p in net.portgroup]
        assert [(v.device, v.portgroup) for v in net.vnic] == [('vmk0', 'Management Network')]
