# SPDX-License-Identifier: GPL-3.0-or-later
"""After the confirmed move the management address lives on cloudbr0, persistently."""
import json


def test_address_on_the_bridge_and_host0_is_its_port(host):
    addrs = dict((a['ifname'], a['addr_info']) for a in json.loads(host.check_output('ip -j -4 addr show')))
    assert [a['local'] for a in addrs['cloudbr0']] and not addrs.get('host0')
    links = dict((ln['ifname'], ln) for ln in json.loads(host.check_output('ip -j link show')))
    assert links['host0']['master'] == 'cloudbr0'


def test_persistent_config_matches(host):
    assert 'iface host0 inet manual' in host.file('/etc/network/interfaces').content_string
    f = host.file('/etc/network/interfaces.d/cshv-cloudbr0').content_string
    assert 'bridge_ports host0' in f and 'iface cloudbr0 inet static' in f


def test_no_marker_files_left(host):
    assert not host.run('ls /run/cshv-cloudbr0.*').stdout.strip()
