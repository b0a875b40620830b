# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the vsphere role: the inventory rules, the vCenter version rule,
the zone traffic labels and the verification of what the *_info modules read.

The rules themselves live once, in ``plugins/plugin_utils/_vsphere_rules.py``
(the preflight calls the same functions).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudstack.hypervisors.plugins.plugin_utils import _vsphere_rules as rules


class _Problems(object):
    def __init__(self):
        self.items = []

    def add(self, host, check, value, msg):
        self.items.append({'host': host, 'check': check, 'msg': msg})


def vsphere_host_problems(host, values):
    """Problems (list of {host, check, msg}) of one host's effective inputs (the model's names)."""
    if not isinstance(values, dict):
        raise AnsibleFilterError('vsphere_host_problems: values must be a dict')
    problems = _Problems()
    values = dict((k, v) for k, v in values.items() if v is not None)
    if values.get('cshv_vsphere_management_vlan') == '':
        del values['cshv_vsphere_management_vlan']
    rules.check_host(problems, host, values)
    return problems.items


def vsphere_version_problem(version, cloudstack_version):
    """'' when vCenter *version* is supported by *cloudstack_version*, else the sentence why not."""
    return rules.check_vcenter_version(version, cloudstack_version) or ''


def vsphere_traffic_labels(labels):
    """cshv_traffic_labels -> ['management: vSwitch0,,vmwaresvs', ...] in CloudStack's form."""
    out = []
    for traffic in ('management', 'storage', 'public', 'guest'):
        if traffic not in (labels or {}):
            continue
        parsed, err = rules.parse_label(labels[traffic])
        if err:
            raise AnsibleFilterError('traffic label %r for %s %s' % (labels[traffic], traffic, err))
        out.append('%s: %s' % (traffic, rules.format_label(parsed['name'], parsed['vlan'], parsed['type'])))
    return out


def _host(raw, key, host, default):
    data = raw.get(key) or {}
    return data.get(host, default) if isinstance(data, dict) else default


def vsphere_iscsi_missing(targets, have):
    """The send targets of *targets* (``vsphere_iscsi_send_targets``) that the
    software adapter lacks; *have* is vmware_host_iscsi_info's ``iscsi_properties``.

    A target is (address, port), port 3260 unless given.  The role calls
    vmware_host_iscsi only for these: the module also compares the adapter's
    alias and CHAP names with its defaults ('') and reports a change when
    vCenter leaves them unset, as govmomi's simulator does."""
    have = have or {}
    configured = set((t.get('address'), int(t.get('port') or 3260)) for t in have.get('iscsi_send_targets') or [])
    return [t for t in targets or [] if (t.get('address'), int(t.get('port', 3260))) not in configured]


def _iscsi_problems(have, want):
    """Software iSCSI as vmware_host_iscsi_info reads it (*have*: its
    ``iscsi_properties``) against {enabled, send_targets}; [] when not asked."""
    want = want or {}
    if not want.get('enabled'):
        return []
    have = have or {}
    if not have.get('iscsi_enabled'):
        return ['software iSCSI disabled']
    adapter = have.get('vmhba_name', 'the software adapter')
    return ['iSCSI send target %s:%s missing on %s' % (t.get('address'), t.get('port', 3260), adapter)
            for t in vsphere_iscsi_missing(want.get('send_targets'), have)]


