# SPDX-License-Identifier: GPL-3.0-or-later
"""host_prep end state on a real lab host."""


def test_fqdn_resolves_to_the_inventory_name(host):
    fqdn = host.check_output('hostname --fqdn')
    assert fqdn == host.check_output('hostname -s') + '.lab.cshv.test'


def test_chrony_installed_running_and_enabled(host):
    assert host.package('chrony').is_installed
    svc = host.service('chrony')
    assert svc.is_running
    assert svc.is_enabled


def test_chrony_uses_the_configured_server_only(host):
    conf = host.file('/etc/chrony/chrony.conf')
    assert conf.exists
    lines = [ln.strip() for ln in conf.content_string.splitlines() if ln.strip() and not ln.startswith('#')]
    assert 'server 10.99.0.1 iburst' in lines
    assert not [ln for ln in lines if ln.startswith('pool ')]
    assert conf.content_string.startswith('#'), 'rendered file starts with the ansible_managed header'


def test_chronyd_loaded_that_configuration(host):
    sources = host.check_output('chronyc -n sources')
    assert '10.99.0.1' in sources
