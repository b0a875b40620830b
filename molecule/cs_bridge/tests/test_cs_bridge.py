# SPDX-License-Identifier: GPL-3.0-or-later
"""cs_bridge end state on real lab hosts: kernel state, files, traffic across the bridges."""
import json


def my_index(host):
    """11 or 12: the last octet of the lab host's management address (converge uses the same)."""
    addr = json.loads(host.check_output('ip -j -4 addr show dev host0'))[0]['addr_info'][0]['local']
    return int(addr.rsplit('.', 1)[1])


def links(host):
    return dict((ln['ifname'], ln) for ln in json.loads(host.check_output('ip -j -d link show')))


def test_cloudbr0_is_a_bridge_with_eth1_and_the_address(host):
    ln = links(host)
    assert ln['cloudbr0']['linkinfo']['info_kind'] == 'bridge'
    assert 'UP' in ln['cloudbr0']['flags']
    assert ln['eth1']['master'] == 'cloudbr0'
    ports = json.loads(host.check_output('bridge -j link show'))
    assert [p['ifname'] for p in ports if p.get('master') == 'cloudbr0'] == ['eth1']
    idx = my_index(host)
    addrs = json.loads(host.check_output('ip -j -4 addr show dev cloudbr0'))[0]['addr_info']
    assert ['%s/%s' % (a['local'], a['prefixlen']) for a in addrs] == ['10.99.200.%d/24' % idx]


def test_cloudbr1_stp_settings_from_sysfs(host):
    assert host.file('/sys/class/net/cloudbr1/bridge/stp_state').content_string.strip() == '1'
    assert host.file('/sys/class/net/cloudbr1/bridge/forward_delay').content_string.strip() == '400'
    assert host.file('/sys/class/net/cloudbr0/bridge/stp_state').content_string.strip() == '0'
    ln = links(host)
    assert ln['cshv-vp0']['master'] == 'cloudbr1'
    assert ln['cloudbr1']['mtu'] == 1400


def test_ifupdown_files(host):
    f = host.file('/etc/network/interfaces.d/cshv-cloudbr0').content_string
    assert 'iface cloudbr0 inet static' in f and 'bridge_ports eth1' in f and 'bridge_stp off' in f
    assert 'bridge_fd 5' in f and 'bridge_maxwait 1' in f and 'address 10.99.200.' in f
    f1 = host.file('/etc/network/interfaces.d/cshv-cloudbr1').content_string
    assert 'bridge_stp on' in f1 and 'bridge_fd 4' in f1 and 'mtu 1400' in f1
    # ifupdown itself accepts what we wrote
    out = host.check_output('ifquery cloudbr0')
    assert 'bridge_ports: eth1' in out


def test_ping_across_the_bridges(host):
    idx = my_index(host)
    peer = 23 - idx
    host.run_expect([0], 'ping -c 3 -W 2 -I cloudbr0 10.99.200.%d' % peer)
