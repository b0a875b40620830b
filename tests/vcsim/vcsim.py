# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the project's vCenter simulator (vcsim-cs) for tests.

    from vcsim import Vcsim
    with Vcsim() as sim:            # builds if needed, listens on 127.0.0.1:<free port>
        sim.host, sim.port, sim.username, sim.password, sim.url

``Vcsim().start()`` runs ``tests/vcsim/build.sh`` (a cache hit takes well under a
second), starts the binary with a fresh empty inventory, waits until the SDK
answers, and returns the instance; ``.stop()`` sends SIGTERM to that PID (SIGKILL
after 10 s). The password is random per start and passed through the environment.

Pytest: ``vcsim`` below is a fixture giving one fresh simulator per test; import it
into a conftest.py (``from vcsim import vcsim  # noqa: F401``) with tests/vcsim on
sys.path, or call ``Vcsim`` yourself for one simulator per scenario module.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, 'build.sh')
DEFAULT_USER = 'administrator@vsphere.local'


def host_thumbprint(name: str) -> str:
    """The SHA-1 thumbprint a simulated ESXi host presents (derived from its name, as in cshvext)."""
    digest = hashlib.sha1(('cshv-vcsim-host:' + name).encode()).hexdigest().upper()  # nosec - not security
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


class VcsimError(RuntimeError):
    """The simulator could not be built or started."""


def build() -> str:
    """Build (or find in the cache) vcsim-cs and return the binary's path."""
    proc = subprocess.run([BUILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise VcsimError('tests/vcsim/build.sh failed (rc=%d):\n%s' % (proc.returncode, proc.stderr))
    path = proc.stdout.strip().splitlines()[-1]
    if not os.access(path, os.X_OK):
        raise VcsimError('tests/vcsim/build.sh printed %r, which is not an executable' % path)
    return path


class Vcsim:
    """One simulator process on 127.0.0.1, started and stopped by PID."""

    def __init__(self, *, datacenters: int = 0, clusters: int = 0, cluster_hosts: int = 0,
                 standalone_hosts: int = 0, version: str = '8.0.2', build_number: str = '22385739',
                 username: str = DEFAULT_USER, password: str | None = None, port: int = 0,
                 binary: str | None = None, start_timeout: float = 30.0,
                 esxi_password: str | None = None, strict_thumbprints: bool = False):
        self.args = ['-dc', str(datacenters), '-cluster', str(clusters), '-host', str(cluster_hosts),
                     '-standalone-host', str(standalone_hosts), '-vc-version', version,
                     '-vc-build', build_number]
        self.username = username
        self.password = password or 'Vcs!' + secrets.token_urlsafe(12)
        self.requested_port = port
        self.binary = binary
        self.start_timeout = start_timeout
        self.version = version
        self.esxi_password = esxi_password
        self.strict_thumbprints = strict_thumbprints
        self.proc: subprocess.Popen | None = None
        self.workdir: str | None = None
        self.host = '127.0.0.1'
        self.port = 0
        self.url = ''
        self.thumbprint = ''

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> 'Vcsim':
        if self.proc is not None:
            raise VcsimError('simulator already started (pid %d)' % self.proc.pid)
        binary = self.binary or build()
        self.workdir = tempfile.mkdtemp(prefix='cshv-vcsim.')
        port_file = os.path.join(self.workdir, 'port.json')
        env = dict(os.environ, VCSIM_USERNAME=self.username, VCSIM_PASSWORD=self.password,
                   VCSIM_STRICT_THUMBPRINTS='1' if self.strict_thumbprints else '0')
        env.pop('VCSIM_ESXI_PASSWORD', None)
        if self.esxi_password:
            env['VCSIM_ESXI_PASSWORD'] = self.esxi_password
        log = open(self.log_path, 'wb')  # pylint: disable=consider-using-with
        try:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [binary, '-l', '127.0.0.1:%d' % self.requested_port, '-port-file', port_file] + self.args,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + self.start_timeout
        info = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if os.path.exists(port_file):
                with open(port_file, encoding='utf-8') as f:
                    info = json.load(f)
                if self._answers(info['port']):
                    break
            time.sleep(0.05)
        else:
            info = None
        if info is None or self.proc.poll() is not None:
            logs = self.logs()
            self.stop()
            raise VcsimError('vcsim-cs did not start within %.0f s; its output:\n%s' % (self.start_timeout, logs))
        self.port = int(info['port'])
        self.url = info['url']
        self.thumbprint = info['thumbprint']
        return self

    @staticmethod
    def _answers(port: int) -> bool:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen('https://127.0.0.1:%d/sdk/vimServiceVersions.xml' % port,
                                        context=ctx, timeout=2) as resp:
                return resp.status == 200
        except (OSError, socket.timeout):
            return False

    def stop(self) -> None:
        """Stop the simulator by its PID (SIGTERM, then SIGKILL after 10 s) and clean up."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.workdir and os.path.isdir(self.workdir):
            for name in os.listdir(self.workdir):
                os.unlink(os.path.join(self.workdir, name))
            os.rmdir(self.workdir)
        self.workdir = None

    def __enter__(self) -> 'Vcsim':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers -----------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def log_path(self) -> str:
        return os.path.join(self.workdir or tempfile.gettempdir(), 'vcsim.log')

    def logs(self) -> str:
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    @staticmethod
    def host_thumbprint(name: str) -> str:
        """The thumbprint AddHost_Task expects for host `name` (see host_thumbprint())."""
        return host_thumbprint(name)

    def connection(self) -> dict:
        """Connection settings in the shape of the vmware modules' options."""
        return {'hostname': self.host, 'port': self.port, 'username': self.username,
                'password': self.password, 'validate_certs': False}

    def connect(self):
        """A pyVmomi ServiceInstance logged in to this simulator."""
        from pyVim.connect import SmartConnect  # pylint: disable=import-outside-toplevel
        return SmartConnect(host=self.host, port=self.port, user=self.username, pwd=self.password,
                            disableSslCertValidation=True)


try:
    import pytest
except ImportError:  # pragma: no cover - the helper also works without pytest
    pytest = None

if pytest is not None:
    @pytest.fixture
    def vcsim():
        """One fresh simulator (empty inventory) per test, stopped afterwards."""
        sim = Vcsim().start()
        try:
            yield sim
        finally:
            sim.stop()
