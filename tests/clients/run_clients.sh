#!/usr/bin/env bash
# Runs four published client libraries of the sms-activate family against
# `otp sandbox serve --dialect ...` (see tests/clients/harness.py). The libraries go into
# their own virtualenv (.venv-clients, pinned versions) so they never touch the project's
# dependencies; `otp` comes from the project's .venv. Ends with "N passed, M failed" and
# exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

OTP="$PWD/.venv/bin/otp"
[ -x "$OTP" ] || { echo "run .ci/run (or make .venv) first: $OTP is missing" >&2; exit 2; }

VENV="${OTPCLI_CLIENTS_VENV:-.venv-clients}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    echo '*' > "$VENV/.gitignore"  # the whole folder stays out of git
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    smsactivate==1.5 aiosmsactivate==1.5.1 herosms==0.1.1 smsactivateru==1.2.6

exec "$VENV/bin/python" tests/clients/harness.py "$OTP"
