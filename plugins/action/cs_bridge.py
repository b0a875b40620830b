# -*- coding: utf-8 -*-
# Copyright (c) cloudstack.hypervisors contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of the confirm-or-roll-back protocol for bridge modules.

Without ``management: true`` (or in check mode) the module simply runs.
With it, and a change that touches the management path:

1. the module is started asynchronously (the plugin sets the async limit
   itself) with a random token; it snapshots state and waits for the
   start file;
2. the plugin writes the start file; the module applies and writes the
   ``applied`` file;
3. the plugin drops its SSH connection (``reset()``) and, over fresh
   connections to ``confirm_host`` (default: the current address), writes
   the confirm file once ``applied`` holds the token;
4. the module keeps the change when confirmed within ``rollback_timeout``,
   otherwise restores the host by itself; the plugin then collects the
   result - from the old address if the new one never answered.
"""

from __future__ import annotations

import secrets
import shlex
import time

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

display = Display()

RUN_DIR = '/run'
# handed to the module through its environment (see module_utils/_rollback.py)
ENV_TOKEN = 'CSHV_BRIDGE_TOKEN'
ENV_RUN_DIR = 'CSHV_BRIDGE_RUN_DIR'
ENV_CONTROLLER = 'CSHV_BRIDGE_CONTROLLER'


class ActionModule(ActionBase):

    MODULE = 'cloudstack.hypervisors.cs_bridge'
    DEFAULT_SUDOABLE = True

    def _host(self):
        try:
            return self._connection.get_option('host') or self._play_context.remote_addr
        except KeyError:
            return self._play_context.remote_addr

    def _set_host(self, host):
        try:
            self._connection.set_option('host', host)
        except KeyError:
            pass
        self._play_context.remote_addr = host

    def _reset(self):
        try:
            self._connection.reset()
        except (AttributeError, AnsibleConnectionFailure):
            pass

    def _async_status(self, jid, task_vars, mode='status'):
        task = self._task.copy()
        task.args = {'jid': jid, 'mode': mode}
        task.action = 'ansible.builtin.async_status'
        task.async_val = 0
        action = self._shared_loader_obj.action_loader.get(
            task.action, task=task, connection=self._connection, play_context=self._play_context,
            loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
        return action.run(task_vars=task_vars)

    def _shell(self, cmd):
        res = self._low_level_execute_command(cmd, sudoable=self.DEFAULT_SUDOABLE)
        return res.get('rc'), res.get('stdout', '')

    def _wait_finished(self, jid, task_vars, timeout):
        deadline = time.time() + timeout
        last = None
        while True:
            try:
                last = self._async_status(jid, task_vars)
                if last.get('finished'):
                    return last
            except AnsibleConnectionFailure as e:
                last = {'failed': True, 'unreachable_reason': str(e)}
                self._reset()
            if time.time() >= deadline:
                return last
            time.sleep(1)

    def _run_module(self, args, task_vars, env, wrap_async=False):
        """Run the module with the protocol variables in its environment only."""
        self._task.environment = list(self._task.environment or []) + [env]
        try:
            return self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars,
                                        wrap_async=wrap_async)
        finally:
            self._task.environment = self._task.environment[:-1]

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        original = self._host()
        env = {ENV_CONTROLLER: original or ''}

        if self._task.check_mode or not boolean(args.get('management', False), strict=False):
            return merge_hash(result, self._run_module(args, task_vars, env))

        name = str(args.get('name'))
        timeout = int(args.get('rollback_timeout') or 60)
        confirm_host = args.get('confirm_host') or original
        token = secrets.token_hex(16)
        env.update({ENV_TOKEN: token, ENV_RUN_DIR: RUN_DIR})
        start, applied, confirm = ['%s/cshv-%s.%s' % (RUN_DIR, name, w) for w in ('start', 'applied', 'confirm')]
        q = shlex.quote

        saved_async = self._task.async_val
        self._task.async_val = 2 * timeout + 120
        try:
            launched = self._run_module(args, task_vars, env, wrap_async=True)
        finally:
            self._task.async_val = saved_async
        jid = launched.get('ansible_job_id')
        if not jid:
            launched.setdefault('failed', True)
            launched.setdefault('msg', 'Could not start %s asynchronously.' % self.MODULE)
            return merge_hash(result, launched)

        # early errors (bad input, management path refused) or a change without management impact
        status = self._async_status(jid, task_vars)
        if not status.get('finished'):
            self._shell('umask 077; printf %%s %s > %s' % (q(token), q(start)))
            self._reset()
            if confirm_host != original:
                self._set_host(confirm_host)
            deadline = time.time() + timeout
            confirmed = False
            check = ('if [ "$(cat %s 2>/dev/null)" = %s ]; then printf %%s %s > %s && echo CONFIRMED; '
                     'elif [ -f %s ] && [ ! -f %s ]; then echo WAITING; fi'
                     % (q(applied), q(token), q(token), q(confirm), q(start), q(applied)))
            while time.time() < deadline and not confirmed:
                try:
                    rc, out = self._shell(check)
                    confirmed = 'CONFIRMED' in (out or '')
                    # WAITING (start file there, no applied file) is also what a job that ended
                    # without applying leaves behind - a run with nothing to change on the
                    # management path: ask the job, or this would wait out the whole timeout.
                    if not confirmed:
                        status = self._async_status(jid, task_vars)
                        if status.get('finished'):
                            break
                except AnsibleConnectionFailure as e:
                    display.vvv('cs_bridge: %s not reachable yet on %s: %s' % (name, confirm_host, e))
                    self._reset()
                if not confirmed:
                    time.sleep(1)
            if not confirmed and confirm_host != original:
                # the host rolls back to its old address: collect the result there
                self._reset()
                self._set_host(original)
            status = self._wait_finished(jid, task_vars, timeout + 90)
            if not confirmed and not status.get('finished'):
                if confirm_host != original:
                    self._set_host(original)
                return merge_hash(result, dict(
                    failed=True, unreachable=False, rolled_back=None,
                    msg='Could not reach %s on %s within %ds after changing bridge %s, and could not collect the '
                        'outcome afterwards (%s). The host should have rolled back by itself; check its console.'
                        % (task_vars.get('inventory_hostname', original), confirm_host, timeout, name,
                           status.get('unreachable_reason') or status.get('msg') or 'no result')))
            if not confirmed and status.get('rolled_back'):
                detail = status.get('msg', '')
                status['msg'] = ('Could not reach %s on %s within %ds after changing bridge %s: %s'
                                 % (task_vars.get('inventory_hostname', original), confirm_host, timeout, name,
                                    detail[:1].lower() + detail[1:]))
        try:
            self._async_status(jid, task_vars, mode='cleanup')
            self._shell('rm -f %s %s %s' % (q(start), q(applied), q(confirm)))
        except AnsibleConnectionFailure:
            pass
        for key in ('ansible_job_id', 'results_file', 'started', 'finished', 'stdout', 'stderr',
                    'stdout_lines', 'stderr_lines', 'erased'):
            status.pop(key, None)
        return merge_hash(result, status)
