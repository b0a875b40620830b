# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: cluster_preflight
short_description: Validate a whole CloudStack hypervisor inventory before anything is changed
version_added: 0.1.0
description:
  - Runs on the controller only (an action plugin; it never connects to a host) and reads
    C(groups) and C(hostvars) of the B(whole) inventory, whatever C(--limit) says.
  - "O(stage=inventory) checks the inventory model of every host in C(kvm_hosts), C(lxc_hosts),
    C(xenserver_hosts) and C(vsphere_hosts): exactly one hypervisor group per host; C(cshv_zone),
    C(cshv_pod), C(cshv_cluster) set; C(cshv_management_address) a host address in CIDR form and
    C(cshv_management_gateway) inside it; no management address or C(ansible_host)/C(ansible_port)
    used twice; C(cshv_bridges) with interface names of at most 15 characters (including the
    C(<port>.<vlan>) interface a tagged Linux bridge needs), VLAN ids 1-4094, no VLAN or port used
    twice, OVS fake bridges with a parent that trunks their VLAN; C(cshv_traffic_labels) naming
    existing bridges and identical in a cluster, as are the bridge type and each bridge's VLAN;
    one hypervisor type per cluster; at most 16 KVM/LXC, 8 XenServer or 8 vSphere hosts per cluster;
    every variable named in C(cshv_required_secrets) set to a non-placeholder value; uplinks of
    Linux bridges carrying guest/public traffic named as the CloudStack agent recognises physical
    NICs, and its VLAN bridge names C(br<uplink>-<vlan>) at most 15 characters up to
    C(cshv_guest_vlan_max)."
  - "Also at O(stage=inventory), every role input of every KVM/LXC host (C(host_prep_*), C(kvm_*),
    C(lxc_*), C(cluster_verify_*), C(readiness_report_*)) as the roles will see it - inventory value,
    role default, or what the inventory model implies - against the roles' argument specs (strict
    types, choices, no unknown names) and the semantic rules of the collection's role-input rule module."
  - "O(stage=facts) also checks what a minimal probe of each host found: same distribution and
    version, same CPU model, count and flags in a cluster, and hardware virtualisation (C(vmx)/C(svm)
    or C(/dev/kvm)) on KVM hosts unless C(cshv_require_vt=false). It reads each host's
    C(ansible_facts) (C(gather_subset=min)) and the results registered as C(__cshv_cpuinfo)
    (M(ansible.builtin.slurp) of C(/proc/cpuinfo)), C(__cshv_dev_kvm) (M(ansible.builtin.stat) of C(/dev/kvm))
    and C(__cshv_pki) (M(ansible.builtin.find) of the libvirt certificate directories; with
    C(kvm_libvirt_listen_mode=tls) the certificates must be there)."
  - Every problem is a sentence naming the host and the bad value; secrets are named, never shown.
author:
  - cloudstack.hypervisors contributors (@cloudstack-hypervisors)
extends_documentation_fragment:
  - cloudstack.hypervisors.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: controller
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
options:
  stage:
    description:
      - V(inventory) checks only variables and groups; V(facts) adds the checks on probed facts.
    type: str
    choices: [inventory, facts]
    default: inventory
  hosts:
    description:
      - For O(stage=facts), the hosts whose probe results to compare (normally C(ansible_play_hosts)).
      - Defaults to every host of the hypervisor groups; hosts without probe results are skipped
        and listed in RV(not_probed).
    type: list
    elements: str
notes:
  - Requires the C(netaddr) Python library on the controller.
  - Use it with C(run_once=true) in a play with C(any_errors_fatal=true) so that one problem stops
    the whole run before any host is touched, as C(cloudstack.hypervisors.preflight) does.
seealso:
  - name: CloudStack installation guide, cluster requirements
    description: Hosts in a cluster are homogeneous; KVM clusters hold at most 16 hosts, XenServer pools and vSphere clusters 8.
    link: https://docs.cloudstack.apache.org/en/latest/installguide/configuration.html#about-clusters
'''

EXAMPLES = r'''
- name: Validate the inventory (no host is contacted)
  cloudstack.hypervisors.cluster_preflight:
    stage: inventory
  run_once: true

- name: Compare the probed facts of the hosts in each cluster
  cloudstack.hypervisors.cluster_preflight:
    stage: facts
    hosts: "{{ ansible_play_hosts }}"
  run_once: true
'''

RETURN = r'''
problems:
  description: Every problem found, in the order found.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: The host the problem is about.
      type: str
    check:
      description: Which check found it (C(placement), C(management), C(bridges), C(vlan), C(labels), C(secrets),
        C(duplicate), C(hypervisor), C(size), C(distro), C(cpu), C(vt), C(template)).
      type: str
    value:
      description: The offending value (for secrets, the variable's name).
      type: raw
    msg:
      description: A sentence naming the host and the value.
      type: str
  sample: [{host: kvm3, check: vlan, value: 4095, msg: "VLAN id 4095 of bridge cloudbr1 on kvm3 is outside 1-4094."}]
clusters:
  description: Cluster (C(zone/pod/cluster)) -> its hypervisor type, key and hosts.
  returned: always
  type: dict
  sample: {lab/pod1/cluster1: {hypervisor: kvm, key: [lab, pod1, cluster1], hosts: [kvm1, kvm2, kvm3]}}
hypervisors:
  description: Host -> hypervisor type (from its group).
  returned: always
  type: dict
  sample: {kvm1: kvm}
probed:
  description: Hosts whose facts were compared.
  returned: O(stage=facts)
  type: list
  elements: str
not_probed:
  description: Hosts asked for in O(hosts) that had no probe results.
  returned: O(stage=facts)
  type: list
  elements: str
'''
