# SPDX-License-Identifier: GPL-3.0-or-later
"""Lab stand-in for what CloudStack's management server does to a KVM host on "Add Host".

This is a TEST DOUBLE, written for this project from a reading of Apache CloudStack's
source; no CloudStack code is copied here. It replays, on a lab host, the host-side
steps of Add Host (with a lab CA standing in for CloudStack's CA), in their order:

1. ``scripts/util/keystore-setup`` (apache/cloudstack, run by the management server over
   SSH when it provisions certificates): if agent.properties has no
   ``keystore.passphrase``, drop any such line and append ``keystore.passphrase=<secret>``;
   ``chmod 600`` agent.properties. (The keytool keystore and CSR are left out: the lab
   hosts have no Java, and the CSR only feeds the CA, which the test plays.)
2. ``scripts/util/keystore-cert-import``: write the certificate, CA chain and private key
   it receives as arguments (newlines sent as ``^``, spaces as ``~``) to
   ``/etc/cloudstack/agent/cloud.crt``, ``cloud.ca.crt``, ``cloud.key``; since libvirtd.conf
   exists, ``mkdir -p /etc/pki/libvirt/private`` and link ``/etc/pki/CA/cacert.pem``,
   ``/etc/pki/libvirt/{client,server}cert.pem`` and ``/etc/pki/libvirt/private/
   {client,server}key.pem`` to them, run ``cloudstack-setup-agent -s`` (step 3a only),
   then ``chmod 600`` the three files.
3. ``cloudstack-setup-agent -a -s -m .. -z .. -p .. -c .. -g .. --pubNic .. --prvNic ..
   --guestNic ..``: ``LibvirtServerDiscoverer`` (apache/cloudstack @c6d0e48) always passes
   ``-s``; ``agent/bindir/cloud-setup-agent.in`` (shapeblue/cloudstack @b1b56a1, Python 3)
   then runs the Ubuntu/Debian agent configuration of ``python/lib/cloudutils/syscfg.py``
   (``sysConfigAgentUbuntu``) with these steps of ``serviceConfig.py`` (@69982c9):

   a. ``configureLibvirtConfig(tls_enabled=True)``: in /etc/libvirt/libvirtd.conf
      ``listen_tcp=0``, ``listen_tls=1``, ``key_file``, ``cert_file``, ``ca_file`` (the
      /etc/pki paths above), ``tcp_port="16509"``, ``tls_port="16514"``,
      ``auth_tcp="none"``, ``auth_tls="none"``, with ``configFileOps`` semantics: every
      line that starts (after spaces) with the key is replaced by a blank line and
      ``key=value``; keys not found are appended; commented lines are not matched;
   b. ``libvirtConfigUbuntu.setupLiveMigration``: in /etc/default/libvirtd every line
      matching ``libvirtd_opts=`` is replaced by ``libvirtd_opts='-l'`` (added when none),
      a variable the Debian unit never reads (apache/cloudstack#14153); when
      ``/lib/systemd/system/libvirtd.socket`` exists, ``systemctl mask`` each of
      ``libvirtd.socket``, ``-ro``, ``-admin``, ``-tls``, ``-tcp``;
   c. ``libvirtConfigUbuntu.config``: qemu.conf ``security_driver="none"``,
      ``user="root"``, ``group="root"`` (same configFileOps rules), then
      ``systemctl restart libvirtd``;
   d. ``cloudAgentConfig.configAgent``: agent.properties ``host``, ``zone``, ``pod``,
      ``cluster``, ``hypervisor.type``, ``port=8250``, the three ``*.network.device`` keys,
      ``guid``, ``local.storage.uuid`` and ``resource`` when empty; stop and enable
      cloudstack-agent (its ``sleep 30`` is left out).

   Left out, and why: ``hostConfig``/``networkConfigUbuntu`` (the bridges exist, so the
   agent's ``isPreConfiged`` skips them), ``securityPolicyConfigUbuntu`` (no AppArmor in
   the lab), ``firewallConfigUbuntu`` (it only adds ``ufw allow`` rules for ports the kvm
   role already opens) and ``nfsConfig`` (no /etc/nfsmount.conf on the hosts).

Usage (as root on the host; ``--root``/``--record`` let unit tests run it on a copy of a
host's files and replay the recorded systemctl calls on a fake)::

    cloudstack_add_host.py --cert=ENC --cacert=ENC --key=ENC --passphrase SECRET \\
        --mgmt 10.99.k.1 --zone 1 --pod 1 --cluster 1 --guid UUID \\
        --pub cloudbr0 --prv cloudbr0 --guest cloudbr0
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import uuid

AGENT_DIR = '/etc/cloudstack/agent'
PROPS = AGENT_DIR + '/agent.properties'
LIBVIRTD_CONF = '/etc/libvirt/libvirtd.conf'
QEMU_CONF = '/etc/libvirt/qemu.conf'
DEFAULTS = '/etc/default/libvirtd'
SOCKET_UNIT = '/lib/systemd/system/libvirtd.socket'
SOCKETS = ('libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket', 'libvirtd-tls.socket',
           'libvirtd-tcp.socket')
LINKS = (('/etc/pki/CA/cacert.pem', 'cloud.ca.crt'),
         ('/etc/pki/libvirt/clientcert.pem', 'cloud.crt'),
         ('/etc/pki/libvirt/servercert.pem', 'cloud.crt'),
         ('/etc/pki/libvirt/private/clientkey.pem', 'cloud.key'),
         ('/etc/pki/libvirt/private/serverkey.pem', 'cloud.key'))


class Host(object):
    def __init__(self, root='/', record=None):
        self.root = root
        self.record = record

    def path(self, p):
        return os.path.join(self.root, p.lstrip('/'))

    def read(self, p):
        with open(self.path(p)) as f:
            return f.read()

    def write(self, p, text):
        with open(self.path(p), 'w') as f:
            f.write(text)

    def exists(self, p):
        return os.path.exists(self.path(p))

    def systemctl(self, *args):
        if self.record:
            with open(self.record, 'a') as f:
                f.write(' '.join(('systemctl',) + args) + '\n')
            return 0
        return subprocess.call(('systemctl',) + args)


def add_entries(host, path, entries):
    """configFileOps.addEntry(name, value) for each entry, then save()."""
    text = host.read(path) if host.exists(path) else ''
    state = dict((entry[0], False) for entry in entries)
    out = []
    for line in text.splitlines(True):
        for name, value in entries:
            if re.match(r'^ *' + re.escape(name), line):
                out.append('\n%s=%s\n' % (name, value))
                state[name] = True
                break
        else:
            out.append(line)
    for name, value in entries:
        if not state[name]:
            out.append('%s=%s\n' % (name, value))
    host.write(path, ''.join(out))


def get_entry(host, path, name):
    """configFileOps.getEntry: the value of the first line starting with *name*."""
    m = re.search('^' + re.escape(name) + '.*', host.read(path), re.M)
    return m.group(0).split('=', 1)[1] if m and '=' in m.group(0) else ''


def replace_or_add_line(host, path, startswith, stanza):
    lines = [s.strip() for s in host.read(path).splitlines()]
    out, replaced = [], False
    for line in lines:
        if re.search(startswith, line):
            out.append(stanza)
            replaced = True
        else:
            out.append(line)
    if not replaced:
        out.append(stanza)
    host.write(path, ''.join(s + '\n' for s in out))


def decode(arg):
    return arg.replace('^', '\n').replace('~', ' ')


def keystore_setup(host, passphrase):
    if host.exists(PROPS):
        old = ''.join(re.sub('keystore.passphrase=', '', ln) for ln in host.read(PROPS).splitlines()
                      if 'keystore.passphrase' in ln)
        if not old.strip():
            kept = [ln for ln in host.read(PROPS).splitlines(True) if not re.search('keystore.passphrase', ln)]
            host.write(PROPS, ''.join(kept) + 'keystore.passphrase=%s\n' % passphrase)
    os.chmod(host.path(PROPS), 0o600)


def configure_libvirt_tls(host):
    add_entries(host, LIBVIRTD_CONF, [
        ('listen_tcp', '0'), ('listen_tls', '1'),
        ('key_file', '"/etc/pki/libvirt/private/serverkey.pem"'),
        ('cert_file', '"/etc/pki/libvirt/servercert.pem"'),
        ('ca_file', '"/etc/pki/CA/cacert.pem"'),
        ('tcp_port', '"16509"'), ('tls_port', '"16514"'),
        ('auth_tcp', '"none"'), ('auth_tls', '"none"')])


def keystore_cert_import(host, cert, cacert, key):
    files = {'cloud.crt': cert, 'cloud.ca.crt': cacert, 'cloud.key': key}
    for name, text in files.items():
        host.write(AGENT_DIR + '/' + name, text + '\n')
    if host.exists(LIBVIRTD_CONF):
        os.makedirs(host.path('/etc/pki/libvirt/private'), exist_ok=True)
        os.makedirs(host.path('/etc/pki/CA'), exist_ok=True)
        for link, target in LINKS:
            if os.path.lexists(host.path(link)):
                os.unlink(host.path(link))
            os.symlink(AGENT_DIR + '/' + target, host.path(link))
        configure_libvirt_tls(host)          # cloudstack-setup-agent -s (no -a): libvirtd.conf only
    for name in files:
        os.chmod(host.path(AGENT_DIR + '/' + name), 0o600)


def setup_agent(host, a):
    # libvirtConfigUbuntu.setupLiveMigration
    configure_libvirt_tls(host)
    if host.exists(DEFAULTS):
        replace_or_add_line(host, DEFAULTS, 'libvirtd_opts=', "libvirtd_opts='-l'")
        if host.exists(SOCKET_UNIT):
            for unit in SOCKETS:
                host.systemctl('mask', unit)
    # libvirtConfigUbuntu.config
    add_entries(host, QEMU_CONF, [('security_driver', '"none"'), ('user', '"root"'), ('group', '"root"')])
    host.systemctl('restart', 'libvirtd')
    # cloudAgentConfig.configAgent
    entries = [('host', a.mgmt), ('zone', a.zone), ('pod', a.pod), ('cluster', a.cluster),
               ('hypervisor.type', a.hypervisor), ('port', '8250'), ('private.network.device', a.prv),
               ('public.network.device', a.pub), ('guest.network.device', a.guest), ('guid', a.guid)]
    if get_entry(host, PROPS, 'local.storage.uuid') == '':
        entries.append(('local.storage.uuid', str(uuid.uuid4())))
    if get_entry(host, PROPS, 'resource') == '':
        entries.append(('resource', 'com.cloud.hypervisor.kvm.resource.LibvirtComputingResource'))
    add_entries(host, PROPS, entries)
    host.systemctl('stop', 'cloudstack-agent')
    host.systemctl('enable', 'cloudstack-agent')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--root', default='/')
    ap.add_argument('--record', help='append the systemctl calls to this file instead of running them')
    for name in ('cert', 'cacert', 'key', 'passphrase', 'mgmt', 'zone', 'pod', 'cluster', 'guid',
                 'pub', 'prv', 'guest'):
        ap.add_argument('--' + name, required=True)
    ap.add_argument('--hypervisor', default='kvm')
    a = ap.parse_args(argv)
    host = Host(a.root, a.record)
    keystore_setup(host, a.passphrase)
    keystore_cert_import(host, decode(a.cert), decode(a.cacert), decode(a.key))
    setup_agent(host, a)
    return 0


if __name__ == '__main__':
    sys.exit(main())
