# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge a host firewall by effect: is a new TCP connection to a port let in?

The kvm role adds ACCEPT rules for the CloudStack ports; that a rule of ours is
*present* says nothing when a rule of someone else's that drops or rejects the port
comes first. These filters walk the rules as the kernel would for a new TCP
connection to a port (from a source, or from anywhere), and name the ports that
end in a drop or reject.

``iptables_blocked``  ``iptables -S`` (the whole filter table) -> blocked ports
``nft_blocked``       ``nft list ruleset`` -> blocked ports

Each takes the rules text and a list of ``[port, source]`` pairs (port ``"16509"`` or
a range ``"5900:6100"``, source a CIDR or ``""`` for any) and returns the blocked pairs
as ``{port, source, rule}`` (the rule that decides). A rule whose match is not
certain (an interface, a rate limit, a source when any source is meant, a match this
judge does not know) counts as matching when it drops or rejects and as not
matching when it accepts: a port is only judged open when it certainly is.
"""

from __future__ import annotations

import ipaddress
import re
import shlex

NO = 0
MAYBE = 1
YES = 2


def _port_range(text):
    text = str(text).strip()
    for sep in (':', '-'):
        if sep in text:
            a, _s, b = text.partition(sep)
            return int(a), int(b)
    return int(text), int(text)


def _ports_match(spec, port):
    """*spec*: a rule's port list ("1798,5900:6100", "{ 1798, 5900-6100 }", "16509")."""
    lo, hi = _port_range(port)
    best = NO
    for part in re.split(r'[,\s{}]+', str(spec)):
        if not part:
            continue
        try:
            a, b = _port_range(part)
        except ValueError:
            return MAYBE
        if a <= lo and hi <= b:
            return YES
        if a <= hi and lo <= b:
            best = MAYBE
    return best


def _source_match(spec, source):
    if not source:
        return MAYBE  # a rule for some sources matches some connections "from anywhere"
    try:
        want = ipaddress.ip_network(source, strict=False)
        nets = [ipaddress.ip_network(s, strict=False) for s in str(spec).strip('{} ').replace(' ', '').split(',') if s]
    except ValueError:
        return MAYBE
    best = NO
    for net in nets:
        if net.version != want.version:
            continue
        if want.subnet_of(net):
            return YES
        if want.overlaps(net):
            best = MAYBE
    return best


def _states_match(states):
    states = {s.strip().upper() for s in re.split(r'[,\s{}]+', states) if s.strip()}
    return YES if 'NEW' in states else NO


# --------------------------------------------------------------------------- iptables

def _ipt_parse(text):
    chains, policies, order = {}, {}, []
    for line in (text or '').splitlines():
        line = line.strip()
        if line.startswith('-P '):
            parts = line.split()
            policies[parts[1]] = parts[2]
            chains.setdefault(parts[1], [])
        elif line.startswith('-N '):
            chains.setdefault(line.split()[1], [])
        elif line.startswith('-A '):
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            chains.setdefault(words[1], []).append((words[2:], line))
            order.append(line)
    return chains, policies


def _ipt_rule(words, port, source):
    """-> (match, target, is_goto)."""
    match, target, goto = YES, None, False
    i, neg = 0, False
    while i < len(words):
        w = words[i]
        arg = words[i + 1] if i + 1 < len(words) else ''
        if w == '!':
            neg = True
            i += 1
            continue
        m = YES
        step = 2
        if w in ('-p', '--protocol'):
            m = YES if arg.lower() in ('tcp', '6', 'all', '0') else NO
        elif w in ('--dport', '--destination-port', '--dports', '--destination-ports'):
            m = _ports_match(arg, port)
        elif w in ('-s', '--source'):
            m = _source_match(arg, source)
        elif w in ('-i', '--in-interface'):
            m = NO if arg == 'lo' else MAYBE
        elif w in ('--ctstate', '--state'):
            m = _states_match(arg)
        elif w == '--dst-type':
            m = YES if arg.upper() == 'LOCAL' else NO
        elif w in ('-m', '--match', '--comment'):
            m = YES
        elif w == '--syn':
            m, step = YES, 1
        elif w in ('-j', '--jump', '-g', '--goto'):
            target, goto = arg, w in ('-g', '--goto')
            break  # what follows are the target's options
        else:
            m = MAYBE  # a match this judge does not know (or its argument)
            step = 1
        if neg and m != MAYBE:
            m = MAYBE if m == YES else YES
            if w in ('-p', '--protocol', '--dport', '--destination-port', '--dports', '--destination-ports'):
                m = MAYBE
        neg = False
        match = min(match, m)
        i += step
    return match, target, goto


