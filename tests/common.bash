# common.bash: shared set-up for the bats suites.
#
# Every test gets its own directory $T (on the build tree, not /tmp, so that the same path
# works inside vm-run too) and is bounded by BATS_TEST_TIMEOUT. Processes a test starts
# that may outlive its COMMAND run under the subreaper harness, which kills and reaps
# whatever is left; background jobs are started with 3>&- so bats never waits on them.

: "${top_builddir:?run the suite through make check}"
: "${top_srcdir:?run the suite through make check}"
AR=$top_builddir/autoreap
AK=$top_builddir/autokill
H=$top_builddir/tests/helpers
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
# run -N (an expected non-zero status, said where it is expected) needs 1.5.
bats_require_minimum_version 1.5.0

load_assert() {
	if [[ -f /usr/lib/bats/bats-support/load.bash ]]; then
		load /usr/lib/bats/bats-support/load.bash
		load /usr/lib/bats/bats-assert/load.bash
	fi
}
load_assert

common_setup() {
	T=$(mktemp -d "$top_builddir/tests/tmp.XXXXXX")
}

# descendants PID: PID's descendants, deepest last.
descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

common_teardown() {
	# Anything a test left behind is a defect: kill it, whole tree, and say so.
	local left= p
	if [[ -n ${BG_PIDS:-} ]]; then
		for p in $BG_PIDS; do
			if kill -0 "$p" 2>/dev/null && [[ $(state_of "$p") != Z ]]; then
				left+=" $p"
				kill -STOP "$p" 2>/dev/null
				kill -9 $(descendants "$p") "$p" 2>/dev/null
			fi
		done
	fi
	rm -rf "$T"
	[[ -z $left ]] || { echo "left behind:$left" >&2; return 1; }
}

setup() { common_setup; }
teardown() { common_teardown; }

# native_or_emulated N E: N natively, E under qemu's emulation (check-vm sets
# AUTOREAP_EMULATED=1), for the durations a test must give slow process start-ups there.
native_or_emulated() {
	if [[ ${AUTOREAP_EMULATED:-0} == 1 ]]; then echo "$2"; else echo "$1"; fi
}

# wait_for COND... : bounded polling (10 s) until the shell condition holds.
wait_for() {
	local i
	for ((i = 0; i < 500; i++)); do
		if eval "$*"; then return 0; fi
		sleep 0.02
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# A process that is gone, or a zombie, has ended.
ended() {
	local s
	s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $s || $s == Z ]]
}

# child_of PID: the one child of PID.
child_of() { local c _; read -r c _ <"/proc/$1/task/$1/children"; echo "$c"; }

state_of() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# feature NAME: the --features value (yes/no) of the running kernel, probed once per bats
# run (a probe costs seconds in an emulated guest; the kernel does not change meanwhile).
feature() {
	local f=${BATS_RUN_TMPDIR:?}/features
	if [[ ! -s $f ]]; then
		"$AK" --features >"$f.$$" && mv "$f.$$" "$f"
	fi
	sed -n "s/^$1=//p" "$f"
}

# require_kernel FEATURE: skip (or fail, under AUTOREAP_REQUIRE_KERNEL=1 as in the VM run)
# when the running kernel lacks FEATURE.
require_kernel() {
	if [[ $(feature "$1") != yes ]]; then
		if [[ ${AUTOREAP_REQUIRE_KERNEL:-0} == 1 ]]; then
			echo "kernel $(uname -r) lacks $1 but AUTOREAP_REQUIRE_KERNEL=1" >&2
			return 1
		fi
		skip "kernel $(uname -r) lacks $1 (clone3 flag of Linux 7.1)"
	fi
}

# The signals in a sigrec log, in order, repeats collapsed: "HUP TERM".
signals_in() { awk '$1 != last {printf "%s%s", sep, $1; sep=" "; last=$1} END {print ""}' "$1"; }
# Every signal in a sigrec log, repeats kept: for what must arrive exactly once.
each_signal_in() { awk '{printf "%s%s", sep, $1; sep=" "} END {print ""}' "$1"; }

# The timestamp (ns) of the first SIG in a sigrec log.
first_ns() { awk -v s="$2" '$1 == s {print $2; exit}' "$1"; }
