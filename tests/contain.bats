#!/usr/bin/env bats
# Whole-tree containment (--contain): nothing COMMAND started survives, and $(...) returns.

load common

# tree: a COMMAND that leaves a double-forked daemon and a setsid'ed grandchild behind,
# both holding its stdout, then exits (or, with "stay", waits to be killed).
write_tree() {
	cat >"$T/tree" <<EOF
#!/bin/bash
( ( exec -a "tree-daemon-${T##*.}" sleep 1000 ) & )
setsid bash -c 'exec -a "tree-setsid-${T##*.}" sleep 1000' &
echo started
[[ \${1:-} == stay ]] && exec -a "tree-main-${T##*.}" sleep 1000
exit 0
EOF
	chmod +x "$T/tree"
}

cgroup_writable() {
	"$AK" --contain=cgroup true 2>"$T/cgerr" || skip "no writable cgroup v2 here: $(cat "$T/cgerr")"
}

supported() {
	echo subreaper pidns
	if "$AK" --contain=cgroup true 2>/dev/null; then echo cgroup; fi
}

@test "\$(autokill --contain=MODE ...) returns and leaves no descendant, for each mode" {
	write_tree
	for mode in $(supported); do
		run timeout 60 "$H/subreaper" -r "$T/rep.$mode" bash -c "x=\$($AK --contain=$mode -g 0.2 $T/tree); echo \"got \$x\""
		assert_success
		assert_output "got started"
		grep -qx "alive 0" "$T/rep.$mode" || fail "$mode left: $(cat "$T/rep.$mode")"
	done
}

@test "--contain=pgrp cannot contain a setsid'ed grandchild (documented), the harness can" {
	write_tree
	run timeout 60 "$H/subreaper" -r "$T/rep" "$AK" --contain=pgrp -g 0.2 "$T/tree"
	assert_success
	grep -qx "alive 2" "$T/rep"
}

# wait_for_orphan HARNESS_OPTION... -- TOOL ARG...: under the subreaper harness, TOOL runs
# a COMMAND that leaves a double-forked orphan behind and exits 6. The orphan runs until
# $T/go exists, then writes "done" to $T/late ("hup" first if it got HUP). Checks that TOOL
# is still waiting, asleep, after COMMAND is gone, then releases the orphan; sets st to
# the harness's status (TOOL's).
wait_for_orphan() {
	local opts=()
	while [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	"$H/subreaper" "${opts[@]}" -r "$T/rep" "$@" bash -c \
		"( ( trap 'echo hup >>$T/late' HUP; until [[ -e $T/go ]]; do sleep 0.02; done; echo done >>$T/late ) & ); echo \$\$ >$T/cmd; exit 6" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/cmd ]]"
	wait_for "ended $(cat "$T/cmd")"
	# COMMAND is gone; the tool (the holder's keeper, for autokill) waits for the orphan.
	tool=$(child_of "$BG_PIDS")
	[[ $(state_of "$tool") == S ]]
	touch "$T/go"
	wait "$BG_PIDS" && st=0 || st=$?
}

@test "--wait-all waits for the tree to finish on its own, without the ladder" {
	wait_for_orphan -- "$AK" --contain=subreaper --wait-all -g 0.1
	assert_equal "$st" 6
	assert_equal "$(cat "$T/late")" done
}

@test "after SIGKILL of autokill, no descendant survives, for each mode" {
	write_tree
	for mode in $(supported); do
		"$H/subreaper" -w -r "$T/rep.$mode" "$AK" --contain=$mode -g 0.2 "$T/tree" stay >"$T/out.$mode" 3>&- &
		BG_PIDS=$!
		wait_for "grep -q started $T/out.$mode"
		wait_for "pgrep -f 'tree-main-${T##*.}' >/dev/null"
		ak=$(child_of "$BG_PIDS")
		kill -KILL "$ak"
		wait "$BG_PIDS" || true
		grep -qx "alive 0" "$T/rep.$mode" || fail "$mode left: $(cat "$T/rep.$mode")"
		! pgrep -f "tree-(daemon|setsid|main)-${T##*.}" >/dev/null
	done
}

