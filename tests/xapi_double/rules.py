# Copyright (c) 2026 The cloudstack.hypervisors authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""The behaviour of the calls that do more than read or write one field.

Each rule names the xapi source it follows (xapi-project/xen-api master e2ee48d,
Aug 2026; paths relative to that repository).  The code is written for this double
from reading those sources; nothing is copied.  Error codes are the strings of
``ocaml/xapi-consts/api_errors.ml`` (note several have no ``POOL_`` prefix:
``HOSTS_NOT_COMPATIBLE``, ``HOSTS_NOT_HOMOGENEOUS``, ``JOINING_HOST_*``).
"""
from __future__ import annotations

from . import signatures
from .model import NULL, XapiError, new_ref

AUTH_FAILURE_MESSAGE = 'Authentication failure'


# --------------------------------------------------------------------------- session
def login(world, sim, uname, pwd, originator=''):
    """session.login_with_password on sim's endpoint.

    ``ocaml/xapi/xapi_session.ml: login_with_password``: a pool member (slave) refuses
    every password login with HOST_IS_SLAVE [master address] *before* looking at the
    credentials; a wrong local-superuser password gives SESSION_AUTHENTICATION_FAILED
    [uname, PAM message] (``thread_delay_and_raise_error``; the 5 s anti-brute-force
    delay is not reproduced).
    """
    pool = world.pool_of_host(sim.host_ref)
    master = world.master_of(pool)
    if master != sim.host_ref:
        raise XapiError('HOST_IS_SLAVE', world.rec('host', master)['address'])
    if uname != sim.username or pwd != sim.password:
        raise XapiError('SESSION_AUTHENTICATION_FAILED', uname, AUTH_FAILURE_MESSAGE)
    ref = new_ref()
    world.sessions[ref] = {'pool': pool, 'host': sim.name, 'user': uname, 'originator': originator}
    return ref


def session_pool(world, sim, session):
    """The pool a session is valid in, or SESSION_INVALID [ref].

    A session lives in its pool's database; when the host it was made on restarts its
    toolstack (pool.join, pool.eject) every session made there is gone
    (``xapi_session.ml``: sessions are database rows; the joiner's database is replaced).
    """
    info = world.sessions.get(session) if isinstance(session, str) else None
    if info is None or info['host'] != sim.name or world.pool_of_host(sim.host_ref) != info['pool'] \
            or world.master_of(info['pool']) != sim.host_ref:
        raise XapiError('SESSION_INVALID', session)
    return info['pool']


def drop_sessions_of(world, sim_name):
    for ref in [r for r, info in world.sessions.items() if info['host'] == sim_name]:
        del world.sessions[ref]


# --------------------------------------------------------------------------- helpers
def management_pif(world, pool, host):
    pifs = world.find(pool, 'PIF', host=host, management=True)
    return pifs[0] if pifs else NULL


def bridge_position(world, pif):
    """``xapi_pif_helpers.ml: get_pif_position``: N of the PIF's network bridge ``xenbrN``."""
    bridge = world.rec('network', world.rec('PIF', pif)['network'])['bridge']
    if bridge.startswith('xenbr') and bridge[5:].isdigit():
        return int(bridge[5:])
    return None


def vlan_tag_of_management(world, pool, host):
    pif = management_pif(world, pool, host)
    return world.rec('PIF', pif)['VLAN'] if pif != NULL else -1


# --------------------------------------------------------------------------- pool.join
def pool_join(world, sim, pool, master_address, master_username, master_password, force=False):
    """pool.join / pool.join_force, called with a session on the joining host.

    ``ocaml/xapi/xapi_pool.ml: join_common``: first log in to the master with the given
    credentials (a wrong password propagates SESSION_AUTHENTICATION_FAILED; an address
    nobody answers on gives JOINING_HOST_CONNECTION_FAILED, from ``rpc``), then
    ``pre_join_checks`` in its order, then the database merge.
    """
    target = world.sim_by_address(master_address)
    if target is None or target.endpoint is None:
        # xapi_pool.ml: rpc -> Connection_reset -> pool_joining_host_connection_failed
        raise XapiError('JOINING_HOST_CONNECTION_FAILED')
    # xapi_pool.ml: join_common logs in on the master first (HOST_IS_SLAVE / auth failure propagate)
    login(world, target, master_username, master_password, 'xapi pool join')
    mpool = world.pool_of_host(target.host_ref)
    mhost = world.master_of(mpool)
    me = sim.host_ref
    pre_join_checks(world, sim, pool, me, mpool, mhost, force)
    merge_into_pool(world, sim, pool, mpool, mhost)


def compatibility(sw):
    """``xapi_pool.ml: assert_hosts_compatible``: platform version and compatibility name
    (product_brand if present, else platform_name)."""
    return (sw.get('platform_version'), sw.get('product_brand', sw.get('platform_name')))


def homogeneity(sw):
    """``xapi_pool.ml: assert_hosts_homogeneous``: xapi version, compatibility name, git id,
    linux pack present -- not the build number (CA-249786), not the product version."""
    return (sw.get('xapi', ''), sw.get('product_brand', sw.get('platform_name', '')), sw.get('git_id', ''),
            'xs:linux' in sw)


def pre_join_checks(world, sim, pool, me, mpool, mhost, force):
    """``xapi_pool.ml: pre_join_checks`` -- the asserts the double can model, in xapi's order."""
    myrec = world.rec('host', me)
    mrec = world.rec('host', mhost)
    mysw = myrec['software_version']
    msw = mrec['software_version']
    # 1. assert_pool_size_unrestricted: LICENCE_RESTRICTION [Pool_size] when the pool's licence
    #    restricts pool size (xapi_globs.ml: restricted_pool_size = 3)
    if world.rec('pool', mpool).get('restrictions', {}).get('restrict_pool_size') == 'true' \
            and len(world.visible(mpool, 'host')) >= 3:
        raise XapiError('LICENCE_RESTRICTION', 'Pool_size')
    # 2. assert_management_interface_exists -> HOST_STILL_BOOTING
    if management_pif(world, pool, me) == NULL:
        raise XapiError('HOST_STILL_BOOTING')
    # 3. ha_is_not_enable_on_me / ha_is_not_enable_on_the_distant_pool -> HA_IS_ENABLED
    if world.rec('pool', pool)['ha_enabled']:
        raise XapiError('HA_IS_ENABLED')
    if world.rec('pool', mpool)['ha_enabled']:
        raise XapiError('HA_IS_ENABLED')
    # 4. assert_not_joining_myself: the master's uuid is mine
    if mrec['uuid'] == myrec['uuid']:
        msg = 'Host is already part of a pool' if len(world.visible(pool, 'host')) > 1 \
            else 'Host cannot become slave of itself'
        raise XapiError('OPERATION_NOT_ALLOWED', msg)
    # 5. assert_i_know_of_no_other_hosts
    if len(world.visible(pool, 'host')) > 1:
        raise XapiError('JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS')
    # 6. assert_no_running_vms_on_me (control domain excluded)
    for vm in world.visible(pool, 'VM').values():
        if not vm['is_control_domain'] and vm['power_state'] == 'Running':
            raise XapiError('JOINING_HOST_CANNOT_HAVE_RUNNING_VMS')
    # 7. assert_hosts_compatible: (platform_version, product_brand or platform_name) must be equal
    if compatibility(mysw) != compatibility(msw):
        raise XapiError('HOSTS_NOT_COMPATIBLE')
    # 8. assert_hosts_homogeneous (skipped by join_force): xapi version, brand, git_id, linux pack
    #    (not the build number, CA-249786), then the CPU vendor
    if not force:
        if homogeneity(mysw) != homogeneity(msw):
            raise XapiError('HOSTS_NOT_HOMOGENEOUS', 'Software version differs')
        if myrec['cpu_info'].get('vendor') != world.rec('pool', mpool)['cpu_info'].get('vendor'):
            raise XapiError('HOSTS_NOT_HOMOGENEOUS', 'CPUs differ')
    # 9. assert_no_shared_srs_on_me
    if any(sr['shared'] for sr in world.visible(pool, 'SR').values()):
        raise XapiError('JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS')
    # 10. assert_no_bonds_on_me (xen-api PR 2046)
    if world.visible(pool, 'Bond'):
        raise XapiError('POOL_JOINING_HOST_HAS_BONDS')
    # 11. (tunnels, SR-IOV: not modelled)  assert_no_non_management_vlans_on_me
    for vlan in world.visible(pool, 'VLAN').values():
        if not world.rec('PIF', vlan['untagged_PIF'])['management']:
            raise XapiError('POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS')
    # 12. assert_management_vlan_are_same: params = [my tag, master's tag] (-1 = untagged)
    mine = vlan_tag_of_management(world, pool, me)
    theirs = vlan_tag_of_management(world, mpool, mhost)
    if mine != theirs:
        raise XapiError('POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH', str(mine), str(theirs))
    # 13. assert_homogeneous_vswitch_configuration: my backend vs the master's software_version
    #     network_backend (missing key = bridge)
    if sim.backend != msw.get('network_backend', 'bridge'):
        raise XapiError('OPERATION_NOT_ALLOWED', 'Network backends differ')
    # 14. assert_api_version_matches: params ["my.major.minor", "master's"]
    if (myrec['API_version_major'], myrec['API_version_minor']) != (mrec['API_version_major'],
                                                                    mrec['API_version_minor']):
        raise XapiError('POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION',
                        '%s.%s' % (myrec['API_version_major'], myrec['API_version_minor']),
                        '%s.%s' % (mrec['API_version_major'], mrec['API_version_minor']))
    # 15. assert_db_schema_matches: params [mine, master's]
    if not mysw.get('db_schema') or mysw.get('db_schema') != msw.get('db_schema'):
        raise XapiError('POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA', mysw.get('db_schema', ''),
                        msw.get('db_schema', ''))
    # 16. assert_tls_verification_matches (xapi >= 1.290.0 only: older xapi has neither the
    #     pool field nor the check)
    if signatures.available(signatures.TLS_SINCE, mysw.get('xapi', '0')) \
            and world.rec('pool', pool)['tls_verification_enabled'] != world.rec('pool', mpool)['tls_verification_enabled']:
        raise XapiError('POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH')


def merge_into_pool(world, sim, pool, mpool, mhost):
    """What the join leaves in the master's database, and what the joiner does on restart.

    * ``xapi_pool.ml: create_or_get_host_on_master``: the host record is copied (other_config
      too); the double keeps its ref and uuid.
    * ``xapi_pool.ml: create_or_get_network_on_master``: a physical network (bridge
      ``xenbrN``) is merged with the master's network of the same bridge; otherwise the
      joiner's network is created on the master.
    * ``xapi_pool.ml: create_or_get_pif_on_master`` (``PIF.pool_introduce``): the PIF keeps
      its IP configuration, other_config and disallow_unplug.
    * after the toolstack restart, ``sync_networking.ml: copy_bonds_from_master`` recreates
      the master's bonds on the new member (see ``copy_bonds_from_master`` below).
    """
    me = sim.host_ref
    net_map = {}
    for net, nrec in list(world.visible(pool, 'network').items()):
        pifs = world.find(pool, 'PIF', network=net)
        physical = bool(pifs) and world.rec('PIF', pifs[0])['physical']
        same = world.find(mpool, 'network', bridge=nrec['bridge']) if physical else []
        if pifs and world.rec('PIF', pifs[0])['VLAN'] != -1 and world.rec('PIF', pifs[0])['management']:
            # xapi_pool.ml: create_or_get_pif_on_master -- a management VLAN PIF goes onto the
            # network of the master's management interface (pre-checks made the tags equal)
            same = [world.rec('PIF', management_pif(world, mpool, mhost))['network']]
        if same:
            net_map[net] = same[0]
            world.delete('network', net)
        else:
            # a physical network the master lacks is introduced with its bridge; any other
            # network is recreated as an internal network with a fresh xapiN bridge
            world.owner[net] = mpool
            net_map[net] = net
            if not physical:
                nrec['bridge'] = world.free_bridge(mpool)
    for cls in ('host', 'PIF', 'PIF_metrics', 'VLAN', 'VM', 'VM_metrics', 'SR', 'PBD'):
        for ref in list(world.visible(pool, cls)):
            world.owner[ref] = mpool
    for pif in world.find(mpool, 'PIF', host=me):
        rec = world.rec('PIF', pif)
        rec['network'] = net_map.get(rec['network'], rec['network'])
    world.delete('pool', pool)
    drop_sessions_of(world, sim.name)
    # the new member restarts its toolstack; xapi marks the host enabled once it is up
    # again.  The double can keep it disabled for the first N reads of its record
    # (World.join_enable_after), so that a caller's wait loop is exercised.
    if world.join_enable_after > 0:
        world.rec('host', me)['enabled'] = False
        world.pending_enable[me] = world.join_enable_after
    else:
        world.rec('host', me)['enabled'] = True
    copy_bonds_from_master(world, mpool, mhost, me)


def note_host_read(world, host):
    """Count a read of a joining host's record; enable it after enough reads."""
    left = world.pending_enable.get(host)
    if left is None:
        return
    if left <= 1:
        del world.pending_enable[host]
        if host in world.tables['host']:
            world.rec('host', host)['enabled'] = True
    else:
        world.pending_enable[host] = left - 1


def copy_bonds_from_master(world, pool, master, me):
    """``sync_networking.ml: copy_bonds_from_master``, run by a member at every toolstack start
    (after a join, and on ``XapiDouble.restart_toolstack``).

    For each bond on the master: the member's PIFs are found by position (the N of the
    master member's network bridge ``xenbrN``, ``xapi_pif_helpers.ml: get_pif_position``),
    the one matching the master's MAC-donor slave first.  Then, by what the member has on
    the bond's network:
    * nothing, and some of those NICs -> ``Xapi_bond.create`` with the master's mode and
      properties (MAC ""), a partial bond if NICs are missing; no NICs -> nothing;
    * a bond whose slaves differ from that set -> destroyed and created again;
    * a bond with the same slaves -> left alone (its mode is *not* synced);
    * a plain PIF -> left alone (xapi only logs a warning).
    """
    my_physical = [(p, bridge_position(world, p)) for p in world.find(pool, 'PIF', host=me, physical=True)]
    for bond_ref in list(world.visible(pool, 'Bond')):
        if bond_ref not in world.tables['Bond']:
            continue
        bond = world.rec('Bond', bond_ref)
        bmaster = world.rec('PIF', bond['master'])
        if bmaster['host'] != master:
            continue
        network = bmaster['network']
        slaves = world.find(pool, 'PIF', bond_slave_of=bond_ref)
        positions = [bridge_position(world, s) for s in slaves]
        donor = [bridge_position(world, s) for s in slaves if world.rec('PIF', s)['MAC'] == bmaster['MAC']]
        mine = [p for p, pos in my_physical if pos is not None and pos in positions]
        if len(donor) == 1:
            first = [p for p, pos in my_physical if pos == donor[0] and p in mine]
            if first:
                mine = first + [p for p in mine if p != first[0]]
        on_network = world.find(pool, 'PIF', host=me, network=network)
        if not on_network:
            if mine:
                bond_create(world, pool, network, mine, '', bond['mode'], dict(bond['properties']),
                            check_network=False)
            continue
        my_bonds = world.find(pool, 'Bond', master=on_network[0])
        if not my_bonds:
            continue
        current = set(world.find(pool, 'PIF', bond_slave_of=my_bonds[0]))
        if current != set(mine):
            bond_destroy(world, pool, my_bonds[0])
            bond_create(world, pool, network, mine, '', bond['mode'], dict(bond['properties']),
                        check_network=False)


def restart_toolstack(world, sim):
    """What a toolstack restart on sim's host does in the double: its sessions end and, on
    a pool member, the master's bonds are synced again (``copy_bonds_from_master``)."""
    drop_sessions_of(world, sim.name)
    pool = world.pool_of_host(sim.host_ref)
    master = world.master_of(pool)
    if master != sim.host_ref:
        copy_bonds_from_master(world, pool, master, sim.host_ref)


# --------------------------------------------------------------------------- pool.eject
def pool_eject(world, pool, host):
    """pool.eject on the master (``xapi_pool.ml: eject``).

    Ejecting the master raises ``Cannot_eject_master``, an OCaml exception that xapi's
    dispatcher reports as INTERNAL_ERROR.  Otherwise the host record (and everything
    on it) leaves the pool's database, and the ejected host reboots into a fresh
    standalone pool (``eject_self``): management back on its first NIC with its address,
    no bonds, default network names.
    """
    if world.master_of(pool) == host:
        raise XapiError('INTERNAL_ERROR', 'Xapi_pool.Cannot_eject_master')
    sim = world.sim_by_ref(host)
    world.remove_host_objects(host)
    drop_sessions_of(world, sim.name)
    world.fresh_host(sim)


# --------------------------------------------------------------------------- Bond
BOND_PROPERTY_RULES = {
    # xapi_bond.ml: requirements_of_mode `lacp (key -> (default, validator))
    'lacp': {
        'hashing_algorithm': ('tcpudp_ports', lambda v: v in ('src_mac', 'tcpudp_ports')),
        'lacp-time': ('slow', lambda v: v in ('fast', 'slow')),
        'lacp-aggregation-key': (None, lambda v: v.lstrip('-').isdigit()),
        'lacp-fallback-ab': ('true', lambda v: v in ('true', 'false')),
    },
}


def validate_kvpair(rules, key, value):
    """``map_check.ml: validate_kvpair``: an unknown key or a bad value is
    INVALID_VALUE ["properties", "key = value"]."""
    if key not in rules or not rules[key][1](value):
        raise XapiError('INVALID_VALUE', 'properties', '%s = %s' % (key, value))


def add_defaults(rules, properties):
    """``map_check.ml: add_defaults``: missing keys that have a default get it."""
    out = dict(properties)
    for key, (default, _check) in rules.items():
        if default is not None and key not in out:
            out[key] = default
    return out


def validate_properties(mode, properties):
    """``xapi_bond.ml: create``: every given property must be valid for the mode
    (``requirements_of_mode``: only lacp has any), then lacp's defaults are added."""
    rules = BOND_PROPERTY_RULES.get(mode, {})
    for key, value in properties.items():
        validate_kvpair(rules, key, value)
    return add_defaults(rules, properties)


def choose_bond_device(world, pool, host):
    """``xapi_bond.ml: choose_bond_device_name``: the first ``bondN`` (N >= 0) unused on the host."""
    used = set()
    for pif in world.find(pool, 'PIF', host=host):
        if world.find(pool, 'Bond', master=pif):
            used.add(world.rec('PIF', pif)['device'])
    n = 0
    while 'bond%d' % n in used:
        n += 1
    return 'bond%d' % n


def move_configuration(world, src, dst):
    """``xapi_bond.ml: move_configuration``: IP config of src goes to dst, src is left with none."""
    s = world.rec('PIF', src)
    d = world.rec('PIF', dst)
    for key in ('ip_configuration_mode', 'IP', 'netmask', 'gateway', 'DNS'):
        d[key] = s[key]
    s.update({'ip_configuration_mode': 'None', 'IP': '', 'netmask': '', 'gateway': '', 'DNS': ''})


def move_management(world, src, dst):
    """``xapi_bond.ml: move_management`` (-> host.management_reconfigure): only dst is management."""
    world.rec('PIF', src)['management'] = False
    world.rec('PIF', dst)['management'] = True
    world.rec('PIF', dst)['currently_attached'] = True


def sync_management_address(world, host):
    """``xapi_mgmt_iface.ml: on_dom0_networking_change``: host.address follows the IP of the
    management interface.  The simulated machine's address follows too, so a join to the
    new address (and HOST_IS_SLAVE answers) use it."""
    pool = world.owner[host]
    pif = management_pif(world, pool, host)
    ip = world.rec('PIF', pif)['IP'] if pif != NULL else ''
    if ip and world.rec('host', host)['address'] != ip:
        world.rec('host', host)['address'] = ip
        sim = world.sim_by_ref(host)
        if sim is not None:
            sim.address = ip


def assert_usable_for_management(world, pif):
    """``xapi_pif.ml: assert_usable_for_management``: a bond slave -> CANNOT_PLUG_BOND_SLAVE
    [pif] (``assert_not_bond_slave_of``); no IPv4 configuration ->
    PIF_HAS_NO_NETWORK_CONFIGURATION [pif] (``assert_valid_ip_configuration``)."""
    rec = world.rec('PIF', pif)
    if rec['bond_slave_of'] != NULL:
        raise XapiError('CANNOT_PLUG_BOND_SLAVE', pif)
    if rec['ip_configuration_mode'] == 'None':
        raise XapiError('PIF_HAS_NO_NETWORK_CONFIGURATION', pif)


def bond_create(world, pool, network, members, mac, mode, properties, check_network=True):
    """Bond.create (``message_forwarding.ml: Bond.create`` then ``xapi_bond.ml: create``).

    Order of the checks as in the sources:
    * no members -> PIF_BOND_NEEDS_MORE_MEMBERS (message_forwarding; xapi accepts a
      single member -- only the empty list is refused);
    * the network already has a PIF on that host -> NETWORK_ALREADY_CONNECTED [host, pif]
      (``xapi_pif.ml: assert_no_other_local_pifs``);
    * a MAC that is not "" must be valid -> MAC_INVALID [mac];
    * properties validated for the mode (``requirements_of_mode``);
    * each member: already a bond slave -> PIF_ALREADY_BONDED [pif]; a VLAN PIF ->
      PIF_VLAN_EXISTS [device] (``xapi_pif_helpers.ml: bond_is_allowed_on_pif``);
    * members on more than one host -> PIF_CANNOT_BOND_CROSS_HOST;
    * differing PIF properties -> INCOMPATIBLE_PIF_PROPERTIES;
    * more than one member with an IP -> PIF_BOND_MORE_THAN_ONE_IP.
    Then: master PIF ``bondN`` on the network (MTU from the network is left to plug),
    primary slave = the management member, else the first member with an IP, else the
    first member; its IP config moves to the master, management moves to the master,
    disallow_unplug moves to the master if any member had it.  The mode is not checked
    against the network backend: xapi accepts lacp on a bridge-backend host
    (xcp-networkd turns it into a Linux 802.3ad bond), so "lacp needs openvswitch" is a
    support statement of the vendors' docs, not an xapi refusal.
    """
    if not members:
        raise XapiError('PIF_BOND_NEEDS_MORE_MEMBERS')
    members = list(dict.fromkeys(members))   # xapi: List.setify
    host = world.rec('PIF', members[0])['host']
    if check_network:
        existing = world.find(pool, 'PIF', host=host, network=network)
        if existing:
            raise XapiError('NETWORK_ALREADY_CONNECTED', host, existing[0])
    if mac and not is_valid_mac(mac):
        raise XapiError('MAC_INVALID', mac)
    properties = validate_properties(mode, properties)
    recs = [world.rec('PIF', m) for m in members]
    mgmt = [m for m, r in zip(members, recs) if r['management']]
    with_ip = [m for m, r in zip(members, recs) if r['ip_configuration_mode'] != 'None']
    primary = mgmt[0] if mgmt else (with_ip[0] if with_ip else members[0])
    for m, r in zip(members, recs):
        if r['bond_slave_of'] != NULL and r['bond_slave_of'] in world.tables['Bond']:
            raise XapiError('PIF_ALREADY_BONDED', m)
        if r['VLAN'] != -1:
            raise XapiError('PIF_VLAN_EXISTS', r['device'])
    if len({r['host'] for r in recs}) != 1:
        raise XapiError('PIF_CANNOT_BOND_CROSS_HOST')
    if any(r['properties'] != recs[0]['properties'] for r in recs):
        raise XapiError('INCOMPATIBLE_PIF_PROPERTIES')
    if len(with_ip) > 1:
        raise XapiError('PIF_BOND_MORE_THAN_ONE_IP')
    device = choose_bond_device(world, pool, host)
    metrics = world.add('PIF_metrics', pool, {
        'carrier': True, 'vendor_name': '', 'device_name': '', 'speed': 0, 'duplex': True,
        'pci_bus_path': '', 'other_config': {},
    })
    master = world.add('PIF', pool, {
        'device': device, 'network': network, 'host': host,
        'MAC': mac or world.rec('PIF', primary)['MAC'], 'MTU': world.rec('network', network)['MTU'], 'VLAN': -1,
        'metrics': metrics, 'physical': False, 'currently_attached': False, 'ip_configuration_mode': 'None',
        'IP': '', 'netmask': '', 'gateway': '', 'DNS': '', 'bond_slave_of': NULL, 'management': False,
        'other_config': {}, 'disallow_unplug': False, 'ipv6_configuration_mode': 'None', 'IPv6': [''],
        'ipv6_gateway': '', 'primary_address_type': 'IPv4', 'managed': True,
        'properties': dict(recs[0]['properties']), 'capabilities': [],
    })
    bond = world.add('Bond', pool, {
        'master': master, 'other_config': {}, 'primary_slave': primary, 'mode': mode,
        'properties': properties, 'links_up': len(members), 'auto_update_mac': not mac,
    })
    for m in members:
        world.rec('PIF', m)['bond_slave_of'] = bond
        world.rec('PIF', m)['currently_attached'] = False
    move_configuration(world, primary, master)
    if mgmt:
        move_management(world, mgmt[0], master)
    world.rec('PIF', master)['currently_attached'] = True
    if any(r['disallow_unplug'] for r in recs):
        world.rec('PIF', master)['disallow_unplug'] = True
        for r in recs:
            r['disallow_unplug'] = False
    return bond


def bond_destroy(world, pool, bond):
    """Bond.destroy (``xapi_bond.ml: destroy``): IP config and management go back to the
    primary slave, the members are plugged, the master PIF and the Bond are deleted."""
    rec = world.rec('Bond', bond)
    master = rec['master']
    primary = rec['primary_slave']
    members = world.find(pool, 'PIF', bond_slave_of=bond)
    move_configuration(world, master, primary)
    if world.rec('PIF', master)['management']:
        move_management(world, master, primary)
    for m in members:
        world.rec('PIF', m)['bond_slave_of'] = NULL
        world.rec('PIF', m)['currently_attached'] = True
    if world.rec('PIF', master)['disallow_unplug']:
        world.rec('PIF', primary)['disallow_unplug'] = True
    metrics = world.rec('PIF', master)['metrics']
    if metrics in world.tables['PIF_metrics']:
        world.delete('PIF_metrics', metrics)
    world.delete('PIF', master)
    world.delete('Bond', bond)


def bond_set_mode(world, bond, mode):
    """Bond.set_mode (``xapi_bond.ml: set_mode``): the properties that are valid for the new
    mode are kept, the others dropped, and the new mode's defaults added."""
    rec = world.rec('Bond', bond)
    rules = BOND_PROPERTY_RULES.get(mode, {})
    kept = {k: v for k, v in rec['properties'].items() if k in rules and rules[k][1](v)}
    rec['mode'] = mode
    rec['properties'] = add_defaults(rules, kept)


def bond_set_property(world, bond, name, value):
    """Bond.set_property (``xapi_bond.ml: set_property``): validated against the bond's
    *current* mode, so any property of a non-lacp bond is INVALID_VALUE."""
    rec = world.rec('Bond', bond)
    validate_kvpair(BOND_PROPERTY_RULES.get(rec['mode'], {}), name, value)
    rec['properties'][name] = value


def is_valid_mac(mac):
    parts = mac.split(':')
    return len(parts) == 6 and all(len(p) == 2 and all(c in '0123456789abcdefABCDEF' for c in p) for p in parts)


# --------------------------------------------------------------------------- PIF
def pif_reconfigure_ip(world, pool, pif, mode, ip, netmask, gateway, dns):
    """PIF.reconfigure_ip (``xapi_pif.ml: reconfigure_ip``), in its order:

    * HA enabled and the PIF attached (unless only DNS changes in Static mode) -> HA_IS_ENABLED;
    * Static: IP and netmask must be valid IPv4 -> INVALID_IP_ADDRESS_SPECIFIED ["IP"] / ["netmask"]
      (``helpers.ml: assert_is_valid_ip``);
    * any mode: a non-empty IP, netmask or gateway must be valid (same error, field name);
    * the management PIF cannot get mode None -> PIF_IS_MANAGEMENT_INTERFACE [pif].
    Then mode, IP, netmask and gateway are stored *as given* (also for DHCP/None), DNS
    keeps only the IPv4 entries.
    """
    rec = world.rec('PIF', pif)
    same_static = (mode == 'Static' and rec['ip_configuration_mode'] == mode and rec['IP'] == ip
                   and rec['netmask'] == netmask and rec['gateway'] == gateway)
    if not same_static and rec['currently_attached'] and world.rec('pool', pool)['ha_enabled']:
        raise XapiError('HA_IS_ENABLED')
    if mode == 'Static':
        for field, value in (('IP', ip), ('netmask', netmask)):
            if not is_valid_ip(value):
                raise XapiError('INVALID_IP_ADDRESS_SPECIFIED', field)
    for field, value in (('IP', ip), ('netmask', netmask), ('gateway', gateway)):
        if value and not is_valid_ip(value):
            raise XapiError('INVALID_IP_ADDRESS_SPECIFIED', field)
    if rec['management'] and mode == 'None' and rec['primary_address_type'] == 'IPv4':
        raise XapiError('PIF_IS_MANAGEMENT_INTERFACE', pif)
    ipv4_dns = ','.join(d for d in dns.split(',') if d and is_valid_ip(d.strip()))
    rec.update({'ip_configuration_mode': mode, 'IP': ip, 'netmask': netmask, 'gateway': gateway,
                'DNS': ipv4_dns})
    if rec['management']:
        sync_management_address(world, rec['host'])


def is_valid_ip(text):
    parts = text.split('.')
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 for p in parts)


