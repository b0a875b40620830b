# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the XAPI double in the foreground until SIGTERM/SIGINT.

    python3 -m tests.xapi_double --profile xcp-ng-8.3-current \\
        --hosts xs1=192.168.43.21,xs2=192.168.43.22 --port-file /tmp/xapi.json

The port file gets ``{"xs1": "http://127.0.0.1:PORT", ...}`` once every endpoint listens.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from . import XapiDouble, profiles


def parse_hosts(text):
    hosts = []
    for item in text.split(','):
        item = item.strip()
        if not item:
            continue
        name, sep, address = item.partition('=')
        if not sep or not name or not address:
            raise argparse.ArgumentTypeError('expected NAME=ADDRESS, got %r' % item)
        hosts.append({'name': name, 'address': address})
    if not hosts:
        raise argparse.ArgumentTypeError('no hosts given')
    return hosts


def write_json(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python3 -m tests.xapi_double', description=__doc__.splitlines()[0])
    parser.add_argument('--profile', default=profiles.DEFAULT_PROFILE, choices=sorted(profiles.PROFILES))
    parser.add_argument('--hosts', required=True, type=parse_hosts, help='NAME=ADDRESS[,NAME=ADDRESS...]')
    parser.add_argument('--hosts-json', help='JSON file with a list of host specs (overrides per host)')
    parser.add_argument('--username', default='root')
    parser.add_argument('--password', default=os.environ.get('XAPI_DOUBLE_PASSWORD', 'secret'))
    parser.add_argument('--port-file', required=True)
    parser.add_argument('--address-file', help='also write {management address: endpoint} as JSON here')
    args = parser.parse_args(argv)
    hosts = args.hosts
    if args.hosts_json:
        with open(args.hosts_json, encoding='utf-8') as fh:
            hosts = json.load(fh)
    double = XapiDouble(profile=args.profile, hosts=hosts, username=args.username, password=args.password)
    double.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if args.address_file:
        by_address = {sim.address: sim.endpoint for sim in double.world.hosts.values()}
        write_json(args.address_file, by_address)
    write_json(args.port_file, double.endpoints)     # last: its presence means "ready"
    try:
        done.wait()
    finally:
        double.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