# orphan_recorder MODE: a COMMAND that leaves a setsid'ed, double-forked sigrec behind
# (adopted by autokill's keeper) and stays; autokill is then SIGKILLed.
# A grace of 1 s: at load 10, 0.2 s was once too short for the recorder to log TERM
# before the KILL that follows it.
kill_with_orphan_recorder() {
	"$H/subreaper" -w -r "$T/rep" "$AK" "$@" --contain=subreaper -g 1 bash -c \
		"( setsid '$H/sigrec' -c HUP,TERM -r '$T/ready' '$T/log' & ); exec sleep 1000" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	kill -KILL "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" || true
	grep -qx "alive 0" "$T/rep"
}

@test "subreaper, userspace leash: after SIGKILL of autokill, an adopted orphan gets the ladder" {
	kill_with_orphan_recorder --mode=userspace
	assert_equal "$(signals_in "$T/log")" "HUP TERM"
}

@test "subreaper, kernel leash: after SIGKILL of autokill, an adopted orphan is killed at once" {
	require_kernel autokill
	kill_with_orphan_recorder --mode=kernel
	assert_equal "$(cat "$T/log")" ""
}

@test "subreaper: a signal sent to both autokill and its keeper counts once" {
	"$H/subreaper" -r "$T/rep" "$AK" --contain=subreaper -g 0.3 "$H/sigrec" -c INT,HUP,TERM -x TERM:0 -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	ak=$(child_of "$BG_PIDS")
	keeper=$(child_of "$ak")
	assert_equal "$(cat "/proc/$keeper/comm")" autokill-keeper
	# What `pkill -INT autokill` does. Counted twice, it would be a double Ctrl-C: KILL.
	kill -INT "$keeper" "$ak"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 0
	assert_equal "$(each_signal_in "$T/log")" "INT TERM"
	grep -qx "alive 0" "$T/rep"
}

# relay_once SIG TOOL [OPTION]...: sigrec under TOOL gets USR1 relayed, then SIG (which
# ends the run); prints every signal sigrec recorded, repeats kept.
relay_once() {
	local sig=$1 tool
	shift
	rm -f "$T/ready" "$T/log"
	env --default-signal=INT "$H/subreaper" -r "$T/rep" "$@" \
		"$H/sigrec" -c INT,HUP,TERM,USR1 -x TERM:0 -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	tool=$(child_of "$BG_PIDS")
	kill -USR1 "$tool"
	wait_for "grep -q USR1 $T/log"
	kill -"$sig" "$tool"
	wait "$BG_PIDS" || true
	each_signal_in "$T/log"
}

@test "subreaper, cgroup: a relayed signal and each ladder step reach COMMAND once" {
	# COMMAND's group gets them, and the tree walk (or the cgroup's member list) must not
	# send them again: a second INT is a double Ctrl-C to a nested autokill, or a
	# "force quit" to terraform or docker compose.
	for m in $(supported); do
		[[ $m == subreaper || $m == cgroup ]] || continue
		assert_equal "$m: $(relay_once INT "$AK" --contain=$m -g 0.3)" "$m: USR1 INT TERM"
	done
	assert_equal "autoreap: $(relay_once TERM "$AR" -w --contain=subreaper)" "autoreap: USR1 TERM"
}

@test "autoreap --wait --contain=subreaper: orphans are adopted, reaped and waited for" {
	# -n: the harness reaps nothing while autoreap runs; an orphan left to it would stay a
	# zombie there.
	wait_for_orphan -n -- "$AR" -w --contain=subreaper
	assert_equal "$st" 6
	assert_equal "$(cat "$T/late")" done
	grep -qx "reaped 0" "$T/rep"
	grep -qx "zombies 0" "$T/rep"
	grep -qx "alive 0" "$T/rep"
}

