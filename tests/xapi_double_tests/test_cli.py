# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line: python3 -m tests.xapi_double runs until SIGTERM and writes its endpoints."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import XenAPI

from tests.xapi_double.testing import PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_cli_serves_until_sigterm(tmp_path):
    port_file = tmp_path / 'ports.json'
    address_file = tmp_path / 'addresses.json'
    proc = subprocess.Popen(
        [sys.executable, '-m', 'tests.xapi_double', '--profile', 'xcp-ng-8.2',
         '--hosts', 'xs1=192.168.43.21,xs2=192.168.43.22', '--port-file', str(port_file),
         '--address-file', str(address_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # wait for the port file: poll the process, then the file (bounded, so a hang fails)
        for attempt in range(2000):  # noqa: B007 - a bound, not a counter
            if port_file.exists():
                break
            assert proc.poll() is None, proc.stderr.read()
            try:
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        assert port_file.exists(), 'the double never wrote its port file'
        endpoints = json.loads(port_file.read_text())
        assert sorted(endpoints) == ['xs1', 'xs2']
        by_address = {'192.168.43.21': endpoints['xs1'], '192.168.43.22': endpoints['xs2']}
        assert json.loads(address_file.read_text()) == by_address
        s = XenAPI.Session(endpoints['xs2'])
        s.xenapi.login_with_password('root', PASSWORD, '2.16', 'cli-test')
        h = s.xenapi.host.get_all()[0]
        assert s.xenapi.host.get_software_version(h)['product_version'] == '8.2.1'
        s.xenapi.pool.join('192.168.43.21', 'root', PASSWORD)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_cli_rejects_bad_hosts_argument():
    proc = subprocess.run([sys.executable, '-m', 'tests.xapi_double', '--hosts', 'xs1', '--port-file', '/dev/null'],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and 'NAME=ADDRESS' in proc.stderr