def pif_unplug(world, pool, pif):
    """PIF.unplug (``xapi_pif.ml: unplug``), in its order: HA -> HA_IS_ENABLED; the
    management PIF -> PIF_IS_MANAGEMENT_INTERFACE [pif] (``assert_not_management_pif``);
    disallow_unplug -> PIF_DOES_NOT_ALLOW_UNPLUG [pif]
    (``xapi_network_attach_helpers.ml: assert_pif_disallow_unplug_not_set``).
    A bond slave is left as it is ("handled with the bond master")."""
    rec = world.rec('PIF', pif)
    if rec['currently_attached'] and world.rec('pool', pool)['ha_enabled']:
        raise XapiError('HA_IS_ENABLED')
    if rec['management']:
        raise XapiError('PIF_IS_MANAGEMENT_INTERFACE', pif)
    if rec['disallow_unplug']:
        raise XapiError('PIF_DOES_NOT_ALLOW_UNPLUG', pif)
    if rec['bond_slave_of'] == NULL:
        rec['currently_attached'] = False


def pif_plug(world, pool, pif):
    """PIF.plug (``xapi_pif.ml: plug``): a bond slave is not brought up ("it has been up
    with bond master") -- no error, no change; anything else becomes attached."""
    rec = world.rec('PIF', pif)
    if rec['bond_slave_of'] == NULL:
        rec['currently_attached'] = True


