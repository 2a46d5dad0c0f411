#!/usr/bin/env bash
# Sets everything up on a Debian 12 machine (packages, build) and opens the workbench.
# Arguments are passed to rope-workbench (e.g. --model DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "workbench: no display found; starting it under Xvfb with a screenshot instead" >&2
  exec xvfb-run -a build/bin/rope-workbench --screenshot rope-workbench.png "$@"
fi
exec build/bin/rope-workbench "$@"
