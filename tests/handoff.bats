#!/usr/bin/env bats
# Hand-off: the pidfd (and, in userspace mode, the leash) given to another program, by
# chain-loading NEXT (--pidfd-fd) or over a unix socket (--send-pidfd).

load common

# Each test runs in both modes the kernel allows: userspace always, kernel where the 7.1
# flags exist (inside vm-run).
modes() {
	echo userspace
	[[ $(feature autokill) == yes ]] && echo kernel
	return 0
}

# What a holder's pidfd tells of COMMAND's end on this kernel (PIDFD_INFO_EXIT, 6.15).
status_source() { [[ $(feature pidfd_exit_info) == yes ]] && echo pidfd || echo unavailable; }

@test "chain-loading: env names the fds and COMMAND's pid; NEXT gets no other new fd" {
	for mode in $(modes); do
		run "$H/subreaper" -w "$AK" --mode=$mode --pidfd-fd=7 "$H/sigrec" -r "$T/ready.$mode" "$T/log" \; \
			bash -c 'while [[ ! -s $0 ]]; do sleep 0.01; done
				echo "pid $AUTOKILL_PID $(cat $0) fd $AUTOKILL_PIDFD leash $AUTOKILL_LEASH"
				echo "fdinfo $(sed -n "s/^Pid:\t//p" /proc/self/fdinfo/$AUTOKILL_PIDFD)"
				echo "fds $(ls /proc/self/fd | sort -n | tr "\n" " ")"' "$T/ready.$mode"
		assert_success
		read -r _ pid ready _ fd _ leash <<<"${lines[0]}"
		assert_equal "$pid" "$ready"
		assert_equal "$fd" 7
		assert_equal "${lines[1]}" "fdinfo $pid"
		if [[ $mode == kernel ]]; then
			assert_equal "$leash" 7
		else
			assert_equal "$leash" 8
		fi
		# 0-2, the pidfd, the leash, and the fd ls itself opens: nothing else of ours.
		direct=$(bash -c 'ls /proc/self/fd | sort -n | tr "\n" " "')
		expect=$(tr ' ' '\n' <<<"$direct 7 $leash" | grep . | sort -nu | tr '\n' ' ')
		assert_equal "${lines[2]}" "fds $expect"
	done
}

@test "chain-loading: when the holder closes the fds, COMMAND is taken down" {
	for mode in $(modes); do
		run "$H/subreaper" -w -r "$T/rep" "$AK" --mode=$mode -g 0.2 --pidfd-fd=7 "$H/sigrec" -c HUP -r "$T/ready.$mode" "$T/log.$mode" \; \
			bash -c 'while [[ ! -s $0 ]]; do sleep 0.01; done; exec 7>&- 8>&-
				while kill -0 $AUTOKILL_PID 2>/dev/null && [[ $(cut -d" " -f3 /proc/$AUTOKILL_PID/stat 2>/dev/null) != Z ]]; do sleep 0.02; done
				echo gone' "$T/ready.$mode"
		assert_success
		assert_output gone
		if [[ $mode == userspace ]]; then
			assert_equal "$(signals_in "$T/log.$mode")" HUP
		else
			[[ ! -s $T/log.$mode ]]
		fi
	done
}

@test "chain-loading: a forked child of the holder keeps COMMAND alive until it exits" {
	for mode in $(modes); do
		"$H/subreaper" -w "$AK" --mode=$mode -g 0.2 --pidfd-fd=7 "$H/sigrec" -r "$T/ready.$mode" "$T/log" \; \
			bash -c 'while [[ ! -s $0 ]]; do sleep 0.01; done
				(exec 0</dev/null; while [[ ! -e $1 ]]; do sleep 0.02; done) &
				echo $$ >$2; echo $AUTOKILL_PID >$3' "$T/ready.$mode" "$T/release.$mode" "$T/holder.$mode" "$T/pid.$mode" 3>&- &
		BG_PIDS=$!
		wait_for "[[ -s $T/pid.$mode ]]"
		pid=$(cat "$T/pid.$mode")
		# The holder (bash) has exited; its child still holds the fds.
		wait_for "ended $(cat "$T/holder.$mode")"
		[[ $(state_of "$pid") == S ]]
		touch "$T/release.$mode"
		wait "$BG_PIDS"
		ended "$pid"
	done
}

@test "chain-loading: the holder SIGKILLed takes COMMAND down" {
	for mode in $(modes); do
		"$H/subreaper" -w "$AK" --mode=$mode -g 0.2 --pidfd-fd=7 "$H/sigrec" -r "$T/ready.$mode" "$T/log" \; \
			bash -c 'echo $$ >$0; exec sleep 100' "$T/holder.$mode" 3>&- &
		BG_PIDS=$!
		wait_for "[[ -s $T/ready.$mode && -s $T/holder.$mode ]]"
		cmd=$(cat "$T/ready.$mode")
		kill -KILL "$(cat "$T/holder.$mode")"
		wait "$BG_PIDS" || true
		ended "$cmd"
	done
}

