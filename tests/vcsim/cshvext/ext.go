// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

// Package cshvext extends govmomi 0.24.2's vCenter simulator with the host and
// cluster calls the cloudstack.hypervisors vsphere role makes and the stock
// simulator lacks or does not persist.
//
// Two mechanisms, both without changing govmomi's code:
//
//  1. Host managers: a Registry handler sees every object the simulator creates.
//     When a HostSystem appears (Model.Create, AddHost_Task, AddStandaloneHost_Task),
//     the host's network system, advanced options and firewall are replaced by our
//     own objects and the managers 0.24.2 does not register (virtual NIC manager,
//     date/time, services) are added, each per host.
//  2. Stock objects whose methods must behave differently (a cluster's
//     ReconfigureComputeResource_Task, AddHost_Task, a folder's CreateClusterEx) are
//     not replaced, because govmomi type-switches on them. Instead the SOAP endpoint
//     is fronted: for a (type, method) pair in `overrides`, the request's _this is
//     pointed at a per-object "ops" companion registered in the same Map, whose
//     method does the work on the real object.
package cshvext

import (
	"bytes"
	"io/ioutil"
	"log"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// innerPath is where govmomi's own SDK handler is mounted; /sdk is ours.
const innerPath = "/sdk-stock"

// opsType is the managed object type of the companions that receive overridden calls.
const opsType = "CshvOps"

// overrides lists the (managed object type, method) pairs we serve instead of govmomi.
var overrides = map[string]map[string]bool{}

func override(moType string, methods ...string) {
	if overrides[moType] == nil {
		overrides[moType] = map[string]bool{}
	}
	for _, m := range methods {
		overrides[moType][m] = true
	}
}

// hooks is the Registry handler: it sees every object put into simulator.Map.
type hooks struct {
	self types.ManagedObjectReference
}

func (h *hooks) Reference() types.ManagedObjectReference { return h.self }

func (h *hooks) PutObject(obj mo.Reference) {
	if host, ok := obj.(*simulator.HostSystem); ok {
		extendHost(host)
	}
}

func (h *hooks) UpdateObject(mo.Reference, []types.PropertyChange) {}

func (h *hooks) RemoveObject(ref types.ManagedObjectReference) {
	if ref.Type == "HostSystem" {
		forgetHost(ref)
	}
}

var installOnce sync.Once

// Install must run after simulator.Model.Create (which replaces simulator.Map) and
// before Service.NewServer: it extends the hosts Create made, hooks every later
// object creation, and moves govmomi's SDK handler to innerPath so Mount can front it.
func Install() {
	installOnce.Do(func() {
		simulator.Map.Path = innerPath
		for _, e := range simulator.Map.All("HostSystem") {
			if host, ok := e.(*simulator.HostSystem); ok {
				extendHost(host)
			}
		}
		simulator.Map.AddHandler(&hooks{self: types.ManagedObjectReference{Type: "CshvHooks", Value: "cshv-hooks"}})
		registerOverrides()
	})
}

// Mount registers /sdk, /sdk/vimService and /sdk/vimServiceVersions.xml on the
// service's mux before NewServer adds govmomi's handlers under innerPath.
func Mount(s *simulator.Service) {
	if s.ServeMux == nil {
		s.ServeMux = http.NewServeMux()
	}
	front := func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := ioutil.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			body = redirect(body)
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		r.URL.Path = innerPath
		s.ServeSDK(w, r)
	}
	s.ServeMux.HandleFunc("/sdk", front)
	s.ServeMux.HandleFunc("/sdk/vimService", front)
	s.ServeMux.HandleFunc("/sdk/vimServiceVersions.xml", s.ServiceVersions)
}

var (
	thisRe   = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?_this\b[^>]*\btype="([^"]+)"[^>]*>([^<]*)</(?:[A-Za-z0-9_]+:)?_this>`)
	methodRe = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?Body\b[^>]*>\s*<(?:[A-Za-z0-9_]+:)?([A-Za-z0-9_]+)\b`)
)

// redirect points _this at the ops companion when (type, method) is overridden.
func redirect(body []byte) []byte {
	mm := methodRe.FindSubmatch(body)
	if mm == nil {
		return body
	}
	loc := thisRe.FindSubmatchIndex(body)
	if loc == nil {
		return body
	}
	moType := string(body[loc[2]:loc[3]])
	value := string(body[loc[4]:loc[5]])
	if !overrides[moType][string(mm[1])] {
		return body
	}
	target := types.ManagedObjectReference{Type: moType, Value: value}
	if simulator.Map.Get(target) == nil {
		return body // let govmomi answer ManagedObjectNotFound
	}
	ref := ensureOps(target)
	var out bytes.Buffer
	out.Write(body[:loc[0]])
	out.WriteString(`<_this type="` + ref.Type + `">` + ref.Value + `</_this>`)
	out.Write(body[loc[1]:])
	return out.Bytes()
}

// Ops is the companion of one stock object (cluster, folder) receiving overridden calls.
type Ops struct {
	Self   types.ManagedObjectReference
	Target types.ManagedObjectReference
}

func (o *Ops) Reference() types.ManagedObjectReference { return o.Self }

var opsMu sync.Mutex

func ensureOps(target types.ManagedObjectReference) types.ManagedObjectReference {
	ref := types.ManagedObjectReference{Type: opsType, Value: target.Type + ":" + target.Value}
	opsMu.Lock()
	defer opsMu.Unlock()
	if simulator.Map.Get(ref) == nil {
		simulator.Map.Put(&Ops{Self: ref, Target: target})
	}
	return ref
}

// registerOverrides is filled by the files that implement overridden methods.
func registerOverrides() {
	for _, f := range overrideRegistrations {
		f()
	}
}

var overrideRegistrations []func()

func logf(format string, args ...interface{}) {
	log.Printf("cshvext: "+format, args...)
}

// hostName returns the host's name for fault messages.
func hostName(h *mo.HostSystem) string {
	if h == nil {
		return "?"
	}
	return strings.TrimSpace(h.Name)
}
