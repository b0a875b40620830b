# SPDX-License-Identifier: GPL-3.0-or-later
"""Every command README.md shows works as written (issue 15).

The commands are read from README.md: the ```sh blocks (``\\`` continuations
joined, ``# comments`` dropped) and the inline code spans that are commands.
Each one has a row in TABLE, so a command the README gains without a row fails
``test_every_command_is_classified`` instead of being skipped. A row says how
the command is exercised:

* RUN      - run exactly as written (safe and quick);
* DRY      - a dry form through the same entry point and environment
             (``make -n``, ``--syntax-check``, ``molecule syntax``), reason given;
* STAGE    - a tool named in the description of a CI stage or script: the
             stage's script is checked to run it (the stages put .venv/bin on PATH);
* NOT_HERE - needs what this machine lacks (a container registry, podman, a
             lab): the files, targets and options it names are checked to exist.

Commands run the way a reader runs them on a fresh clone after the README's two
set-up commands (``make site`` / ``make test`` build .venv): from the repository
root, in a fresh environment whose PATH holds only system directories - .venv/bin
is not on it, since the README never says to activate the venv.

Not under tests/unit: ansible-test units runs tests/unit in a copy without the venv.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import namedtuple

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, 'README.md')
SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# The lines the README showed before issue 15: each fails when run as written.
OLD_MOLECULE = 'LAB_SUITE=trixie .venv/bin/molecule test -s kvm'
OLD_PODMAN = ('MOLECULE_IMAGE=docker.io/geerlingguy/docker-rockylinux9-ansible '
              '.venv/bin/molecule --base-config molecule/resources/podman.yml test -s host_prep')
OLD_OPERATOR = 'ansible-playbook cloudstack.hypervisors.site -i inventories/<yours>'

# --- extraction -------------------------------------------------------------

# A span is a command when, after any NAME=value prefixes, it starts with one of
# these programs (and has arguments), with .venv/bin/, or with an option.
PROGRAMS = {
    'make', 'bash', 'sh', 'python', 'python3', 'pytest', 'molecule', 'podman', 'docker',
    'ansible', 'ansible-playbook', 'ansible-galaxy', 'ansible-doc', 'ansible-test',
    'ansible-lint', 'ansible-builder', 'ansible-config', 'ansible-inventory', 'antsibull-docs',
    'antsibull-changelog', 'pip', 'git', 'sudo', 'apt-get', 'apt', 'debootstrap',
    'systemd-nspawn', 'nsenter', 'labctl.py', 'cloudstack-setup-agent', 'tests/lab/labctl.py',
}
ENV_ASSIGN = re.compile(r'^[A-Z][A-Z0-9_]*=\S*$')


def is_command(span):
    words = span.split()
    rest = list(words)
    while rest and ENV_ASSIGN.match(rest[0]):
        rest.pop(0)
    if len(rest) < len(words):
        return True                      # NAME=value prefix (or a bare setting)
    if not rest:
        return False
    first = rest[0]
    if first.startswith('.venv/bin/'):
        return True
    if len(rest) < 2:
        return False                     # a tool's or file's name, not a command
    return (first in PROGRAMS or first.startswith('-') or first.endswith(('.py', '.sh'))
            or rest[1].startswith('-'))


def sh_block_commands(block):
    text = re.sub(r'\\\n\s*', ' ', block)
    out = []
    for line in text.splitlines():
        line = re.sub(r'(^|\s)#.*$', '', line).strip()
        if line:
            out.append(' '.join(line.split()))
    return out


def extract(text):
    """[(where, command)] in README order: 'sh block' or 'inline'."""
    found = []
    for m in re.finditer(r'^```sh\n(.*?)^```', text, re.S | re.M):
        found += [('sh block', c) for c in sh_block_commands(m.group(1))]
    prose = re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)
    for m in re.finditer(r'`([^`]+)`', prose):
        span = ' '.join(m.group(1).split())
        if is_command(span):
            found.append(('inline', span))
    return found


# --- how each command is exercised -------------------------------------------

Row = namedtuple('Row', 'kind forms reason checks')
RUN, DRY, STAGE, NOT_HERE = 'run as written', 'dry form', 'CI stage tool', 'not runnable here'
EXAMPLES = ('example-basic', 'example-advanced', 'example-vsphere')
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, 'plugins', 'modules'))
                 if f.endswith('.py') and not f.startswith('_'))


def make_dry(cmd):
    """`make X` -> `make -n X`: the target has a recipe and it expands; nothing runs."""
    return re.sub(r'(^|&& |\s)make ', r'\1make -n ', cmd)


def molecule_dry(cmd):
    """`molecule ... test -s S` -> `... syntax -s S`: the same prefix, environment and
    scenario, through molecule's start-up (where it calls ansible-config) to
    ansible-playbook --syntax-check; no lab or container is created."""
    assert ' test -s ' in cmd, cmd
    return cmd.replace(' test -s ', ' syntax -s ')


def playbook_dry(cmd, inventory):
    """The placeholder inventory replaced by a shipped one, plus --syntax-check."""
    cmd = cmd.replace('inventories/<yours>', 'inventories/' + inventory)
    cmd = cmd.replace('<inventory>', 'inventories/' + inventory)
    return cmd + ' --syntax-check'


SITE = '.venv/bin/ansible-playbook cloudstack.hypervisors.site -i inventories/<yours>'
XEN = '.venv/bin/ansible-playbook cloudstack.hypervisors.xenserver -i <inventory>'
MOLECULE_KVM = 'PATH=$PWD/.venv/bin:$PATH LAB_SUITE=trixie molecule test -s kvm'
MOLECULE_PODMAN = ('PATH=$PWD/.venv/bin:$PATH MOLECULE_IMAGE=docker.io/geerlingguy/docker-rockylinux9-ansible '
                   'molecule --base-config molecule/resources/podman.yml test -s host_prep')
SERIAL = '-e \'{"cshv_serial": [1, 3, "100%"], "cshv_max_fail_percentage": 25}\''
LAB_TARGETS = 'starts lab hosts (systemd-nspawn, root, minutes)'


def make_row(cmd, why):
    return Row(DRY, [make_dry(cmd)], '`make -n`: ' + why, [])


TABLE = {
    # sh blocks
    'make site': make_row('make site', LAB_TARGETS),
    'make test': make_row('make test', 'the whole CI run (hours)'),
    SITE: Row(DRY, [playbook_dry(SITE, i) for i in EXAMPLES],
              'no hosts here: each shipped example inventory, --syntax-check', []),
    'make lab-up && .venv/bin/ansible -i inventories/lab all -m ping && make lab-down': Row(
        DRY, ['make -n lab-up && .venv/bin/ansible -i inventories/lab all --list-hosts && make -n lab-down'],
        'no lab here: `make -n` for the lab targets, the same ad-hoc ansible with --list-hosts for -m ping', []),
    'make ee-context': make_row('make ee-context', 'its `deps` prerequisite installs apt packages and '
                                'rebuilds .venv when requirements.txt is newer'),
    'podman build -f ee/context/Dockerfile -t cloudstack-hypervisors-ee:0.1.0 ee/context': Row(
        NOT_HERE, [], 'needs podman and the base image from a registry; `make ee-context` writes ee/context, '
        'the tag is galaxy.yml\'s version',
        [('Makefile', '-c ee/context'), ('galaxy.yml', 'version: 0.1.0'), ('ee/execution-environment.yml', None)]),
    MOLECULE_PODMAN: Row(DRY, [molecule_dry(MOLECULE_PODMAN)],
                         'the podman driver needs a registry: `molecule syntax` on the same base config', []),
    # inline spans
    '-e cshv_report_dir=DIR': Row(DRY, [playbook_dry(SITE, 'example-basic') + ' -e cshv_report_dir=DIR'],
                                  'an option of the operator command: with it, --syntax-check', []),
    SERIAL: Row(DRY, [playbook_dry(SITE, 'example-basic') + ' ' + SERIAL],
                'an option of the operator command: with it, --syntax-check', []),
    '--check --diff': Row(DRY, [playbook_dry(SITE, 'example-basic') + ' --check --diff'],
                          'options the README says the tests run: with the operator command, --syntax-check', []),
    '.venv/bin/ansible-doc cloudstack.hypervisors.ovs_fakebridge': Row(
        RUN, ['.venv/bin/ansible-doc cloudstack.hypervisors.ovs_fakebridge'], 'read-only, seconds', []),
    '.venv/bin/ansible-doc -t role cloudstack.hypervisors.kvm': Row(
        RUN, ['.venv/bin/ansible-doc -t role cloudstack.hypervisors.kvm',
              '.venv/bin/ansible-doc -t role cloudstack.hypervisors.lxc cloudstack.hypervisors.host_prep'],
        'read-only, seconds (and the two roles the README names next)', []),
    '.venv/bin/ansible-doc cloudstack.hypervisors.<name>': Row(
        RUN, ['.venv/bin/ansible-doc ' + ' '.join('cloudstack.hypervisors.' + m for m in MODULES)],
        '<name> = every module in plugins/modules, in one call', []),
    XEN: Row(DRY, [playbook_dry(XEN, 'example-advanced')],
             'no pool here: the inventory that holds a XenServer pool, --syntax-check', []),
    'debootstrap --variant=minbase': Row(NOT_HERE, [], 'what labctl.py runs to build an image (root, network)',
                                         [('tests/lab/labctl.py', "'debootstrap', '--variant=minbase'")]),
    'labctl.py image --podman': Row(NOT_HERE, [], 'needs podman and root; the option exists',
                                    [('tests/lab/labctl.py', "add_argument('--podman'")]),
    'systemd-nspawn -b': Row(NOT_HERE, [], 'what labctl.py runs to boot a lab host',
                             [('tests/lab/labctl.py', "'systemd-nspawn'"), ('tests/lab/labctl.py', "'-b'")]),
    'nsenter --net': Row(NOT_HERE, [], 'what the lab\'s ssh ProxyCommand runs',
                         [('tests/lab/labctl.py', "'nsenter', '--net=")]),
    'apt-get install': Row(NOT_HERE, [], 'what `make deps` runs for missing packages (root, network)',
                           [('Makefile', 'apt-get install')]),
    'cloudstack-setup-agent -a -s': Row(NOT_HERE, [], 'CloudStack\'s own Add Host step, replayed by the stand-in',
                                        [('tests/lab/addhost/cloudstack_add_host.py', 'cloudstack-setup-agent -a -s')]),
    'make lab-up': make_row('make lab-up', LAB_TARGETS),
    'make lab-down': make_row('make lab-down', 'stops the lab; nothing to stop here'),
    'LAB_SUITE=trixie make lab-up': Row(DRY, ['LAB_SUITE=trixie make -n lab-up'],
                                        '`make -n` (' + LAB_TARGETS + '); the suite reaches labctl', []),
    'bash .ci/run': Row(DRY, ['bash -n .ci/run', 'make -n test'],
                        'the whole CI run: the script parses, the `make test` it runs expands', []),
    'CSHV_INTEGRATION_JOBS=1': Row(STAGE, [], 'a setting of the integration stage',
                                   [('tests/integration.sh', 'CSHV_INTEGRATION_JOBS')]),
    'ansible-test units': Row(STAGE, [], 'run by the units stage', [('tests/units_ansible_test.sh', 'units')]),
    'make units-ansible-test': make_row('make units-ansible-test', 'ansible-test builds its own venv (minutes)'),
    'ansible-test sanity': Row(STAGE, [], 'run by the sanity stage',
                               [('tests/sanity.sh', 'ansible_test.sh" sanity')]),
    'ansible-galaxy collection build': Row(STAGE, [], 'run by the build stage',
                                           [('tests/build.sh', 'ansible-galaxy" collection build')]),
    'ansible-doc -l': Row(STAGE, [], 'run by the build stage', [('tests/build.sh', 'ansible-doc" -l')]),
    'antsibull-docs lint-collection-docs --plugin-docs': Row(
        STAGE, [], 'run by the docs stage',
        [('tests/run_all.sh', 'antsibull-docs lint-collection-docs --plugin-docs'),
         ('Makefile', 'antsibull-docs lint-collection-docs --plugin-docs')]),
    'make docs': make_row('make docs', 'builds the HTML site with Sphinx (minutes; the docs stage runs it)'),
    'make readme': make_row('make readme', 'this test itself'),
    'make xenserver': make_row('make xenserver', 'the XenServer suites (the xenserver stage runs them)'),
    'make vsphere': make_row('make vsphere', 'builds the vCenter simulator and runs its suites'),
    'make site-test': make_row('make site-test', LAB_TARGETS),
    'make drift': make_row('make drift', LAB_TARGETS),
    'make bad-inputs': make_row('make bad-inputs', LAB_TARGETS),
    'make lost-host': make_row('make lost-host', LAB_TARGETS),
    'make integration-long': make_row('make integration-long', LAB_TARGETS),
    'CSHV_INTEGRATION=0 make test': Row(DRY, ['CSHV_INTEGRATION=0 make -n test'],
                                        '`make -n`: the whole CI run; run_all.sh reads the setting', []),
    'antsibull-docs lint-collection-docs': Row(STAGE, [], 'run by `make docs` and the docs stage',
                                               [('Makefile', 'antsibull-docs lint-collection-docs')]),
    'ansible-builder create': Row(STAGE, [], 'run by `make ee-context` and the EE unit test',
                                  [('Makefile', 'ansible-builder create'),
                                   ('tests/unit/test_execution_environment.py', 'create')]),
    MOLECULE_KVM: Row(DRY, [molecule_dry(MOLECULE_KVM)],
                      'no lab here: `molecule syntax`, same prefix and scenario', []),
    'make bench': make_row('make bench', 'starts labs of 1, 3 and 16 hosts and the main lab layout'),
    '.venv/bin/python tests/bench/benchmark.py --sizes 1,3,16,lab': Row(
        DRY, ['.venv/bin/python tests/bench/benchmark.py --sizes 1,3,16,lab --help'],
        'starts labs: --help parses the same arguments after importing the script', []),
    'make collection-link': Row(RUN, ['make collection-link'], 'idempotent symlink, instant', []),
    '.venv/bin/ansible-galaxy collection build': Row(
        DRY, ['.venv/bin/ansible-galaxy collection build --output-path "$CSHV_README_TMP"'],
        'as written, with --output-path to a temporary directory (no tarball left in the checkout)', []),
}

# The output of these forms must also contain the text given.
EXPECT = {
    'LAB_SUITE=trixie make -n lab-up': '--suite trixie',
    'make -n lab-up && .venv/bin/ansible -i inventories/lab all --list-hosts && make -n lab-down': 'kvm1',
}


# --- the runner ------------------------------------------------------------

def fresh_env(tmp):
    """A new login's environment: system PATH only, nothing of ours exported."""
    env = {'HOME': os.environ.get('HOME', '/root'), 'PATH': SYSTEM_PATH, 'LANG': 'C.UTF-8',
           'TERM': 'dumb', 'CSHV_README_TMP': tmp,
           # sandboxing only: molecule's state for this run in a temporary directory
           'MOLECULE_EPHEMERAL_DIRECTORY': os.path.join(tmp, 'molecule')}
    return env