@test "autoreap chain-loading: NEXT reads COMMAND's exit status and never has a zombie" {
	# Before 6.15 the pidfd keeps no status: AUTOREAP_STATUS says so, NEXT learns of the end.
	local want="command exit 7"
	[[ $(status_source) == pidfd ]] || want="command ended, status unavailable"
	for mode in $(modes); do
		run "$H/subreaper" -w "$AR" --mode=$mode -q --pidfd-fd=5 sh -c 'exit 7' \; \
			sh -c 'echo "env $AUTOREAP_STATUS"; exec "$0" 5' "$H/pidfdwait"
		assert_success
		assert_line "env $(status_source)"
		assert_line "$want"
		assert_line "children 0"
	done
}

@test "autokill chain-loading: AUTOKILL_STATUS says whether the pidfd will give the status" {
	for mode in $(modes); do
		run "$H/subreaper" -w "$AK" --mode=$mode --pidfd-fd=5 true \; sh -c 'echo "env $AUTOKILL_STATUS"'
		assert_success
		assert_line "env $(status_source)"
	done
}

@test "SCM_RIGHTS: the receiver gets the pidfd, COMMAND's pid and, holding it, the exit status" {
	for mode in $(modes); do
		run "$H/pidfdrecv" 9 "$AK" --mode=$mode --send-pidfd=9 sh -c 'exit 5'
		assert_success
		assert_line --regexp "^message pid=[0-9]+ mode=$mode fds=pidfd(,leash)? status=$(status_source) version=[0-9.]+$"
		pid=$(sed -n 's/^message pid=\([0-9]*\).*/\1/p' <<<"$output")
		assert_line "fdinfo-pid $pid"
		assert_line "tool exit 0"
		assert_line "command exit 5"
	done
	run "$H/pidfdrecv" 9 "$AR" --send-pidfd=9 sh -c 'exit 6'
	assert_line "command exit 6"
}

@test "SCM_RIGHTS: a receiver that closes its copies ends COMMAND" {
	for mode in $(modes); do
		run "$H/pidfdrecv" -c 9 "$AK" --mode=$mode -g 0.2 --send-pidfd=9 sleep 100
		assert_success
		if [[ $mode == kernel ]]; then
			assert_line "command signal KILL"
			assert_line "fds 1"
		else
			assert_line "command signal HUP"
			assert_line "fds 2"
		fi
	done
}

@test "the README's Python example receives the pidfd and reads the exit status" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	sed -n '/^```python$/,/^```$/p' "$top_srcdir/README.md" | sed '1d;$d' >"$T/example.py"
	[[ -s $T/example.py ]]
	PATH=$top_builddir:$PATH run "$H/subreaper" -w python3 "$T/example.py" sh -c 'exit 4'
	assert_success
	assert_line --regexp "^received: pid=[0-9]+ mode=(kernel|userspace) .*status=$(status_source) "
	if [[ $(status_source) == pidfd ]]; then
		assert_line "COMMAND exited with status 4"
	else
		assert_line "COMMAND exited; this kernel keeps no exit status in the pidfd (Linux 6.15+)"
	fi
}

@test "bad hand-off fds: 125, one line, nothing started" {
	bad() {
		run "$@"
		assert_equal "$status" 125
		[[ ! -e $T/started ]]
	}
	bad "$AK" --pidfd-fd=1 touch "$T/started" \; true
	assert_line --index 0 "autokill: --pidfd-fd=1 would replace stdin, stdout or stderr"
	bad "$AK" --pidfd-fd=x touch "$T/started" \; true
	assert_line --index 0 "autokill: invalid fd number 'x'"
	bad "$AK" --pidfd-fd=7 touch "$T/started"
	assert_line --index 0 "autokill: --pidfd-fd needs COMMAND [ARG]... ';' NEXT [ARG]..."
	bad "$AK" --send-pidfd=0 touch "$T/started" </dev/null
	assert_line --index 0 "autokill: --send-pidfd=0 is not a unix socket"
	bad "$AK" --send-pidfd=63 touch "$T/started"
	assert_line --index 0 "autokill: --send-pidfd=63: Bad file descriptor"
	bad "$AR" --send-pidfd=5 touch "$T/started" 5>"$T/file"
	assert_line --index 0 "autoreap: --send-pidfd=5 is not a unix socket"
	bad "$AR" -w --pidfd-fd=5 touch "$T/started" \; true
	assert_line --index 0 "autoreap: --wait cannot be combined with a hand-off: the holder waits"
	bad "$AK" -t 1 --send-pidfd=5 touch "$T/started"
	assert_line --index 0 "autokill: --timeout needs autokill to stay; it cannot be combined with a hand-off"
}
