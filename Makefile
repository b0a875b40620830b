# cloudstack.hypervisors — developer and CI entry points.
# `make site`  : set up everything, start the lab, run the site playbook on it.
# `make test`  : set up everything and run every gate and test (what CI runs).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
BIN       := $(VENV)/bin
LABCTL    := python3 tests/lab/labctl.py
LAB_SUITE ?= bookworm
LAB_HOSTS ?= kvm1,kvm2,lxc1,lxc2
SUITES    ?= bullseye bookworm trixie
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export PATH := $(CURDIR)/$(BIN):$(PATH)

APT_PACKAGES := systemd-container debootstrap socat iproute2 openssh-client gnupg dpkg-dev \
                python3 python3-venv rsync git make ca-certificates \
                golang-go golang-github-vmware-govmomi-dev

.PHONY: help deps lab-deps venv collection-link images lab-up lab-down lab-status site \
        lint sanity build unit units-ansible-test docs readme ee-context xenserver vsphere molecule integration integration-long drift bad-inputs lost-host site-test bench test clean

help:
	@echo "make site        set up, start the lab, run playbooks/site.yml on it"
	@echo "make test        set up and run every gate and test (CI)"
	@echo "make lab-up / lab-down / lab-status"
	@echo "make lint sanity build unit units-ansible-test docs molecule integration"
	@echo "make drift | bad-inputs | lost-host | site-test   one integration suite (pytest -s)"
	@echo "make integration-long   the lab tests that do not fit the CI time (tests/integration_long)"
	@echo "make docs        lint the collection docs, build the HTML site (build/docsite/html)"
	@echo "make readme      every command README.md shows, run as written or in a dry form"
	@echo "make ee-context  the AWX/AAP execution environment build context (ee/context)"
	@echo "make xenserver | vsphere   the XenServer (XAPI double) / vSphere (vCenter simulator) suites"
	@echo "make bench       the benchmark: prints figures, asserts nothing"

deps: lab-deps venv collection-link

lab-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed

collection-link:
	@mkdir -p .collections/ansible_collections/cloudstack
	@ln -sfn ../../.. .collections/ansible_collections/cloudstack/hypervisors

images: lab-deps
	$(LABCTL) image --suite $(SUITES)

lab-up: deps
	$(LABCTL) up --name lab --suite $(LAB_SUITE) --hosts $(LAB_HOSTS) --subnet-index 0 --reuse

lab-down:
	$(LABCTL) down --name lab

lab-status:
	$(LABCTL) status

site: lab-up
	$(BIN)/ansible-playbook -i inventories/lab cloudstack.hypervisors.site

lint: deps
	$(BIN)/ansible-lint --profile production

sanity: deps
	tests/sanity.sh

build: deps
	tests/build.sh

unit: deps
	$(BIN)/pytest -q tests/unit

# The same unit tests under ansible-test units (and the same number of them).
units-ansible-test: deps
	tests/units_ansible_test.sh

molecule: deps
	$(PY) tests/molecule_matrix.py $(SUITES)

integration: deps
	tests/integration.sh

# Lab tests each with labs and full rollouts of their own, longer than the CI's
# 2-core time budget allows next to the other stages (see README, Tests).
integration-long: deps
	$(BIN)/pytest -p no:cacheprovider -rs -s tests/integration_long

# One integration suite each; the ones on the main lab start it first.
drift: deps
	$(BIN)/pytest -p no:cacheprovider -rs -s tests/integration/test_drift.py

lost-host: deps
	$(BIN)/pytest -p no:cacheprovider -rs -s tests/integration/test_lost_host.py

bad-inputs: lab-up
	$(BIN)/pytest -p no:cacheprovider -rs -s tests/integration/test_bad_inputs.py

site-test: lab-up
	$(BIN)/pytest -p no:cacheprovider -rs -s tests/integration/test_site.py

# The collection's HTML documentation site (build/docsite/html) and the docs lint.
docs: deps
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	docs/build-site.sh

# Every command README.md shows, run as written or in a dry form, in a fresh
# shell without the venv on PATH (tests/readme; part of the docs stage).
readme: deps
	$(BIN)/pytest -q -p no:cacheprovider tests/readme

# The execution environment's build context (ansible-builder create) in ee/context.
ee-context: deps
	rm -f ee/cloudstack-hypervisors*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path ee/ .
	mv ee/cloudstack-hypervisors-*.tar.gz ee/cloudstack-hypervisors.tar.gz
	$(BIN)/ansible-builder create -f ee/execution-environment.yml -c ee/context

# The XenServer suites (XAPI double, no lab) and the vSphere suites (vCenter simulator).
xenserver: deps
	$(BIN)/pytest -q -p no:cacheprovider -rs tests/xapi_double_tests tests/xenserver

vsphere: deps
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH tests/vsphere.sh

bench: deps
	$(PY) tests/bench/benchmark.py

test: deps
	tests/run_all.sh

clean:
	rm -rf .collections .pytest_cache tests/output *.tar.gz
