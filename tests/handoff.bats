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
		# -1: COMMAND had already exited when the receiver looked (seen in vm-run).
		assert_line --regexp "^fdinfo-pid ($pid|-1)\$"
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
	# In userspace mode it is COMMAND's adopter: waitid gives the status on every kernel.
	assert_line "COMMAND exited with status 4"
	# As on a kernel without PIDFD_GET_INFO (before 6.13), where autokill says
	# status=unavailable: the example still reads the status, as the adopter. Such a kernel
	# lacks the 7.1 flags too: without clone3, autokill cannot take the kernel leash there
	# (on 7.x it would, and COMMAND, auto-reaped, would leave no status to read at all).
	PATH=$top_builddir:$PATH run "$H/subreaper" -w "$H/nosys" clone3,pidfd_get_info python3 "$T/example.py" sh -c 'exit 4'
	assert_success
	assert_line --regexp "^received: pid=[0-9]+ mode=userspace .*status=unavailable "
	assert_line "COMMAND exited with status 4"
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

@test "pidns hand-off: NEXT gets COMMAND's own pidfd and pid; COMMAND gets the ladder when NEXT lets go" {
	for mode in $(modes); do
		run "$H/subreaper" -w "$AK" --mode=$mode --contain=pidns -g 0.2 --pidfd-fd=7 "$H/sigrec" -c HUP -r "$T/ready.$mode" "$T/log.$mode" \; \
			bash -c 'while [[ ! -e $0 ]]; do sleep 0.01; done
				echo "pid $AUTOKILL_PID fdinfo $(sed -n "s/^Pid:\t//p" /proc/self/fdinfo/$AUTOKILL_PIDFD)"
				echo "comm $(cat /proc/$AUTOKILL_PID/comm)"
				echo "nspid $(sed -n "s/^NSpid:\t//p" /proc/$AUTOKILL_PID/status)"' "$T/ready.$mode"
		assert_success
		read -r _ pid _ fdpid <<<"${lines[0]}"
		assert_equal "$fdpid" "$pid"
		assert_equal "${lines[1]}" "comm sigrec"
		# COMMAND is pid 2 of its namespace, under our init.
		assert_line --regexp "^nspid $pid[[:space:]]+2\$"
		# Kernel mode: the leash is the init's pidfd, and the kernel SIGKILLs the init and
		# with it the namespace, COMMAND included: no ladder. Userspace: the watcher's.
		# Either way COMMAND is gone, or the harness (-w) would have timed out.
		if [[ $mode == kernel ]]; then
			assert_equal "$(signals_in "$T/log.$mode")" ""
		else
			assert_equal "$(signals_in "$T/log.$mode")" HUP
		fi
	done
}

@test "-p, --pid-file and the status stream give COMMAND's pid with --contain=pidns" {
	"$AR" -w --contain=pidns -p --pid-file="$T/pid" --status-fd=5 "$H/sigrec" -x TERM:3 -r "$T/ready" "$T/log" >"$T/printed" 5>"$T/st" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready && -s $T/pid ]]"
	pid=$(cat "$T/pid")
	assert_equal "$(cat /proc/"$pid"/comm)" sigrec
	assert_equal "$(cat "$T/printed")" "$pid"
	grep -q "\"event\":\"start\".*\"pid\":$pid," "$T/st"
	kill -TERM "$pid"
	wait "$BG_PIDS" || true
	"$AK" --contain=pidns --status-fd=5 "$H/sigrec" -x TERM:3 -r "$T/ready2" "$T/log2" 5>"$T/st2" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready2 && -s $T/st2 ]]"
	pid=$(sed -n 's/.*"event":"start".*"pid":\([0-9]*\),.*/\1/p' "$T/st2")
	assert_equal "$(cat /proc/"$pid"/comm)" sigrec
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS" || true
}

@test "hand-off: autokill SIGKILLed between the start and the leash leaves nothing running" {
	# The seccomp filter kills autokill at the pipe of its leash: COMMAND has started and
	# nothing holds its leash yet.
	for how in "--pidfd-fd=7" "--send-pidfd=9"; do
		rm -f "$T/st"
		run "$H/pidfdrecv" 9 "$H/subreaper" -w -r "$T/rep" "$H/nosys" -e KILL pipe2 "$AK" --mode=userspace --status-fd=5 $how "$H/sigrec" "$T/log" \; true 5>"$T/st"
		# COMMAND had started (the start record), and is gone.
		pid=$(sed -n 's/.*"event":"start".*"pid":\([0-9]*\),.*/\1/p' "$T/st")
		[[ -n $pid ]]
		run cat "$T/rep"
		assert_line "alive 0"
	done
}

