# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for pip's get-pip.py, for `ansible-test sanity --venv` offline.

ansible-test bootstraps pip in each sanity venv by downloading get-pip.py from
a host this project's machines cannot reach.  This script does the same job
from what is already here: ensurepip (bundled with CPython) installs pip into
the venv, then that pip installs the exact version ansible-test asked for from
PyPI.  ansible-test runs it as ``python get_pip_X_Y.py <pip install args>``,
where get-pip's own ``--no-setuptools``/``--no-wheel`` may appear.

ensurepip runs in a child process: in-process it sets PIP_CONFIG_FILE to
/dev/null in os.environ, which would hide the machine's pip configuration
(index, CA bundle) from the pip calls after it.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'], stdout=subprocess.DEVNULL)
pip = [sys.executable, '-m', 'pip']
subprocess.check_call(pip + ['install', '--upgrade', '--quiet'] + args)
if '--no-setuptools' in sys.argv:
    subprocess.check_call(pip + ['uninstall', '--yes', '--quiet', 'setuptools'])
