# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that turn raw verification results into checks and a readiness report.

``verify_checks``       raw results one host collected (cluster_verify role) -> checks
``readiness_rows``      per-host checks + rollout state + re-probe of lost hosts -> rows
``readiness_document``  rows + run facts -> the JSON report (roles/readiness_report/files/readiness.schema.json)
``readiness_collection`` MANIFEST.json / galaxy.yml text -> the collection's name and version
``readiness_markdown``  rows -> a Markdown table (the report file)
``readiness_table``     rows -> a fixed-width text table (printed at the end of a run)
``readiness_stale``     previous report files -> the out-of-date version a rollout writes first
"""

from __future__ import annotations

import json
import re

from urllib.parse import urlsplit

import yaml

from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _uefi

COLUMNS = ('rollout', 'bridges', 'libvirt_peers', 'agent', 'uefi')
HEADERS = {
    'host': 'host', 'hypervisor': 'hypervisor', 'cluster': 'cluster', 'rollout': 'rollout',
    'bridges': 'bridges', 'libvirt_peers': 'libvirt peers', 'agent': 'agent', 'uefi': 'uefi', 'ready': 'ready',
}
ORDER = ('host', 'hypervisor', 'cluster') + COLUMNS + ('ready',)
# Columns a hypervisor has no such check for: its rows say "n/a" there instead of
# counting the check as missing (UEFI firmware is a KVM host's file; XenServer and
# vSphere hosts get their firmware from the hypervisor itself).
NOT_APPLICABLE = {'xenserver': ('uefi',), 'vsphere': ('uefi',)}


def _first_line(text, limit=120):
    for line in (text or '').splitlines():
        line = line.strip()
        if line:
            return line[:limit]
    return ''


def parse_properties(text):
    """key -> value of a Java .properties file (last one wins, comments skipped)."""
    out = {}
    for line in (text or '').splitlines():
        s = line.strip()
        if not s or s[0] in '#!':
            continue
        for sep in ('=', ':'):
            if sep in s:
                k, _s, v = s.partition(sep)
                out[k.strip()] = v.strip()
                break
    return out


def _check_bridges(raw):
    expected = list(raw.get('bridges_expected') or [])
    if not expected:
        return {'ok': False, 'detail': 'no bridges configured (cshv_bridges is empty)'}
    links = {}
    for link in raw.get('links') or []:
        if isinstance(link, dict) and link.get('ifname'):
            links[link['ifname']] = link
    ovs = raw.get('ovs_bridges')
    problems = []
    for name in expected:
        link = links.get(name)
        if link is None:
            problems.append('%s missing' % name)
            continue
        if raw.get('bridge_type') == 'openvswitch':
            if ovs is None:
                problems.append('%s: ovs-vsctl not available' % name)
            elif name not in ovs:
                problems.append('%s is not an OVS bridge' % name)
        else:
            kind = ((link.get('linkinfo') or {}).get('info_kind'))
            if kind != 'bridge':
                problems.append('%s is a %s, not a bridge' % (name, kind or 'plain interface'))
        if 'UP' not in (link.get('flags') or []):
            problems.append('%s is down' % name)
    problems.extend(_default_route_problems(raw))
    if problems:
        return {'ok': False, 'detail': '; '.join(problems)}
    return {'ok': True, 'detail': 'ok (%s)' % ', '.join(expected)}


def _default_route_problems(raw):
    """cloudstack-setup-agent takes the device of the default route as the management
    device and fails without one (apache/cloudstack#9972): it must be the management bridge."""
    bridge = raw.get('mgmt_bridge')
    routes = raw.get('routes')
    if not bridge or routes is None:
        return []
    defaults = [rt for rt in routes if isinstance(rt, dict) and rt.get('dst') == 'default']
    if not defaults:
        return ['no default route (cloudstack-setup-agent needs one via %s)' % bridge]
    devs = [str(rt.get('dev')) for rt in defaults]
    if devs[0] != bridge:
        return ['default route via %s, not the management bridge %s (cloudstack-setup-agent takes the '
                'default-route device as the management device)' % (devs[0], bridge)]
    return []


def peer_result(result):
    """One loop result of the peer `virsh version` task -> {peer, uri, rc, stderr, msg}."""
    result = result or {}
    uri = ''
    for word in result.get('cmd') or []:
        if '://' in str(word):
            uri = str(word)
    rc = result.get('rc')
    stderr = result.get('stderr') or ''
    if rc == 124 and not stderr.strip():
        stderr = 'timed out'
    return {'peer': result.get('item'), 'uri': uri, 'rc': rc, 'stderr': stderr,
            'msg': result.get('msg') if rc is None else ''}


def _check_peers(raw):
    peers = raw.get('peers')
    if peers is None:
        return {'ok': False, 'detail': 'not checked'}
    if not peers:
        return {'ok': True, 'detail': 'ok (no peers)'}
    bad = []
    for p in peers:
        if p.get('rc') != 0:
            why = _first_line(p.get('stderr')) or _first_line(p.get('msg')) or 'rc=%s' % p.get('rc')
            bad.append('%s (%s): %s' % (p.get('peer'), p.get('uri'), why))
    if bad:
        return {'ok': False, 'detail': '%d/%d peers unreachable: %s' % (len(bad), len(peers), '; '.join(bad))}
    return {'ok': True, 'detail': 'ok (%d/%d peers, %s)' % (len(peers), len(peers), peers[0].get('uri', '').split(':')[0])}


def _check_agent(raw):
    if raw.get('agent_expected') is None:
        return {'ok': True, 'detail': 'not checked'}
    if not raw.get('agent_exists'):
        return {'ok': False, 'detail': '%s missing' % raw.get('agent_path', 'agent.properties')}
    have = parse_properties(raw.get('agent_content'))
    problems = []
    for key, want in sorted((raw.get('agent_expected') or {}).items()):
        want = '' if want is None else str(want)
        if key not in have:
            problems.append('%s not set (want %s)' % (key, mask(key, want)))
        elif have[key] != want:
            problems.append('%s=%s (want %s)' % (key, mask(key, have[key]), mask(key, want)))
    problems.extend(agent_start_problems(have))
    if raw.get('agent_sudo') is False:
        problems.append('sudo not installed (cloudstack-setup-agent starts the agent through sudo)')
    if problems:
        return {'ok': False, 'detail': '; '.join(problems)}
    return {'ok': True, 'detail': 'ok (%d keys, %d needed to start)' % (len(raw.get('agent_expected') or {}),
                                                                        len(AGENT_START_KEYS))}


# What the agent (AgentShell) needs from agent.properties to start at all, before
# Add Host fills in guid, zone, pod and cluster: a resource class (without it the
# agent looks for a `type` and stops), a guid key (a missing key stops it; an empty
# value is filled in by cloudstack-setup-agent), a management server address, and
# numbers where it reads numbers (port and workers have defaults when absent).
AGENT_START_KEYS = ('resource', 'guid', 'host')


def agent_start_problems(have):
    """Why an agent with these agent.properties keys would not start ([] when it would)."""
    problems = []
    if not have.get('resource') and not have.get('type'):
        problems.append('resource not set (the agent cannot start without its resource class)')
    if 'guid' not in have:
        problems.append('guid not set (the agent stops with "Unable to find the guid")')
    host = have.get('host', '')
    if not host or (host.startswith('@') and host.endswith('@')):
        problems.append('host not set (no management server to connect to)')
    for key in ('port', 'workers'):
        if key in have and not have[key].isdigit():
            problems.append('%s=%s (want a number)' % (key, have[key]))
    return problems


# agent.properties keys whose values are secrets or key material (keystore.passphrase,
# a password, a token, a private key): the report names them but never shows their values.
SECRET_KEY = re.compile(r'pass|secret|token|credential|keystore|private[._-]?key|(^|[._-])key($|[._-])', re.I)
MASK = '********'
# The keys the agent check reads besides the expected ones (AGENT_START_KEYS and the numbers).
AGENT_READ_KEYS = AGENT_START_KEYS + ('port', 'workers')


def is_secret_key(key):
    return bool(SECRET_KEY.search(str(key)))


def mask(key, value):
    """*value*, or MASK when *key* names a secret (None stays None)."""
    if value is None or not is_secret_key(key):
        return value
    return MASK


def agent_keys(raw):
    """key -> value as found in agent.properties, for every key the agent check compared
    (None: not set); secret values masked. None when the agent was not checked."""
    raw = raw or {}
    if raw.get('agent_expected') is None:
        return None
    have = parse_properties(raw.get('agent_content')) if raw.get('agent_exists') else {}
    keys = set(raw.get('agent_expected') or {}) | set(AGENT_READ_KEYS)
    return dict((k, mask(k, have.get(k))) for k in sorted(keys))


def chrony_state(raw):
    """{synchronised, source}: chronyc's leap status, else systemd's NTPSynchronized, else None."""
    raw = raw or {}
    tracking = raw.get('chrony_tracking')
    if tracking:
        for line in tracking.splitlines():
            key, _sep, value = line.partition(':')
            if key.strip().lower() == 'leap status':
                return {'synchronised': value.strip().lower() != 'not synchronised', 'source': 'chronyc tracking'}
    sync = str(raw.get('ntp_synchronized') or '').strip().lower()
    if sync in ('yes', 'no'):
        return {'synchronised': sync == 'yes', 'source': 'timedatectl NTPSynchronized'}
    return {'synchronised': None, 'source': None}


LIBVIRT_PORTS = {'tcp': 16509, 'tls': 16514, 'ssh': 22}


def libvirt_state(raw):
    """{listen_mode, listen_mode_source, transport, port, uri_scheme} of a KVM/LXC host, or None."""
    raw = raw or {}
    if 'libvirt_transport' not in raw and 'libvirt_listen_mode' not in raw:
        return None
    transport = raw.get('libvirt_transport') or None
    scheme = raw.get('libvirt_uri_scheme')
    return {
        'listen_mode': raw.get('libvirt_listen_mode') or None,
        'listen_mode_source': raw.get('libvirt_listen_source') or None,
        'transport': transport,
        'port': LIBVIRT_PORTS.get(transport),
        'uri_scheme': ('%s+%s' % (scheme, transport)) if scheme and transport else None,
    }


def host_facts(raw):
    """What the report records of a verified KVM/LXC host beyond its checks."""
    if raw is None:
        return None
    return {
        'fqdn': (raw.get('fqdn') or '').strip() or None,
        'chrony': chrony_state(raw),
        'libvirt': libvirt_state(raw),
        'agent_keys': agent_keys(raw),
    }


def uri_port(uri):
    """The TCP port a libvirt URI connects to (explicit, else the transport's default), or None."""
    if not uri:
        return None
    try:
        parts = urlsplit(str(uri))
        if parts.port:
            return parts.port
    except ValueError:
        return None
    transport = parts.scheme.partition('+')[2]
    return LIBVIRT_PORTS.get(transport)


def _check_uefi(raw):
    """uefi.properties as the kvm role wrote it (kvm_uefi_enabled), with every file it names on the host."""
    expected = raw.get('uefi_expected')
    if not expected:
        return {'ok': True, 'detail': 'off'}
    if not raw.get('uefi_exists'):
        return {'ok': False, 'detail': 'uefi.properties missing'}
    have = parse_properties(raw.get('uefi_content'))
    problems = []
    for key, want in sorted(expected.items()):
        if have.get(key) != str(want):
            problems.append('%s=%s (want %s)' % (key, have.get(key, '(unset)'), want))
    problems.extend(_uefi.problems(have))
    files = raw.get('uefi_files') or {}
    for key in _uefi.FILE_KEYS:
        path = have.get(key)
        if path and not files.get(path):
            problems.append('%s %s missing' % (key, path))
    if problems:
        return {'ok': False, 'detail': '; '.join(problems)}
    return {'ok': True, 'detail': 'ok (%s)' % have.get('guest.loader.secure')}


def verify_checks(raw):
    """Raw results of one host -> {bridges, libvirt_peers, agent, uefi}: each {ok, detail}."""
    raw = raw or {}
    return {
        'bridges': _check_bridges(raw),
        'libvirt_peers': _check_peers(raw),
        'agent': _check_agent(raw),
        'uefi': _check_uefi(raw),
    }


HYPERVISOR_GROUPS = (('kvm_hosts', 'kvm'), ('lxc_hosts', 'lxc'), ('xenserver_hosts', 'xenserver'),
                     ('vsphere_hosts', 'vsphere'))


def _str_or_none(value):
    return None if value is None or value == '' else str(value)


def readiness_info(hosts, hostvars, groups):
    """host -> {hypervisor, cluster, placement, rollout_done, checks, peers, facts} read from hostvars/groups
    (facts: fqdn, chrony, libvirt, agent_keys from cluster_verify_raw; None without it)."""
    info = {}
    for h in hosts:
        hv = hostvars[h] if h in hostvars else {}
        types = [t for g, t in HYPERVISOR_GROUPS if h in (groups.get(g) or [])]
        cluster = '/'.join(str(hv.get(k, '?')) for k in ('cshv_zone', 'cshv_pod', 'cshv_cluster'))
        raw = hv.get('cluster_verify_raw')
        info[h] = {
            'hypervisor': ','.join(types) or '-',
            'cluster': cluster,
            'placement': dict((k, _str_or_none(hv.get('cshv_' + k))) for k in ('zone', 'pod', 'cluster')),
            'rollout_done': bool(hv.get('cshv_rollout_done', False)),
            'checks': hv.get('cluster_verify_checks', hv.get('vsphere_checks')),
            'peers': (raw or {}).get('peers'),
            'facts': host_facts(raw) if isinstance(raw, dict) else None,
        }
        if hv.get('vsphere_traffic_labels'):
            info[h]['labels'] = list(hv.get('vsphere_traffic_labels'))
    return info


def _why(p):
    return _first_line(p.get('stderr')) or _first_line(p.get('msg')) or 'rc=%s' % p.get('rc')


def peer_blame(info):
    """host -> libvirt_peers check judged over the whole cluster: whose port is unreachable.

    Each verified host tried its peers' libvirtd; a failed try names the *target* (its
    listener or its firewall) unless the source reaches none of its peers while another
    host reaches that target (then the source cannot get out). Hosts whose peer results
    are unknown are left out (their own check stands).
    """
    tries = []
    for src, i in info.items():
        if i.get('checks') is None or i.get('peers') is None:
            continue
        for p in i['peers']:
            tries.append((src, str(p.get('peer')), p))
    tried, failed, reached = {}, {}, {}
    for src, dst, p in tries:
        tried.setdefault(src, set()).add(dst)
        if p.get('rc') == 0:
            reached.setdefault(dst, set()).add(src)
        else:
            failed.setdefault(src, set()).add(dst)
    inbound, outbound, ok_in, ok_out = {}, {}, {}, {}
    for src, dst, p in tries:
        if p.get('rc') == 0:
            ok_in[dst] = ok_in.get(dst, 0) + 1
            ok_out[src] = ok_out.get(src, 0) + 1
            continue
        src_reaches_none = failed.get(src) == tried.get(src)
        if src_reaches_none and (reached.get(dst, set()) - {src}):
            outbound.setdefault(src, []).append('%s (%s): %s' % (dst, p.get('uri'), _why(p)))
        else:
            inbound.setdefault(dst, []).append('%s (%s): %s' % (src, p.get('uri'), _why(p)))
    out = {}
    for h, i in info.items():
        if i.get('checks') is None or i.get('peers') is None:
            continue
        n_in = sum(1 for _s, d, _p in tries if d == h)
        n_out = len(i['peers'])
        scheme = next((str(p.get('uri', '')).split(':', maxsplit=1)[0] for _s, _d, p in tries if p.get('uri')), '')
        if outbound.get(h):
            out[h] = {'ok': False, 'detail': 'reaches no peer\'s libvirtd while they reach each other: %s'
                      % '; '.join(outbound[h])}
        elif inbound.get(h):
            out[h] = {'ok': False, 'detail': 'libvirtd not reachable from %d/%d peers: %s'
                      % (len(inbound[h]), n_in, '; '.join(inbound[h]))}
        elif n_in == 0 and n_out == 0:
            out[h] = {'ok': True, 'detail': 'ok (no peers)'}
        else:
            out[h] = {'ok': True, 'detail': 'ok (reached by %d/%d peers, reaches %d/%d, %s)'
                      % (ok_in.get(h, 0), n_in, ok_out.get(h, 0), n_out, scheme)}
    return out


# What an operator changes when a check fails: the variables (of the host named in
# the fix) that decide it, and where to look. Per hypervisor, as the checks mean
# different things there (XenServer: pool membership; vSphere: vmkernel NICs, NTP...).
FIXES = {
    'kvm': {
        'rollout': ([], 'the rollout did not finish on this host: fix its failed task (see the run) and run again'),
        'bridges': (['cshv_bridges', 'cshv_bridge_type', 'cshv_traffic_labels'],
                    'the bridges on this host and its default route (via the management bridge)'),
        'libvirt_peers': (['kvm_libvirt_listen_mode', 'kvm_libvirt_keep_tls', 'cluster_verify_libvirt_transport'],
                          "this host's libvirtd listener and its firewall (the port in the reason), or the network "
                          'between it and the peers named there'),
        'agent': (['kvm_agent_properties', 'cluster_verify_agent_properties', 'cshv_traffic_labels'],
                  'agent.properties on this host (and sudo, which cloudstack-setup-agent needs)'),
        'uefi': (['kvm_uefi_enabled', 'kvm_uefi_files'], 'uefi.properties and the UEFI firmware files on this host'),
    },
    'xenserver': {
        'rollout': ([], 'the pool rollout did not finish for this host: fix its failed task (see the run) and run again'),
        'bridges': (['xenserver_pool_networks', 'xenserver_pool_bonds', 'cshv_traffic_labels'],
                    "the pool's networks, bonds and traffic labels"),
        'libvirt_peers': (['xenserver_pool_master'], 'join this host to the pool of its CloudStack cluster'),
        'agent': ([], 'nothing on the host: CloudStack connects over XenAPI'),
    },
    'vsphere': {
        'rollout': ([], 'the vCenter rollout did not finish for this host: fix its failed task (see the run) and run again'),
        'bridges': (['vsphere_vswitches', 'vsphere_portgroups', 'vsphere_management_portgroup'],
                    "this ESXi host's vSwitches and port groups"),
        'libvirt_peers': (['vsphere_portgroups', 'vsphere_vmkernel_addresses'], "this ESXi host's vmkernel NICs"),
        'agent': (['vsphere_ntp_servers', 'vsphere_firewall_rulesets', 'vsphere_advanced_options'],
                  "this ESXi host's NTP, services, firewall rulesets and advanced options"),
    },
}
FIXES.update(lxc=FIXES['kvm'])  # LXC hosts are checked as KVM hosts are


def fix_for(host, hypervisor, check, reason=''):
    """{host, variables, hint}: what to change so that *check* passes on *host*."""
    if check == 'lost':
        if reason.startswith('lost: unreachable'):
            return {'host': host, 'variables': ['ansible_host', 'ansible_user'],
                    'hint': 'make the host reachable over SSH from the controller (address, user, key), then run again'}
        return {'host': host, 'variables': [],
                'hint': 'the host failed before verification: fix its failed task (see the run) and run again'}
    table = FIXES.get(hypervisor) or FIXES['kvm']
    variables, hint = table.get(check, ([], 'see the reason'))
    return {'host': host, 'variables': list(variables), 'hint': hint}


def firewall_from_peers(info):
    """host -> [{port, protocol, service, from, ok}]: each libvirtd port a peer tried to reach on it."""
    out = {}
    for src in sorted(info):
        for p in (info[src] or {}).get('peers') or []:
            dst = str(p.get('peer'))
            out.setdefault(dst, []).append({'port': uri_port(p.get('uri')), 'protocol': 'tcp', 'service': 'libvirtd',
                                            'from': src, 'ok': p.get('rc') == 0})
    return out


def _record(row, i, hypervisor, firewall):
    """The operator's-record fields of a row: placement, facts of the host, ports checked from peers."""
    placement = i.get('placement') or {}
    row['placement'] = dict((k, placement.get(k)) for k in ('zone', 'pod', 'cluster'))
    facts = i.get('facts') or {}
    libvirt_hv = hypervisor in ('kvm', 'lxc')
    row['fqdn'] = facts.get('fqdn')
    row['chrony'] = facts.get('chrony') or {'synchronised': None, 'source': None}
    row['libvirt'] = facts.get('libvirt') if libvirt_hv else None
    row['agent_keys'] = facts.get('agent_keys') if libvirt_hv else None
    row['firewall'] = None
    if libvirt_hv:
        tried = firewall.get(row['host'])
        if tried is not None:
            row['firewall'] = tried
        elif i.get('peers') is not None:
            row['firewall'] = []


def readiness_rows(hosts, info, probes=None, expect_rollout=True):
    """One row per host.

    *hosts*: host names in report order.  *info*: host -> {hypervisor, cluster,
    rollout_done (bool), checks (from verify_checks, absent when the host did not
    reach verification)}.  *probes*: host -> result of a fresh ping of the hosts
    that did not reach verification ({unreachable, msg, failed}).
    """
    probes = probes or {}
    blame = peer_blame(info)
    firewall = firewall_from_peers(info)
    rows = []
    for h in hosts:
        i = info.get(h) or {}
        row = {'host': h, 'hypervisor': i.get('hypervisor') or '-', 'cluster': i.get('cluster') or '-'}
        _record(row, i, row['hypervisor'], firewall)
        if i.get('labels'):
            row['traffic_labels'] = i['labels']
        checks = i.get('checks')
        if checks is None:
            p = probes.get(h) or {}
            if p.get('unreachable'):
                msg = _first_line(p.get('msg'), 300)
                for marker in ('Failed to connect to the host via ssh: ', 'can be reached over ssh: '):
                    if marker in msg:
                        msg = msg.split(marker, 1)[1]
                why = 'lost: unreachable (%s)' % (msg[:80] or 'no answer')
            elif p:
                why = 'lost: failed during the %s' % ('rollout' if expect_rollout else 'verification')
            else:
                why = 'lost: did not reach verification'
            row['rollout'] = why if expect_rollout and not i.get('rollout_done') else ('ok' if i.get('rollout_done') else 'not run')
            for c in COLUMNS[1:]:
                row[c] = 'not checked'
            row['ready'] = 'no: ' + why
            row['problems'] = [{'check': 'lost', 'reason': why, 'fix': fix_for(h, row['hypervisor'], 'lost', why)}]
            row['lost'] = True
            row['ok'] = False
            rows.append(row)
            continue
        if expect_rollout:
            row['rollout'] = 'ok' if i.get('rollout_done') else 'not completed'
        else:
            row['rollout'] = 'not run'
        reasons = []
        problems = []
        if expect_rollout and not i.get('rollout_done'):
            reasons.append('rollout not completed')
            problems.append({'check': 'rollout', 'reason': 'rollout not completed',
                             'fix': fix_for(h, row['hypervisor'], 'rollout')})
        row['checks'] = {}
        for c in COLUMNS[1:]:
            if c not in checks and c in NOT_APPLICABLE.get(row['hypervisor'], ()):
                row[c] = 'n/a'
                continue
            chk = checks.get(c) or {'ok': False, 'detail': 'missing'}
            if c == 'libvirt_peers' and h in blame:
                chk = blame[h]
            row['checks'][c] = {'ok': bool(chk['ok']), 'detail': chk['detail']}
            row[c] = chk['detail'] if chk['ok'] else 'FAIL: ' + chk['detail']
            if not chk['ok']:
                reasons.append('%s: %s' % (HEADERS[c], chk['detail']))
                problems.append({'check': c, 'reason': chk['detail'], 'fix': fix_for(h, row['hypervisor'], c)})
        row['problems'] = problems
        row['ok'] = not reasons
        row['lost'] = False
        row['ready'] = 'yes' if not reasons else 'no: ' + reasons[0]
        rows.append(row)
    return rows


def _cell(value):
    return str(value).replace('|', '\\|').replace('\n', ' ')


def _line(value):
    return str(value).replace('\n', ' ')


def fix_text(fix):
    """One line for a problem's fix: the host, the variables, the hint."""
    if not fix:
        return 'see the reason'
    text = 'on host %s' % fix.get('host')
    if fix.get('variables'):
        text += ', variables %s' % ', '.join(fix['variables'])
    if fix.get('hint'):
        text += ': %s' % _line(fix['hint'])
    return text


def readiness_markdown(rows, title='Readiness report', meta=None):
    lines = ['# %s' % title, '']
    for k, v in (meta or {}).items():
        lines.append('- %s: %s' % (k, v))
    if meta:
        lines.append('')
    lines.append('| ' + ' | '.join(HEADERS[c] for c in ORDER) + ' |')
    lines.append('|' + '|'.join('---' for _c in ORDER) + '|')
    for r in rows:
        lines.append('| ' + ' | '.join(_cell(r.get(c, '')) for c in ORDER) + ' |')
    ready = sum(1 for r in rows if r.get('ok'))
    lost = [r['host'] for r in rows if r.get('lost')]
    not_ready = [r for r in rows if not r.get('ok')]
    if not_ready:
        lines.extend(['', '## Not ready: reason and what to fix', ''])
        for r in not_ready:
            for p in r.get('problems') or [{'check': '-', 'reason': str(r.get('ready', '')), 'fix': None}]:
                lines.append('- %s, %s: %s' % (r.get('host'), p.get('check'), _line(p.get('reason'))))
                lines.append('  - fix: %s' % fix_text(p.get('fix')))
    lines.append('')
    lines.append('%d of %d host(s) ready%s.' % (ready, len(rows), ('; lost: %s' % ', '.join(lost)) if lost else ''))
    labels = {}
    for r in rows:
        if r.get('traffic_labels'):
            labels.setdefault(r.get('cluster', '-'), r['traffic_labels'])
    for cluster, lab in labels.items():
        lines.append('')
        lines.append('Traffic labels for the zone (vSphere cluster %s): %s' % (cluster, '; '.join(lab)))
    return '\n'.join(lines) + '\n'


def readiness_table(rows, width=48):
    """Fixed-width text table; long cells are cut at *width* characters."""
    def cut(v):
        v = _cell(v)
        return v if len(v) <= width else v[:width - 1] + '~'
    cells = [[HEADERS[c] for c in ORDER]] + [[cut(r.get(c, '')) for c in ORDER] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(ORDER))]
    out = []
    for n, row in enumerate(cells):
        out.append('  '.join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip())
        if n == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out)


