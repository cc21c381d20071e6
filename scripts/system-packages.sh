#!/usr/bin/env bash
# Installs the Debian packages the harness and its local suites use, the ones that are missing only.
#   chromium            the browser for the UI scenarios (Playwright drives Debian's build; none is downloaded)
#   nodejs npm          to install the pinned axe-core (package.json) for the accessibility audit
#   sogo postgresql memcached nginx-light   the `sogo` suite; nginx also serves the load benchmark
#   wrk                 the reference load generator in `make bench`
#   libreoffice-writer-nogui libreoffice-calc-nogui  the reference reading of documents (DOCX/ODT, XLSX/ODS fidelity)
#   litmus              WebDAV's own conformance suite (the conformance stage, scenarios/conformance)
#   iproute2            `ip netns`: a local suite in a network namespace of its own (PRI-07)
#   xmlsec1             signs and checks the SAML messages of the harness's identity provider (pysaml2; IAM-05)
#   python3-venv make git                 the harness itself
# Run as root (or with sudo). Without root it only says what is missing and how to install it.
set -euo pipefail
PACKAGES=(python3-venv make git ca-certificates chromium nodejs npm sogo postgresql memcached nginx-light wrk
          libreoffice-writer-nogui libreoffice-calc-nogui litmus iproute2 xmlsec1)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# a newer npm may come from elsewhere than Debian's package: having the command is enough
if command -v npm >/dev/null; then missing=("${missing[@]/npm}"); fi
if command -v node >/dev/null; then missing=("${missing[@]/nodejs}"); fi
read -r -a missing <<<"${missing[*]}"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]}"
  echo "install them with: sudo apt-get install -y ${missing[*]}"
  echo "(the API scenarios on baseline run without them; the UI scenarios, the sogo suite and litmus need them)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing Debian packages: ${missing[*]}"
apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
# the packages' own services are not used (each suite runs its own instances): stop what they started
for svc in sogo postgresql memcached nginx; do
  command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null && systemctl stop "$svc" || true
  service "$svc" status >/dev/null 2>&1 && service "$svc" stop >/dev/null 2>&1 || true
done
exit 0
