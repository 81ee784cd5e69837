#!/usr/bin/env bats
# autokill: the ladder, relaying, exit statuses, and the userspace leash.

load common

# start_recorder ARGS...: autokill ARGS... sigrec (catching HUP, INT and TERM) in the
# background under a reaping subreaper that waits for every descendant; sets AKPID.
start_recorder() {
	"$H/subreaper" -w -r "$T/rep" "$AK" "$@" "$H/sigrec" -c HUP,INT,TERM -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	AKPID=$(child_of "$BG_PIDS")
	CMDPID=$(cat "$T/ready")
}

# leash_watcher PID: autokill PID's child named autokill-leash, or false.
leash_watcher() {
	local c
	for c in $(cat "/proc/$1/task/$1/children"); do
		[[ $(cat "/proc/$c/comm" 2>/dev/null) == autokill-leash ]] && echo "$c" && return 0
	done
	return 1
}

@test "userspace leash: SIGKILL of autokill gives COMMAND HUP, TERM, KILL after the grace" {
	start_recorder --mode=userspace -g 0.5
	kill -KILL "$AKPID"
	wait "$BG_PIDS" || true
	assert_equal "$(signals_in "$T/log")" "HUP TERM"
	hup=$(first_ns "$T/log" HUP)
	term=$(first_ns "$T/log" TERM)
	gap=$(((term - hup) / 1000000))
	# The grace, within generous bounds: the timestamps are taken when the recorder gets
	# around to reading each signal, which under emulation can lag by a few milliseconds.
	((gap >= 450 && gap < 5000)) || fail "HUP->TERM gap ${gap}ms for a 500ms grace"
	# KILL came last: the recorder died of it, and nothing is left.
	grep -qx "alive 0" "$T/rep"
	ended "$CMDPID"
}

@test "userspace leash without close_range (before Linux 5.9): the watcher still lets go" {
	"$H/subreaper" -w -r "$T/rep" "$H/nosys" close_range "$AK" --mode=userspace -g 0.2 "$H/sigrec" -c HUP,TERM -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	kill -KILL "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" || true
	assert_equal "$(signals_in "$T/log")" "HUP TERM"
	grep -qx "alive 0" "$T/rep"
}

@test "userspace leash: the watcher shares no memory with autokill, so no OOM kill of autokill takes it" {
	# The OOM killer kills every process that shares its victim's memory (mm/oom_kill.c,
	# __oom_kill_process), and before Linux 5.16 a core dump did too (fs/coredump.c,
	# zap_threads): a watcher cloned with CLONE_VM, cheaper to start than a fork, would die
	# with autokill and leave COMMAND unleashed. Seen without an OOM: the kernel keeps one
	# oom_score_adj for all the processes sharing a memory (__set_oom_adj).
	start_recorder --mode=userspace -g 0.2
	local w adj
	# COMMAND may be ready before the watcher has named itself.
	wait_for "w=\$(leash_watcher $AKPID)"
	adj=$(cat "/proc/$AKPID/oom_score_adj")
	((adj < 1000)) || skip "oom_score_adj is at its maximum already"
	echo $((adj + 1)) >"/proc/$AKPID/oom_score_adj"
	assert_equal "$(cat "/proc/$w/oom_score_adj")" "$adj"
	kill -KILL "$AKPID"
	wait "$BG_PIDS" || true
	assert_equal "$(signals_in "$T/log")" "HUP TERM"
	grep -qx "alive 0" "$T/rep"
}

@test "userspace leash with --grace 0: the whole ladder at once" {
	start_recorder --mode=userspace -g 0
	kill -KILL "$AKPID"
	wait "$BG_PIDS" || true
	ended "$CMDPID"
	grep -qx "alive 0" "$T/rep"
}

@test "--timeout: the ladder stops as soon as COMMAND exits on TERM; 124" {
	# Blocked from the start (COMMAND gets the caller's mask), so a HUP that beats
	# sigrec's own set-up on a slow machine is still recorded, not fatal.
	run env --block-signal=HUP,TERM "$AK" -t 0.2 -g 2 "$H/sigrec" -c HUP -x TERM:0 -r "$T/ready" "$T/log"
	assert_equal "$status" 124
	assert_equal "$(signals_in "$T/log")" "HUP TERM"
}

