#!/usr/bin/env bash
# Installs the build into a fresh prefix and runs the installed programs from another folder
# in an empty environment (no ROPE_* variables, no display, no QT_QPA_PLATFORM, a fresh HOME and
# cache), as a user of the installed package would:
#   rope-cli paths       the demo model, its factor sets and the SentencePiece module are the
#                        installed ones (found beside the executable, not in the source tree);
#   rope-cli ppl --model demo   runs on the installed model and a freshly prepared corpus;
#   rope-workbench --help / --screenshot   work without a display (offscreen by itself).
# In a -DROPE_SANITIZE build (SANITIZE=1) there is no SentencePiece (tests/sanitizers/README.md):
# rope-cli ppl must then fail for that reason and no other.
# usage: install_test.sh CMAKE BUILD_DIR WORK_DIR WORKBENCH(0|1) [SANITIZE(0|1)]
set -euo pipefail
cmake=$1 build=$2 work=$3 gui=$4 sanitize=${5:-0}

rm -rf "$work"
mkdir -p "$work/elsewhere" "$work/home"
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log"
data=$prefix/share/rope-workbench

fail() {
  echo "install test: $*" >&2
  exit 1
}
# The installed program, run in an empty environment from a folder with nothing in it.
installed() {
  local program=$1
  shift
  (cd "$work/elsewhere" && env -i PATH=/usr/bin:/bin HOME="$work/home" \
    XDG_CACHE_HOME="$work/home/cache" "$prefix/bin/$program" "$@")
}

for f in bin/rope-cli share/rope-workbench/demo-model/config.json \
  share/rope-workbench/demo-model/model.safetensors \
  share/rope-workbench/demo-model/tokenizer.model share/rope-workbench/demo-factors/searched-4x.json; do
  [ -f "$prefix/$f" ] || fail "$f was not installed"
done

installed rope-cli --version | grep -q "^rope-cli [0-9]" || fail "rope-cli --version"

paths=$(installed rope-cli paths) || fail "rope-cli paths failed: $paths"
echo "$paths"
grep -qx "demo model *$data/demo-model (installed)" <<<"$paths" ||
  fail "rope-cli did not choose the installed demo model"
grep -qx "demo factors *$data/demo-factors" <<<"$paths" ||
  fail "rope-cli did not choose the installed demo factor sets"
module=$(sed -n 's/^sentencepiece *//p' <<<"$paths")
if [ "$module" != none ]; then
  case $module in
    "$prefix"/*) [ -f "$module" ] || fail "$module does not exist" ;;
    *) fail "the SentencePiece module $module is not the installed one" ;;
  esac
fi

start=$(date +%s)
if [ "$sanitize" = 1 ]; then
  if log=$(installed rope-cli ppl --model demo --lengths 64 --samples 1 --json 2>&1); then
    fail "rope-cli ppl --model demo ran in a sanitizer build, which has no SentencePiece"
  fi
  echo "$log"
  grep -q "SentencePiece cannot be loaded in an AddressSanitizer build" <<<"$log" ||
    fail "rope-cli ppl --model demo failed for another reason than the missing SentencePiece"
  echo "ppl: not run (sanitizer build, no SentencePiece)"
else
  ppl=$(installed rope-cli ppl --model demo --lengths 64 --samples 1 --json) ||
    fail "rope-cli ppl --model demo failed"
  echo "$ppl"
  grep -q '"ppl":' <<<"$ppl" || fail "rope-cli ppl printed no perplexity"
  grep -q "\"model\":\"$data/demo-model\"" <<<"$ppl" || fail "rope-cli ppl used another model"
  echo "ppl: $(($(date +%s) - start)) s"
fi

if [ "$gui" = 1 ]; then
  for f in bin/rope-workbench share/applications/io.github.ropeworkbench.RopeWorkbench.desktop \
    share/metainfo/io.github.ropeworkbench.RopeWorkbench.metainfo.xml \
    share/icons/hicolor/scalable/apps/io.github.ropeworkbench.RopeWorkbench.svg; do
    [ -f "$prefix/$f" ] || fail "$f was not installed"
  done
  installed rope-workbench --help | grep -q -- "--screenshot" || fail "rope-workbench --help"
  start=$(date +%s)
  shot=$work/elsewhere/shot.png
  log=$(installed rope-workbench --screenshot "$shot" 2>&1) || fail "--screenshot failed: $log"
  echo "$log"
  [ -s "$shot" ] || fail "no screenshot at $shot"
  [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "$shot is not a PNG"
  grep -qi "demo model is not" <<<"$log" && fail "the workbench found no demo model: $log"
  echo "screenshot: $(($(date +%s) - start)) s"
fi
echo "ok: the installed copy under $prefix works on its own"
