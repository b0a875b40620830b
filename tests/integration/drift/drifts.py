# SPDX-License-Identifier: GPL-3.0-or-later
"""The hand edits the drift test makes, what must repair each, and how to see it is repaired.

Each drift: (id, host, description, shell command making the drift,
task-name prefix that must report it changed, item label substring or None,
shell check that exits 0 once repaired). ``{gw}`` is the lab gateway.
"""
from __future__ import annotations

DRIFTS = [
    ('listen_tcp', 'drifta', 'listen_tcp flipped to 0 in libvirtd.conf',
     "sed -i -E 's/^listen_tcp *= *1/listen_tcp = 0/' /etc/libvirt/libvirtd.conf",
     'Make libvirtd listen', None,
     "grep -Eq '^listen_tcp *= *1' /etc/libvirt/libvirtd.conf && ss -Hltn 'sport = :16509' | grep -q LISTEN"),
    ('tcp_socket', 'drifta', 'libvirtd-tcp.socket unmasked',
     'systemctl unmask libvirtd-tcp.socket',
     'Make libvirtd listen', None,
     'test "$(systemctl is-enabled libvirtd-tcp.socket)" = masked'),
    ('listen_arg', 'drifta', '--listen removed from LIBVIRTD_ARGS',
     "sed -i -E 's/^LIBVIRTD_ARGS=.*/LIBVIRTD_ARGS=\"\"/' /etc/default/libvirtd",
     'Make libvirtd listen', None,
     "grep -Eq '^LIBVIRTD_ARGS=\"?--listen\"?' /etc/default/libvirtd"),
    ('vnc_listen', 'drifta', 'vnc_listen changed to 127.0.0.1 in qemu.conf',
     "sed -i -E 's/^vnc_listen=.*/vnc_listen=\"127.0.0.1\"/' /etc/libvirt/qemu.conf",
     'Set the qemu.conf keys', 'vnc_listen',
     "grep -qx 'vnc_listen=\"0.0.0.0\"' /etc/libvirt/qemu.conf"),
    ('cpu_mode', 'drifta', 'guest.cpu.mode edited in agent.properties',
     "sed -i -E 's/^guest.cpu.mode=.*/guest.cpu.mode=host-passthrough/' /etc/cloudstack/agent/agent.properties",
     'Set the agent.properties keys', 'guest.cpu.mode',
     'grep -qx guest.cpu.mode=host-model /etc/cloudstack/agent/agent.properties'),
    ('bridge_deleted', 'drifta', 'bridge cloudbr2 deleted',
     'ip link del cloudbr2',
     'Linux bridges', 'cloudbr2',
     'test -d /sys/class/net/cloudbr2/bridge'),
    ('port_detached', 'drifta', 'eth1 detached from cloudbr0',
     'ip link set eth1 nomaster',
     'Linux bridges', 'cloudbr0',
     'test "$(basename "$(readlink /sys/class/net/eth1/master)")" = cloudbr0'),
    ('stp_flipped', 'drifta', 'STP switched off on cloudbr1',
     'ip link set cloudbr1 type bridge stp_state 0',
     'Linux bridges', 'cloudbr1',
     'test "$(cat /sys/class/net/cloudbr1/bridge/stp_state)" != 0'),
    ('fw_rule', 'drifta', 'iptables rule for tcp 1798 deleted',
     'iptables -D INPUT -p tcp -m tcp --dport 1798 -m comment --comment cloudstack-hypervisors -j ACCEPT',
     'Allow the CloudStack ports (iptables)', 'tcp 1798',
     'iptables -C INPUT -p tcp -m tcp --dport 1798 -m comment --comment cloudstack-hypervisors -j ACCEPT'
     ' && grep -q -- "--dport 1798 " /etc/iptables/rules.v4'),
    ('apparmor', 'drifta', 'libvirtd AppArmor profile re-enabled (disable link removed; '
     'runtime unload n/a: no AppArmor in the lab kernel)',
     'rm -f /etc/apparmor.d/disable/usr.sbin.libvirtd',
     'Keep the libvirt AppArmor profiles from loading at boot', 'usr.sbin.libvirtd',
     'test "$(readlink /etc/apparmor.d/disable/usr.sbin.libvirtd)" = /etc/apparmor.d/usr.sbin.libvirtd'),
    ('chrony_server', 'drifta', 'chrony server line removed',
     "sed -i '/^server /d' /etc/chrony/chrony.conf",
     'Configure chrony', None,
     'grep -qx "server {gw} iburst" /etc/chrony/chrony.conf && chronyc -n sources | grep -q "{gw}"'),
    ('hook_exec', 'drifta', 'hook start_cshv-log.sh made non-executable',
     'chmod 0644 /etc/libvirt/hooks/custom/start_cshv-log.sh',
     'Install the libvirt hook includes', 'start_cshv-log.sh',
     'test -x /etc/libvirt/hooks/custom/start_cshv-log.sh'),
    ('sudoers', 'drifta', 'sudoers entry deleted',
     'rm -f /etc/sudoers.d/cloudstack-hypervisors',
     'Let the Add Host user run cloudstack-setup-agent through sudo', None,
     'visudo -cf /etc/sudoers.d/cloudstack-hypervisors >/dev/null'),
    ('ovs_reparent', 'driftb', 'OVS fake bridge cloudbr0 re-parented to cloudbrx',
     'ovs-vsctl del-br cloudbr0 && ovs-vsctl add-br cloudbr0 cloudbrx 200',
     'OVS bridges', 'cloudbr0',
     'test "$(ovs-vsctl br-to-parent cloudbr0)" = cloudbr && test "$(ovs-vsctl br-to-vlan cloudbr0)" = 200'),
    ('ovs_uplink', 'driftb', 'OVS uplink eth1 removed from cloudbr',
     'ovs-vsctl del-port cloudbr eth1',
     'OVS bridges', 'cloudbr',
     'ovs-vsctl list-ports cloudbr | grep -qx eth1'),
]

# Handlers that legitimately follow a repaired drift.
CONSEQUENCES = (
    'Restart libvirtd',
    'Restart cloudstack-agent if it is running',
    'Save the iptables rules',
    'Reload systemd unit files',
    'Restart chrony',
)

# --check on a fresh host: tasks that stand in for steps check mode cannot run
# before their package exists, and the real task each one predicts.
CHECK_STAND_INS = {
    'Would enable and start chrony once installed (check mode)': 'Enable and start chrony',
    'Would install cloudstack-agent once the repository or file is in place (check mode)':
        'Install cloudstack-agent from the repository',
    'Would allow the CloudStack ports once iptables is installed (check mode)': 'Allow the CloudStack ports (iptables)',
    'Would set the agent service state once the agent is installed (check mode)': 'Agent service state (enabled)',
    # iptables next to ufw (the agent brings it): the role's own boot unit
    'Would load the saved rules at boot once the unit is installed (check mode)': 'Load the saved rules at boot',
}
# Changed only in the check run: the apt module's own dependency, which the
# check run installs (the real run then finds it); and AppArmor's disable
# directory, which check mode would create on a fresh host, while in the real run
# the apparmor package (a dependency of cloudstack-agent, as of the real package:
# issue 17 kind 9) creates it during the install, before the role's task.
CHECK_ONLY = ('Install python3-apt so that the apt module also works in check mode',
              'Create the AppArmor disable directory')
# Handlers (check mode does not restart services or run commands): not compared.
REAL_ONLY = CONSEQUENCES