SCHEMA_VERSION = 1


def readiness_collection(manifest_json=None, galaxy_yml=None):
    """{name, version} of the collection: from MANIFEST.json (an installed collection),
    else from galaxy.yml (a checkout); None for what neither file gives."""
    info = {}
    if manifest_json:
        try:
            info = json.loads(manifest_json).get('collection_info') or {}
        except (ValueError, AttributeError):
            info = {}
    if not info.get('version') and galaxy_yml:
        try:
            info = yaml.safe_load(galaxy_yml) or {}
        except yaml.YAMLError:
            info = {}
        if not isinstance(info, dict):
            info = {}
    name = '%s.%s' % (info['namespace'], info['name']) if info.get('namespace') and info.get('name') else None
    version = info.get('version')
    return {'name': name, 'version': str(version) if version is not None else None}


def readiness_document(rows, meta=None):
    """The JSON report: the rows under ``hosts`` and what the run was (see readiness.schema.json).

    *meta*: {generated_at, collection: {name, version}, inventory: [sources], check_mode}.
    """
    meta = meta or {}
    collection = meta.get('collection') or {}
    inventory = meta.get('inventory')
    if inventory is None:
        inventory = []
    elif isinstance(inventory, str):
        inventory = [inventory]
    return {
        'schema_version': SCHEMA_VERSION,
        'complete': True,
        'generated_at': meta.get('generated_at'),
        'collection': {'name': collection.get('name'), 'version': collection.get('version')},
        'inventory': [str(x) for x in inventory],
        'check_mode': bool(meta.get('check_mode', False)),
        'hosts': list(rows or []),
    }


