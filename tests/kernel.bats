#!/usr/bin/env bats
# The kernel path (Linux 7.1+: CLONE_AUTOREAP, CLONE_NNP, CLONE_PIDFD_AUTOKILL). Each test
# skips with the reason on kernels without the flags; the CI runs this suite again inside
# vm-run (Linux 7.2) with AUTOREAP_REQUIRE_KERNEL=1, where skipping is a failure.

load common

@test "kernel leash: SIGKILL of autokill kills COMMAND at once, with no ladder" {
	require_kernel autokill
	"$H/subreaper" -w -r "$T/rep" "$AK" -g 10 "$H/sigrec" -c HUP,TERM -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	ak=$(child_of "$BG_PIDS")
	cmd=$(cat "$T/ready")
	kill -KILL "$ak"
	# Well inside the 10 s grace: the kernel's SIGKILL, not the ladder.
	wait_for "ended $cmd"
	wait "$BG_PIDS" || true
	[[ ! -s $T/log ]]
	grep -qx "zombies 0" "$T/rep"
}

@test "kernel leash: no_new_privs is applied when unprivileged, and said so" {
	require_kernel autokill
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$AK" -vv grep NoNewPrivs /proc/self/status
	assert_success
	assert_line "autokill: mode=kernel: CLONE_PIDFD_AUTOKILL, no_new_privs applied (no CAP_SYS_ADMIN)"
	assert_line --regexp "NoNewPrivs:[[:space:]]+1"
	run "$AK" -vv grep NoNewPrivs /proc/self/status
	assert_line "autokill: mode=kernel: CLONE_PIDFD_AUTOKILL, no_new_privs not applied"
	assert_line --regexp "NoNewPrivs:[[:space:]]+0"
}

@test "kernel leash: --no-nnp without CAP_SYS_ADMIN is refused in kernel mode" {
	require_kernel autokill
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$AK" --mode=kernel --no-nnp touch "$T/started"
	assert_equal "$status" 125
	assert_output --partial "autokill: --no-nnp needs CAP_SYS_ADMIN"
	[[ ! -e $T/started ]]
}

@test "kernel autoreap: no zombie even under a reaper that never reaps" {
	require_kernel autoreap
	run "$H/subreaper" -n -r "$T/rep" bash -c "$AR -p true >$T/pid && . $top_srcdir/tests/common.bash && wait_for 'ended \$(cat $T/pid)'"
	assert_success
	refute_output --partial warning
	grep -qx "zombies 0" "$T/rep"
	[[ ! -e /proc/$(cat "$T/pid") ]]
}

@test "kernel autoreap --wait: status through the pidfd, signal deaths re-raised" {
	require_kernel autoreap
	run "$AR" -v -w sh -c 'exit 42'
	assert_equal "$status" 42
	assert_line "autoreap: mode=kernel: CLONE_AUTOREAP"
	run "$H/status" "$AR" -w sh -c 'kill -TERM $$'
	assert_output "signal TERM"
}

@test "kernel autoreap --wait: COMMAND is never a zombie of autoreap" {
	require_kernel autoreap
	"$AR" -w -p "$H/sigrec" -x TERM:0 -r "$T/ready" "$T/log" >"$T/pid" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready && -s $T/pid ]]"
	kill -STOP "$BG_PIDS"
	pid=$(cat "$T/pid")
	kill -TERM "$pid"
	# autoreap is stopped and cannot reap: the kernel did.
	wait_for "[[ ! -e /proc/$pid ]]"
	kill -CONT "$BG_PIDS"
	wait "$BG_PIDS"
}
