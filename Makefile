# OS2skole PoC harness. `make evaluate` sets itself up on first use.
# Variables: SUITE (default baseline), ONLY=api|ui|conformance|load, LOAD=0 (no load stage) or LOAD=full (every
#            service level's profile at its size and real length; LOAD_ONLY=PRF-01,PRF-02), URL=<external deployment>,
#            PROVISION=0, KEEP=1, WORKERS=N, LANG=da (Danish reports), ISOLATE=0 (no network namespace);
#            SSO=saml|oidc|off (the single sign-on journeys through the harness's IdP; README, vendors);
#            ASSESSMENTS=confirmed|all (count only confirmed manual assessments, the default, or proposed ones too);
#            for `make load`: PROFILE=morning|deadline|steady, SIZE=XS|S|M|L|XL, CAPACITY=1, WORKERS=N, DURATION=s,
#            NETNS=N (master, N workers and the suite on test hosts of their own: network namespaces, root).
SHELL := /bin/bash
SUITE ?= baseline
PY := .venv/bin/python
STAMP := .venv/.installed

EVAL_ARGS := --suite $(SUITE) $(if $(ONLY),--only $(ONLY)) $(if $(URL),--url "$(URL)") \
             $(if $(filter 0,$(PROVISION)),--no-provision) $(if $(filter 1,$(KEEP)),--keep) \
             $(if $(WORKERS),--workers $(WORKERS)) $(if $(filter 0,$(LOAD)),--no-load)
EVAL_ARGS += $(if $(ASSESSMENTS),--assessments $(ASSESSMENTS))
EVAL_ARGS += $(if $(filter full,$(LOAD)),--load full) $(if $(LOAD_ONLY),--load-only $(LOAD_ONLY))
LOAD_ARGS := --suite $(SUITE) $(if $(PROFILE),--profile $(PROFILE)) $(if $(SIZE),--size $(SIZE)) \
             $(if $(filter 1,$(CAPACITY)),--capacity) $(if $(WORKERS),--workers $(WORKERS)) \
             $(if $(DURATION),--duration $(DURATION)) $(if $(URL),--url "$(URL)") $(if $(NETNS),--netns $(NETNS))

.PHONY: setup setup-suites setup-bench evaluate load provision validate compare assess test bench clean help
.DEFAULT_GOAL := help

help:
	@echo "make evaluate [SUITE=baseline]   evaluate a suite and write reports/<suite>.html + reports/comparison.html"
	@echo "make load [SUITE=..] PROFILE=morning SIZE=S | CAPACITY=1 | WORKERS=4 | NETNS=2   school-scale load with Locust"
	@echo "make evaluate SUITE=.. LOAD=full [LOAD_ONLY=PRF-01,PRF-02]   the PRF verdicts at real length and size"
	@echo "make test                        the harness's own tests (real servers included; sets up what they need first)"
	@echo "make validate                    check requirements.yaml, suites/*/suite.yaml, assessments and markers"
	@echo "make compare                     rebuild reports/comparison.html from the runs on disk"
	@echo "make assess SUITE=..             the checklist of a suite's manual requirements (ASSESSMENTS=all counts proposed ones)"
	@echo "make bench                       print the speed figures (scoring, rendering, a whole evaluate, the load generator against its peers)"
	@echo "make setup-bench                 JMeter (Debian) and Artillery (npm) for the peer table of make bench"
	@echo "make provision SUITE=.. SIZE=XS|S [URL=..]  provision a school (classes, teachers, pupils) on a suite, check it, remove it"
	@echo "make setup                       create .venv and install the pinned packages"
	@echo "make setup-suites                the local suites' servers (Debian packages as root; Kolibri's own venv)"

$(STAMP): requirements.txt constraints.txt pyproject.toml $(wildcard package-lock.json) scripts/system-packages.sh
	@bash scripts/system-packages.sh
	@command -v python3 >/dev/null || { echo "python3 is missing: apt-get install -y python3 python3-venv"; exit 2; }
	@test -x $(PY) || python3 -m venv .venv || { echo "could not create .venv: apt-get install -y python3-venv"; exit 2; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import poc, caldav, pandas, jinja2" || { echo "setup failed: see the pip messages above"; exit 2; }
	@if [ -f package-lock.json ] && command -v npm >/dev/null; then npm ci --silent --no-audit --no-fund; \
	 elif [ -f package-lock.json ]; then echo "npm is missing: the accessibility audit (axe-core) needs it: apt-get install -y nodejs npm"; fi
	@touch $(STAMP)

setup: $(STAMP)

# the local suites' servers: Debian's packages (root) and Kolibri in its own venv (.venv-kolibri)
setup-suites: $(STAMP)
	@bash scripts/system-packages.sh
	$(PY) suites/kolibri/launcher.py install

provision: $(STAMP)
	$(PY) -m poc provision --suite $(SUITE) --size $(or $(SIZE),XS) $(if $(SEED),--seed $(SEED)) \
	  $(if $(URL),--url "$(URL)") $(if $(filter 1,$(KEEP)),--keep)

evaluate: $(STAMP)
	POC_LANG="$(LANG)" $(if $(SSO),POC_SSO="$(SSO)") $(PY) -m poc evaluate $(EVAL_ARGS)

load: $(STAMP)
	POC_LANG="$(LANG)" $(PY) -m poc load $(LOAD_ARGS)

validate: $(STAMP)
	$(PY) -m poc validate

assess: $(STAMP)
	$(PY) -m poc assess $(SUITE)

compare: $(STAMP)
	POC_LANG="$(LANG)" $(PY) -m poc compare $(if $(ASSESSMENTS),--assessments $(ASSESSMENTS))

# the harness's tests need the local suites' servers, Chromium, LibreOffice and litmus: set them up first
# (Debian packages as root, Kolibri's own venv), so that a newcomer's `make test` skips nothing CI runs
test: setup-suites
	$(PY) -m pytest tests -q

bench: $(STAMP)
	$(PY) bench/run.py

# the load generators `make bench` compares the harness with (bench/bench_peers.py): Debian's JMeter (root)
# and Artillery from bench/peers/package-lock.json (install scripts off: no browser is downloaded)
setup-bench: $(STAMP)
	@if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
	   --no-install-recommends jmeter jmeter-http default-jdk-headless >/dev/null; \
	 else echo "as root: apt-get install -y jmeter jmeter-http default-jdk-headless"; fi
	cd bench/peers && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --silent --no-audit --no-fund

clean:
	rm -rf reports/runs reports/*.html reports/*.csv reports/*.json
