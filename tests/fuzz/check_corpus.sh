#!/bin/bash
# check_corpus.sh GEN_CORPUS CORPUS: the committed seed corpus is exactly
# what gen_corpus writes (so a change of a wire format cannot leave the
# fuzzers starting from stale seeds).  Prints the file count.
set -u
gen=$1
corpus=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/buurt-corpus.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
"$gen" "$work/corpus" || exit 1
if ! diff -r "$work/corpus" "$corpus" >"$work/diff"; then
	head -n 20 "$work/diff"
	echo "corpus: tests/fuzz/corpus differs from gen_corpus's output;" \
	    "run gen_corpus tests/fuzz/corpus (see README.md, Fuzzing)"
	exit 1
fi
echo "corpus: $(find "$corpus" -type f | wc -l) seed files in" \
    "$(find "$corpus" -mindepth 1 -type d | wc -l) targets, identical to" \
    "gen_corpus's output, $(cat $(find "$corpus" -type f) | wc -c) bytes"
