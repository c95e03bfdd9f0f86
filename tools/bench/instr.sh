#!/bin/sh
# instr.sh: instructions per update under callgrind (issue 5, point 1):
# for live ingest and for catch-up, against one Ed25519 verification of
# the same kind of update.  Instruction counts do not drift with the load
# of a shared machine: the same build gives the same figures every run.
#
#   instr.sh [--json] [--keep DIR] [--k-verify N] [--k-live N]
#            [--k-catchup N] BUURT_INSTR
#
# BUURT_INSTR is the buurt-instr program (tools/bench/instr.c).  Each mode
# runs once under `valgrind --tool=callgrind --instr-atstart=no`, which
# counts only what buurt-instr brackets with its client requests (not its
# setup: keys, signing, the store's creation).  The count is the
# "totals:" line of the callgrind output file.  --keep DIR keeps those
# files (DIR/callgrind.out.MODE) for callgrind_annotate.  glibc's
# MALLOC_PERTURB_ (which meson test sets) and MALLOC_CHECK_ are unset for
# the runs: they make every malloc and free fill memory, tens of thousands
# of instructions per update that the node does not spend.
#
# Targets (issue 5): a live update <= 1.15 verifications; a caught-up
# update <= 25,000 instructions (its chunk's one verification shared
# out).  They are reported as met or missed; the exit status says only
# whether the figures could be had: 0, 1 on a failure, 64 on bad usage.
set -u

json=0 keep= kv=200 kl=200 kc=8192 prog=
LIVE_TARGET=1.15
CATCHUP_TARGET=25000

usage() {
	echo "usage: instr.sh [--json] [--keep DIR] [--k-verify N] [--k-live N]" >&2
	echo "                [--k-catchup N] BUURT_INSTR" >&2
	exit 64
}

while [ $# -gt 0 ]; do
	case $1 in
	--json) json=1 ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift ;;
	--k-verify) [ $# -ge 2 ] || usage; kv=$2; shift ;;
	--k-live) [ $# -ge 2 ] || usage; kl=$2; shift ;;
	--k-catchup) [ $# -ge 2 ] || usage; kc=$2; shift ;;
	-*) usage ;;
	*) [ -z "$prog" ] || usage; prog=$1 ;;
	esac
	shift
done
[ -n "$prog" ] || usage
for k in "$kv" "$kl" "$kc"; do
	case $k in ''|*[!0-9]*) usage ;; esac
done
if ! command -v valgrind >/dev/null 2>&1; then
	echo "instr.sh: valgrind is not installed" >&2
	exit 1
fi
if [ ! -x "$prog" ]; then
	echo "instr.sh: $prog: not an executable" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/buurt-instr-sh.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
out=${keep:-$tmp}
[ -z "$keep" ] || mkdir -p "$keep" || exit 1

# run MODE K: sets ir (instructions), sigs and chunks (from buurt-instr).
run() {
	f=$out/callgrind.out.$1
	if ! env -u MALLOC_PERTURB_ -u MALLOC_CHECK_ \
	    valgrind --tool=callgrind --instr-atstart=no \
	    --callgrind-out-file="$f" "$prog" "$1" "$2" \
	    >"$tmp/$1.out" 2>"$tmp/$1.err"; then
		echo "instr.sh: buurt-instr $1 $2 failed:" >&2
		grep -v '^==' "$tmp/$1.err" >&2
		exit 1
	fi
	ir=$(awk '/^totals:/ { print $2; exit }' "$f")
	# "instr: MODE K updates, S verifications, C chunks, B bytes"
	sigs=$(awk '/^instr:/ { print $5; exit }' "$tmp/$1.out")
	chunks=$(awk '/^instr:/ { print $7; exit }' "$tmp/$1.out")
	case ${ir:-x}${sigs:-x}${chunks:-x} in
	*[!0-9]*)
		echo "instr.sh: no figures from buurt-instr $1" >&2
		exit 1 ;;
	esac
}

run verify "$kv"; ir_v=$ir
run live "$kl"; ir_l=$ir; sigs_l=$sigs
run catchup "$kc"; ir_c=$ir; sigs_c=$sigs; chunks_c=$chunks

awk -v json="$json" -v kv="$kv" -v kl="$kl" -v kc="$kc" \
    -v iv="$ir_v" -v il="$ir_l" -v ic="$ir_c" -v sl="$sigs_l" \
    -v sc="$sigs_c" -v cc="$chunks_c" -v lt="$LIVE_TARGET" \
    -v ct="$CATCHUP_TARGET" '
function grp(x,   s) {		# 712345 -> 712,345
	s = sprintf("%.0f", x)
	while (s ~ /[0-9][0-9][0-9][0-9]/) {
		sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
	}
	return s
}
BEGIN {
	pv = iv / kv; pl = il / kl; pc = ic / kc
	ratio = pl / pv
	lm = ratio <= lt ? "met" : "missed"
	cm = pc <= ct ? "met" : "missed"
	if (pv <= 0 || pl <= 0 || pc <= 0) {
		print "instr.sh: a figure is not positive" > "/dev/stderr"
		exit 1
	}
	if (json) {
		printf("{\"instr\": {\"verify\": {\"updates\": %d, " \
		    "\"instructions\": %.0f, \"per_update\": %.0f}, " \
		    "\"live\": {\"updates\": %d, \"verifications\": %d, " \
		    "\"instructions\": %.0f, \"per_update\": %.0f, " \
		    "\"ratio_to_verify\": %.3f, \"target_ratio\": %s, " \
		    "\"met\": %s}, " \
		    "\"catchup\": {\"updates\": %d, \"verifications\": %d, " \
		    "\"chunks\": %d, \"instructions\": %.0f, " \
		    "\"per_update\": %.0f, \"ratio_to_verify\": %.4f, " \
		    "\"target_per_update\": %d, \"met\": %s}}}\n",
		    kv, iv, pv, kl, sl, il, pl, ratio, lt,
		    lm == "met" ? "true" : "false", kc, sc, cc, ic, pc,
		    pc / pv, ct, cm == "met" ? "true" : "false")
		exit 0
	}
	printf("instr: verify  %9s instructions per Ed25519 verification" \
	    " (%d updates)\n", grp(pv), kv)
	printf("instr: live    %9s per update = %.3fx a verification" \
	    " (%d updates; target <= %sx: %s)\n", grp(pl), ratio, kl, lt,
	    lm)
	printf("instr: catchup %9s per update = %.4fx a verification" \
	    " (%d updates, %d chunks, %d verifications;" \
	    " target <= %s: %s)\n", grp(pc), pc / pv, kc, cc, sc, grp(ct),
	    cm)
}'
