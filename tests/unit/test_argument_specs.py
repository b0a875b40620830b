# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role's defaults/main.yml and meta/argument_specs.yml (entry point main) agree.

For each role under roles/: every variable in defaults/main.yml is an option of the
``main`` entry point with an equal default, every option of ``main`` is in the
defaults (unless it is ``required``), and each default has the declared type.
The checker is also run on deliberately broken roles in a temp dir, so this test
can be seen to fail.
"""
from __future__ import annotations

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = os.path.join(ROOT, 'roles')

_TYPES = {
    'str': (str,),
    'bool': (bool,),
    'int': (int,),
    'float': (float, int),
    'list': (list,),
    'dict': (dict,),
    'path': (str,),
    'raw': (object,),
}


def _load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def spec_problems(role_dir):
    """Return a list of sentences describing every mismatch in one role."""
    name = os.path.basename(role_dir)
    defaults_file = os.path.join(role_dir, 'defaults', 'main.yml')
    spec_file = os.path.join(role_dir, 'meta', 'argument_specs.yml')
    problems = []
    if not os.path.isfile(spec_file):
        return ['%s: meta/argument_specs.yml is missing' % name]
    defaults = (_load(defaults_file) or {}) if os.path.isfile(defaults_file) else {}
    specs = (_load(spec_file) or {}).get('argument_specs') or {}
    if 'main' not in specs:
        return ['%s: argument_specs has no "main" entry point' % name]
    options = specs['main'].get('options') or {}

    for var in sorted(set(defaults) - set(options)):
        problems.append('%s: default %s is not in argument_specs' % (name, var))
    for var, opt in sorted(options.items()):
        opt = opt or {}
        if var not in defaults:
            if not opt.get('required', False):
                problems.append('%s: option %s is not in defaults/main.yml' % (name, var))
            continue
        if 'default' not in opt:
            problems.append('%s: option %s has no default (defaults/main.yml: %r)'
                            % (name, var, defaults[var]))
        elif opt['default'] != defaults[var] or type(opt['default']) is not type(defaults[var]):
            problems.append('%s: option %s default %r != defaults/main.yml %r'
                            % (name, var, opt['default'], defaults[var]))
        typ = opt.get('type', 'str')
        if typ not in _TYPES:
            problems.append('%s: option %s has unknown type %r' % (name, var, typ))
        elif defaults[var] is not None and not isinstance(defaults[var], _TYPES[typ]) \
                or (typ == 'int' and isinstance(defaults[var], bool)):
            problems.append('%s: option %s is type %s but its default %r is not'
                            % (name, var, typ, defaults[var]))
        if typ == 'list' and 'elements' not in opt:
            problems.append('%s: list option %s has no elements' % (name, var))
        if not opt.get('description'):
            problems.append('%s: option %s has no description' % (name, var))
        if var.startswith('__') or not var.startswith(name + '_'):
            problems.append('%s: option %s is not named %s_*' % (name, var, name))
    return problems


def _roles():
    if not os.path.isdir(ROLES):
        return []
    return sorted(d for d in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, d)))


def test_there_are_roles():
    assert _roles(), 'no roles found under %s' % ROLES


@pytest.mark.parametrize('role', _roles())
def test_role_argument_specs_match_defaults(role):
    problems = spec_problems(os.path.join(ROLES, role))
    assert not problems, '\n'.join(problems)


def _write_role(tmp_path, defaults, options, name='demo'):
    role = tmp_path / name
    (role / 'defaults').mkdir(parents=True)
    (role / 'meta').mkdir()
    (role / 'defaults' / 'main.yml').write_text(yaml.safe_dump(defaults))
    if options is not None:
        (role / 'meta' / 'argument_specs.yml').write_text(
            yaml.safe_dump({'argument_specs': {'main': {'options': options}}}))
    return str(role)


GOOD = {'description': 'x', 'type': 'int', 'default': 1}


def test_checker_accepts_matching_role(tmp_path):
    assert spec_problems(_write_role(tmp_path, {'demo_a': 1}, {'demo_a': GOOD})) == []


@pytest.mark.parametrize('defaults,options,expected', [
    ({'demo_a': 1, 'demo_b': 2}, {'demo_a': GOOD}, 'default demo_b is not in argument_specs'),
    ({'demo_a': 1}, {'demo_a': GOOD, 'demo_b': dict(GOOD)}, 'option demo_b is not in defaults'),
    ({'demo_a': 2}, {'demo_a': GOOD}, 'default 1 != defaults/main.yml 2'),
    ({'demo_a': '1'}, {'demo_a': GOOD}, "default 1 != defaults/main.yml '1'"),
    ({'demo_a': 1}, {'demo_a': {'description': 'x', 'type': 'int'}}, 'has no default'),
    ({'demo_a': 'x'}, {'demo_a': {'description': 'x', 'type': 'int', 'default': 'x'}},
     'is type int'),
    ({'demo_a': []}, {'demo_a': {'description': 'x', 'type': 'list', 'default': []}},
     'has no elements'),
    ({'demo_a': 1}, {'demo_a': {'type': 'int', 'default': 1}}, 'has no description'),
    ({'other_a': 1}, {'other_a': dict(GOOD)}, 'is not named demo_*'),
    ({'demo_a': 1}, None, 'argument_specs.yml is missing'),
])
def test_checker_reports_mismatch(tmp_path, defaults, options, expected):
    problems = spec_problems(_write_role(tmp_path, defaults, options))
    assert any(expected in p for p in problems), problems
