// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

package cshvext

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// extendHost gives a newly created host its own managers (filled in per concern).
func extendHost(host *simulator.HostSystem) {
	for _, f := range hostExtensions {
		f(host)
	}
}

var hostExtensions []func(*simulator.HostSystem)

func forgetHost(ref types.ManagedObjectReference) {}
