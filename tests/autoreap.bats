#!/usr/bin/env bats
# autoreap: fire-and-forget and --wait, zombies, pids, sessions, detaching.

load common

@test "fire-and-forget returns while COMMAND still runs" {
	run timeout 20 "$H/subreaper" -r "$T/rep" sh -c "$AR -p sleep 30 >$T/pid; test -d /proc/\$(cat $T/pid)"
	assert_success
	# The harness found the orphan still running, then killed it.
	grep -qx "alive 1" "$T/rep"
}

@test "--wait: TERM sent to autoreap reaches COMMAND" {
	"$AR" -w "$H/sigrec" -x TERM:0 -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 0
	assert_equal "$(signals_in "$T/log")" "TERM"
}

@test "--wait: relayed signals reach COMMAND; ones ignored at start are not relayed" {
	(
		trap '' USR2
		exec "$AR" -w "$H/sigrec" -c USR1,USR2 -x TERM:0 -r "$T/ready" "$T/log" 3>&-
	) &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	kill -USR2 "$BG_PIDS"
	kill -USR1 "$BG_PIDS"
	wait_for "grep -q USR1 $T/log"
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS"
	assert_equal "$(signals_in "$T/log")" "USR1 TERM"
}

@test "--wait: no zombie while COMMAND runs, none after" {
	"$AR" -w -p "$H/sigrec" -x TERM:0 -r "$T/ready" "$T/log" >"$T/pid" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready && -s $T/pid ]]"
	pid=$(cat "$T/pid")
	assert_equal "$(state_of "$pid")" S
	kill -TERM "$pid"
	wait "$BG_PIDS"
	[[ ! -e /proc/$pid ]]
	# And no child of autoreap was ever left: it has exited, so none can be its zombie.
}

@test "userspace fire-and-forget under a reaping subreaper leaves no zombie" {
	run "$H/subreaper" -w -r "$T/rep" "$AR" --mode=userspace sh -c 'exit 0'
	assert_success
	refute_output --partial warning
	grep -qx "zombies 0" "$T/rep"
	grep -qx "reaped 1" "$T/rep"
}

@test "userspace fire-and-forget under a non-reaping reaper: the zombie exists and is warned about" {
	run "$H/subreaper" -n -r "$T/rep" bash -c "$AR --mode=userspace -p true >$T/pid && . $top_srcdir/tests/common.bash && wait_for \"[[ \\\$(state_of \$(cat $T/pid)) == Z ]]\""
	assert_success
	assert_line --regexp "^autoreap: warning: COMMAND's new parent, pid [0-9]+ \(subreaper\), does not seem to reap orphans"
	grep -qx "zombies 1" "$T/rep"
}

@test "userspace fire-and-forget of a missing COMMAND: 127 and no zombie, even under a non-reaping reaper" {
	run "$H/subreaper" -n -r "$T/rep" "$AR" --mode=userspace -q no-such-command-here
	assert_equal "$status" 127
	grep -qx "zombies 0" "$T/rep"
}

@test "-q silences the non-reaping warning" {
	run "$H/subreaper" -n "$AR" -q --mode=userspace true
	refute_output --partial warning
}

@test "--print-pid prints the pid of the process that runs COMMAND" {
	run "$AR" -w -p sh -c 'echo "self $$"'
	assert_success
	# autoreap and COMMAND write to the same pipe, in either order.
	assert_equal "${#lines[@]}" 2
	assert_equal "$(grep -v '^self ' <<<"$output")" "$(sed -n 's/^self //p' <<<"$output")"
	"$H/subreaper" bash -c "$AR -p $H/sigrec -r $T/ready $T/log >$T/pid; . $top_srcdir/tests/common.bash; wait_for '[[ -s $T/ready ]]'; tr '\\0' ' ' </proc/\$(cat $T/pid)/cmdline >$T/cmdline"
	assert_equal "$(cat "$T/cmdline")" "$H/sigrec -r $T/ready $T/log "
}

@test "--print-pid with stdout closed: one line, 125, COMMAND never started" {
	for w in "" -w; do
		# run captures stdout through a pipe of its own: close it inside.
		run bash -c 'exec "$@" 2>&1 >&-' x "$H/subreaper" -r "$T/rep" "$AR" $w -p touch "$T/ran" 3>&-
		assert_equal "$status" 125
		assert_equal "${#lines[@]}" 1
		assert_output --regexp '^autoreap: .*standard output is closed'
		[[ ! -e $T/ran ]]
		grep -qx "alive 0" "$T/rep"
	done
}

@test "--print-pid that cannot be written: COMMAND is taken down, 125" {
	# /dev/full: the pid cannot reach the caller, who could then never find COMMAND.
	for w in "" -w; do
		rm -f "$T/ran"
		run bash -c 'exec "$@" 2>&1 >/dev/full' x \
			"$H/subreaper" -w -r "$T/rep" "$AR" $w -p sh -c "touch $T/ran; exec sleep 30" 3>&-
		assert_equal "$status" 125
		assert_output --regexp '^autoreap: cannot print the pid: .*\(COMMAND was killed\)$'
		assert_equal "${#lines[@]}" 1
		grep -qx "alive 0" "$T/rep"
	done
}

@test "--pid-file is complete and written atomically" {
	run "$AR" -w --pid-file "$T/pidfile" sh -c 'echo $$'
	assert_success
	assert_equal "$(cat "$T/pidfile")" "$output"
	# Only the final file: no temporary left next to it.
	assert_equal "$(ls "$T")" pidfile
}

@test "--detach: \$(autoreap -d ...) does not wait for COMMAND's end" {
	run timeout 20 "$H/subreaper" -r "$T/rep" sh -c "x=\$($AR -d sleep 30); echo done"
	assert_success
	assert_output done
	grep -qx "alive 1" "$T/rep"
}

@test "--detach keeps stdio the caller redirected to a file" {
	"$H/subreaper" -w "$AR" -d sh -c 'echo to-file' >"$T/out"
	assert_equal "$(cat "$T/out")" to-file
}

@test "--setsid gives COMMAND its own session" {
	run "$AR" -w -s sh -c 'echo $$ $(cut -d" " -f6 /proc/$$/stat)'
	assert_success
	read -r pid sid <<<"$output"
	assert_equal "$sid" "$pid"
}

@test "--nnp: COMMAND runs with NoNewPrivs 1; without it, 0" {
	for mode in auto userspace; do
		run "$AR" -w --nnp --mode=$mode grep NoNewPrivs /proc/self/status
		assert_output --regexp "NoNewPrivs:[[:space:]]+1"
		run "$AR" -w --mode=$mode grep NoNewPrivs /proc/self/status
		assert_output --regexp "NoNewPrivs:[[:space:]]+0"
	done
}

@test "--wait: COMMAND's SIGCHLD handling is the default, so its own children can be waited for" {
	run "$AR" -w sh -c 'sleep 0 & wait $!; echo "waited $?"'
	assert_output "waited 0"
	(trap '' CHLD PIPE; exec "$AR" -w sh -c 'grep SigIgn /proc/self/status') >"$T/ign"
	mask=$((16#$(awk '{print $2}' "$T/ign")))
	assert_equal $((mask & (1 << 16))) 0 # SIGCHLD
	assert_equal $((mask & (1 << 12))) 0 # SIGPIPE
}
