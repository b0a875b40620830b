# SPDX-License-Identifier: GPL-3.0-or-later
"""conf_keys: real files (Debian 12's stock qemu.conf, the fixture agent.properties) in a tmp dir."""
from __future__ import annotations

import os
import shutil
import stat

import pytest

from ansible_collections.cloudstack.hypervisors.tests.unit.helpers import fail_module, run_module

from ansible_collections.cloudstack.hypervisors.plugins.modules import conf_keys

UNIT = os.path.join(os.path.dirname(__file__), '..', '..')
QEMU_CONF = os.path.join(UNIT, 'fixtures', 'libvirt', 'debian12', 'etc', 'libvirt', 'qemu.conf')
AGENT = os.path.join(UNIT, '..', 'lab', 'fixture-agent', 'root', 'etc', 'cloudstack', 'agent', 'agent.properties')
# what the kvm role writes (roles/kvm/defaults/main.yml kvm_qemu_conf)
QEMU_KEYS = {'vnc_listen': '"0.0.0.0"', 'security_driver': '"none"', 'user': '"root"', 'group': '"root"'}
AGENT_KEYS = {'hypervisor.type': 'kvm', 'network.bridge.type': 'native', 'guest.cpu.mode': 'host-model',
              'host': '10.0.0.5,10.0.0.6'}


def read(path):
    with open(path) as f:
        return f.read()


@pytest.fixture
def qemu(tmp_path):
    path = str(tmp_path / 'qemu.conf')
    shutil.copy(QEMU_CONF, path)
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def agent(tmp_path):
    path = str(tmp_path / 'agent.properties')
    shutil.copy(AGENT, path)
    return path


def test_stock_qemu_conf_gets_each_key_after_its_commented_example(qemu):
    before = read(qemu)
    result, fake = run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS, 'mode': '0600'})
    after = read(qemu)
    assert result['changed'] and result['commands'] == [] and fake.calls == []
    assert sorted(result['changes']) == sorted('%s: added (%s)' % kv for kv in QEMU_KEYS.items())
    lines = after.splitlines()
    for key, value in QEMU_KEYS.items():
        assert lines.count('%s=%s' % (key, value)) == 1
        i = lines.index('%s=%s' % (key, value))
        assert lines[i - 1].startswith('#%s = ' % key), (key, lines[i - 1])
    # nothing else moved: removing the four new lines gives the stock file back
    assert '\n'.join(ln for ln in lines if ln not in ['%s=%s' % kv for kv in QEMU_KEYS.items()]) + '\n' == before
    assert result['diff']['before'] == before and result['diff']['after'] == after
    assert stat.S_IMODE(os.stat(qemu).st_mode) == 0o600


def test_second_run_changes_nothing(qemu):
    run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS})
    text = read(qemu)
    result, dummy = run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS, 'mode': '0600'})
    assert not result['changed'] and result['changes'] == []
    assert read(qemu) == text


def test_hand_edit_and_duplicate_are_repaired_in_place(qemu):
    run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS})
    good = read(qemu)
    with open(qemu, 'a') as f:
        f.write('vnc_listen = "127.0.0.1"\n')
    drifted = read(qemu).replace('vnc_listen="0.0.0.0"', 'vnc_listen="::1"')
    with open(qemu, 'w') as f:
        f.write(drifted)
    result, dummy = run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS})
    # the reader takes the last assignment, so that is the value the host had
    assert result['changed'] and result['changes'] == ['vnc_listen: "127.0.0.1" -> "0.0.0.0"']
    assert read(qemu) == good


def test_check_mode_predicts_the_real_run_and_writes_nothing(qemu, tmp_path):
    before = read(qemu)
    predicted, dummy = run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS}, check_mode=True)
    assert read(qemu) == before
    real, dummy = run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS})
    assert predicted == real


def test_check_mode_on_a_missing_file_says_it_would_create_it(tmp_path):
    path = str(tmp_path / 'agent' / 'agent.properties')
    result, dummy = run_module(conf_keys.main, {'path': path, 'keys': AGENT_KEYS}, check_mode=True)
    assert result['changed'] and result['created'] and not os.path.exists(path)