@test "--timeout: a COMMAND that ignores everything dies by KILL; 137" {
	# Ignored from the start (dispositions survive exec): no window in which a HUP that
	# beats a shell's trap on a slow machine ends COMMAND early.
	run env --ignore-signal=HUP,TERM "$AK" -vv -t 0.1 -g 0.1 sleep 100
	assert_equal "$status" 137
	for s in HUP TERM KILL; do
		assert_line --regexp "^autokill: sending signal $s to command 'sleep' \(pid [0-9]+, after [0-9]+\.[0-9]+s\)$"
	done
}

@test "--ladder picks the steps; SIGCONT lets a stopped COMMAND act on them" {
	run "$AK" -L TERM,KILL -t 0.1 -g 5 sh -c 'kill -STOP $$; exit 3'
	assert_equal "$status" 124
}

@test "no timeout: COMMAND's own status passes through" {
	run "$AK" -t 10 sh -c 'exit 3'
	assert_equal "$status" 3
}

@test "TERM sent to autokill is relayed first, then the ladder goes on" {
	start_recorder -g 0.3
	kill -TERM "$AKPID"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 137
	assert_equal "$(signals_in "$T/log")" "TERM"
}

@test "INT is relayed and continues with TERM; a second INT jumps to KILL" {
	start_recorder -g 10
	kill -INT "$AKPID"
	wait_for "grep -q INT $T/log"
	kill -INT "$AKPID"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 137
	assert_equal "$(signals_in "$T/log")" "INT"
}

@test "INT then the grace: TERM follows INT" {
	start_recorder -g 0.2
	kill -INT "$AKPID"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 137
	assert_equal "$(signals_in "$T/log")" "INT TERM"
}

@test "other signals are relayed as they are; ignored-at-start ones are not" {
	(
		trap '' USR2
		exec "$AK" "$H/sigrec" -c USR1,USR2,WINCH -x TERM:0 -r "$T/ready" "$T/log" 3>&-
	) &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	kill -USR2 "$BG_PIDS"
	kill -USR1 "$BG_PIDS"
	wait_for "grep -q USR1 $T/log"
	kill -WINCH "$BG_PIDS"
	wait_for "grep -q WINCH $T/log"
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 0
	assert_equal "$(signals_in "$T/log")" "USR1 WINCH TERM"
}

@test "the ladder reaches COMMAND's whole process group: sh -c 'sleep | sleep'" {
	# -w: autokill is done once sh is gone; the sleeps, signalled with it, may still be
	# dying (slowly, under emulation). They must end well before their 100 s.
	"$H/subreaper" -w -t 30 -r "$T/rep" "$AK" -t 0.2 -g 0.2 sh -c 'sleep 100 | sleep 100; exit 0' && st=0 || st=$?
	assert_equal "$st" 124
	grep -qx "alive 0" "$T/rep"
}

@test "killing autokill's process group does not stop the userspace leash" {
	# COMMAND is a member of autokill's group, and the group KILL would take it too:
	# here it has left the group (setsid execs in place), so only the leash reaches it.
	"$H/subreaper" -w -r "$T/rep" setsid "$AK" --mode=userspace -g 0.2 setsid "$H/sigrec" -c HUP,TERM -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	ak=$(child_of "$BG_PIDS")
	assert_equal "$(cut -d' ' -f5 "/proc/$ak/stat")" "$ak"
	kill -KILL -- "-$ak"
	wait "$BG_PIDS" || true
	assert_equal "$(signals_in "$T/log")" "HUP TERM"
	grep -qx "alive 0" "$T/rep"
}

@test "autokill's exec of a missing COMMAND starts no watcher and leaves nothing" {
	run -127 "$H/subreaper" -r "$T/rep" "$AK" --mode=userspace no-such-command-here
	assert_equal "$status" 127
	grep -qx "alive 0" "$T/rep"
	grep -qx "zombies 0" "$T/rep"
}
