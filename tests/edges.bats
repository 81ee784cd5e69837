#!/usr/bin/env bats
# The guarantees at their edges: a bad pid file, durations near the maximum, a stalled
# status reader, nohup, a failing signalfd, a tiny fd limit, options that cannot apply.

load common

@test "autoreap --pid-file in a missing directory: 125 before anything starts" {
	run -125 "$H/subreaper" -w "$AR" --pid-file="$T/missing/dir/x.pid" touch "$T/started"
	assert_line --index 0 --partial "autoreap: cannot write pid file '$T/missing/dir/x.pid'"
	[[ ! -e $T/started ]]
	mkdir "$T/dir"
	run -125 "$H/subreaper" -w "$AR" --pid-file="$T/dir" touch "$T/started"
	[[ ! -e $T/started ]]
	# The pid file names COMMAND once it runs.
	"$H/subreaper" -w "$AR" -q --pid-file="$T/ok.pid" sh -c 'echo $$ >"$0"' "$T/self"
	assert_equal "$(cat "$T/ok.pid")" "$(cat "$T/self")"
}

@test "--wait-all without a containment that has a tree to wait for: usage error" {
	for c in "" --contain=pgrp --contain=pidns; do
		run -125 "$AK" $c --wait-all touch "$T/started"
		assert_line --index 0 --partial "autokill: --wait-all needs --contain=subreaper, cgroup or auto"
	done
	[[ ! -e $T/started ]]
}

@test "a timeout near the longest duration does not wrap around on a long-running system" {
	unshare -T true 2>/dev/null || skip "no time namespaces here"
	# 400 days of uptime (through a time namespace) plus 106400 days overflow 2^63 ns.
	unshare -T --monotonic=34560000 -f "$AK" -t 106400d -L USR2,KILL -g 0.1 "$H/sigrec" -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	pid=$(cat "$T/ready")
	ak=$(awk '{print $4}' /proc/"$pid"/stat)
	# A relayed signal wakes the loop: a wrapped deadline would be found past then.
	kill -USR1 "$ak"
	wait_for "grep -q USR1 $T/log"
	kill -TERM "$ak"
	st=0
	wait "$BG_PIDS" || st=$?
	assert_equal "$st" 137
	assert_equal "$(signals_in "$T/log")" "USR1 TERM"
}

@test "a stalled status reader costs one record's wait, not one per record" {
	command -v strace >/dev/null || fail "strace is missing (quickstart installs it)"
	# A pipe whose reader never reads, filled up.
	exec 5> >(exec sleep 1000)
	BG_PIDS=$!
	dd if=/dev/zero of=/dev/fd/5 bs=4096 count=64 oflag=nonblock 2>/dev/null || true
	# The waits themselves, counted: timed with a stopwatch, runs under qemu's emulation
	# varied by more than the second that ten 100 ms waits make. USR1 ignored from the
	# start: with -t 0.001 the first step can come before sigrec has set up. (The sanitizer
	# build's leak check refuses to run under ptrace, and would abort at the end.)
	run -137 strace -f -qq -e trace=poll -o "$T/trace" env --ignore-signal=USR1 \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$AK" \
		--status-fd=5 -t 0.001 -g 0 -L USR1,USR1,USR1,USR1,USR1,USR1,USR1,KILL "$H/sigrec" -i USR1 "$T/log"
	exec 5>&-
	kill "$BG_PIDS"
	wait_for "ended $BG_PIDS"
	# strace splits a call that another process's line interrupts: "... 1, 0 <unfinished".
	waited=$(grep -cE 'poll\(\[\{fd=5, events=POLLOUT\}\], 1, 100(\)| <unfinished)' "$T/trace") || true
	tried=$(grep -cE 'poll\(\[\{fd=5, events=POLLOUT\}\], 1, 0(\)| <unfinished)' "$T/trace") || true
	# The start record and the eight steps': one wait, then a look at each.
	assert_equal "waited $waited" "waited 1"
	(( tried >= 7 )) || fail "looked $tried times: $(grep fd=5 "$T/trace")"
}