def test_missing_file_is_created_with_the_mode_asked(tmp_path):
    path = str(tmp_path / 'agent' / 'agent.properties')
    result, dummy = run_module(conf_keys.main, {'path': path, 'keys': AGENT_KEYS, 'mode': '0640'})
    assert result['changed'] and result['created']
    assert read(path) == ''.join('%s=%s\n' % kv for kv in AGENT_KEYS.items())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_agent_properties_keeps_what_setup_agent_owns(agent):
    before = read(agent)
    result, dummy = run_module(conf_keys.main, {'path': agent, 'keys': AGENT_KEYS, 'colon': True})
    after = read(agent)
    assert 'host: localhost -> 10.0.0.5,10.0.0.6' in result['changes']
    for line in ('guid=', 'zone=default', 'local.storage.uuid=', 'workers=5'):
        assert line in after.splitlines()
    lines = after.splitlines()
    assert lines[lines.index('hypervisor.type=kvm') - 1] == '#hypervisor.type=kvm'
    assert len(lines) == len(before.splitlines()) + 3  # three added, host= replaced


def test_colon_assignment_is_found_and_rewritten(agent):
    with open(agent, 'a') as f:
        f.write('guest.cpu.mode : custom\n')
    result, dummy = run_module(conf_keys.main, {'path': agent, 'keys': {'guest.cpu.mode': 'host-model'},
                                                'colon': True})
    assert result['changes'] == ['guest.cpu.mode: custom -> host-model']
    assert 'guest.cpu.mode=host-model' in read(agent).splitlines()
    assert 'guest.cpu.mode : custom' not in read(agent)


def test_spacing_only_difference_is_a_change_with_a_sentence(qemu):
    with open(qemu, 'a') as f:
        f.write('user = "root"\n')
    result, dummy = run_module(conf_keys.main, {'path': qemu, 'keys': {'user': '"root"'}})
    assert result['changed'] and result['changes'] == ['owned keys rewritten as key=value (spacing or duplicate lines)']
    assert read(qemu).splitlines().count('user="root"') == 1


def test_absent_removes_assignments_and_keeps_comments(agent):
    result, dummy = run_module(conf_keys.main, {'path': agent, 'absent': ['workers']})
    assert result['changes'] == ['workers: removed (was 5)']
    assert 'workers=5' not in read(agent)


def test_booleans_and_numbers_are_written_the_java_way(agent):
    run_module(conf_keys.main, {'path': agent, 'keys': {'vm.migrate.pauseafter': 0, 'vm.rng.enable': True}})
    lines = read(agent).splitlines()
    assert 'vm.migrate.pauseafter=0' in lines and 'vm.rng.enable=true' in lines


def test_attributes_alone_are_a_change(qemu):
    run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS})
    os.chmod(qemu, 0o644)
    result, dummy = run_module(conf_keys.main, {'path': qemu, 'keys': QEMU_KEYS, 'mode': '0600'})
    assert result['changed'] and result['changes'] == []
    assert stat.S_IMODE(os.stat(qemu).st_mode) == 0o600


@pytest.mark.parametrize('args, words', [
    ({'keys': {'bad key': 'x'}}, ["'bad key'", 'not a key name']),
    ({'keys': {'a=b': 'x'}}, ["'a=b'"]),
    ({'keys': {'user': '"root"'}, 'absent': ['user']}, ["'user'", 'both']),
    ({'keys': {'user': None}}, ["'user'", 'no single value']),
    ({'keys': {'user': ['a', 'b']}}, ["'user'", 'no single value']),
    ({'keys': {'user': 'a\nvnc_listen="1.2.3.4"'}}, ["'user'", 'spans lines']),
])
def test_bad_input_fails_with_a_sentence_and_touches_nothing(qemu, args, words):
    before = read(qemu)
    args = dict({'path': qemu}, **args)
    result, dummy = fail_module(conf_keys.main, args)
    for w in words:
        assert w in result['msg']
    assert read(qemu) == before


def test_missing_file_without_create_is_an_error_and_stays_missing(tmp_path):
    path = str(tmp_path / 'absent' / 'qemu.conf')
    result, dummy = fail_module(conf_keys.main, {'path': path, 'keys': {'user': 'x'}, 'create': False})
    assert path in result['msg'] and 'create is false' in result['msg']
    assert not os.path.exists(os.path.dirname(path))


def test_a_directory_is_refused(tmp_path):
    result, dummy = fail_module(conf_keys.main, {'path': str(tmp_path), 'keys': {'a': 'b'}})
    assert 'is a directory' in result['msg']
