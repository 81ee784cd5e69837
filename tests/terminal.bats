#!/usr/bin/env bats
# Interactive terminals, through a pty and a tiny job-control shell (tests/helpers/ptyjob):
# Ctrl-C interrupts COMMAND once, Ctrl-Z stops the job, fg resumes it, COMMAND reads the
# terminal, and the terminal's foreground group is given back to the job's own group
# (fg=job; fg=other is COMMAND's group).

load common

@test "autokill: Ctrl-C reaches COMMAND exactly once, and the job exits as COMMAND did" {
	# subreaper: the job is autokill's thin holder over its keeper (see keeper.h).
	for c in pgrp subreaper; do
		rm -f "$T/ready" "$T/log"
		run "$H/ptyjob" "$AK" --contain=$c "$H/sigrec" -c INT -x INT:130 -r "$T/ready" "$T/log" <<EOF
wait-file $T/ready
intr
exit
owner
EOF
		assert_success
		assert_line "exit 130"
		assert_line "fg=job"
		assert_equal "$(wc -l <"$T/log")" 1
	done
}

@test "autokill: Ctrl-C kills a COMMAND that does not catch it; the job dies of INT" {
	run "$H/ptyjob" "$AK" sh -c "touch $T/ready; exec sleep 100" <<EOF
wait-file $T/ready
intr
exit
owner
EOF
	assert_line "signal INT"
	assert_line "fg=job"
}

@test "autokill: Ctrl-Z stops the job, fg resumes it, COMMAND reads the terminal" {
	for c in pgrp subreaper; do
		rm -f "$T/ready"
		run "$H/ptyjob" "$AK" --contain=$c sh -c "touch $T/ready; read line; echo \"got:\$line\"" <<EOF
wait-file $T/ready
owner
susp
stopped
owner
fg
type hello
output got:hello
exit
owner
EOF
		assert_success
		# After fg, COMMAND reading the terminal proves it has the foreground again: a
		# background read would have stopped it with SIGTTIN.
		assert_equal "${lines[*]}" "file $T/ready fg=other sent stopped fg=job fg sent output got:hello exit 0 fg=job"
	done
}

@test "autoreap --wait: Ctrl-C once, Ctrl-Z then fg, terminal given back" {
	run "$H/ptyjob" "$AR" -w "$H/sigrec" -c INT -x INT:130 -r "$T/ready" "$T/log" <<EOF
wait-file $T/ready
intr
exit
owner
EOF
	assert_line "exit 130"
	assert_line "fg=job"
	assert_equal "$(wc -l <"$T/log")" 1
	# COMMAND marks that it runs before anything is typed: the terminal's own echo of
	# "one" would otherwise satisfy "output one" before cat exists.
	run "$H/ptyjob" "$AR" -w sh -c "touch $T/cat; exec cat" <<EOF
wait-file $T/cat
type one
output one
susp
stopped
owner
fg
type two
output two
intr
exit
owner
EOF
	assert_line "stopped"
	assert_line "signal INT"
	assert_equal "${lines[-1]}" "fg=job"
}

@test "without a terminal, autokill leaves terminal state alone" {
	run "$AK" sh -c 'tty; exit 0' </dev/null
	assert_output "not a tty"
}
