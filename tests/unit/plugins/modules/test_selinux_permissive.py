# SPDX-License-Identifier: GPL-3.0-or-later
"""selinux_permissive: real file editing on stock EL/Debian configs; getenforce/setenforce faked.

SELinux cannot be enabled in the kernels this runs on, so ``FakeSelinux`` is the
process boundary: ``getenforce`` answers the current mode, ``setenforce 0|1``
changes it (and fails when SELinux is disabled, as the real tool does).
"""
from __future__ import annotations

import os
import shutil
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import FakeCommands, ModuleExit, ModuleFail, fail_module, module_env, run_module

from ansible_collections.cloudstack.hypervisors.plugins.modules import selinux_permissive

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'selinux')
EL = ['el7', 'el8', 'el9']


class FakeSelinux(object):
    def __init__(self, mode):
        self.mode = mode

    def __call__(self, argv):
        name = argv[0].rsplit('/', 1)[-1]
        if name == 'getenforce':
            return 0, self.mode.capitalize() + '\n', ''
        if name == 'setenforce':
            if self.mode == 'disabled':
                return 1, '', 'setenforce: SELinux is disabled\n'
            self.mode = {'0': 'permissive', '1': 'enforcing'}[argv[1]]
            return 0, '', ''
        return 127, '', 'not faked'


@pytest.fixture
def config(tmp_path):
    def make(name):
        path = tmp_path / 'config'
        shutil.copy(os.path.join(FIXTURES, name + '.config'), str(path))
        return str(path)
    return make


def read(path):
    with open(path) as f:
        return f.read()


def mutations(f):
    return [c for c in f.ran() if not c.startswith(('getenforce', 'lsattr'))]


def converge(sel, args):
    before = read(args['config_file']) if os.path.exists(args['config_file']) else None
    mode_before = sel.mode
    cres, cf = run_module(selinux_permissive.main, args, FakeCommands(default=sel), check_mode=True)
    assert mutations(cf) == [] and sel.mode == mode_before
    assert (read(args['config_file']) if before is not None else None) == before
    res, rf = run_module(selinux_permissive.main, args, FakeCommands(default=sel))
    assert res['commands'] == mutations(rf) == cres['commands']
    for key in ('changed', 'diff', 'reboot_required', 'runtime_mode', 'config_mode', 'msg'):
        assert cres.get(key) == res.get(key), key
    return res


@pytest.mark.parametrize('distro', EL)
def test_enforcing_host_goes_permissive(config, distro):
    path = config(distro)
    stock = read(path)
    sel = FakeSelinux('enforcing')
    res = converge(sel, {'config_file': path})
    assert res['changed'] is True
    assert res['commands'] == ['setenforce 0']
    assert sel.mode == 'permissive'
    assert res['runtime_mode'] == {'before': 'enforcing', 'after': 'permissive'}
    assert res['config_mode'] == {'before': 'enforcing', 'after': 'permissive'}
    assert res['reboot_required'] is False
    assert read(path) == stock.replace('\nSELINUX=enforcing\n', '\nSELINUX=permissive\n')
    assert res['diff']['before'] == stock and res['diff']['after'] == read(path)
    assert res['diff']['after_header'] == path
    again = converge(sel, {'config_file': path})
    assert again['changed'] is False and again['commands'] == []
    assert again['msg'] == 'SELinux is already permissive.'


def test_runtime_permissive_config_enforcing(config):
    path = config('el9')
    sel = FakeSelinux('permissive')
    res = converge(sel, {'config_file': path})
    assert res['changed'] and res['commands'] == []
    assert res['msg'] == 'SELinux set to permissive in %s.' % path


def test_config_permissive_runtime_enforcing(config):
    path = config('el8')
    with open(path, 'w') as f:
        f.write(read(os.path.join(FIXTURES, 'el8.config')).replace('SELINUX=enforcing', 'SELINUX=permissive'))
    before = read(path)
    sel = FakeSelinux('enforcing')
    res = converge(sel, {'config_file': path})
    assert res['changed'] and res['commands'] == ['setenforce 0'] and read(path) == before
    assert res['msg'] == 'SELinux set to permissive now (setenforce 0).'


def test_disabled_needs_reboot_and_relabel(config):
    path = config('debian')
    sel = FakeSelinux('disabled')
    res = converge(sel, {'config_file': path})
    assert res['changed'] is True and res['commands'] == []
    assert res['reboot_required'] is True
    assert res['runtime_mode'] == {'before': 'disabled', 'after': 'disabled'}
    assert res['config_mode'] == {'before': 'disabled', 'after': 'permissive'}
    assert 'reboot' in res['msg'] and '/.autorelabel' in res['msg']
    assert 'SELINUX=permissive\n' in read(path) and 'SETLOCALDEFS=0\n' in read(path)
    again = converge(sel, {'config_file': path})
    assert again['changed'] is False and again['reboot_required'] is True


def test_back_to_enforcing(config):
    path = config('el9')
    sel = FakeSelinux('enforcing')
    converge(sel, {'config_file': path})
    res = converge(sel, {'config_file': path, 'state': 'enforcing'})
    assert res['commands'] == ['setenforce 1'] and sel.mode == 'enforcing'
    assert '\nSELINUX=enforcing\n' in read(path)
    assert converge(sel, {'config_file': path, 'state': 'enforcing'})['changed'] is False


def test_enforcing_from_disabled_warns_about_relabel(config):
    path = config('debian')
    res = converge(FakeSelinux('disabled'), {'config_file': path, 'state': 'enforcing'})
    assert res['reboot_required'] is True and 'relabel' in res['msg'] and 'logins' in res['msg']


