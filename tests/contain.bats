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
kill_with_orphan_recorder() {
	"$H/subreaper" -w -r "$T/rep" "$AK" "$@" --contain=subreaper -g 0.2 bash -c \
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
	assert_equal "$(signals_in "$T/log")" "INT TERM"
	grep -qx "alive 0" "$T/rep"
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
