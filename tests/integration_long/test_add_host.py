# SPDX-License-Identifier: GPL-3.0-or-later
"""Add Host, then reboot, then re-run: the product keeps what CloudStack set up (issue 17, kind 3).

Starts its own lab (CSHV_ADDHOST_LAB, default "b17addhost": kvm1, kvm2 in one KVM
cluster) and, with the main lab's group_vars:

1. runs ``cloudstack.hypervisors.site`` on fresh hosts (libvirt comes up socket-activated
   as Debian installs it; the role makes it traditional);
2. switches kvm2 to socket activation by hand (``--listen`` removed, the sockets unmasked,
   ``libvirtd-tcp.socket`` enabled and started) and runs site again - so the hosts meet Add
   Host from every activation they may start in: kvm1 as the role left it, kvm2 re-converged
   from a hand switch to sockets;
3. runs the Add Host stand-in (tests/lab/addhost/cloudstack_add_host.py, written from
   CloudStack's keystore-setup, keystore-cert-import and cloudstack-setup-agent -a -s) on
   each host, with certificates from a lab CA made here (standing for CloudStack's CA:
   one certificate per host for server and client, as CloudStack issues them);
4. reboots both hosts (``labctl stop-host`` / ``start-host``) and runs site a third time.

Asserts after step 4: the run succeeds with 0 changed on every host; every host listens
on 16514 and not on 16509; each host reaches the other with ``virsh -c
qemu+tls://<peer>/system`` using CloudStack's certificate links; agent.properties is
still 0600 and holds the keystore passphrase; the readiness report says every host is
ready with its peers reached over qemu+tls. It also checks after step 3 that Add Host
left a TLS listener (the stand-in did its job). Prints the timings.

Skips, saying why, when the lab cannot be started (not root, no labctl). Set
CSHV_KEEP_LAB=1 to keep the lab afterwards.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import cshvlab  # noqa: E402  pylint: disable=wrong-import-position

LAB = os.environ.get('CSHV_ADDHOST_LAB', 'b17addhost')
HOSTS = ['kvm1', 'kvm2']
SUITE = os.environ.get('LAB_SUITE', 'bookworm')
STANDIN = os.path.join(cshvlab.ROOT, 'tests', 'lab', 'addhost', 'cloudstack_add_host.py')
PROPS = '/etc/cloudstack/agent/agent.properties'
with open(os.path.join(cshvlab.LAB_GROUP_VARS, 'kvm_hosts', 'network.yml')) as _f:
    LABELS = yaml.safe_load(_f)['cshv_traffic_labels']

HAND_SWITCH_TO_SOCKETS = (
    "sed -i -E 's/^LIBVIRTD_ARGS=.*/LIBVIRTD_ARGS=\"\"/' /etc/default/libvirtd && "
    'systemctl stop libvirtd.service && '
    'systemctl unmask libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tcp.socket && '
    'systemctl enable libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tcp.socket && '
    'systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tcp.socket && '
    'systemctl start libvirtd.service')


def ssh(host, script, check=True, data=None, timeout=300):
    res = subprocess.run(cshvlab.LABCTL + ['ssh', LAB, host, '--', 'sh', '-c', cshvlab.repr_sh(script)],
                         input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                         timeout=timeout, check=False)
    if check:
        assert res.returncode == 0, '%s: %s failed (%d): %s %s' % (host, script, res.returncode, res.stdout,
                                                                   res.stderr)
    return res


def openssl(*args, cwd):
    subprocess.run(['openssl'] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=120)


def lab_ca(directory, hosts):
    """A lab CA and one certificate per host (server and client use, SAN = its address and name)."""
    os.makedirs(directory, exist_ok=True)
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
            '-subj', '/CN=cshv-lab stand-in for the CloudStack CA', '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign', cwd=directory)
    certs = {}
    for name, addr in hosts.items():
        ext = os.path.join(directory, name + '.ext')
        with open(ext, 'w') as f:
            f.write('basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
                    'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:%s,DNS:%s\n' % (addr, name))
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', name + '.key', '-out', name + '.csr',
                '-subj', '/CN=%s/OU=cloudstack/O=cloudstack/C=cs' % name, cwd=directory)
        openssl('x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
                '-days', '2', '-extfile', ext, '-out', name + '.crt', cwd=directory)
        certs[name] = {part: open(os.path.join(directory, f)).read().strip()
                       for part, f in (('cert', name + '.crt'), ('key', name + '.key'), ('cacert', 'ca.crt'))}
    return certs


def encode(pem):
    """How the management server passes PEM text to keystore-cert-import."""
    return pem.replace('\n', '^').replace(' ', '~')


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    for lab_inv in cshvlab.own_lab(LAB, HOSTS, SUITE, 'add-host test'):
        d = tmp_path_factory.mktemp('addhost')
        overlay = cshvlab.overlay_inventory(str(d / 'inv'), {'kvm_hosts': HOSTS})
        yield {'inventories': [lab_inv, overlay], 'reports': str(d / 'reports'), 'dir': str(d)}


def site(lab, label, timings):
    res, took, data = cshvlab.playbook('cloudstack.hypervisors.site', lab['inventories'],
                                       extra_vars={'cshv_report_dir': lab['reports']}, json_output=True,
                                       timeout=3600)
    timings.append((label, took))
    assert data is not None, 'no JSON from ansible-playbook (rc %d): %s' % (res.returncode, res.stderr[-3000:])
    stats = cshvlab.json_stats(data)
    counts = {h: (s.get('changed'), s.get('failures')) for h, s in sorted(stats.items())}
    print('\n%s: %.0f s, rc %d, (changed, failures) %s' % (label, took, res.returncode, counts))
    assert res.returncode == 0, '%s failed: %s' % (label, res.stdout[-6000:])
    return stats


def drop_control_masters():
    """Ask the lab's ssh ControlMasters to exit: the ones made before a reboot point at dead
    sessions ("mux_client_request_session: read from master failed: Broken pipe")."""
    cp = os.path.join(cshvlab.RUN, LAB, 'cp')
    for sock in os.listdir(cp) if os.path.isdir(cp) else []:
        subprocess.run(['ssh', '-o', 'ControlPath=' + os.path.join(cp, sock), '-O', 'exit', 'lab'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)


def listening(host):
    out = ssh(host, "ss -Htln '( sport = :16509 or sport = :16514 )'").stdout
    return sorted({int(line.split()[3].rsplit(':', 1)[1]) for line in out.splitlines() if line.strip()})


def test_add_host_then_reboot_then_rerun_keeps_cloudstack_tls(lab):
    timings = []
    t0 = time.time()
    addresses = {h: a['address'] for h, a in cshvlab.lab_state(LAB).items()}
    certs = lab_ca(os.path.join(lab['dir'], 'ca'), {h: addresses[h] for h in HOSTS})

    site(lab, 'first run (fresh hosts)', timings)
    ssh('kvm2', HAND_SWITCH_TO_SOCKETS)
    assert ssh('kvm2', 'systemctl is-active libvirtd-tcp.socket').stdout.strip() == 'active'
    site(lab, 'second run (kvm2 switched to sockets by hand)', timings)
    assert ssh('kvm2', 'systemctl is-enabled libvirtd-tcp.socket', check=False).stdout.strip() == 'masked'

    with open(STANDIN) as f:
        standin = f.read()
    gateway = addresses[HOSTS[0]].rsplit('.', 1)[0] + '.1'
    for i, host in enumerate(HOSTS):
        c = certs[host]
        args = ['--cert=' + encode(c['cert']), '--cacert=' + encode(c['cacert']), '--key=' + encode(c['key']),
                '--passphrase', 'lab-keystore-secret-%d' % i, '--mgmt', gateway, '--zone', '1', '--pod', '1',
                '--cluster', '1', '--guid', 'cshv-lab-guid-%s' % host, '--prv', LABELS['management'],
                '--pub', LABELS.get('public', LABELS.get('guest', LABELS['management'])),
                '--guest', LABELS.get('guest', LABELS['management'])]
        res = subprocess.run(cshvlab.LABCTL + ['ssh', LAB, host, '--', 'python3', '-'] + [cshvlab.repr_sh(a) for a in args],
                             input=standin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=300, check=False)
        assert res.returncode == 0, 'the Add Host stand-in failed on %s: %s %s' % (host, res.stdout, res.stderr)
    for host in HOSTS:
        assert listening(host) == [16514], '%s: Add Host left no TLS listener' % host

    t_reboot = time.time()
    for host in HOSTS:
        orphans = cshvlab.stop_host(LAB, host)
        assert not orphans, 'container inits of %s survived stop-host: %s' % (host, orphans)
        cshvlab.labctl('start-host', LAB, host, timeout=300)
    drop_control_masters()
    ok, why = cshvlab.lab_ready(LAB, HOSTS)
    assert ok, why
    timings.append(('reboot', time.time() - t_reboot))

    stats = site(lab, 'third run (after Add Host and a reboot)', timings)
    changed = {h: s['changed'] for h, s in stats.items() if s.get('changed')}
    assert not changed, 'the run after Add Host changed something: %s' % changed

    for host in HOSTS:
        assert listening(host) == [16514], host
        assert ssh(host, 'stat -c %a ' + PROPS).stdout.strip() == '600', host
        assert ssh(host, 'grep -c ^keystore.passphrase= ' + PROPS).stdout.strip() == '1', host
        assert ssh(host, 'readlink /etc/pki/libvirt/servercert.pem').stdout.strip() == '/etc/cloudstack/agent/cloud.crt'
        for peer in HOSTS:
            if peer != host:
                res = ssh(host, 'virsh -c qemu+tls://%s/system version' % addresses[peer], check=False)
                assert res.returncode == 0, '%s cannot reach %s over qemu+tls: %s' % (host, peer, res.stderr)
    with open(os.path.join(lab['reports'], 'readiness.json')) as f:
        text = f.read()
    report = json.loads(text)
    rows = {r['host']: r for r in report['hosts']}
    for host in HOSTS:
        row = rows[host]
        assert row['ready'] == 'yes', row
        assert 'qemu+tls' in row['checks']['libvirt_peers']['detail'], row['checks']
        # the operator's record (issue 15): the listener in force after Add Host, reached over TLS
        assert row['libvirt']['listen_mode'] == 'tls' and row['libvirt']['port'] == 16514, row['libvirt']
        assert all(p['ok'] and p['port'] == 16514 for p in row['firewall']), row['firewall']
    # agent.properties now holds the keystore passphrase: never in the report
    assert 'lab-keystore-secret' not in text
    with open(os.path.join(lab['reports'], 'readiness.md')) as f:
        assert 'lab-keystore-secret' not in f.read()
    print('\ntimings: %s; total %.0f s' % (', '.join('%s %.0f s' % t for t in timings), time.time() - t0))
