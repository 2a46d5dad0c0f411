#!/usr/bin/env bash
# Runs a validator (desktop-file-validate, appstreamcli validate ...) on a file. Exit code 77
# (CTest: skipped) when the validator is not installed; failure on any error or warning.
# usage: validate.sh TOOL [ARGS...] FILE
set -uo pipefail
if ! command -v "$1" >/dev/null 2>&1; then
  echo "$1 is not installed: skipped"
  exit 77
fi
output=$("$@" 2>&1)
status=$?
echo "$output"
if [ $status -ne 0 ] || grep -qiE '(^|[: ])(error|warning):' <<<"$output"; then
  echo "$*: not valid" >&2
  exit 1
fi