@test "autoreap --wait --contain=pidns: COMMAND's status; what it left dies with the namespace" {
	run "$H/subreaper" -n -r "$T/rep" "$AR" -w --contain=pidns sh -c '(exec sleep 1000 &); echo $$; exit 5'
	assert_equal "$status" 5
	assert_line --index 0 2
	grep -qx "alive 0" "$T/rep"
	run "$AR" -w --contain=pidns sh -c 'kill -TERM $$'
	assert_equal "$status" $((128 + 15))
}

# names_of PID: the process names of PID's children, one a line.
names_of() {
	local c
	for c in $(cat "/proc/$1/task/$1/children"); do cat "/proc/$c/comm"; done 2>/dev/null
}

@test "autoreap's helper processes carry its own name: autoreap-init, autoreap-group" {
	"$AR" -w --contain=pidns sleep 1000 3>&- &
	BG_PIDS=$!
	wait_for "names_of $BG_PIDS | grep -qx autoreap-init"
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS" || true
	# Started in the background, autoreap is not its job's leader: a child leads the group.
	"$AR" -w sleep 1000 3>&- &
	BG_PIDS=$!
	wait_for "names_of $BG_PIDS | grep -qx autoreap-group"
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS" || true
}

@test "pidns as an unprivileged user: COMMAND keeps its uid, is pid 2 under our init" {
	# A chroot (as inside vm-run), a sysctl or an LSM can refuse unprivileged user namespaces.
	setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urp true 2>"$T/why" ||
		skip "unprivileged user namespaces are refused here: $(cat "$T/why")"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$AK" --contain=pidns sh -c 'echo "$(id -u) $(id -g) $$"'
	assert_success
	assert_output "65534 65534 2"
	run "$AK" --contain=pidns sh -c 'echo "$(id -u) $$"'
	assert_output "0 2"
}

@test "pidns: COMMAND's status and signal death come through the init" {
	run "$AK" --contain=pidns sh -c 'exit 7'
	assert_equal "$status" 7
	run "$H/status" "$AK" --contain=pidns sh -c 'kill -TERM $$'
	assert_output "signal TERM"
	run "$AK" --contain=pidns -t 0.2 -g 0.2 sleep 100
	assert_equal "$status" 124
}

@test "cgroup: the leaf is created, reported and removed" {
	cgroup_writable
	run "$AK" -vv --contain=cgroup sh -c 'cat /proc/self/cgroup'
	assert_success
	path=$(sed -n 's/^autokill: cgroup: //p' <<<"$output")
	[[ -n $path ]]
	assert_line --regexp "^0::.*/autokill-[0-9]+$"
	[[ ! -e $path ]]
}

@test "--contain=cgroup without a writable cgroup v2: 125 naming where it looked" {
	chmod 777 "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$AK" --contain=cgroup touch "$T/started"
	assert_equal "$status" 125
	assert_output --regexp "^autokill: --contain=cgroup: no writable cgroup v2: cannot create /.*/autokill-[0-9]+: (Permission denied|Read-only file system)$"
	[[ ! -e $T/started ]]
	run "$AK" --contain=bogus true
	assert_equal "$status" 125
	assert_line --index 0 "autokill: invalid containment 'bogus' (pgrp, subreaper, pidns, cgroup or auto)"
}

@test "--contain=auto picks a mode and says which; --features names it" {
	run "$AK" -vv --contain=auto true
	assert_success
	assert_line --regexp "^autokill: containment: (pidns|cgroup|subreaper)"
	run "$AK" --features
	assert_line --regexp "^contain=(pidns|cgroup|subreaper)$"
}

