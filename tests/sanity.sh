#!/usr/bin/env bash
# ansible-test sanity on the modules and plugins (see tests/ansible_test.sh).
exec "$(dirname "$0")/ansible_test.sh" sanity "$@"