def pif_forget(world, pool, pif):
    """PIF.forget (``xapi_pif.ml: forget``), in its order: management ->
    PIF_IS_MANAGEMENT_INTERFACE [pif]; a bond slave or bond master -> PIF_ALREADY_BONDED [pif]
    (``assert_not_in_bond``); the base of a VLAN or a VLAN PIF -> PIF_VLAN_STILL_EXISTS [pif]
    (``assert_no_vlans``); HA on an attached PIF -> HA_IS_ENABLED.  Then the PIF and its
    metrics leave the database (the network stays)."""
    rec = world.rec('PIF', pif)
    if rec['management']:
        raise XapiError('PIF_IS_MANAGEMENT_INTERFACE', pif)
    if (rec['bond_slave_of'] != NULL and rec['bond_slave_of'] in world.tables['Bond']) \
            or world.find(pool, 'Bond', master=pif):
        raise XapiError('PIF_ALREADY_BONDED', pif)
    if world.find(pool, 'VLAN', tagged_PIF=pif) or rec['VLAN'] != -1:
        raise XapiError('PIF_VLAN_STILL_EXISTS', pif)
    if rec['currently_attached'] and world.rec('pool', pool)['ha_enabled']:
        raise XapiError('HA_IS_ENABLED')
    if rec['metrics'] in world.tables['PIF_metrics']:
        world.delete('PIF_metrics', rec['metrics'])
    world.delete('PIF', pif)


