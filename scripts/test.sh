#!/usr/bin/env bash
# Install everything the tests need (system packages too) and run the whole suite.
# Usage: scripts/test.sh [pytest args]   — DATABASE_URL selects PostgreSQL, default SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt+=(fonts-noto-cjk)
command -v msgfmt >/dev/null 2>&1 || need_apt+=(gettext)
command -v pdfsig >/dev/null 2>&1 || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
[ -n "${QINQING_TEST_INSTALL_ONLY:-}" ] && exit 0
export QINQING_TESTING=1
.venv/bin/python -m pytest -q "$@"
