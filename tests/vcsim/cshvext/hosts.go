// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

package cshvext

import (
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// hostState is what the extension keeps per host beside govmomi's HostSystem.
// Every manager of one host locks mu, so calls on one host are serialised.
type hostState struct {
	mu       sync.Mutex
	id       int
	host     *simulator.HostSystem
	selected map[string][]string // HostVirtualNicManager: traffic type -> vmk devices
	nextPort int
	vnicMgr  *VirtualNicManager
}

var (
	statesMu sync.Mutex
	states   = map[types.ManagedObjectReference]*hostState{}
	nextID   = 0
)

func stateOf(host *simulator.HostSystem) *hostState {
	statesMu.Lock()
	defer statesMu.Unlock()
	if st, ok := states[host.Self]; ok {
		return st
	}
	nextID++
	st := &hostState{id: nextID, host: host}
	states[host.Self] = st
	return st
}

// extendHost gives a newly created host its own managers, one extension per concern.
func extendHost(host *simulator.HostSystem) {
	statesMu.Lock()
	_, done := states[host.Self]
	statesMu.Unlock()
	if done {
		return
	}
	for _, f := range hostExtensions {
		f(host)
	}
}

var hostExtensions []func(*simulator.HostSystem)

func forgetHost(ref types.ManagedObjectReference) {
	statesMu.Lock()
	delete(states, ref)
	statesMu.Unlock()
}