@test "SIGCHLD ignored by the caller: every mode of both tools works, and orphans still die" {
	for mode in pgrp auto $(supported); do
		run env --ignore-signal=CHLD "$AK" --contain=$mode sh -c 'exit 3'
		[[ $status == 3 ]] || fail "autokill --contain=$mode: $status: $output"
	done
	for mode in pgrp subreaper pidns; do
		run env --ignore-signal=CHLD "$AR" -w --contain=$mode sh -c 'exit 3'
		[[ $status == 3 ]] || fail "autoreap -w --contain=$mode: $status: $output"
	done
	run env --ignore-signal=CHLD "$AR" -q true
	assert_success
	# The keeper still adopts and takes down what COMMAND leaves behind.
	write_tree
	for mode in $(supported); do
		run timeout 60 "$H/subreaper" -r "$T/rep.$mode" env --ignore-signal=CHLD "$AK" --contain=$mode -g 0.1 "$T/tree"
		assert_success
		grep -qx "alive 0" "$T/rep.$mode" || fail "$mode left: $(cat "$T/rep.$mode")"
	done
}

@test "SIGCHLD ignored, unprivileged: --contain=auto picks the same mode as without" {
	chmod 777 "$T"
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	run "${nobody[@]}" "$AK" -vv --contain=auto sh -c 'exit 3'
	assert_equal "$status" 3
	want=$(grep -o 'containment: [a-z]*' <<<"$output")
	run "${nobody[@]}" env --ignore-signal=CHLD "$AK" -vv --contain=auto sh -c 'exit 3'
	assert_equal "$status" 3
	assert_equal "$(grep -o 'containment: [a-z]*' <<<"$output")" "$want"
}

# leaf_of OUTPUT: the cgroup path autokill -vv reported.
leaf_of() { sed -n 's/^autokill: cgroup: //p' <<<"$1"; }

