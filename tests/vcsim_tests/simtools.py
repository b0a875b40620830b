# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the simulator tests (conftest.py is not importable under importlib mode)."""
from __future__ import annotations

import time

from pyVmomi import vim

HOSTS = ('esxi1.lab.example', 'esxi2.lab.example', 'esxi3.lab.example')


def wait(task):
    """Wait for a task; return its result or raise its fault (like pyVim.task.WaitForTask)."""
    while task.info.state not in (vim.TaskInfo.State.success, vim.TaskInfo.State.error):
        time.sleep(0.02)
    if task.info.state == vim.TaskInfo.State.error:
        raise task.info.error
    return task.info.result


def thumbprint(name):
    """The SHA-1 thumbprint the simulated host presents."""
    from vcsim import host_thumbprint  # pylint: disable=import-outside-toplevel
    return host_thumbprint(name)


class Inventory:
    """Datacenter DC1, cluster Cluster1 and the three HOSTS added to it."""

    def __init__(self, si):
        content = si.RetrieveContent()
        self.content = content
        self.dc = content.rootFolder.CreateDatacenter('DC1')
        self.cluster = self.dc.hostFolder.CreateClusterEx('Cluster1', vim.cluster.ConfigSpecEx())
        self.hosts = []
        for name in HOSTS:
            spec = vim.host.ConnectSpec(hostName=name, userName='root', password='secret',
                                        sslThumbprint=thumbprint(name))
            self.hosts.append(wait(self.cluster.AddHost_Task(spec, True)))

    @property
    def host(self):
        return self.hosts[0]