@test "under nohup, the parent-death floor is a signal COMMAND does not ignore" {
	# HUP ignored as nohup leaves it: the floor must be the ladder's next step.
	env --ignore-signal=HUP "$H/subreaper" -w -r "$T/rep" "$AK" --mode=userspace sh -c 'echo $$ >"$0"; exec sleep 100' "$T/pid" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/pid ]]"
	pid=$(cat "$T/pid")
	wait_for "[[ \$(cat /proc/$pid/comm) == sleep ]]"
	ak=$(awk '{print $4}' /proc/"$pid"/stat)
	for c in $(cat /proc/"$ak"/task/*/children); do
		[[ $(cat /proc/"$c"/comm) == autokill-leash ]] && kill -KILL "$c"
	done
	kill -KILL "$ak"
	wait_for "ended $pid"
	wait "$BG_PIDS" || true
}

@test "--contain=pidns: autokill and its watcher SIGKILLed, the floor still ends COMMAND" {
	[[ $($AK --features | grep '^contain=') == contain=pidns ]] || skip "no PID namespaces here"
	# COMMAND's parent is the namespace's init, not autokill: the init carries the floor.
	"$H/subreaper" -w -t 20 -r "$T/rep" "$AK" --mode=userspace --contain=pidns \
		sh -c "touch $T/ready; exec sleep 100" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	ak=$(child_of "$BG_PIDS")
	for c in $(cat /proc/"$ak"/task/*/children); do
		[[ $(cat /proc/"$c"/comm) == autokill-leash ]] && kill -KILL "$c"
	done
	kill -KILL "$ak"
	wait "$BG_PIDS" || true
	grep -qx "alive 0" "$T/rep" || fail "$(cat "$T/rep")"
}

@test "a signalfd failure in the pidns init is reported, not spun on" {
	run -125 timeout 20 "$H/subreaper" -w "$H/nosys" signalfd4 "$AK" --contain=pidns --pidfd-fd=7 sleep 1 \; true
	assert_line --index 0 --partial "signalfd"
}

@test "a tiny fd limit is reported as such, not as a missing cgroup hierarchy" {
	[[ $(feature contain) != subreaper ]] || skip "no cgroup v2 here"
	for n in 4 5 6; do
		run bash -c 'ulimit -n $0; exec "$1" --contain=cgroup true' $n "$AK" 3>&-
		refute_output --partial "no cgroup v2 hierarchy is mounted"
	done
}

@test "autokill(1) says which clock the timeout counts and what suspend does to it" {
	grep -q 'CLOCK_MONOTONIC' "$top_srcdir/man/autokill.1.scd"
	grep -qi 'suspend' "$top_srcdir/man/autokill.1.scd"
}