def _ipt_walk(chains, policies, chain, port, source, depth=0):
    if depth > 16:
        return 'block', '(chains nested too deep: %s)' % chain
    for words, line in chains.get(chain, []):
        match, target, goto = _ipt_rule(words, port, source)
        if match == NO or target is None:
            continue
        t = target.upper()
        if t == 'ACCEPT':
            if match == YES:
                return 'accept', line
        elif t in ('DROP', 'REJECT'):
            return 'block', line
        elif t == 'RETURN':
            if match == YES:
                return 'return', line
        elif target in chains:
            verdict, why = _ipt_walk(chains, policies, target, port, source, depth + 1)
            if verdict == 'block' or (verdict == 'accept' and match == YES):
                return verdict, why
            if goto and match == YES:
                return 'return', line
    if chain in policies:
        return ('accept' if policies[chain] == 'ACCEPT' else 'block'), '-P %s %s' % (chain, policies[chain])
    return 'return', ''


def iptables_blocked(text, rules, chain='INPUT'):
    chains, policies = _ipt_parse(text)
    out = []
    for port, source in _pairs(rules):
        verdict, why = _ipt_walk(chains, policies, chain, port, source)
        if verdict != 'accept':
            out.append({'port': port, 'source': source, 'rule': why})
    return out


def _pairs(rules):
    for item in rules or []:
        if isinstance(item, dict):
            yield str(item.get('port')), str(item.get('source') or '')
        else:
            yield str(item[0]), str(item[1] if len(item) > 1 and item[1] else '')


# --------------------------------------------------------------------------- nftables

_NFT_VERDICTS = ('accept', 'drop', 'reject', 'return', 'jump', 'goto', 'queue')


def _nft_parse(text):
    """-> {(family, table, chain): {'hook': str|None, 'policy': str, 'rules': [line]}}"""
    chains = {}
    family = table = chain = None
    for raw in (text or '').splitlines():
        line = re.sub(r'(^|\s+)#.*$', '', raw.strip())
        if not line:
            continue
        m = re.match(r'^table\s+(\S+)\s+(\S+)\s*\{', line)
        if m:
            family, table, chain = m.group(1), m.group(2), None
            continue
        m = re.match(r'^chain\s+(\S+)\s*\{', line)
        if m:
            chain = m.group(1)
            chains[(family, table, chain)] = {'hook': None, 'policy': 'accept', 'rules': []}
            continue
        if line == '}':
            if chain is not None:
                chain = None
            else:
                table = None
            continue
        if chain is None:
            continue
        c = chains[(family, table, chain)]
        m = re.match(r'^type\s+\S+\s+hook\s+(\S+)', line)
        if m:
            c['hook'] = m.group(1)
            pm = re.search(r'policy\s+(\w+)', line)
            if pm:
                c['policy'] = pm.group(1)
            continue
        if line.startswith('policy '):
            c['policy'] = line.split()[1].rstrip(';')
            continue
        c['rules'].append(line)
    return chains


def _nft_tokens(line):
    line = re.sub(r'comment\s+"[^"]*"', ' ', line)
    line = re.sub(r'counter(\s+packets\s+\d+\s+bytes\s+\d+)?', ' ', line)
    # sets and ranges in one token
    line = re.sub(r'\{\s*([^}]*)\}', lambda m: '{' + m.group(1).replace(' ', '') + '}', line)
    return line.split()


