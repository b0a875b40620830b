# SPDX-License-Identifier: GPL-3.0-or-later
"""ovs_fakebridge end state: the guide's layout read back from OVSDB, traffic and VLAN isolation."""
import json


def my_index(host):
    addr = json.loads(host.check_output('ip -j -4 addr show dev host0'))[0]['addr_info'][0]['local']
    return int(addr.rsplit('.', 1)[1])


def vsctl(host, *args):
    return host.check_output('ovs-vsctl ' + ' '.join(args))


def test_parent_bridge_and_uplink(host):
    host.run_expect([0], 'ovs-vsctl br-exists cloudbr')
    assert vsctl(host, 'br-to-parent', 'cloudbr') == 'cloudbr'
    assert vsctl(host, 'get', 'bridge', 'cloudbr', 'datapath_type') == 'netdev'
    assert vsctl(host, 'port-to-br', 'eth1') == 'cloudbr'
    assert vsctl(host, 'get', 'port', 'eth1', 'trunks') == '[0, 100, 200, 300]'


def test_fake_bridges_parent_and_vlan(host):
    for name, vlan in (('mgmt0', 100), ('cloudbr0', 200), ('cloudbr1', 300)):
        assert vsctl(host, 'br-to-parent', name) == 'cloudbr', name
        assert vsctl(host, 'br-to-vlan', name) == str(vlan), name
    host.run_expect([2], 'ovs-vsctl br-exists cshv-other')


def test_bridge_is_alive_not_only_in_the_database(host):
    # with a datapath the kernel lacks, add-br succeeds but vswitchd never opens it
    log = host.run('grep -c "failed to open datapath" /var/log/openvswitch/ovs-vswitchd.log')
    assert log.stdout.strip() in ('', '0')
    assert host.interface('cloudbr0').exists


def test_ifupdown_files(host):
    f = host.file('/etc/network/interfaces.d/cshv-cloudbr').content_string
    assert 'allow-ovs cloudbr' in f and 'ovs_type OVSBridge' in f and 'ovs_options trunks=0,100,200,300' in f
    f0 = host.file('/etc/network/interfaces.d/cshv-cloudbr0').content_string
    assert 'ovs_options cloudbr 200' in f0


def test_ping_on_vlan_200(host):
    peer = 23 - my_index(host)
    host.run_expect([0], 'ping -c 3 -W 2 -I cloudbr0 10.99.201.%d' % peer)


def test_vlan_100_and_300_are_isolated(host):
    # ovs1's mgmt0 (VLAN 100) and ovs2's cloudbr1 (VLAN 300) share 10.99.203.0/24
    dev = 'mgmt0' if my_index(host) == 11 else 'cloudbr1'
    peer = 23 - my_index(host)
    result = host.run('ping -c 2 -W 1 -I %s 10.99.203.%d' % (dev, peer))
    assert result.rc != 0, result.stdout