@test "a refused first clone3 in a user namespace leaves no pipe end behind in the tool" {
	[[ $(id -u) == 0 ]] && id nobody >/dev/null 2>&1 || skip "needs root, to run as nobody"
	[[ $(feature contain) == pidns ]] || skip "no PID namespaces here"
	chmod 777 "$T"
	# As nobody, pidns needs a user namespace, set up through a sync pipe; the kernel
	# leash's clone3 is tried first and refused before Linux 7.1.
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$AK" --contain=pidns "$H/sigrec" -x TERM:0 -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	# "INODE r|w" for each pipe end PID holds.
	ends() {
		local fd inode flags
		for fd in /proc/"$1"/fd/*; do
			inode=$(readlink "$fd" 2>/dev/null | sed -n 's/^pipe:\[\([0-9]*\)\]$/\1/p')
			[[ -n $inode ]] || continue
			flags=$(awk '/^flags:/ {print $2}' /proc/"$1"/fdinfo/"${fd##*/}" 2>/dev/null)
			(( (8#$flags & 3) == 0 )) && echo "$inode r" || echo "$inode w"
		done
	}
	caller=" $(ls -l /proc/$$/fd | sed -n 's/.* -> pipe:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ') "
	readers=" $(for p in "$BG_PIDS" $(cat /proc/"$BG_PIDS"/task/*/children); do ends "$p"; done | awk '$2 == "r" {print $1}' | tr '\n' ' ') "
	# A pipe of autokill's own with no read end anywhere is a leaked write end.
	for inode in $(ends "$BG_PIDS" | cut -d' ' -f1); do
		[[ $caller == *" $inode "* || $readers == *" $inode "* ]] || { echo "pipe:[$inode]: no reader"; false; }
	done
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS"
}

# killed_before_start: autokill --contain=pidns SIGKILLed the moment the namespace's clone
# has returned, where COMMAND cannot start before autokill's next steps (the init waits for
# autokill to put it in COMMAND's group and, without privileges, to write its maps):
# nothing starts, nothing is left.
killed_before_start() {
	rm -f "$T/ready" "$T/rep"
	run "$H/subreaper" -w -t 20 -r "$T/rep" ${AS_USER:+$AS_USER} "$H/killstart" -n \
		"$AK" --mode=userspace -g 0.2 --contain=pidns \
		sh -c "trap '' HUP TERM; sleep 60 & touch $T/ready; wait" 3>&-
	assert_equal "$status" 137
	[[ ! -e $T/ready ]]
	run cat "$T/rep"
	assert_line "alive 0"
}

# killed_at_start [OPTION]...: autokill is SIGKILLed the moment the clone that starts
# COMMAND has returned (killstart, once COMMAND has set itself up), before it does anything
# else; COMMAND ignores HUP and TERM. The leash must hold already: COMMAND and its group are
# gone, nothing is left.
killed_at_start() {
	run "$H/subreaper" -w -t 20 -r "$T/rep" ${AS_USER:+$AS_USER} "$H/killstart" -u "$T/ready" \
		"$AK" --mode=userspace -g 0.2 "$@" \
		sh -c "trap '' HUP TERM; sleep 60 & touch $T/ready; wait" 3>&-
	[[ -e $T/ready ]]
	assert_equal "$status" 137
	run cat "$T/rep"
	assert_line "alive 0"
}

@test "autokill killed right after COMMAND's start: the leash holds already (pgrp)" {
	killed_at_start
	# Leading its own group (no group holder child).
	rm -f "$T/ready" "$T/rep"
	run "$H/subreaper" -w -t 20 -r "$T/rep" setsid -w "$H/killstart" -u "$T/ready" \
		"$AK" --mode=userspace -g 0.2 \
		sh -c "trap '' HUP TERM; sleep 60 & touch $T/ready; wait" 3>&-
	[[ -e $T/ready ]]
	run cat "$T/rep"
	assert_line "alive 0"
}

@test "autokill killed right after COMMAND's start: the leash holds already (pidns, cgroup)" {
	local pidns=false cgroup=false
	[[ $($AK --features | grep '^contain=') != contain=pidns ]] || pidns=true
	! "$AK" --contain=cgroup true 2>/dev/null || cgroup=true
	$pidns || $cgroup || skip "neither PID namespaces nor a writable cgroup v2 here"
	if $cgroup; then
		killed_at_start --contain=cgroup
	fi
	$pidns || return 0
	# The namespace's init waits for autokill to put it in COMMAND's group (and, without
	# privileges, to write its maps): killed right after the clone, nothing starts, nothing
	# is left.
	killed_before_start
}

@test "autokill killed right after COMMAND's start, as an unprivileged user: the leash holds already" {
	[[ $(id -u) == 0 ]] && id nobody >/dev/null 2>&1 || skip "needs root, to run as nobody"
	local nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	# COMMAND, run as nobody, marks its start in T.
	chmod 777 "$T"
	AS_USER=$nobody killed_at_start
	# pidns takes a user namespace there: COMMAND cannot start before autokill has written
	# its maps. Killed right after the namespace's clone, nothing starts, nothing is left.
	# Before the fix COMMAND started in about half the runs: three of them.
	$nobody unshare -Urp true 2>/dev/null || return 0
	for i in 1 2 3; do
		AS_USER=$nobody killed_before_start
	done
}