def pif_scan(world, pool, host):
    """PIF.scan (``xapi_pif.ml: scan``): every NIC of the machine without a PIF gets one
    (``introduce_internal``), on the pool's network with bridge ``xenbrN`` or, if none, a new
    network "Pool-wide network associated with ethN" (``find_or_create_network``,
    ``helpers.ml: choose_network_name_for_pif``).  No IP configuration, not attached to a bond."""
    sim = world.sim_by_ref(host)
    have = {world.rec('PIF', p)['device'] for p in world.find(pool, 'PIF', host=host, physical=True)}
    for i, dev in enumerate(sim.nics):
        if dev in have:
            continue
        bridge = 'xenbr%s' % (''.join(ch for ch in dev if ch.isdigit()) or str(i))
        nets = world.find(pool, 'network', bridge=bridge)
        net = nets[0] if nets else world.add('network', pool, {
            'name_label': 'Pool-wide network associated with %s' % dev, 'name_description': '', 'MTU': 1500,
            'other_config': {}, 'bridge': bridge, 'managed': True, 'tags': [], 'default_locking_mode': 'unlocked',
            'purpose': [],
        })
        world.new_physical_pif(pool, host, dev, net)


# --------------------------------------------------------------------------- VM / host
def vm_set_memory_limits(world, vm, static_min, static_max, dynamic_min, dynamic_max):
    """VM.set_memory_limits (``xapi_vm.ml: set_memory_limits``).

    * a guest that is not Halted: xapi fails an internal assertion (INTERNAL_ERROR);
    * ``xapi_vm_memory_constraints.ml: assert_valid_for_current_context``: for the control
      domain the limits must be ordered *and pinned at static_max*
      (dynamic_min = dynamic_max = static_max) -> MEMORY_CONSTRAINT_VIOLATION_MAXPIN
      ["control domain"]; for a guest only ordered -> MEMORY_CONSTRAINT_VIOLATION_ORDER;
    * the values are stored with target = dynamic_min (``Vm_memory_constraints.set``);
    * a running control domain gets ``requires_reboot = true`` -- every time, even when
      the values did not change (``set_dom0_memory`` writes dom0_mem= for the next boot).
    """
    rec = world.rec('VM', vm)
    if not rec['is_control_domain'] and rec['power_state'] != 'Halted':
        raise XapiError('INTERNAL_ERROR',
                        'assertion_failed: set_memory_limits should only be called when the VM is Halted')
    ordered = static_min <= dynamic_min <= dynamic_max <= static_max
    if rec['is_control_domain']:
        if not (ordered and dynamic_min == dynamic_max == static_max):
            raise XapiError('MEMORY_CONSTRAINT_VIOLATION_MAXPIN', 'control domain')
    elif not ordered:
        raise XapiError('MEMORY_CONSTRAINT_VIOLATION_ORDER')
    rec.update({'memory_static_min': static_min, 'memory_static_max': static_max,
                'memory_dynamic_min': dynamic_min, 'memory_dynamic_max': dynamic_max,
                'memory_target': dynamic_min})
    if rec['is_control_domain'] and rec['power_state'] == 'Running':
        rec['requires_reboot'] = True


