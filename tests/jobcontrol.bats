#!/usr/bin/env bats
# The process-group model and job-control stops without a terminal: autokill leads the
# process group and COMMAND is a member (as with timeout(1)), so COMMAND can call setsid()
# without forking; a stop is followed only by a job of an interactive shell, never here.

load common

@test "autokill --timeout 1 setsid sleep 30: COMMAND is not lost; 124 and nothing left" {
	"$H/subreaper" -w -t 30 -r "$T/rep" "$AK" -t 0.3 -g 0.2 setsid sleep 30 && st=0 || st=$?
	assert_equal "$st" 124
	grep -qx "alive 0" "$T/rep"
}

@test "COMMAND is a member of a process group it does not lead" {
	run "$AK" sh -c 'echo "$(cut -d" " -f5 /proc/$$/stat) $$"'
	assert_success
	read -r cmdpg cmdpid <<<"$output"
	[[ $cmdpg != "$cmdpid" ]]
	# Already a group leader (a shell's job, setsid): autokill's group is used as it is.
	run setsid "$AK" sh -c 'echo "$(cut -d" " -f5 /proc/$$/stat) $(cut -d" " -f6 /proc/$$/stat)"'
	read -r cmdpg cmdsid <<<"$output"
	assert_equal "$cmdpg" "$cmdsid"
}

@test "no terminal: a stopped COMMAND does not stop autokill; the timeout fires; 124" {
	for c in pgrp subreaper; do
		run timeout 20 setsid -w "$AK" --contain=$c -t 0.5 -g 0.2 sh -c 'kill -TSTP $$; sleep 60'
		assert_equal "$status" 124
		# TSTP sent to the whole group, autokill included.
		run timeout 20 setsid -w "$AK" --contain=$c -t 0.5 -g 0.2 sh -c 'kill -TSTP 0; sleep 60'
		assert_equal "$status" 124
	done
}

@test "SIGINT to autokill (a CI cancel): the INT-ignoring services of COMMAND's group go too" {
	"$H/subreaper" -w -t 30 -r "$T/rep" "$AK" -g 0.2 bash -c "sleep 100 & echo \$! >$T/svc; touch $T/ready; wait" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	kill -INT "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" && st=0 || st=$?
	# COMMAND's own end (bash died of the INT); the ladder then took the service.
	assert_equal "$st" 130
	grep -qx "alive 0" "$T/rep"
}

@test "SIGKILL of autokill in the middle of its ladder: the watcher finishes it on the group" {
	# A CI runner's cancel: INT (or TERM), then KILL once its grace is over. COMMAND dies
	# of the first step; the ladder goes on for the service, and so must the watcher
	# once autokill is gone.
	# The grace outlasts the steps below (in qemu's emulation, 3 s did not).
	"$H/subreaper" -w -t "$(native_or_emulated 30 150)" -r "$T/rep" "$AK" --mode=userspace \
		-g "$(native_or_emulated 3 15)" bash -c \
		"(trap '' HUP TERM; exec sleep 100) & touch $T/ready; wait" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	ak=$(child_of "$BG_PIDS")
	kill -TERM "$ak"
	# bash has died of the TERM: the ladder waits out its grace for the service.
	wait_for "! pgrep -x bash -P $ak >/dev/null"
	kill -KILL "$ak"
	wait "$BG_PIDS" || true
	grep -qx "alive 0" "$T/rep" || fail "$(cat "$T/rep")"
}

@test "userspace leash after SIGKILL of autokill: the whole group goes, not only COMMAND" {
	"$H/subreaper" -w -t 30 -r "$T/rep" "$AK" --mode=userspace -g 0.2 sh -c "sleep 100 & echo \$! >$T/svc; touch $T/ready; exec sleep 100" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	kill -KILL "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" || true
	grep -qx "alive 0" "$T/rep"
}

@test "a stopped group holder does not keep autokill or autoreap --wait from ending" {
	# Not its group's leader, the tool starts a child that leads COMMAND's group; a STOP
	# sent to that child must not make the tool wait for it forever once COMMAND is done.
	mkfifo "$BATS_TEST_TMPDIR/go"
	for tool in "$AK" "$AR -w"; do
		rm -f "$T/ready"
		$tool sh -c "touch $T/ready; read x <$BATS_TEST_TMPDIR/go" 3>&- &
		BG_PIDS=$!
		wait_for "[[ -e $T/ready ]]"
		holder=
		wait_for 'for c in $(cat /proc/$BG_PIDS/task/$BG_PIDS/children); do [[ $(cat /proc/$c/comm) == auto*-group ]] && holder=$c; done; [[ -n $holder ]]'
		kill -STOP "$holder"
		echo >"$BATS_TEST_TMPDIR/go"
		wait_for "ended $BG_PIDS" || { kill -CONT "$holder"; fail "$tool waits for its stopped holder"; }
		wait "$BG_PIDS"
	done
}

@test "SIGKILL of autoreap --wait: the child that leads COMMAND's group does not outlive it" {
	# Started in the background, autoreap is not its job's leader: a child of its own,
	# sharing its memory, leads the group, and must end with autoreap however it ends.
	"$H/subreaper" -k "$T/gate" -t 30 "$AR" -w sleep 100 3>&- &
	BG_PIDS=$!
	wait_for "[[ -n \$(child_of $BG_PIDS) ]]"
	ar=$(child_of "$BG_PIDS")
	holder=
	wait_for 'for c in $(cat /proc/$ar/task/$ar/children); do [[ $(cat /proc/$c/comm) == autoreap-group ]] && holder=$c; done; [[ -n $holder ]]'
	kill -KILL "$ar"
	wait_for "ended $holder"
	touch "$T/gate"
	wait "$BG_PIDS" || true
}

# A TSTP sent to the tool (kill -TSTP, or a Ctrl-Z that reached the job's group before
# the terminal went to COMMAND's, which a keeper's holder relays) stops COMMAND, whatever
# reaches the rest of the tree; CONT to the tool resumes it. With subreaper and cgroup the
# tree's CONT, meant to thaw a freeze of ours, once followed the TSTP and undid it.
@test "TSTP sent to the tool stops COMMAND in every mode; CONT to the tool resumes it" {
	local modes=(pgrp subreaper) c ak pid
	[[ $($AK --features | grep '^contain=') == contain=pidns ]] && modes+=(pidns)
	"$AK" --contain=cgroup true 2>/dev/null && modes+=(cgroup)
	for c in "${modes[@]}"; do
		rm -f "$T/ready" "$T/status"
		"$AK" --contain=$c -g 0.1 --status-fd=3 "$H/sigrec" -r "$T/ready" "$T/log" 3>"$T/status" &
		ak=$!
		wait_for "[[ -e $T/ready ]]"
		pid=$(grep -o '"pid":[0-9]*' "$T/status" | cut -d: -f2)
		kill -TSTP "$ak"
		wait_for "[[ \$(state_of $pid) == T ]]" || fail "$c: COMMAND not stopped"
		kill -CONT "$ak"
		wait_for "[[ \$(state_of $pid) == S ]]" || fail "$c: COMMAND not continued"
		kill -KILL "$ak"
		wait "$ak" || true
		wait_for "ended $pid" || fail "$c: COMMAND left behind"
	done
}