def _nft_rule(line, family, port, source):
    """-> (match, verdict, target)."""
    t = _nft_tokens(line)
    match, verdict, target = YES, None, None
    i = 0
    while i < len(t):
        w = t[i]
        nxt = t[i + 1] if i + 1 < len(t) else ''
        m, step = YES, 1
        if w in _NFT_VERDICTS:
            verdict = w
            if w in ('jump', 'goto'):
                target = nxt
                step = 2
            elif w == 'reject':
                step = len(t) - i  # "reject with ..." ends the rule
            i += step
            continue
        if w in ('tcp', 'th') and nxt in ('dport', 'sport'):
            val = t[i + 2] if i + 2 < len(t) else ''
            neg = val == '!='
            if neg:
                val = t[i + 3] if i + 3 < len(t) else ''
            if nxt == 'dport':
                m = _ports_match(val, port)
                if neg:
                    m = MAYBE if m != NO else YES
            else:
                m = MAYBE
            step = 3 + (1 if neg else 0)
        elif w in ('udp', 'icmp', 'icmpv6', 'sctp', 'udplite') and nxt:
            m, step = NO, 3
        elif w in ('ip', 'ip6') and nxt == 'protocol' or w == 'meta' and nxt == 'l4proto':
            val = t[i + 2] if i + 2 < len(t) else ''
            m = YES if val in ('tcp', '6') else (MAYBE if val.startswith('{') and 'tcp' in val else NO)
            step = 3
        elif w in ('ip', 'ip6') and nxt == 'saddr':
            val = t[i + 2] if i + 2 < len(t) else ''
            if val == '!=':
                m, step = MAYBE, 4
            else:
                m, step = _source_match(val, source) if not val.startswith('@') else MAYBE, 3
                if w == 'ip6' and source and ':' not in source:
                    m = NO
                elif w == 'ip' and source and ':' in source:
                    m = NO
        elif w in ('ip', 'ip6') and nxt == 'daddr':
            m, step = MAYBE, 3
        elif w in ('iifname', 'iif'):
            val = t[i + 1].strip('"') if i + 1 < len(t) else ''
            m, step = (NO if val == 'lo' else MAYBE), 2
        elif w == 'ct' and nxt == 'state':
            val = t[i + 2] if i + 2 < len(t) else ''
            m, step = _states_match(val.strip('{}')), 3
        elif w == 'fib' and nxt == 'daddr':
            # fib daddr type local
            val = t[i + 3] if i + 3 < len(t) else ''
            m, step = (YES if val == 'local' else NO), 4
        elif w in ('log', 'limit', 'meta', 'mark'):
            m = MAYBE if w == 'limit' else YES
        else:
            m = MAYBE
        match = min(match, m)
        i += step
    return match, verdict, target


def _nft_walk(chains, key, port, source, depth=0):
    family, table, _chain = key
    if depth > 16:
        return 'block', '(chains nested too deep)'
    for line in chains[key]['rules']:
        match, verdict, target = _nft_rule(line, family, port, source)
        if match == NO or verdict is None:
            continue
        if verdict == 'accept':
            if match == YES:
                return 'accept', line
        elif verdict in ('drop', 'reject'):
            return 'block', line
        elif verdict == 'return':
            if match == YES:
                return 'return', line
        elif verdict in ('jump', 'goto'):
            sub = (family, table, target)
            if sub not in chains:
                continue
            v, why = _nft_walk(chains, sub, port, source, depth + 1)
            if v == 'block' or (v == 'accept' and match == YES):
                return v, why
            if verdict == 'goto' and match == YES:
                return 'return', line
    if chains[key]['hook']:
        pol = chains[key]['policy']
        return ('accept' if pol == 'accept' else 'block'), 'policy %s of %s %s %s' % (pol, family, table, key[2])
    return 'return', ''


def nft_blocked(text, rules):
    """Every base chain on the input hook (ip, inet) must let the connection through."""
    chains = _nft_parse(text)
    out = []
    for port, source in _pairs(rules):
        fam_ok = ('ip6', 'inet') if ':' in source else ('ip', 'inet')
        for key, c in sorted(chains.items()):
            if c['hook'] != 'input' or key[0] not in fam_ok:
                continue
            verdict, why = _nft_walk(chains, key, port, source)
            if verdict == 'block':
                out.append({'port': port, 'source': source, 'rule': why, 'chain': ' '.join(key)})
                break
    return out


class FilterModule(object):
    def filters(self):
        return {
            'iptables_blocked': iptables_blocked,
            'nft_blocked': nft_blocked,
        }
