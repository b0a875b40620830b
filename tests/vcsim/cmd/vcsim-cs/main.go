// SPDX-License-Identifier: GPL-3.0-or-later
// Copyright: cloudstack.hypervisors contributors

// vcsim-cs runs govmomi's vCenter simulator (Debian's golang-github-vmware-govmomi-dev)
// with the project's extension (package cshvext) for the calls the vsphere role needs.
//
// It listens on 127.0.0.1 only, over HTTPS (govmomi's built-in test certificate),
// writes the bound URL into -port-file once the SDK answers, and exits cleanly on
// SIGTERM/SIGINT. Credentials come from the environment (VCSIM_USERNAME, VCSIM_PASSWORD)
// so that the password never appears on a command line.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"cshv/cshvext"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/vpx"
)

// portInfo is what -port-file receives (JSON, written atomically).
type portInfo struct {
	URL        string `json:"url"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
	PID        int    `json:"pid"`
	Thumbprint string `json:"thumbprint"`
	Version    string `json:"version"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "vcsim-cs: "+format+"\n", args...)
	os.Exit(2)
}

// checkListen refuses anything but 127.0.0.1:<port> (port 0 picks a free one).
func checkListen(addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fail("listen address %q is not host:port: %v", addr, err)
	}
	if host != "127.0.0.1" {
		fail("listen address %q refused: this simulator listens on 127.0.0.1 only", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		fail("listen port %q is not a number between 0 and 65535", port)
	}
}

func writePortFile(path string, info portInfo) {
	data, err := json.Marshal(info)
	if err != nil {
		fail("encoding the port file: %v", err)
	}
	tmp, err := ioutil.TempFile(filepath.Dir(path), ".vcsim-port-")
	if err != nil {
		fail("creating the port file next to %s: %v", path, err)
	}
	if _, err = tmp.Write(append(data, '\n')); err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		fail("writing the port file %s: %v", path, err)
	}
}

func main() {
	listen := flag.String("l", "127.0.0.1:0", "listen address, 127.0.0.1:<port> only (0 = any free port)")
	dc := flag.Int("dc", 0, "datacenters to pre-create (0 = empty inventory: the role creates its own)")
	cluster := flag.Int("cluster", 0, "clusters per pre-created datacenter")
	clusterHost := flag.Int("host", 0, "hosts per pre-created cluster")
	standalone := flag.Int("standalone-host", 0, "standalone hosts per pre-created datacenter")
	version := flag.String("vc-version", "8.0.2", "vCenter version reported in AboutInfo (version, fullName)")
	build := flag.String("vc-build", "22385739", "vCenter build reported in AboutInfo")
	portFile := flag.String("port-file", "", "write {url,host,port,pid,thumbprint,version} as JSON here once serving")
	flag.Parse()

	checkListen(*listen)
	if *dc < 0 || *cluster < 0 || *clusterHost < 0 || *standalone < 0 {
		fail("inventory counts must not be negative")
	}
	if (*cluster > 0 || *standalone > 0) && *dc == 0 {
		fail("-cluster and -standalone-host need -dc 1 or more")
	}

	user := os.Getenv("VCSIM_USERNAME")
	pass := os.Getenv("VCSIM_PASSWORD")
	if user == "" {
		user = "administrator@vsphere.local"
	}
	if pass == "" {
		fail("set VCSIM_PASSWORD in the environment (the password is not taken on the command line)")
	}

	content := vpx.ServiceContent
	content.About.Version = *version
	content.About.Build = *build
	content.About.FullName = fmt.Sprintf("VMware vCenter Server %s build-%s", *version, *build)

	model := simulator.Model{
		ServiceContent: content,
		RootFolder:     vpx.RootFolder,
		Datacenter:     *dc,
		Cluster:        *cluster,
		ClusterHost:    *clusterHost,
		Host:           *standalone,
		Datastore:      0,
		Machine:        0,
	}
	if *dc > 0 && *cluster == 0 {
		// The stock model puts hosts in clusters only when ClusterHost > 0.
		model.ClusterHost = 0
	}

	if err := model.Create(); err != nil {
		fail("creating the inventory: %v", err)
	}
	// Create() makes a new simulator.Map, so the extension is installed after it
	// (it extends the hosts Create() made, then hooks every later creation).
	cshvext.Install()

	model.Service.TLS = new(tls.Config)
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(user, pass)}
	cshvext.Mount(model.Service)
	server := model.Service.NewServer()

	u := *server.URL
	u.User = nil
	u.Path = "/sdk"
	host, portStr, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(portStr)
	if host != "127.0.0.1" {
		server.Close()
		fail("bound to %s instead of 127.0.0.1", host)
	}
	log.Printf("vcsim-cs: serving %s (pid %d)", u.String(), os.Getpid())

	if *portFile != "" {
		writePortFile(*portFile, portInfo{
			URL:        u.String(),
			Host:       host,
			Port:       port,
			PID:        os.Getpid(),
			Thumbprint: server.CertificateInfo().ThumbprintSHA1,
			Version:    *version,
		})
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	s := <-sig
	log.Printf("vcsim-cs: %s received, shutting down", s)
	server.Close()
	model.Remove()
	if *portFile != "" {
		_ = os.Remove(*portFile)
	}
}
