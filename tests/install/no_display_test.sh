#!/usr/bin/env bash
# rope-workbench's command line where there is no display and no Qt platform chosen: --help
# prints the usage (exit 0) and a bad option says so (exit 1), instead of Qt aborting.
# usage: no_display_test.sh ROPE_WORKBENCH
set -euo pipefail
workbench=$1
nodisplay=(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM)

out=$("${nodisplay[@]}" "$workbench" --help)
grep -q -- "--screenshot" <<<"$out" || { echo "--help printed no usage: $out" >&2; exit 1; }
grep -q "rope-workbench" <<<"$out" || { echo "--help names no program: $out" >&2; exit 1; }

set +e
err=$("${nodisplay[@]}" "$workbench" --bogus 2>&1 >/dev/null)
status=$?
set -e
[ $status -eq 1 ] || { echo "--bogus: exit code $status, expected 1: $err" >&2; exit 1; }
grep -q "bogus" <<<"$err" || { echo "--bogus: no message naming it: $err" >&2; exit 1; }
echo "ok: --help and a usage error without a display"