def run(cmd, timeout=300):
    """Run one README command line with bash from the repository root."""
    with tempfile.TemporaryDirectory(prefix='cshv-readme-') as tmp:
        res = subprocess.run(['bash', '-c', cmd], cwd=ROOT, env=fresh_env(tmp), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout, check=False)
    return res.returncode, res.stdout


def readme_commands():
    with open(README, encoding='utf-8') as f:
        return extract(f.read())


# --- tests -----------------------------------------------------------------

def test_every_command_is_classified(readme_log):
    found = readme_commands()
    readme_log['found'][:] = found
    commands = {cmd for where, cmd in found}
    unknown = sorted(commands - set(TABLE))
    stale = sorted(set(TABLE) - commands)
    assert found, 'no command found in README.md'
    assert not unknown, ('README commands with no row in TABLE (say how each is exercised):\n  '
                         + '\n  '.join(unknown))
    assert not stale, 'TABLE rows for commands README.md no longer shows:\n  ' + '\n  '.join(stale)


def test_extraction():
    text = ('x\n```sh\nmake a   # c\nFOO=1 \\\n  .venv/bin/tool x  # d\n\n```\n'
            'see `make b`, `kvm`, `ansible-lint`, `key=value`, `ansible-doc -l`, `remote_mode="x"`, '
            '`A_B=2`, `.venv/bin/x`, `-e k=v`, `10.0.0.1 host`, `tool --flag`.\n')
    assert extract(text) == [('sh block', 'make a'), ('sh block', 'FOO=1 .venv/bin/tool x'),
                             ('inline', 'make b'), ('inline', 'ansible-doc -l'), ('inline', 'A_B=2'),
                             ('inline', '.venv/bin/x'), ('inline', '-e k=v'), ('inline', 'tool --flag')]