STALE_NOTE = ('A rollout started at {since} and has not written its report yet: it stopped before '
              'verification (in the preflight, a failed canary, or a batch over max_fail_percentage: see '
              'its PLAY RECAP), or it is still running. The last complete report follows; it does not describe the hosts '
              'as they are now.')


def readiness_stale(previous_json, previous_md, since):
    """What the rollout playbooks write over a previous report before they touch a host.

    *previous_json*/*previous_md*: the report files' text ('' when absent); *since*: when this
    run started.  Returns {write, json, md}: ``write`` is false when there is nothing to mark
    (no report, or one already out of date, which still carries the last complete report).
    """
    previous_json = (previous_json or '').strip()
    if not previous_json:
        return {'write': False, 'json': None, 'md': None}
    try:
        previous = json.loads(previous_json)
    except ValueError:
        previous = {'unreadable': previous_json[:4000]}
    if isinstance(previous, dict) and previous.get('complete') is False:
        return {'write': False, 'json': None, 'md': None}
    note = STALE_NOTE.format(since=since)
    md = '# Readiness report: out of date\n\n%s\n\n%s\n' % (
        note, re.sub(r'(?m)^#', '##', (previous_md or '').strip()))
    data = {'schema_version': SCHEMA_VERSION, 'complete': False, 'since': since, 'hosts': [], 'note': note,
            'previous': previous}
    return {'write': True, 'json': json.dumps(data, indent=4, sort_keys=True) + '\n', 'md': md}


class FilterModule(object):
    def filters(self):
        return {
            'verify_checks': verify_checks,
            'readiness_rows': readiness_rows,
            'readiness_info': readiness_info,
            'readiness_markdown': readiness_markdown,
            'readiness_table': readiness_table,
            'properties': parse_properties,
            'peer_result': peer_result,
            'readiness_stale': readiness_stale,
            'readiness_document': readiness_document,
            'readiness_collection': readiness_collection,
        }
