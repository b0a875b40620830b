# SPDX-License-Identifier: GPL-3.0-or-later
"""labctl: the cloudstack.hypervisors test lab — real systemd hosts on one machine.

Design (see tests/lab/README.md):

* images: ``debootstrap --variant=minbase`` rootfs per Debian suite (bullseye,
  bookworm, trixie), configured by ``recipe/`` and cached under
  ``$CSHV_LAB_CACHE/images/<suite>-<recipe hash>``: rebuilt only when the recipe
  changes.
* hosts: ``systemd-nspawn -b`` on an overlayfs of the image, each host in its own
  network namespace (nspawn's private network), bridged inside one lab netns
  ``cshv-<lab>``: ``labbr0`` = management 10.99.<k>.0/24 (host0, static via
  ifupdown), ``labbr1`` = a second L2 segment (eth1 in every host).  /proc and
  /sys stay read-only inside except ``net.*``: nothing in the lab can change
  this machine's kernel settings or cgroup mounts.
* apt: no namespace has a route out.  A relay (socat in the lab netns on
  10.99.<k>.1:80 -> unix socket -> socat in the root netns -> deb.debian.org:80)
  and ``10.99.<k>.1 deb.debian.org`` in each host's /etc/hosts let the roles'
  own apt tasks run for real; the image's apt cache already holds the big
  packages (download-only), so installs are fast but still real.
* fixture repo: a signed apt repository holding the *fixture* package
  ``cloudstack-agent`` is served at http://10.99.<k>.1:8080/ in the lab netns.
* SSH: the controller stays in the root netns and reaches hosts with an ssh
  ProxyCommand that enters the lab netns (``nsenter --net`` + socat).

Everything ``up`` starts is recorded by PID in the lab's run dir; ``down``
stops exactly those, unmounts the overlays and deletes the netns.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPE = os.path.join(HERE, 'recipe')
FIXTURE = os.path.join(HERE, 'fixture-agent')
CACHE = os.environ.get('CSHV_LAB_CACHE', '/var/cache/cshv-lab')
RUN = os.environ.get('CSHV_LAB_RUN', '/var/tmp/cshv-lab/run')
MIRROR = os.environ.get('CSHV_LAB_MIRROR', 'http://deb.debian.org/debian')
# Seconds a booting host gets to answer on ssh (a boot takes 2-10 s here).
BOOT_TIMEOUT = int(os.environ.get('CSHV_LAB_BOOT_TIMEOUT', '90'))
MIRROR_HOST = 'deb.debian.org'
SUITES = ('bullseye', 'bookworm', 'trixie')
FIXTURE_VERSION = '4.20.1.0~fixture2'
FIXTURE_COMPONENT = '4.20'
IMAGE_FORMAT = 3  # bump to force a rebuild when labctl's own image steps change


def log(msg):
    sys.stderr.write('labctl: %s\n' % msg)
    sys.stderr.flush()


def run(argv, check=True, capture=False, **kw):
    if capture:
        kw.setdefault('stdout', subprocess.PIPE)
        kw.setdefault('stderr', subprocess.PIPE)
        kw.setdefault('universal_newlines', True)
    res = subprocess.run(argv, check=False, **kw)
    if check and res.returncode != 0:
        err = (res.stderr or '') if capture else ''
        raise SystemExit('labctl: command failed (%d): %s\n%s' % (res.returncode, ' '.join(argv), err))
    return res


def need_root():
    if os.geteuid() != 0:
        raise SystemExit('labctl: the lab needs root (network namespaces, overlay mounts, systemd-nspawn).')


def need_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise SystemExit('labctl: missing tools: %s (run `make lab-deps`)' % ', '.join(missing))


# --------------------------------------------------------------------------- images

def recipe_hash(suite):
    h = hashlib.sha256()
    h.update(('format=%d suite=%s mirror=%s\n' % (IMAGE_FORMAT, suite, MIRROR)).encode())
    for name in sorted(os.listdir(RECIPE)):
        with open(os.path.join(RECIPE, name), 'rb') as f:
            h.update(name.encode() + b'\0' + f.read())
    return h.hexdigest()[:12]


def image_dir(suite):
    return os.path.join(CACHE, 'images', '%s-%s' % (suite, recipe_hash(suite)))


def read_list(path):
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]


def build_image(suite, force=False):
    """Build (or reuse) the rootfs of *suite*; returns the rootfs path."""
    if suite not in SUITES:
        raise SystemExit('labctl: unknown suite %r; the lab builds %s' % (suite, ', '.join(SUITES)))
    need_root()
    need_tools('debootstrap', 'chroot')
    idir = image_dir(suite)
    rootfs = os.path.join(idir, 'rootfs')
    if os.path.exists(os.path.join(idir, 'done')) and not force:
        return rootfs
    # One build per suite at a time; whoever waited finds it done.
    os.makedirs(os.path.join(CACHE, 'images'), exist_ok=True)
    with open(os.path.join(CACHE, 'images', '.%s.lock' % suite), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(idir, 'done')) and not force:
            return rootfs
        return _build_image(suite, idir, rootfs)


def _build_image(suite, idir, rootfs):
    start = time.time()
    if os.path.exists(idir):
        shutil.rmtree(idir)
    os.makedirs(idir)
    tmp = rootfs + '.tmp'
    base = ','.join(read_list(os.path.join(RECIPE, 'packages-base.txt')))
    log('building %s image (recipe %s) ...' % (suite, recipe_hash(suite)))
    with open(os.path.join(idir, 'build.log'), 'w') as logf:
        run(['debootstrap', '--variant=minbase', '--include=' + base, suite, tmp, MIRROR],
            stdout=logf, stderr=subprocess.STDOUT)
        shutil.copytree(RECIPE, os.path.join(tmp, 'tmp', 'recipe'))
        shutil.copy('/etc/resolv.conf', os.path.join(tmp, 'etc', 'resolv.conf'))
        mounts = []
        try:
            for fs, target in (('proc', 'proc'), ('sysfs', 'sys')):
                path = os.path.join(tmp, target)
                run(['mount', '-t', fs, fs, path])
                mounts.append(path)
            run(['chroot', tmp, '/bin/sh', '/tmp/recipe/configure.sh', suite], stdout=logf, stderr=subprocess.STDOUT)
        finally:
            for path in reversed(mounts):
                run(['umount', '-l', path], check=False)
        shutil.rmtree(os.path.join(tmp, 'tmp', 'recipe'))
        os.unlink(os.path.join(tmp, 'etc', 'resolv.conf'))
        with open(os.path.join(tmp, 'etc', 'resolv.conf'), 'w') as f:
            f.write('# lab hosts have no DNS; names come from /etc/hosts\n')
    os.rename(tmp, rootfs)
    with open(os.path.join(idir, 'done'), 'w') as f:
        f.write('%s %d\n' % (suite, int(time.time() - start)))
    log('%s image built in %.0f s: %s' % (suite, time.time() - start, rootfs))
    prune_images(suite, keep=idir)
    return rootfs


def prune_images(suite, keep):
    root = os.path.join(CACHE, 'images')
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if name.startswith(suite + '-') and path != keep and not any(
                lab.get('image') == os.path.join(path, 'rootfs') for lab in all_labs()):
            log('removing outdated image %s' % path)
            shutil.rmtree(path, ignore_errors=True)


def import_podman(suite):
    """Optional: also import the rootfs as localhost/cshv-lab-<suite> for the podman driver."""
    need_tools('podman')
    rootfs = build_image(suite)
    tar = subprocess.Popen(['tar', '-C', rootfs, '-c', '.'], stdout=subprocess.PIPE)
    run(['podman', 'import', '--change', 'CMD ["/sbin/init"]', '-', 'localhost/cshv-lab-%s:%s' % (suite, recipe_hash(suite))],
        stdin=tar.stdout)
    tar.wait()


# --------------------------------------------------------------------------- fixture repo

def fixture_hash():
    h = hashlib.sha256(('%s %s %d' % (FIXTURE_VERSION, FIXTURE_COMPONENT, IMAGE_FORMAT)).encode())
    for dirpath, dirnames, filenames in sorted(os.walk(FIXTURE)):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as f:
                h.update(os.path.relpath(path, FIXTURE).encode() + b'\0' + f.read())
    return h.hexdigest()[:12]


def _hash_lines(repo, dist, files):
    out = {}
    for algo, title in (('md5', 'MD5Sum'), ('sha256', 'SHA256')):
        lines = []
        for rel in files:
            with open(os.path.join(repo, 'dists', dist, rel), 'rb') as f:
                data = f.read()
            lines.append(' %s %d %s' % (hashlib.new(algo, data).hexdigest(), len(data), rel))
        out[title] = lines
    return out


def build_fixture_repo():
    """A signed apt repo with the FIXTURE cloudstack-agent, laid out like the real one."""
    need_tools('dpkg-deb', 'gpg', 'dpkg-scanpackages')
    repo = os.path.join(CACHE, 'fixture-repo-' + fixture_hash())
    if os.path.exists(os.path.join(repo, 'done')):
        return repo
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, '.fixture-repo.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(repo, 'done')):
            return repo
        return _build_fixture_repo(repo)


def _build_fixture_repo(repo):
    if os.path.exists(repo):
        shutil.rmtree(repo)
    os.makedirs(os.path.join(repo, 'pool'))
    work = tempfile.mkdtemp(prefix='cshv-fixture-')
    try:
        pkg = os.path.join(work, 'pkg')
        shutil.copytree(os.path.join(FIXTURE, 'root'), pkg, symlinks=True)
        os.makedirs(os.path.join(pkg, 'DEBIAN'))
        for name in os.listdir(os.path.join(FIXTURE, 'DEBIAN')):
            with open(os.path.join(FIXTURE, 'DEBIAN', name)) as f:
                text = f.read().replace('@VERSION@', FIXTURE_VERSION)
            with open(os.path.join(pkg, 'DEBIAN', name), 'w') as f:
                f.write(text)
        deb = os.path.join(repo, 'pool', 'cloudstack-agent_%s_all.deb' % FIXTURE_VERSION)
        run(['dpkg-deb', '--root-owner-group', '--build', pkg, deb], capture=True)
        gnupg = os.path.join(work, 'gnupg')
        os.makedirs(gnupg, 0o700)
        gpg = ['gpg', '--homedir', gnupg, '--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '']
        run(gpg + ['--quick-gen-key', 'cloudstack.hypervisors lab fixture repo <fixture@cshv.invalid>',
                   'ed25519', 'sign', 'never'], capture=True)
        with open(os.path.join(repo, 'cshv-lab-fixture.gpg'), 'wb') as f:
            subprocess.run(gpg + ['--export'], stdout=f, check=True)
        with open(os.path.join(repo, 'cshv-lab-fixture.asc'), 'wb') as f:
            subprocess.run(gpg + ['--armor', '--export'], stdout=f, check=True)
        packages = run(['dpkg-scanpackages', '--multiversion', 'pool'], capture=True, cwd=repo).stdout
        for dist in SUITES:
            bdir = os.path.join(repo, 'dists', dist, FIXTURE_COMPONENT, 'binary-amd64')
            os.makedirs(bdir)
            with open(os.path.join(bdir, 'Packages'), 'w') as f:
                f.write(packages)
            run(['gzip', '-9nk', os.path.join(bdir, 'Packages')])
            rels = ['%s/binary-amd64/Packages' % FIXTURE_COMPONENT, '%s/binary-amd64/Packages.gz' % FIXTURE_COMPONENT]
            hashes = _hash_lines(repo, dist, rels)
            release = ['Origin: cloudstack.hypervisors lab fixture', 'Label: cshv-lab-fixture',
                       'Suite: %s' % dist, 'Codename: %s' % dist, 'Architectures: amd64 all',
                       'Components: %s' % FIXTURE_COMPONENT,
                       'Date: %s' % time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())]
            for title in ('MD5Sum', 'SHA256'):
                release.append(title + ':')
                release.extend(hashes[title])
            rpath = os.path.join(repo, 'dists', dist, 'Release')
            with open(rpath, 'w') as f:
                f.write('\n'.join(release) + '\n')
            run(gpg + ['--clearsign', '-o', os.path.join(repo, 'dists', dist, 'InRelease'), rpath])
            run(gpg + ['-abs', '-o', rpath + '.gpg', rpath])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(repo, 'done'), 'w') as f:
        f.write(FIXTURE_VERSION + '\n')
    return repo


# --------------------------------------------------------------------------- labs

def lab_dir(name):
    return os.path.join(RUN, name)


def load_lab(name):
    path = os.path.join(lab_dir(name), 'lab.json')
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def save_lab(lab):
    path = os.path.join(lab_dir(lab['name']), 'lab.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(lab, f, indent=2, sort_keys=True)
    os.rename(path + '.tmp', path)


def all_labs():
    if not os.path.isdir(RUN):
        return []
    labs = []
    for name in sorted(os.listdir(RUN)):
        lab = load_lab(name)
        if lab:
            labs.append(lab)
    return labs


def pick_subnet(name, wanted=None):
    """10.99.<k>.0/24 for a new lab.

    Automatic picks rotate through 1..199 instead of reusing the lowest free
    one, so a lab started right after another never gets its addresses (and
    so never meets a lingering ssh ControlMaster to a host that is gone).
    """
    used = set(lab['subnet_index'] for lab in all_labs() if lab['name'] != name)
    if wanted is not None:
        if wanted in used:
            raise SystemExit('labctl: subnet 10.99.%d.0/24 is used by another lab' % wanted)
        return wanted
    counter = os.path.join(RUN, '.last-subnet')
    last = 0
    if os.path.exists(counter):
        with open(counter) as f:
            last = int(f.read().strip() or 0)
    for step in range(1, 200):
        k = (last + step - 1) % 199 + 1
        if k not in used:
            with open(counter, 'w') as f:
                f.write('%d\n' % k)
            return k
    raise SystemExit('labctl: no free lab subnet')


def cmd_proxy(args):
    """ssh ProxyCommand: connect stdin/stdout to HOST:PORT inside the lab that owns HOST."""
    parts = args.host.split('.')
    if len(parts) != 4 or parts[:2] != ['10', '99']:
        raise SystemExit('labctl proxy: %s is not a lab address (10.99.k.n)' % args.host)
    for lab in all_labs():
        if lab['subnet_index'] == int(parts[2]):
            os.execvp('nsenter', ['nsenter', '--net=/run/netns/' + lab['netns'], 'socat', 'STDIO',
                                  'TCP:%s:%s,connect-timeout=5' % (args.host, args.port)])
    raise SystemExit('labctl proxy: no lab is up on 10.99.%s.0/24' % parts[2])


def netns_exec(lab, argv):
    return ['nsenter', '--net=/run/netns/' + lab['netns']] + argv


def spawn(argv, logfile):
    """Start a long-running process in its own session; returns its PID."""
    with open(logfile, 'ab') as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return proc.pid


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split()[2] != 'Z'
    except IOError:
        return False


def stop_pid(pid, timeout=10.0, sig=signal.SIGTERM):
    if not pid or not alive(pid):
        return
    try:
        os.kill(pid, sig)
    except OSError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not alive(pid):
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def proc_start(pid):
    """The start time of *pid* (clock ticks since boot), to tell a PID from a reused one."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
        return int(stat[stat.rindex(')') + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def container_init(nspawn_pid):
    """(pid, start) of the container's init: the child of systemd-nspawn that is PID 1 inside."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/status' % entry) as f:
                status = dict(line.split(':', 1) for line in f if ':' in line)
        except (OSError, ValueError):
            continue
        nspid = status.get('NSpid', '').split()
        if status.get('PPid', '').strip() == str(nspawn_pid) and len(nspid) > 1 and nspid[-1] == '1':
            return int(entry), proc_start(int(entry))
    return None, None


def kill_container(host):
    """SIGKILL the host's init: the kernel then ends every process of its PID namespace.

    systemd-nspawn forwards SIGTERM as an orderly poweroff, but a SIGKILLed
    nspawn leaves the container's init running, parented to PID 1: the host
    would go on answering. So a hard stop kills the init itself.
    """
    pid, start = host.get('init_pid'), host.get('init_start')
    if pid and start and proc_start(pid) == start:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        deadline = time.time() + 10
        while time.time() < deadline and proc_start(pid) == start:
            time.sleep(0.1)
    stop_pid(host.get('pid'), timeout=5)


def host_addr(lab, index):
    return '10.99.%d.%d' % (lab['subnet_index'], 11 + index)


def gateway(lab):
    return '10.99.%d.1' % lab['subnet_index']


def ssh_argv(lab, addr, extra=()):
    return ['ssh', '-i', os.path.join(lab['dir'], 'id_ed25519'),
            '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
            '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5',
            '-o', 'ProxyCommand=' + proxy_command(lab)] + list(extra) + ['root@' + addr]


def proxy_command(lab):
    return 'nsenter --net=/run/netns/%s socat STDIO TCP:%%h:%%p,connect-timeout=5' % lab['netns']


def write_host_files(lab, host):
    root = host['root']
    name = host['name']
    with open(os.path.join(root, 'etc', 'hostname'), 'w') as f:
        f.write(name + '\n')
    with open(os.path.join(root, 'etc', 'machine-id'), 'w') as f:
        f.write(hashlib.md5(('%s/%s/%s' % (lab['id'], name, time.time())).encode()).hexdigest() + '\n')
    lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback',
             '%s %s' % (gateway(lab), MIRROR_HOST)]
    for h in lab['hosts']:
        lines.append('%s %s.%s %s' % (h['address'], h['name'], lab['domain'], h['name']))
    with open(os.path.join(root, 'etc', 'hosts'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(root, 'etc', 'network', 'interfaces'), 'w') as f:
        f.write('# lab host network (written by labctl)\n'
                'source /etc/network/interfaces.d/*\n\n'
                'auto lo\niface lo inet loopback\n\n'
                'auto host0\niface host0 inet static\n    address %s/24\n\n'
                'auto eth1\niface eth1 inet manual\n' % host['address'])
    sshdir = os.path.join(root, 'root', '.ssh')
    os.makedirs(sshdir, 0o700, exist_ok=True)
    shutil.copy(os.path.join(lab['dir'], 'id_ed25519.pub'), os.path.join(sshdir, 'authorized_keys'))
    os.chmod(os.path.join(sshdir, 'authorized_keys'), 0o600)
    run(['ssh-keygen', '-A', '-f', root], capture=True)


def mount_overlay(lab, host):
    for sub in ('upper', 'work', 'root'):
        os.makedirs(os.path.join(host['dir'], sub), exist_ok=True)
    if not os.path.ismount(host['root']):
        run(['mount', '-t', 'overlay', 'overlay', '-o',
             'lowerdir=%s,upperdir=%s,workdir=%s' % (lab['image'], os.path.join(host['dir'], 'upper'),
                                                     os.path.join(host['dir'], 'work')), host['root']])


def boot_host(lab, host):
    mount_overlay(lab, host)
    argv = ['systemd-nspawn', '--register=no', '--keep-unit', '--quiet', '--console=read-only',
            '-D', host['root'], '-M', host['machine'], '--hostname=' + host['name'], '-b',
            '--network-bridge=labbr0', '--network-veth-extra=%s:eth1' % host['veth1'],
            '--bind=/dev/net/tun']
    if os.path.exists('/dev/kvm'):
        argv.append('--bind=/dev/kvm')
    host['pid'] = spawn(netns_exec(lab, argv), os.path.join(host['dir'], 'console.log'))
    # Attach the host's second NIC to labbr1 as soon as nspawn has made it.
    deadline = time.time() + 30
    while time.time() < deadline:
        if run(['ip', '-n', lab['netns'], 'link', 'set', host['veth1'], 'master', 'labbr1', 'up'],
               check=False, capture=True).returncode == 0:
            break
        if not alive(host['pid']):
            with open(os.path.join(host['dir'], 'console.log'), errors='replace') as f:
                console = f.read()[-2000:]
            raise SystemExit('labctl: host %s did not start:\n%s' % (host['name'], console))
        time.sleep(0.2)
    else:
        raise SystemExit('labctl: host %s: eth1 never appeared' % host['name'])
    host['init_pid'], host['init_start'] = container_init(host['pid'])


class BootTimeout(Exception):
    """A host did not answer on ssh in time; the message carries what was seen."""


def wait_ssh(lab, host, timeout=None):
    timeout = timeout or BOOT_TIMEOUT
    deadline = time.time() + timeout
    last = ''
    while time.time() < deadline:
        res = run(ssh_argv(lab, host['address']) + ['systemctl', 'is-system-running', '--wait'],
                  check=False, capture=True, timeout=60)
        state = (res.stdout or '').strip()
        if state in ('running', 'degraded'):
            if not host.get('init_pid'):
                host['init_pid'], host['init_start'] = container_init(host['pid'])
            if state == 'degraded':
                failed = run(ssh_argv(lab, host['address']) + ['systemctl', '--failed', '--no-legend', '--plain'],
                             check=False, capture=True).stdout
                log('host %s is up but degraded: %s' % (host['name'], failed.strip().replace('\n', '; ')))
            return
        last = 'rc=%s state=%r %s' % (res.returncode, state, (res.stderr or '').strip()[-300:])
        if not alive(host['pid']):
            raise SystemExit('labctl: host %s stopped while booting; see %s' % (host['name'], os.path.join(host['dir'], 'console.log')))
        time.sleep(0.5)
    raise BootTimeout('host %s did not answer on ssh within %d s; last ssh: %s\n%s'
                      % (host['name'], timeout, last, boot_diagnostics(lab, host)))


def boot_diagnostics(lab, host):
    """What a stuck boot looked like: the lab bridge's links and the console's last lines."""
    links = run(['ip', '-n', lab['netns'], '-br', 'link', 'show'], check=False, capture=True).stdout or ''
    try:
        with open(os.path.join(host['dir'], 'console.log'), errors='replace') as f:
            console = re.sub(r'\x1b\[[0-9;]*m', '', f.read()).splitlines()[-40:]
    except OSError as e:
        console = ['(no console log: %s)' % e]
    return ('links in %s:\n  %s\nconsole of %s (last 40 lines):\n  %s'
            % (lab['netns'], links.strip().replace('\n', '\n  '), host['name'], '\n  '.join(console)))


def boot_and_wait(lab, host, booted=False):
    """Boot *host* (unless *booted*) and wait for ssh. A host whose boot hangs is
    powered off and booted once more, saying so with what the first boot showed;
    a second hang fails the lab."""
    for attempt in (1, 2):
        if attempt == 2 or not booted:
            boot_host(lab, host)
            save_lab(lab)
        try:
            wait_ssh(lab, host)
            return
        except BootTimeout as e:
            if attempt == 2:
                raise SystemExit('labctl: %s' % e)
            log('%s\nlabctl: powering %s off and booting it once more' % (e, host['name']))
            kill_container(host)
            host['pid'] = host['init_pid'] = host['init_start'] = None
            save_lab(lab)


def write_inventory(lab):
    key = os.path.join(lab['dir'], 'id_ed25519')
    cp = os.path.join(lab['dir'], 'cp')
    lines = ['# written by tests/lab/labctl.py for lab %s (%s)' % (lab['name'], lab['suite']),
             'all:', '  children:', '    lab:', '      hosts:']
    for h in lab['hosts']:
        lines.append('        %s:' % h['name'])
        lines.append('          ansible_host: %s' % h['address'])
    lines += ['  vars:',
              '    ansible_user: root',
              '    ansible_ssh_private_key_file: %s' % key,
              '    ansible_ssh_common_args: >-',
              "      -o ProxyCommand='%s'" % proxy_command(lab),
              '      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
              '      -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=%s/%%C' % cp,
              '    cshv_lab_name: %s' % lab['name'],
              '    cshv_lab_suite: %s' % lab['suite'],
              '    cshv_lab_gateway: %s' % gateway(lab),
              '    cshv_lab_subnet: 10.99.%d.0/24' % lab['subnet_index'],
              '    cshv_lab_domain: %s' % lab['domain'],
              '    cshv_lab_fixture_repo: http://%s:8080' % gateway(lab)]
    with open(os.path.join(lab['dir'], 'inventory.yml'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def cmd_up(args):
    need_root()
    need_tools('systemd-nspawn', 'nsenter', 'socat', 'ip', 'ssh', 'ssh-keygen')
    name = args.name
    if not re.match(r'^[a-z0-9][a-z0-9_-]{0,40}$', name):
        raise SystemExit('labctl: bad lab name %r (lowercase letters, digits, _ and -)' % name)
    if load_lab(name):
        if args.reuse:
            log('lab %s is already up' % name)
            print(os.path.join(lab_dir(name), 'inventory.yml'))
            return
        raise SystemExit('labctl: lab %s is already up (labctl down --name %s first)' % (name, name))
    hosts = [h for h in args.hosts.split(',') if h]
    if not hosts:
        raise SystemExit('labctl: --hosts needs at least one host name')
    for h in hosts:
        if len(h) > 15 or not h.replace('-', '').isalnum():
            raise SystemExit('labctl: bad host name %r (letters, digits and -, at most 15)' % h)
    if len(hosts) > 60:
        raise SystemExit('labctl: at most 60 hosts per lab')
    image = build_image(args.suite)
    repo = build_fixture_repo()
    os.makedirs(RUN, exist_ok=True)
    d = lab_dir(name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, 'cp'))
    lab = {'name': name, 'id': hashlib.sha1(('%s%f' % (name, time.time())).encode()).hexdigest()[:6],
           'suite': args.suite, 'image': image, 'dir': d, 'repo': repo, 'domain': args.domain,
           'subnet_index': None, 'pids': {}, 'hosts': [], 'mounts': []}
    lab['netns'] = 'cshv-' + name
    # Picking the subnet and recording it is one step under a lock: labs
    # started at the same moment (parallel molecule runs) get different ones.
    with open(os.path.join(RUN, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lab['subnet_index'] = pick_subnet(name, args.subnet_index)
        for i, h in enumerate(hosts):
            lab['hosts'].append({'name': h, 'address': host_addr(lab, i), 'dir': os.path.join(d, 'hosts', h),
                                 'root': os.path.join(d, 'hosts', h, 'root'), 'veth1': 'cv%d' % i,
                                 # nspawn keeps per-machine state under /run/systemd/nspawn by
                                 # machine name: unique across labs; short, as its veth is vb-<machine>.
                                 'machine': 'c%s-%d' % (lab['id'][:6], i),
                                 'pid': None})
        save_lab(lab)  # from here on, `down` can clean up whatever exists
    start = time.time()
    try:
        run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'cshv-lab-' + name, '-f',
             os.path.join(d, 'id_ed25519')])
        ns = lab['netns']
        run(['ip', 'netns', 'add', ns])
        for cmd in (['link', 'set', 'lo', 'up'],
                    ['link', 'add', 'labbr0', 'type', 'bridge'],
                    ['addr', 'add', gateway(lab) + '/24', 'dev', 'labbr0'],
                    ['link', 'set', 'labbr0', 'up'],
                    ['link', 'add', 'labbr1', 'type', 'bridge'],
                    ['link', 'set', 'labbr1', 'up']):
            run(['ip', '-n', ns] + cmd)
        sock = os.path.join(d, 'mirror.sock')
        lab['pids']['relay-root'] = spawn(['socat', 'UNIX-LISTEN:%s,fork,mode=600' % sock,
                                           'TCP:%s:80,connect-timeout=10' % MIRROR_HOST], os.path.join(d, 'relay.log'))
        lab['pids']['relay-lab'] = spawn(netns_exec(lab, ['socat', 'TCP-LISTEN:80,bind=%s,fork,reuseaddr' % gateway(lab),
                                                          'UNIX-CONNECT:' + sock]), os.path.join(d, 'relay.log'))
        lab['pids']['fixture-repo'] = spawn(netns_exec(lab, [sys.executable, '-m', 'http.server', '8080', '--bind',
                                                             gateway(lab), '--directory', repo]),
                                            os.path.join(d, 'repo.log'))
        save_lab(lab)
        for host in lab['hosts']:
            mount_overlay(lab, host)
            lab['mounts'].append(host['root'])
            save_lab(lab)
            write_host_files(lab, host)
            boot_host(lab, host)
            save_lab(lab)
        for host in lab['hosts']:
            boot_and_wait(lab, host, booted=True)
        write_inventory(lab)
        save_lab(lab)
    except BaseException:
        log('lab %s failed to come up; cleaning up' % name)
        teardown(lab)
        raise
    log('lab %s up: %d %s host(s) on 10.99.%s.0/24 in %.1f s'
        % (name, len(hosts), args.suite, lab['subnet_index'], time.time() - start))
    print(os.path.join(d, 'inventory.yml'))


def teardown(lab):
    """Stop everything the lab started, by PID; unmount; delete the netns and run dir."""
    cp = os.path.join(lab['dir'], 'cp')
    if os.path.isdir(cp):
        for sock in os.listdir(cp):
            run(['ssh', '-o', 'ControlPath=' + os.path.join(cp, sock), '-O', 'exit', 'lab'], check=False, capture=True)
    for host in lab.get('hosts', []):
        stop_pid(host.get('pid'), timeout=15)   # SIGTERM: nspawn powers the host off
        kill_container(host)                    # whatever did not go that way
    for key, pid in sorted(lab.get('pids', {}).items()):
        stop_pid(pid, timeout=3)
    for host in lab.get('hosts', []):
        if os.path.ismount(host['root']):
            run(['umount', host['root']], check=False)
            if os.path.ismount(host['root']):
                run(['umount', '-l', host['root']], check=False)
    if lab.get('netns') and os.path.exists('/run/netns/' + lab['netns']):
        run(['ip', 'netns', 'del', lab['netns']], check=False)
    shutil.rmtree(lab['dir'], ignore_errors=True)


def cmd_down(args):
    need_root()
    labs = all_labs() if args.all else [load_lab(args.name)]
    if not args.all and labs[0] is None:
        log('lab %s is not up' % args.name)
        return
    for lab in labs:
        teardown(lab)
        log('lab %s down' % lab['name'])


def find_host(lab, name):
    for h in lab['hosts']:
        if h['name'] == name:
            return h
    raise SystemExit('labctl: lab %s has no host %s' % (lab['name'], name))


def get_lab(name):
    lab = load_lab(name)
    if not lab:
        raise SystemExit('labctl: lab %s is not up' % name)
    return lab


def cmd_ssh(args):
    lab = get_lab(args.name)
    host = find_host(lab, args.host)
    cmd = args.command[1:] if args.command[:1] == ['--'] else args.command
    os.execvp('ssh', ssh_argv(lab, host['address']) + cmd)


def cmd_stop_host(args):
    """Power a host off hard (pulls the plug: for lost-host tests)."""
    need_root()
    lab = get_lab(args.name)
    host = find_host(lab, args.host)
    kill_container(host)
    host['pid'] = host['init_pid'] = host['init_start'] = None
    save_lab(lab)
    log('host %s stopped' % host['name'])


def cmd_start_host(args):
    need_root()
    lab = get_lab(args.name)
    host = find_host(lab, args.host)
    if host.get('pid') and alive(host['pid']):
        log('host %s is already running' % host['name'])
        return
    boot_and_wait(lab, host)
    log('host %s started' % host['name'])


def cmd_status(args):
    labs = all_labs()
    if not labs:
        print('no lab is up')
    for lab in labs:
        print('%s  %s  10.99.%d.0/24  netns %s  %s'
              % (lab['name'], lab['suite'], lab['subnet_index'], lab['netns'], os.path.join(lab['dir'], 'inventory.yml')))
        for h in lab['hosts']:
            if h.get('init_pid'):
                running = proc_start(h['init_pid']) == h.get('init_start')
            else:  # still booting (or a lab from before init tracking)
                running = bool(h.get('pid')) and alive(h['pid'])
            print('  %-15s %-14s %s' % (h['name'], h['address'], 'running' if running else 'stopped'))


def cmd_image(args):
    for suite in args.suite:
        path = build_image(suite, force=args.force)
        if args.podman:
            import_podman(suite)
        print(path)


def cmd_inventory(args):
    print(os.path.join(get_lab(args.name)['dir'], 'inventory.yml'))


def main(argv=None):
    p = argparse.ArgumentParser(prog='labctl', description=__doc__.split('\n', maxsplit=1)[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('image', help='build (or reuse) lab images')
    s.add_argument('--suite', nargs='+', default=list(SUITES), choices=SUITES)
    s.add_argument('--force', action='store_true')
    s.add_argument('--podman', action='store_true', help='also import as localhost/cshv-lab-<suite> podman images')
    s.set_defaults(func=cmd_image)
    s = sub.add_parser('fixture-repo', help='build the fixture apt repository')
    s.set_defaults(func=lambda a: print(build_fixture_repo()))
    s = sub.add_parser('up', help='start a lab')
    s.add_argument('--name', required=True)
    s.add_argument('--suite', default='bookworm', choices=SUITES)
    s.add_argument('--hosts', required=True, help='comma-separated host names')
    s.add_argument('--subnet-index', type=int, default=None, help='k in 10.99.k.0/24 (default: first free from 1)')
    s.add_argument('--domain', default='lab.cshv.test')
    s.add_argument('--reuse', action='store_true', help='succeed if the lab is already up')
    s.set_defaults(func=cmd_up)
    s = sub.add_parser('down', help='stop a lab and remove everything it started')
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument('--name')
    g.add_argument('--all', action='store_true')
    s.set_defaults(func=cmd_down)
    s = sub.add_parser('ssh', help='run a command on a lab host')
    s.add_argument('name')
    s.add_argument('host')
    s.add_argument('command', nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_ssh)
    for verb, fn in (('stop-host', cmd_stop_host), ('start-host', cmd_start_host)):
        s = sub.add_parser(verb)
        s.add_argument('name')
        s.add_argument('host')
        s.set_defaults(func=fn)
    s = sub.add_parser('proxy', help='ssh ProxyCommand into a lab (HOST PORT)')
    s.add_argument('host')
    s.add_argument('port')
    s.set_defaults(func=cmd_proxy)
    s = sub.add_parser('status')
    s.set_defaults(func=cmd_status)
    s = sub.add_parser('inventory', help='print the path of a lab inventory')
    s.add_argument('name')
    s.set_defaults(func=cmd_inventory)
    args = p.parse_args(argv)
    args.func(args)


if __name__ == '__main__':
    main()
