#!/usr/bin/env bats
# Fault injection: few fds, no processes left to fork, every signal blocked by the caller,
# the tool as a PID namespace's init, an unprivileged caller, and syscalls refused the way
# old kernels and locked-down containers refuse them. Whatever goes wrong, the tool either
# works (through a fallback) or exits 125 with one line saying why, before starting
# COMMAND; either way nothing is left running.

load common

# In the sanitizer build, LeakSanitizer's check at exit needs what these tests take away
# (a thread, so clone; fds to read /proc; a process slot) and aborts with 134 when it cannot
# have them. Leaks are checked by the rest of the suite; here only the tools' own behaviour.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# Each variant that breaks the contract adds a line to $T/bad; verdict fails the test with
# all of them, so that one run shows every broken variant.
bad() { echo "$*" >>"$T/bad"; }
verdict() { [[ ! -s $T/bad ]] || fail "$(cat "$T/bad")"; }

# try LABEL WANT WRAPPER... TOOL [OPTION]... : runs WRAPPER... TOOL OPTION... COMMAND under
# the harness. COMMAND says "ran" on stdout (a builtin: no fork, no extra fd) and exits 3,
# or, when the options give a --timeout (WANT 124), sleeps until the ladder. Passes when
# the tool worked (exit WANT) or refused (125, one line on stderr, COMMAND never ran), and
# nothing is left alive.
try() {
	local label=$1 want=$2 cmd ran
	shift 2
	cmd="echo ran; exit 3"
	[[ $want != 124 ]] || cmd="echo ran; exec sleep 30"
	rm -f "$T/out" "$T/rep" "$T/err"
	timeout 60 "$H/subreaper" -w -t 40 -r "$T/rep" "$@" sh -c "$cmd" >"$T/out" 2>"$T/err" 3>&- &&
		st=0 || st=$?
	ran=no
	! grep -qx ran "$T/out" || ran=yes
	if [[ $st == 125 ]]; then
		# A failure after the start (autokill's leash watcher) takes COMMAND down first
		# and says so: nothing runs, though COMMAND may have begun.
		[[ $ran == no ]] || grep -q '(COMMAND was killed)$' "$T/err" ||
			bad "$label: exit 125 but COMMAND ran; stderr: $(cat "$T/err")"
		[[ $(wc -l <"$T/err") == 1 ]] && grep -q '^auto\(reap\|kill\): ' "$T/err" ||
			bad "$label: exit 125 without one line of reason: $(cat "$T/err")"
	elif [[ $st != "$want" ]] || [[ $want != 124 && $ran == no ]]; then
		bad "$label: exit $st (want $want or 125), ran=$ran; stderr: $(cat "$T/err")"
	fi
	grep -qx "alive 0" "$T/rep" || bad "$label: left behind: $(tr '\n' ' ' <"$T/rep")"
}

# The variants each fault runs: both tools, their modes and containments, a plain exit and
# a timeout's ladder. cgroup only where a writable cgroup v2 exists.
variants() {
	[[ ${1:-} == pid1 ]] || echo "0 $AR"
	echo "3 $AR --wait"
	[[ ${1:-} == short ]] || echo "3 $AR --wait --mode=userspace"
	[[ ${1:-} == short ]] || echo "3 $AR --wait --contain=subreaper"
	echo "3 $AR --wait --contain=pidns"
	[[ ${1:-} == short ]] || echo "3 $AK"
	[[ ${1:-} == short ]] || echo "3 $AK --mode=userspace"
	echo "124 $AK -t 0.3 -g 2"
	echo "124 $AK --mode=userspace -t 0.3 -g 2"
	echo "124 $AK --contain=subreaper -t 0.3 -g 2"
	echo "124 $AK --contain=pidns -t 0.3 -g 2"
	[[ ${1:-} == short ]] || echo "3 $AK --contain=auto"
	if "$AK" --contain=cgroup true 2>/dev/null; then
		echo "124 $AK --contain=cgroup -t 0.3 -g 2"
	fi
}