@test "the README's script pattern: the script SIGKILLed while one of its commands runs takes the server down" {
	sed -n '/^    #!\/bin\/sh$/,/^$/p' "$top_srcdir/README.md" | sed 's/^    //' >"$T/script"
	grep -q 'exec autokill --pidfd-fd=7' "$T/script"
	chmod +x "$T/script"
	cd "$T"
	printf '#!/bin/sh\necho $$ >server.pid; exec sleep 100\n' >test-server
	printf '#!/bin/sh\nwhile [ ! -s server.pid ]; do sleep 0.01; done\n' >wait-for-port
	printf '#!/bin/sh\necho $$ >tests.pid; while [ ! -e release ]; do sleep 0.02; done\n' >run-tests
	chmod +x test-server wait-for-port run-tests
	for mode in $(modes); do
		rm -f server.pid tests.pid release
		PATH=$top_builddir:$PATH AUTOKILL_MODE=$mode "$H/subreaper" -w "$T/script" 3>&- &
		BG_PIDS=$!
		wait_for "[[ -s tests.pid ]]"
		server=$(cat server.pid)
		script=$(awk '{print $4}' /proc/"$(cat tests.pid)"/stat)
		[[ $(cat /proc/"$script"/comm) == script ]]
		kill -KILL "$script"
		wait_for "ended $server"
		touch release
		wait "$BG_PIDS" || true
	done
}

@test "a userspace hand-off under an adopter that does not reap: autokill warns, the README's Python example ends" {
	run "$H/subreaper" -n "$AK" --mode=userspace --pidfd-fd=7 true \; true
	assert_success
	assert_line --partial "does not seem to reap orphans"
	command -v python3 >/dev/null || skip "python3 is not installed"
	sed -n '/^```python$/,/^```$/p' "$top_srcdir/README.md" | sed '1d;$d' >"$T/example.py"
	# python3 starts in seconds under vm-run's emulation (its library read over 9p).
	PATH=$top_builddir:$PATH run timeout 120 "$H/subreaper" -n python3 "$T/example.py" sh -c 'exit 4'
	assert_success
	assert_line "COMMAND exited with status 4"
	refute_line --partial "does not seem to reap"
}

@test "hand-off failures after the start: named, and COMMAND taken down first" {
	# NEXT cannot be run: 127 naming NEXT, COMMAND killed.
	for tool in "$AR -q" "$AK --mode=userspace" "$AK"; do
		rm -f "$T/ready"
		run -127 "$H/subreaper" -w -r "$T/rep" $tool --pidfd-fd=7 "$H/sigrec" -r "$T/ready" "$T/log" \; /nonexistent-next
		name=${tool%% *}
		assert_line --index 0 "${name##*/}: cannot run NEXT '/nonexistent-next': No such file or directory (COMMAND was killed)"
		assert_equal "$(grep alive "$T/rep")" "alive 0"
	done
	# Over the fd limit: refused before anything starts.
	run -125 "$AR" --pidfd-fd=1048576 touch "$T/started" \; true
	assert_line --index 0 --partial "autoreap: --pidfd-fd=1048576"
	[[ ! -e $T/started ]]
	run -125 bash -c 'ulimit -n 64; exec "$0" --mode=userspace --pidfd-fd=63 touch "$1" \; true' "$AK" "$T/started"
	assert_line --index 0 --partial "autokill: --pidfd-fd=63"
	[[ ! -e $T/started ]]
	command -v python3 >/dev/null || skip "python3 is not installed"
	# Sockets that cannot take the message: a listening one, an unconnected datagram one,
	# one whose peer has closed.
	for kind in listen dgram closed; do
		rm -f "$T/ready"
		run -125 "$H/subreaper" -w -r "$T/rep" python3 -c '
import os, socket, sys
kind = sys.argv[1]
if kind == "listen":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind("\0autokill-test-%d" % os.getpid()); s.listen()
elif kind == "dgram":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
else:
    s, peer = socket.socketpair(); peer.close()
os.dup2(s.fileno(), 9)
os.execv(sys.argv[3], sys.argv[3:])' $kind "$T/s" "$AK" --mode=userspace --send-pidfd=9 "$H/sigrec" -r "$T/ready" "$T/log"
		assert_line --index 0 --partial "autokill: --send-pidfd=9"
		assert_equal "$(grep alive "$T/rep")" "alive 0"
	done
}