def vsphere_checks(raw, host, want):
    """What the *_info modules read (*raw*) against what was asked (*want*) ->
    the readiness checks {bridges, libvirt_peers, agent} (vSwitches and port
    groups; vmkernel NICs; NTP, services, firewall and options), each {ok, detail}."""
    raw = raw or {}
    want = want or {}
    # vSwitches and port groups
    have_sw = _host(raw, 'vswitches', host, {})
    have_pg = dict((p.get('portgroup'), p) for p in _host(raw, 'portgroups', host, []) if isinstance(p, dict))
    bad = []
    for sw in want.get('vswitches') or []:
        h = have_sw.get(sw['name'])
        if h is None:
            bad.append('vSwitch %s missing' % sw['name'])
            continue
        if int(h.get('mtu') or 1500) != int(sw.get('mtu', 1500)):
            bad.append('vSwitch %s MTU %s (want %s)' % (sw['name'], h.get('mtu'), sw.get('mtu', 1500)))
        if h.get('num_ports') is not None and int(h['num_ports']) != int(sw.get('ports', 4088)):
            bad.append('vSwitch %s has %s ports (want %s)' % (sw['name'], h['num_ports'], sw.get('ports', 4088)))
        if sorted(h.get('pnics') or []) != sorted(sw.get('nics') or []):
            bad.append('vSwitch %s uplinks %s (want %s)' % (sw['name'], sorted(h.get('pnics') or []), sorted(sw.get('nics') or [])))
    for pg in want.get('portgroups') or []:
        h = have_pg.get(pg['name'])
        if h is None:
            bad.append('port group %s missing' % pg['name'])
        elif h.get('vswitch') != pg.get('vswitch') or int(h.get('vlan_id') or 0) != int(pg.get('vlan') or 0):
            bad.append('port group %s on %s VLAN %s (want %s VLAN %s)'
                       % (pg['name'], h.get('vswitch'), h.get('vlan_id'), pg.get('vswitch'), pg.get('vlan') or 0))
    mpg = want.get('management_portgroup')
    if mpg and mpg not in have_pg:
        bad.append('management port group %s missing' % mpg)
    checks = {}
    names = [sw['name'] for sw in want.get('vswitches') or []] + [pg['name'] for pg in want.get('portgroups') or []]
    checks['bridges'] = {'ok': not bad, 'detail': '; '.join(bad) if bad else 'ok (%s)' % ', '.join(names)}
    # vmkernel NICs
    vmks = [v for v in _host(raw, 'vmkernel', host, []) if isinstance(v, dict)]
    bad = []
    addrs = want.get('vmkernel_addresses') or {}
    for pg in want.get('portgroups') or []:
        match = [v for v in vmks if v.get('portgroup') == pg['name']]
        if not match:
            bad.append('no vmkernel NIC on %s' % pg['name'])
            continue
        v = match[0]
        addr = str(addrs.get(pg['name'], '')).split('/', maxsplit=1)[0]
        if addr and v.get('ipv4_address') != addr:
            bad.append('%s on %s has %s (want %s)' % (v.get('device'), pg['name'], v.get('ipv4_address'), addr))
        if pg.get('service') == 'vmotion' and not v.get('enable_vmotion'):
            bad.append('%s on %s is not selected for vMotion' % (v.get('device'), pg['name']))
    detail = ', '.join('%s %s' % (v.get('device'), v.get('portgroup')) for v in vmks if v.get('portgroup') in [p['name'] for p in want.get('portgroups') or []])
    checks['libvirt_peers'] = {'ok': not bad, 'detail': '; '.join(bad) if bad else 'ok (vmkernel: %s)' % (detail or 'none asked')}
    # NTP, services, firewall, options
    bad = []
    ntp_want = list(want.get('ntp_servers') or [])
    if ntp_want:
        ntp = _host(raw, 'ntp', host, [])
        have = list((ntp[0] if ntp else {}).get('ntp_servers') or [])
        if have != ntp_want:
            bad.append('NTP servers %s (want %s)' % (have, ntp_want))
        svc = dict((s.get('key'), s) for s in _host(raw, 'services', host, []) if isinstance(s, dict))
        nt = svc.get('ntpd')
        if not nt:
            bad.append('no ntpd service')
        else:
            if not nt.get('running'):
                bad.append('ntpd not running')
            if nt.get('policy') != 'on':
                bad.append('ntpd policy %s (want on)' % nt.get('policy'))
    fw = dict((r.get('key'), r) for r in _host(raw, 'firewall', host, []) if isinstance(r, dict))
    for name in want.get('firewall_rulesets') or []:
        if name not in fw:
            bad.append('firewall ruleset %s missing' % name)
        elif not fw[name].get('enabled'):
            bad.append('firewall ruleset %s disabled' % name)
    opts = _host(raw, 'options', host, {})
    for k, v in (want.get('advanced_options') or {}).items():
        if k not in opts:
            bad.append('option %s missing' % k)
        elif str(opts[k]) != str(v):
            bad.append('option %s=%s (want %s)' % (k, opts[k], v))
    bad.extend(_iscsi_problems(raw.get('iscsi'), want.get('iscsi')))
    checks['agent'] = {'ok': not bad, 'detail': '; '.join(bad) if bad else 'ok (NTP %s, firewall %s, %d options%s)' % (
        ', '.join(ntp_want) or 'unmanaged', ', '.join(want.get('firewall_rulesets') or []) or '-',
        len(want.get('advanced_options') or {}),
        ', software iSCSI' if (want.get('iscsi') or {}).get('enabled') else '')}
    return checks


class FilterModule(object):
    def filters(self):
        return {
            'vsphere_host_problems': vsphere_host_problems,
            'vsphere_version_problem': vsphere_version_problem,
            'vsphere_traffic_labels': vsphere_traffic_labels,
            'vsphere_checks': vsphere_checks,
            'vsphere_iscsi_missing': vsphere_iscsi_missing,
        }
