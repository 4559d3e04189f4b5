#!/usr/bin/env bash
# What the test suite needs outside Python: a running PostgreSQL on 127.0.0.1:5432 and Debian's chromium.
# Installs them from Debian's packages when missing (needs root or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL not found: installing it from Debian's packages"
    apt_install postgresql postgresql-client
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  conf=/etc/postgresql/$version/main/pg_hba.conf
  # Local test server only: trust connections from this machine.
  if ! grep -q "kam-test" "$conf"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust # kam-test\nlocal all all trust # kam-test' "$conf"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main restart
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

if [ ! -x /usr/bin/chromium ]; then
  echo "chromium not found: installing Debian's chromium"
  apt_install chromium fonts-dejavu-core
fi
if ! command -v msgfmt >/dev/null 2>&1; then
  apt_install gettext
fi
# pdftotext reads generated PDFs back in tests; WeasyPrint needs pango and DejaVu for Cyrillic.
if ! command -v pdftotext >/dev/null 2>&1; then
  apt_install poppler-utils
fi
# LibreOffice (headless) converts the Excel exports in tests, to prove that an office suite opens them.
if ! command -v soffice >/dev/null 2>&1; then
  apt_install libreoffice-calc-nogui
fi
# Java runs the local-mode PySpark test of the analysis SQL (kam/analytics/tests/test_spark_engine.py).
if ! command -v java >/dev/null 2>&1; then
  echo "java not found: installing Debian's default-jre-headless"
  apt_install default-jre-headless
fi
if ! ldconfig -p | grep -q libpango-1.0; then
  apt_install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
fi
