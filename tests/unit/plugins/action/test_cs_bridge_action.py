# SPDX-License-Identifier: GPL-3.0-or-later
"""cs_bridge's action plugin: the controller side of the confirm-or-roll-back protocol.

(Kept apart from the module's tests: ansible-test runs tests under
tests/unit/plugins/modules with only module-side imports available.)
"""
from __future__ import annotations

from unittest import mock

from ansible.errors import AnsibleConnectionFailure

from ansible_collections.cloudstack.hypervisors.plugins.action import cs_bridge as action
from ansible_collections.cloudstack.hypervisors.plugins.module_utils import _rollback


# --------------------------------------------------------------------------
# the action plugin (controller side of the protocol), with a fake connection
# --------------------------------------------------------------------------

class FakeConnection(object):
    def __init__(self, reachable):
        self.host = '10.99.3.11'
        self.reachable = reachable      # callable(host) -> bool
        self.resets = 0
        self._shell = mock.Mock(tmpdir=None)

    def get_option(self, name):
        return self.host

    def set_option(self, name, value):
        self.host = value

    def reset(self):
        self.resets += 1


def make_action(args, reachable, check_mode=False):
    task = mock.Mock(args=args, check_mode=check_mode, async_val=0, environment=[], action='cs_bridge')
    conn = FakeConnection(reachable)
    act = action.ActionModule(task, conn, mock.Mock(remote_addr='10.99.3.11'), None, None, None)
    log = []

    def execute(module_name=None, module_args=None, task_vars=None, wrap_async=False, **kw):
        log.append(('execute', module_name, wrap_async, task.async_val, dict(task.environment[-1])))
        return {'ansible_job_id': 'j1', 'started': 1, 'finished': 0} if wrap_async else {'changed': False}

    def shell(cmd, sudoable=True, **kw):
        if not conn.reachable(conn.host):
            raise AnsibleConnectionFailure('unreachable')
        log.append(('shell', conn.host, cmd))
        return {'rc': 0, 'stdout': 'CONFIRMED' if 'CONFIRMED' in cmd and 'applied' in cmd else ''}
    act._execute_module = execute
    act._low_level_execute_command = shell
    return act, task, conn, log


def test_action_without_management_runs_the_module_once_with_the_controller_address():
    act, task, conn, log = make_action({'name': 'cloudbr0', 'ports': ['eth1']}, lambda h: True)
    act.run(task_vars={})
    assert log == [('execute', 'cloudstack.hypervisors.cs_bridge', False, 0,
                    {_rollback.ENV_CONTROLLER: '10.99.3.11'})]
    assert task.environment == []


def test_action_management_confirms_over_a_fresh_connection_on_the_new_address():
    done = {'n': 0}

    def status(jid, task_vars, mode='status'):
        done['n'] += 1
        return {'finished': done['n'] > 1, 'changed': True, 'confirmed': True, 'rolled_back': False}
    act, task, conn, log = make_action({'name': 'cloudbr0', 'management': True, 'rollback_timeout': 10,
                                        'confirm_host': '10.99.4.11'}, lambda h: True)
    act._async_status = status
    result = act.run(task_vars={'inventory_hostname': 'h1'})
    assert result['confirmed'] and 'ansible_job_id' not in result
    kind, name, wrap_async, async_val, env = log[0]
    assert wrap_async and async_val == 2 * 10 + 120 and task.async_val == 0
    assert env[_rollback.ENV_RUN_DIR] == '/run' and len(env[_rollback.ENV_TOKEN]) == 32
    token = env[_rollback.ENV_TOKEN]
    assert log[1] == ('shell', '10.99.3.11', "umask 077; printf %%s %s > /run/cshv-cloudbr0.start" % token)
    assert conn.resets >= 1
    assert log[2][1] == '10.99.4.11' and 'CONFIRMED' in log[2][2]     # confirmation on the new address


def test_action_management_unreachable_reports_the_rollback(monkeypatch):
    clock = iter(range(0, 100000, 3))
    monkeypatch.setattr(action.time, 'time', lambda: next(clock))
    monkeypatch.setattr(action.time, 'sleep', lambda s: None)
    calls = {'n': 0}

    def status(jid, task_vars, mode='status'):
        calls['n'] += 1
        if calls['n'] == 1 or conn.host != '10.99.3.11':
            return {'finished': False}
        return {'finished': True, 'failed': True, 'rolled_back': True, 'confirmed': False,
                'msg': 'No confirmation over a fresh connection within 20s after changing cloudbr0; the host '
                       'rolled back to its previous addresses (host0 10.99.3.11/24).'}
    act, task, conn, log = make_action({'name': 'cloudbr0', 'management': True, 'rollback_timeout': 20,
                                        'confirm_host': '10.99.250.11'}, lambda h: h == '10.99.3.11')
    act._async_status = status
    result = act.run(task_vars={'inventory_hostname': 'h1'})
    assert result['failed'] and result['rolled_back']
    assert result['msg'].startswith('Could not reach h1 on 10.99.250.11 within 20s after changing bridge cloudbr0: '
                                    'no confirmation')
    assert conn.host == '10.99.3.11'             # the result was collected on the old address
    assert not [entry for entry in log if entry[0] == 'shell' and 'CONFIRMED' in entry[2] and entry[1] == '10.99.250.11']


def test_action_management_noop_returns_when_the_job_ends_without_applying(monkeypatch):
    """A run with nothing to change on the management path: the module's job ends without taking
    the start file (it never applies), so the host keeps answering WAITING (start file present,
    no applied file). The plugin must see that the job finished and return at once, not wait out
    rollback_timeout (60 s per host and management bridge on every no-op run, issue 13)."""
    clock = {'t': 0}

    def tick():
        clock['t'] += 1
        return clock['t']
    monkeypatch.setattr(action.time, 'time', tick)
    monkeypatch.setattr(action.time, 'sleep', lambda s: None)
    calls = {'status': 0, 'checks': 0}

    def status(jid, task_vars, mode='status'):
        calls['status'] += 1
        if calls['status'] == 1:          # asked before the job got going
            return {'finished': False}
        return {'finished': True, 'changed': False, 'confirmed': None, 'rolled_back': False}
    act, task, conn, log = make_action({'name': 'cloudbr0', 'management': True, 'rollback_timeout': 60},
                                       lambda h: True)

    def shell(cmd, sudoable=True, **kw):
        if 'CONFIRMED' in cmd:
            calls['checks'] += 1
            return {'rc': 0, 'stdout': 'WAITING\n'}
        return {'rc': 0, 'stdout': ''}
    act._low_level_execute_command = shell
    act._async_status = status
    result = act.run(task_vars={'inventory_hostname': 'h1'})
    assert result['changed'] is False and not result.get('failed'), result
    assert calls['checks'] <= 2, 'the plugin polled %d times for a job that had ended' % calls['checks']
    assert clock['t'] < 20, 'the plugin waited %d s for a job that had ended' % clock['t']