@pytest.mark.parametrize('command', sorted(TABLE), ids=sorted(TABLE))
def test_command(command, readme_log):
    row = TABLE[command]
    assert row.forms or row.checks, 'row with nothing to run or check: ' + command
    results = []
    for path, needle in row.checks:
        full = os.path.join(ROOT, path)
        assert os.path.exists(full), '%s: %s does not exist' % (command, path)
        if needle:
            with open(full, encoding='utf-8') as f:
                assert needle in f.read(), '%s: %r not in %s' % (command, needle, path)
        results.append('%s%s ok' % (path, ' has %r' % needle if needle else ' exists'))
    for form in row.forms:
        rc, out = run(form)
        readme_log['rows'].append((command, '%s: %s  (%s)' % (row.kind, form, row.reason),
                                   'rc=%d' % rc))
        assert rc == 0, '%s\n  ran: %s\n  rc=%d\n%s' % (command, form, rc, out[-3000:])
        # a name in .PHONY without a rule passes `make -n` with nothing to do
        assert 'Nothing to be done' not in out, '%s: a make target without a recipe\n%s' % (command, out)
        if form in EXPECT:
            assert EXPECT[form] in out, '%s: %r not in the output of %s\n%s' % (command, EXPECT[form], form, out)
    if not row.forms:
        readme_log['rows'].append((command, '%s: %s' % (row.kind, row.reason), '; '.join(results)))


