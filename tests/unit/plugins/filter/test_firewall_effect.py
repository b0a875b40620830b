# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for judging the firewall by effect (issue 17, kind 5)."""
from __future__ import annotations

from ansible_collections.cloudstack.hypervisors.plugins.filter import firewall_effect as fe

OURS = ['-A INPUT -p tcp -m tcp --dport %s -m comment --comment cloudstack-hypervisors -j ACCEPT' % p
        for p in ('16509', '1798', '5900:6100')]
RULES = [['16509', ''], ['1798', ''], ['5900:6100', '']]


def ipt(*lines, policy='ACCEPT'):
    return '\n'.join(['-P INPUT %s' % policy, '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT'] + list(lines)) + '\n'


def test_our_rules_first_is_open():
    assert fe.iptables_blocked(ipt(*OURS, '-A INPUT -j DROP', policy='DROP'), RULES) == []


def test_a_drop_above_our_accept_is_found():
    text = ipt('-A INPUT -p tcp -m tcp --dport 16509 -j DROP', *OURS)
    out = fe.iptables_blocked(text, RULES)
    assert [(b['port'], b['rule']) for b in out] == [('16509', '-A INPUT -p tcp -m tcp --dport 16509 -j DROP')]


def test_drop_below_our_accept_or_for_other_traffic_is_harmless():
    assert fe.iptables_blocked(ipt(*OURS, '-A INPUT -p tcp -m tcp --dport 16509 -j DROP'), RULES) == []
    text = ipt('-A INPUT -p udp -m udp --dport 16509 -j DROP', '-A INPUT -i lo -j DROP',
               '-A INPUT -m conntrack --ctstate INVALID -j DROP', '-A INPUT -p tcp -m tcp --dport 22 -j REJECT', *OURS)
    assert fe.iptables_blocked(text, RULES) == []


def test_a_partial_drop_of_a_range_and_an_uncertain_match_count_as_blocking():
    out = fe.iptables_blocked(ipt('-A INPUT -p tcp -m tcp --dport 5901 -j DROP', *OURS), RULES)
    assert [b['port'] for b in out] == ['5900:6100']
    out = fe.iptables_blocked(ipt('-A INPUT -i eth0 -j REJECT --reject-with icmp-port-unreachable', *OURS), RULES)
    assert len(out) == 3


def test_no_rule_and_a_drop_policy_blocks():
    assert len(fe.iptables_blocked(ipt(policy='DROP'), RULES)) == 3
    assert fe.iptables_blocked(ipt(), RULES) == []


def test_sources():
    text = ipt('-A INPUT -s 10.1.0.0/16 -p tcp -m tcp --dport 16509 -j DROP',
               '-A INPUT -s 10.2.0.0/16 -p tcp -m tcp --dport 16509 -j ACCEPT', policy='DROP')
    assert fe.iptables_blocked(text, [['16509', '10.2.0.0/24']]) == []
    assert len(fe.iptables_blocked(text, [['16509', '10.1.2.0/24']])) == 1
    # "from anywhere" is not certainly accepted by a rule for one source
    assert len(fe.iptables_blocked(text, [['16509', '']])) == 1


def test_user_chains_as_ufw_builds_them():
    text = ipt('-N ufw-before-input', '-N ufw-not-local', '-N ufw-user-input', '-N ufw-reject-input',
               '-A INPUT -j ufw-before-input',
               '-A INPUT -j ufw-reject-input',
               '-A ufw-before-input -i lo -j ACCEPT',
               '-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
               '-A ufw-before-input -m conntrack --ctstate INVALID -j DROP',
               '-A ufw-before-input -p icmp -m icmp --icmp-type 8 -j ACCEPT',
               '-A ufw-before-input -j ufw-not-local',
               '-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN',
               '-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN',
               '-A ufw-not-local -j DROP',
               '-A ufw-before-input -j ufw-user-input',
               '-A ufw-user-input -p tcp -m tcp --dport 16509 -j ACCEPT', policy='DROP')
    assert fe.iptables_blocked(text, [['16509', '']]) == []
    denied = text.replace('-A ufw-user-input -p tcp -m tcp --dport 16509 -j ACCEPT',
                          '-A ufw-user-input -p tcp -m tcp --dport 16509 -j DROP\n'
                          '-A ufw-user-input -p tcp -m tcp --dport 16509 -j ACCEPT')
    assert [b['rule'] for b in fe.iptables_blocked(denied, [['16509', '']])] == [
        '-A ufw-user-input -p tcp -m tcp --dport 16509 -j DROP']


NFT_OK = """table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\ttcp dport { 22, 1798, 5900-6100, 16509, 49152-49216 } accept comment "cloudstack-hypervisors"
\t\tct state established,related accept
\t}
\tchain forward {
\t\ttype filter hook forward priority filter; policy accept;
\t}
}
"""


def test_nft_open_and_policy():
    assert fe.nft_blocked(NFT_OK, RULES) == []
    closed = NFT_OK.replace('\t\ttcp dport { 22, 1798, 5900-6100, 16509, 49152-49216 } accept '
                            'comment "cloudstack-hypervisors"\n', '')
    assert len(fe.nft_blocked(closed, RULES)) == 3


def test_nft_a_drop_inserted_above_ours_is_found():
    text = NFT_OK.replace('policy drop;\n', 'policy drop;\n\t\ttcp dport 16509 counter packets 3 bytes 180 drop\n')
    out = fe.nft_blocked(text, RULES)
    assert [(b['port'], b['rule']) for b in out] == [('16509', 'tcp dport 16509 counter packets 3 bytes 180 drop')]
    assert out[0]['chain'] == 'inet filter input'


def test_nft_another_base_chain_drops_too():
    # iptables-nft rules are a table of their own on the same hook: a drop there is final
    text = NFT_OK + """table ip filter {
\tchain INPUT {
\t\ttype filter hook input priority filter; policy accept;
\t\tip protocol tcp tcp dport 16509 counter packets 0 bytes 0 reject with icmp port-unreachable
\t}
}
"""
    out = fe.nft_blocked(text, RULES)
    assert [(b['port'], b['chain']) for b in out] == [('16509', 'ip filter INPUT')]


def test_nft_harmless_rules():
    text = NFT_OK.replace('policy drop;\n', 'policy drop;\n\t\tiifname "lo" drop\n\t\tudp dport 16509 drop\n'
                          '\t\tct state invalid drop\n\t\ttcp dport 22 reject with tcp reset\n')
    assert fe.nft_blocked(text, RULES) == []