# each_variant [-pid1|-short|-full] LABEL WRAPPER...: try every variant under WRAPPER
# (-short: one of each tool and containment).
each_variant() {
	local which= label want tool
	[[ $1 != -* ]] || { which=${1#-}; shift; }
	label=$1
	shift
	while read -r want tool; do
		# shellcheck disable=SC2086 # the variant's words
		try "$label [${tool#"$top_builddir/"}]" "$want" "$@" $tool
	done < <(variants $which)
}

# A uid no process of this machine runs as (RLIMIT_NPROC counts every process of the uid).
free_uid() {
	[[ $(id -u) == 0 ]] || skip "needs root to change uid"
	local u
	for ((u = 41000 + $$ % 1000; u < 43000; u++)); do
		pgrep -U "$u" >/dev/null || { echo "$u"; return; }
	done
	skip "no free uid"
}

as_user() { echo setpriv --reuid="$1" --regid="$1" --clear-groups --inh-caps=-all; }

@test "ulimit -n 4..8: both tools, every mode, work or refuse with one line" {
	for n in 4 5 6 8; do
		each_variant -short "ulimit -n $n" bash -c 'ulimit -n "$0" && exec "$@"' "$n"
	done
	verdict
}

@test "ulimit -n 4 with --contain=cgroup: the error is the fd limit, not a missing hierarchy" {
	"$AK" --contain=cgroup true 2>/dev/null || skip "no writable cgroup v2 here"
	run -125 bash -c 'ulimit -n 4 && exec "$@"' x "$AK" --contain=cgroup touch "$T/ran" 3>&-
	assert_output "autokill: --contain=cgroup: cannot read /proc/self/mountinfo: Too many open files"
	[[ ! -e $T/ran ]]
}

@test "RLIMIT_NPROC as an unprivileged user: fork fails with EAGAIN, work or refuse with one line" {
	local u
	u=$(free_uid)
	chmod 777 "$T"
	for k in 1 2 3; do
		# shellcheck disable=SC2046 # the words of the setpriv command
		each_variant -short "nproc $k" $(as_user "$u") bash -c 'ulimit -u "$0" && exec "$@"' "$k"
	done
	verdict
}

@test "an unprivileged user: every --contain mode of both tools works or refuses with one line" {
	local u
	u=$(free_uid)
	chmod 777 "$T"
	for mode in pgrp subreaper pidns; do
		# shellcheck disable=SC2046
		try "user autoreap --contain=$mode" 3 $(as_user "$u") "$AR" --wait --contain=$mode
	done
	for mode in pgrp subreaper pidns cgroup auto; do
		# shellcheck disable=SC2046
		try "user autokill --contain=$mode" 3 $(as_user "$u") "$AK" --contain=$mode
		# shellcheck disable=SC2046
		try "user autokill --contain=$mode -t" 124 $(as_user "$u") "$AK" --contain=$mode -t 0.3 -g 2
	done
	# shellcheck disable=SC2046
	each_variant "user" $(as_user "$u")
	verdict
}

@test "every signal blocked by the caller: COMMAND starts with none blocked and gets the ladder" {
	for v in "" --mode=userspace --contain=subreaper --contain=pidns; do
		rm -f "$T/blk"
		# HUP, the ladder's first step, ends sleep only if COMMAND does not inherit the mask:
		# else it takes the 10 s grace and KILL (137). The timeout must leave sh and grep time
		# to run: under qemu's emulation (check-vm) they took more than 1.5 s on Linux 5.10,
		# and the HUP ended grep before it wrote.
		run timeout 90 "$H/subreaper" -w -r "$T/rep" env --block-signal "$AK" $v \
			-t "$(native_or_emulated 1.5 20)" -g 10 \
			sh -c "grep SigBlk /proc/self/status >$T/blk; exec sleep 30"
		assert_equal "$status" 124
		assert_equal "$(cat "$T/blk")" "SigBlk:	0000000000000000"
		grep -qx "alive 0" "$T/rep"
	done
	for v in "" --mode=userspace --contain=subreaper --contain=pidns; do
		rm -f "$T/blk"
		run timeout 60 "$H/subreaper" -w -r "$T/rep" env --block-signal "$AR" --wait $v \
			sh -c "grep SigBlk /proc/self/status >$T/blk; exit 3"
		assert_equal "$status" 3
		assert_equal "$(cat "$T/blk")" "SigBlk:	0000000000000000"
	done
}

# relayed WRAPPER... TOOL OPTION...: TOOL runs sigrec under WRAPPER; a TERM sent to the
# process the harness started reaches COMMAND, which exits 7 on it.
relayed() {
	rm -f "$T/ready" "$T/log"
	"$H/subreaper" -w -r "$T/rep" "$@" "$H/sigrec" -c HUP,TERM -x TERM:7 -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	kill -TERM "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$(signals_in "$T/log")" TERM
	assert_equal "$st" 7
	grep -qx "alive 0" "$T/rep"
}

@test "every signal blocked by the caller: both tools still relay TERM" {
	relayed env --block-signal "$AK"
	relayed env --block-signal "$AK" --mode=userspace
	relayed env --block-signal "$AK" --contain=subreaper
	relayed env --block-signal "$AR" --wait
}

@test "as PID 1 of a new PID namespace: both tools work, every mode" {
	unshare -pf --mount-proc true 2>/dev/null || skip "cannot create a PID namespace here"
	each_variant -pid1 "pid 1" unshare -pf --mount-proc
	verdict
}

@test "as PID 1 of a new PID namespace: autoreap without --wait says COMMAND cannot outlive it" {
	unshare -pf --mount-proc true 2>/dev/null || skip "cannot create a PID namespace here"
	run -125 unshare -pf --mount-proc "$AR" touch "$T/ran" 3>&-
	assert_output --partial "PID 1"
	[[ ! -e $T/ran ]]
}

@test "as PID 1 of a new PID namespace: a TERM from outside is relayed" {
	unshare -pf --mount-proc true 2>/dev/null || skip "cannot create a PID namespace here"
	# unshare forks: the tool (pid 1 inside) is its child.
	for tool in "$AK" "$AK --contain=subreaper" "$AR --wait"; do
		rm -f "$T/ready" "$T/log"
		# shellcheck disable=SC2086
		"$H/subreaper" -w -r "$T/rep" unshare -pf --mount-proc $tool "$H/sigrec" -c HUP,TERM -x TERM:7 \
			-r "$T/ready" "$T/log" 3>&- &
		BG_PIDS=$!
		wait_for "[[ -e $T/ready ]]"
		kill -TERM "$(child_of "$(child_of "$BG_PIDS")")"
		wait "$BG_PIDS" && st=0 || st=$?
		assert_equal "$(signals_in "$T/log")" TERM
		assert_equal "$st" 7
		grep -qx "alive 0" "$T/rep"
	done
}

@test "seccomp: the leash watcher cannot be forked: 125, and COMMAND never starts" {
	# setsid: autokill leads its group, so no group holder child is forked before the
	# watcher, which is forked before COMMAND (COMMAND never runs unwatched).
	run "$H/subreaper" -w -r "$T/rep" setsid -w "$H/nosys" -e EPERM clone \
		"$AK" --mode=userspace -t 5 sh -c "touch $T/started; exec sleep 30" 3>&-
	assert_equal "$status" 125
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^autokill: cannot start the leash watcher: '
	[[ ! -e $T/started ]]
	grep -qx "alive 0" "$T/rep"
}

# nosys_both NAME [WHICH]: each variant with NAME refused by seccomp, with ENOSYS and EPERM.
nosys_both() {
	for e in ENOSYS EPERM; do
		each_variant "-${2:-short}" "nosys -e $e $1" "$H/nosys" -e "$e" "$1"
	done
	verdict
}

@test "seccomp: clone3 refused, both tools work or refuse with one line" { nosys_both clone3; }
@test "seccomp: clone refused (no fork), both tools work or refuse with one line" { nosys_both clone; }
@test "seccomp: clone3 and clone refused: nothing can start, 125 with one line" { nosys_both clone3,clone; }
@test "seccomp: clone3 and clone(CLONE_PIDFD) refused: both tools work or refuse with one line" { nosys_both clone3,clone_pidfd; }
@test "seccomp: pidfd_open refused, both tools work or refuse with one line" { nosys_both pidfd_open full; }

@test "seccomp: pidfd_send_signal refused, both tools work or refuse with one line" { nosys_both pidfd_send_signal; }
@test "seccomp: waitid refused, both tools work or refuse with one line" { nosys_both waitid; }
@test "seccomp: close_range refused, both tools work or refuse with one line" { nosys_both close_range; }
@test "seccomp: PIDFD_GET_INFO refused, both tools work or refuse with one line" { nosys_both pidfd_get_info; }