@test "cgroup: the leaf is removed when COMMAND cannot start, on a late usage error, on EMFILE" {
	cgroup_writable
	run -127 "$AK" -vv --contain=cgroup "$T/missing"
	leaf=$(leaf_of "$output")
	[[ -n $leaf && ! -e $leaf ]] || fail "127 left $leaf"
	touch "$T/noexec"
	run -126 "$AK" -vv --contain=cgroup "$T/noexec"
	leaf=$(leaf_of "$output")
	[[ -n $leaf && ! -e $leaf ]] || fail "126 left $leaf"
	# Refused after the leaf exists (on Linux 7.1+ kernel mode works: then it is the normal end).
	run "$AK" -vv --mode=kernel --contain=cgroup true
	[[ $status == 125 || $status == 0 ]] || fail "--mode=kernel: $status: $output"
	leaf=$(leaf_of "$output")
	[[ -n $leaf && ! -e $leaf ]] || fail "--mode=kernel ($status) left $leaf"
	# Every fd limit, from too small to start at all to enough to run. A leaf of that name
	# older than the run is another tool's litter (pids are reused), not ours.
	base=${leaf%/*}
	for n in $(seq 4 14); do
		touch "$T/before"
		sh -c 'echo $$ >"$1"; ulimit -n "$2"; exec "$3" --contain=cgroup true' _ "$T/pid" "$n" "$AK" 3>&- 2>/dev/null || true
		leaf=$base/autokill-$(cat "$T/pid")
		[[ ! -e $leaf || ! $leaf -nt $T/before ]] || fail "ulimit -n $n left $leaf"
	done
}

@test "cgroup: autokill killed before COMMAND's start: the watcher removes the leaf" {
	cgroup_writable
	# SIGKILLed at COMMAND's clone3 (seccomp), the watcher forked: nothing started, and the
	# watcher, told nothing over the lifeline, must not leave the leaf behind. (In the auto
	# mode the first clone3 is the kernel mode's attempt, before the watcher: autokill(1)
	# states that window.)
	run "$H/subreaper" -w -t 20 -r "$T/rep" "$H/nosys" -e KILL clone3 "$AK" -vv --mode=userspace --contain=cgroup touch "$T/started"
	leaf=$(leaf_of "$output")
	[[ -n $leaf ]] || fail "no leaf reported: $output"
	[[ ! -e $T/started ]]
	wait_for "[[ ! -e $leaf ]]" || fail "left $leaf"
	run cat "$T/rep"
	assert_line "alive 0"
}

# write_chain [IGNORE]: $T/chain N starts a chain of N processes, each in a new session
# (setsid), each starting the next before it becomes a sleeper named chain-TAG; with
# IGNORE, each ignores HUP and TERM. $T/cmd [stay] starts a 12-deep chain, waits until all
# 12 run, then exits (or stays). Signalled from the top, each death re-parents the rest.
# The deepest says so on a fifo (in the test's tmpdir: the guest's own /tmp under vm-run);
# a loop that forked wc every 10 ms starved the chain's own starts in an emulated guest.
write_chain() {
	mkfifo "$BATS_TEST_TMPDIR/up"
	cat >"$T/chain" <<EOF
#!/bin/bash
${1:+trap '' HUP TERM}
echo \$\$ >>"$T/chain.pids"
if ((\$1 > 1)); then setsid "\$0" \$((\$1 - 1)) & else echo >"$BATS_TEST_TMPDIR/up"; fi
exec -a chain-${T##*.} sleep 1000
EOF
	cat >"$T/cmd" <<EOF
#!/bin/bash
echo \$\$ >"$T/cmd.pid"
"$T/chain" 12 &
read -r _ <"$BATS_TEST_TMPDIR/up"
echo up
[[ \${1:-} == stay ]] && exec sleep 1000
date +%s%N >"$T/t0"
exit 0
EOF
	chmod +x "$T/chain" "$T/cmd"
}

@test "subreaper: a 12-deep setsid chain ignoring HUP and TERM dies whole, within the ladder" {
	write_chain ignore
	run timeout 250 "$H/subreaper" -t 200 -r "$T/rep" bash -c "x=\$($AK --contain=subreaper -g 0.1 $T/cmd); echo \$x"
	# From COMMAND's exit, when the ladder starts.
	t=$((($(date +%s%N) - $(cat "$T/t0")) / 1000000))
	assert_success
	assert_output up
	grep -qx "alive 0" "$T/rep" || fail "left: $(cat "$T/rep")"
	# The ladder takes 0.2 s; 5 s is for a loaded machine, not for waiting out a survivor.
	((t < 5000)) || fail "took ${t} ms"
}

@test "subreaper: after SIGKILL of autokill, the keeper takes a 12-deep setsid chain down" {
	write_chain ignore
	"$H/subreaper" -w -t 200 -r "$T/rep" "$AK" --contain=subreaper -g 0.1 "$T/cmd" stay >"$T/out" 3>&- &
	BG_PIDS=$!
	wait_for "grep -q up $T/out"
	t0=$(date +%s%N)
	kill -KILL "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" && st=0 || st=$?
	t=$((($(date +%s%N) - t0) / 1000000))
	assert_equal "$st" $((128 + 9))
	grep -qx "alive 0" "$T/rep" || fail "left: $(cat "$T/rep")"
	((t < 5000)) || fail "took ${t} ms"
}

@test "autoreap --wait --contain=subreaper: a relayed TERM reaches a whole 12-deep setsid chain" {
	write_chain
	"$H/subreaper" -t 200 -r "$T/rep" "$AR" -w --contain=subreaper "$T/cmd" >"$T/out" 3>&- &
	BG_PIDS=$!
	wait_for "grep -q up $T/out"
	ar=$(child_of "$BG_PIDS")
	cmd=$(cat "$T/cmd.pid")
	# COMMAND is gone (reaped: its one child until then was COMMAND itself, which a TERM
	# would have killed); autoreap waits for the chain, now its adopted orphans.
	wait_for "[[ ! -e /proc/$cmd ]] && [[ \$(wc -w </proc/$ar/task/$ar/children) == 1 ]]"
	kill -TERM "$ar"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 0
	grep -qx "alive 0" "$T/rep" || fail "left: $(cat "$T/rep")"
}
