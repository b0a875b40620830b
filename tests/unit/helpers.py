# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with real logic and a mocked process boundary."""
from __future__ import annotations

import json
from contextlib import contextmanager
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    """main() called exit_json; ``result`` holds what it returned."""

    def __init__(self, result):
        super().__init__(json.dumps(result, default=str))
        self.result = result


class ModuleFail(Exception):
    """main() called fail_json; ``result`` holds what it returned."""

    def __init__(self, result):
        super().__init__(json.dumps(result, default=str))
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault('changed', False)
    raise ModuleExit(kwargs)


def _fail_json(self, msg='', **kwargs):
    kwargs['failed'] = True
    kwargs['msg'] = msg
    raise ModuleFail(kwargs)


class FakeCommands(object):
    """Stands in for ``AnsibleModule.run_command``.

    ``responses`` maps a command (tuple of argv words, with or without the
    binary's directory) or a callable(argv) -> (rc, out, err).  Every call is
    kept in ``calls`` so tests assert on exactly what ran.
    """

    def __init__(self, responses=None, default=(0, '', '')):
        self.responses = responses or {}
        self.default = default
        self.calls = []

    def __call__(self, args, check_rc=False, **kwargs):
        argv = [str(a) for a in args]
        self.calls.append(argv)
        short = tuple([argv[0].rsplit('/', 1)[-1]] + argv[1:])
        for key in (tuple(argv), short):
            if key in self.responses:
                resp = self.responses[key]
                return resp(argv) if callable(resp) else resp
        if callable(self.default):
            return self.default(argv)
        return self.default

    def ran(self):
        """The calls as short strings ('systemctl stop libvirtd')."""
        return [' '.join([c[0].rsplit('/', 1)[-1]] + c[1:]) for c in self.calls]


@contextmanager
def module_env(fake=None, bins='/usr/bin'):
    """Patch exit/fail, run_command and get_bin_path for one module run."""
    fake = fake if fake is not None else FakeCommands()

    def _bin(self, arg, required=False, opt_dirs=None):
        return '%s/%s' % (bins, arg)

    with mock.patch.multiple(basic.AnsibleModule, exit_json=_exit_json, fail_json=_fail_json,
                             run_command=lambda self, *a, **k: fake(*a, **k),
                             get_bin_path=_bin):
        yield fake


def run_module(main, args, fake=None, check_mode=False, diff=True):
    """Run *main* with *args*; returns (result, fake). Fails the test if the module fails."""
    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    with module_env(fake) as f, patch_module_args(args):
        with pytest.raises(ModuleExit) as exc:
            main()
    return exc.value.result, f


def fail_module(main, args, fake=None, check_mode=False):
    """Run *main* expecting fail_json; returns (result, fake)."""
    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    with module_env(fake) as f, patch_module_args(args):
        with pytest.raises(ModuleFail) as exc:
            main()
    return exc.value.result, f