# --------------------------------------------------------------------------- host NTP (xapi >= 26)
def host_set_ntp_mode(world, host, mode):
    """host.set_ntp_mode (``xapi_host.ml: set_ntp_mode``): nothing happens when the mode is
    unchanged; entering Custom with no custom servers -> INVALID_NTP_CONFIG ["Can't set
    ntp_mode to Custom when ntp_custom_servers is empty"] -- set the servers first."""
    rec = world.rec('host', host)
    if rec['ntp_mode'] == mode:
        return
    if mode == 'Custom' and not rec['ntp_custom_servers']:
        raise XapiError('INVALID_NTP_CONFIG', "Can't set ntp_mode to Custom when ntp_custom_servers is empty")
    rec['ntp_mode'] = mode


def host_set_ntp_custom_servers(world, host, servers):
    """host.set_ntp_custom_servers (``xapi_host.ml``): an empty list while in Custom mode ->
    INVALID_NTP_CONFIG; otherwise stored (and, in Custom mode, applied)."""
    rec = world.rec('host', host)
    if rec['ntp_mode'] == 'Custom' and not servers:
        raise XapiError('INVALID_NTP_CONFIG', "Can't set ntp_custom_servers empty when ntp_mode is Custom")
    rec['ntp_custom_servers'] = list(servers)


def host_set_timezone(world, host, value):
    """host.set_timezone (``xapi_host.ml: set_timezone``): timedatectl refuses an unknown zone
    -> INVALID_VALUE ["timezone", value].  The double knows "UTC" and Area/City names."""
    parts = value.split('/')
    if not (value == 'UTC' or (len(parts) >= 2 and all(p and p[0].isupper() for p in parts))):
        raise XapiError('INVALID_VALUE', 'timezone', value)
    world.rec('host', host)['timezone'] = value