def test_selinux_absent_no_config_no_tools(tmp_path):
    path = str(tmp_path / 'config')
    args = dict(config_file=path, _ansible_check_mode=False, _ansible_diff=True)
    f = FakeCommands()
    with module_env(f), mock.patch.object(basic.AnsibleModule, 'get_bin_path', lambda *a, **k: None), \
            patch_module_args(args):
        with pytest.raises(ModuleExit) as exc:
            selinux_permissive.main()
    res = exc.value.result
    assert res['changed'] is False and res['selinux_present'] is False and f.calls == []
    assert res['msg'] == 'SELinux is not present on this host (no %s, no getenforce); nothing to do.' % path
    assert not os.path.exists(path)


def test_selinux_absent_tools_but_no_config(tmp_path):
    path = str(tmp_path / 'config')
    res, f = run_module(selinux_permissive.main, {'config_file': path}, FakeCommands(default=FakeSelinux('disabled')))
    assert res['changed'] is False and res['selinux_present'] is False
    assert 'getenforce says Disabled' in res['msg']
    assert not os.path.exists(path)


def test_running_selinux_without_config_file(tmp_path):
    path = str(tmp_path / 'config')
    sel = FakeSelinux('enforcing')
    res = converge(sel, {'config_file': path})
    assert res['commands'] == ['setenforce 0'] and not os.path.exists(path)
    assert res['config_mode'] == {'before': 'absent', 'after': 'absent'}
    assert 'does not exist' in res['msg']


def test_config_without_selinux_line_gets_one(config):
    path = config('el8')
    with open(path, 'w') as f:
        f.write('# emptied by someone\nSELINUXTYPE=targeted\n')
    res = converge(FakeSelinux('permissive'), {'config_file': path})
    assert read(path) == '# emptied by someone\nSELINUXTYPE=targeted\nSELINUX=permissive\n'
    assert res['config_mode'] == {'before': 'absent', 'after': 'permissive'}


def test_quoted_value_is_understood(config):
    path = config('el7')
    with open(path, 'w') as f:
        f.write('SELINUX="permissive"\nSELINUXTYPE=targeted\n')
    res = converge(FakeSelinux('permissive'), {'config_file': path})
    assert res['changed'] is False


def test_no_getenforce_but_config(config):
    path = config('el7')
    args = dict(config_file=path, _ansible_check_mode=False, _ansible_diff=True)
    with module_env(FakeCommands()), mock.patch.object(basic.AnsibleModule, 'get_bin_path', lambda *a, **k: None), \
            patch_module_args(args):
        with pytest.raises(ModuleExit) as exc:
            selinux_permissive.main()
    res = exc.value.result
    assert res['changed'] is True and res['commands'] == []
    assert res['runtime_mode'] == {'before': 'absent', 'after': 'absent'}
    assert 'running mode is unknown' in res['msg']
    assert '\nSELINUX=permissive\n' in read(path)


def test_backup(config):
    path = config('el9')
    res = converge(FakeSelinux('enforcing'), {'config_file': path, 'backup': True})
    assert os.path.exists(res['backup_file']) and 'SELINUX=enforcing' in read(res['backup_file'])


def test_no_diff_unless_asked(config):
    path = config('el9')
    res, f = run_module(selinux_permissive.main, {'config_file': path}, FakeCommands(default=FakeSelinux('enforcing')),
                        diff=False)
    assert 'diff' not in res


# ---------------------------------------------------------------- bad input / failures
def test_bad_selinux_value_fails_before_writing(config):
    path = config('el9')
    with open(path, 'w') as f:
        f.write('SELINUX=enforced\n')
    sel = FakeSelinux('enforcing')
    res, f = fail_module(selinux_permissive.main, {'config_file': path}, FakeCommands(default=sel))
    assert res['msg'] == ('%s has SELINUX=enforced, which is none of enforcing, permissive, disabled; '
                          'fix the file, nothing was changed.' % path)
    assert read(path) == 'SELINUX=enforced\n' and sel.mode == 'enforcing' and mutations(f) == []


def test_unknown_state(config):
    path = config('el9')
    res, f = fail_module(selinux_permissive.main, {'config_file': path, 'state': 'disabled'},
                         FakeCommands(default=FakeSelinux('enforcing')))
    assert 'state' in res['msg'] and 'disabled' in res['msg'] and f.calls == []


def test_getenforce_garbage(config):
    path = config('el9')
    before = read(path)
    res, f = fail_module(selinux_permissive.main, {'config_file': path},
                         FakeCommands(responses={('getenforce',): (0, 'Maybe\n', '')}))
    assert res['msg'] == "getenforce returned 'Maybe' (exit code 0), not Enforcing, Permissive or Disabled."
    assert read(path) == before


def test_setenforce_failure_is_reported(config):
    path = config('el9')
    f = FakeCommands(responses={('getenforce',): (0, 'Enforcing\n', ''),
                                ('setenforce', '0'): (1, '', 'setenforce: setenforce() failed\n')})
    res, f = fail_module(selinux_permissive.main, {'config_file': path}, f)
    assert 'setenforce 0' in res['msg'] and 'setenforce() failed' in res['msg']
    assert res['commands'] == ['setenforce 0']


def test_setenforce_missing(config):
    path = config('el9')
    before = read(path)
    args = dict(config_file=path, _ansible_check_mode=False)
    sel = FakeSelinux('enforcing')
    with module_env(FakeCommands(default=sel)), \
            mock.patch.object(basic.AnsibleModule, 'get_bin_path',
                              lambda self, arg, required=False, opt_dirs=None:
                              None if arg == 'setenforce' else '/usr/sbin/' + arg), \
            patch_module_args(args):
        with pytest.raises(ModuleFail) as exc:
            selinux_permissive.main()
    assert 'setenforce is not installed' in exc.value.result['msg']
    assert read(path) == before