# The negative twins: the lines the README showed before, through the same runner.

@pytest.mark.parametrize('old', [OLD_MOLECULE, OLD_PODMAN], ids=['kvm', 'podman'])
def test_old_molecule_line_fails(readme_log, old):
    assert old not in {cmd for where, cmd in readme_commands()}
    form = molecule_dry(old)
    rc, out = run(form)
    readme_log['rows'].append((old + '   [old line]', 'dry form: ' + form, 'rc=%d (must fail)' % rc))
    assert rc != 0
    assert 'FileNotFoundError' in out and "'ansible-config'" in out, out[-3000:]


def test_old_bare_operator_line_fails(readme_log):
    assert OLD_OPERATOR not in {cmd for where, cmd in readme_commands()}
    if shutil.which('ansible-playbook', path=SYSTEM_PATH):
        pytest.fail('an ansible-playbook on the system PATH: the bare line would run a different Ansible '
                    'than .venv\'s, so this machine cannot show the old line failing')
    form = playbook_dry(OLD_OPERATOR, 'example-basic')
    rc, out = run(form)
    readme_log['rows'].append((OLD_OPERATOR + '   [old line]', 'dry form: ' + form, 'rc=%d (must fail)' % rc))
    assert rc == 127 and 'ansible-playbook: command not found' in out, out[-3000:]
