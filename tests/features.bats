#!/usr/bin/env bats
# The feature probe (--features) and spawning on kernels that refuse clone3 or pidfd calls,
# simulated with a seccomp filter (tests/helpers/nosys).

load common

KEYS="clone3 autoreap nnp autokill pidfd_open pidfd_send_signal waitid_pidfd pidfd_get_info
pidfd_exit_info pidfd_signal_group close_range clone_into_cgroup cgroup_kill userns kernel mode"

@test "--features prints every key as one key=value line" {
	for tool in "$AR" "$AK"; do
		run "$tool" --features
		assert_success
		for key in $KEYS; do
			assert_line --regexp "^$key=."
		done
		assert_line "kernel=$(uname -r)"
		# autokill adds contain=, what --contain=auto would choose.
		[[ $tool == "$AK" ]] && assert_line --regexp '^contain=(pidns|cgroup|subreaper)$'
		assert_equal "${#lines[@]}" $(($(wc -w <<<"$KEYS") + ($([[ $tool == "$AK" ]] && echo 1 || echo 0))))
	done
}

# kernel_at_least X.Y: whether the running kernel's release is X.Y or later. No forks: in
# a starved 5.10 guest, a sed per call made the test outlast its 300 s.
KREL=$(uname -r)
kernel_at_least() {
	[[ $KREL =~ ^([0-9]+)\.([0-9]+) ]] || return 1
	local hm=${BASH_REMATCH[1]} hn=${BASH_REMATCH[2]} wm=${1%%.*} wn=${1#*.}
	((hm > wm || (hm == wm && hn >= wn)))
}

@test "--features answers what the running kernel has: each facility from its first kernel" {
	# On an unrestricted machine (no seccomp profile) every answer follows the release.
	local key first want
	run "$AK" --features
	assert_success
	while read -r key first; do
		want=no
		kernel_at_least "$first" && want=yes
		assert_line "$key=$want"
	done <<-EOF
		clone3 5.3
		pidfd_open 5.3
		pidfd_send_signal 5.1
		waitid_pidfd 5.4
		clone_into_cgroup 5.7
		close_range 5.9
		pidfd_signal_group 6.9
		pidfd_get_info 6.13
		pidfd_exit_info 6.15
		autoreap 7.1
		nnp 7.1
		autokill 7.1
	EOF
	# cgroup.kill: unknown only when no cgroup below the root can be looked at.
	if kernel_at_least 5.14; then
		assert_line --regexp '^cgroup_kill=(yes|unknown)$'
	else
		assert_line --regexp '^cgroup_kill=(no|unknown)$'
	fi
	# Root may always create a user namespace (the VM and CI run as root).
	[[ $(id -u) != 0 ]] || assert_line userns=yes
}

@test "--features leaves no process and no cgroup behind" {
	# Under the subreaper harness, any probe child left running or unreaped is counted.
	for tool in "$AR" "$AK"; do
		run "$H/subreaper" -r "$T/rep" bash -c 'echo $$ >"$1"; exec "$2" --features' _ "$T/pid" "$tool"
		assert_success
		run cat "$T/rep"
		assert_line "zombies 0"
		assert_line "alive 0"
		# Cgroups it may make are named after its pid: none is left.
		run find /sys/fs/cgroup -maxdepth 4 -name "autokill*-$(cat "$T/pid")"
		assert_output ""
	done
}

@test "--features on a kernel without the 7.1 flags: userspace mode" {
	[[ $(feature autoreap) == no ]] || skip "kernel $(uname -r) has the 7.1 flags"
	run "$AK" --features
	assert_line clone3=yes
	assert_line autoreap=no
	assert_line nnp=no
	assert_line autokill=no
	assert_line mode=userspace
	run "$AR" --features
	assert_line mode=userspace
}

@test "--features with pidfd calls refused by seccomp: each says no" {
	run "$H/nosys" pidfd_send_signal,waitid,close_range "$AK" --features
	assert_success
	assert_line pidfd_send_signal=no
	assert_line waitid_pidfd=no
	assert_line close_range=no
	assert_line pidfd_signal_group=no
	assert_line pidfd_open=yes
	run "$H/nosys" pidfd_open "$AR" --features
	assert_line pidfd_open=no
}

@test "--features on a kernel with the 7.1 flags: kernel mode" {
	require_kernel autokill
	for tool in "$AR" "$AK"; do
		run "$tool" --features
		assert_line autoreap=yes
		assert_line nnp=yes
		assert_line autokill=yes
		assert_line mode=kernel
	done
}

@test "clone3 refused with ENOSYS: reported, and spawning falls back to clone" {
	run "$H/nosys" clone3 "$AK" --features
	assert_line clone3=no
	assert_line autokill=no
	assert_line mode=userspace
	run "$H/nosys" clone3 "$AK" -vv sh -c 'exit 3'
	assert_equal "$status" 3
	assert_line --regexp "^autokill: started [0-9]+ with clone$"
	run "$H/nosys" clone3 "$AR" -v -w sh -c 'exit 4'
	assert_equal "$status" 4
	assert_line --regexp "^autoreap: started [0-9]+ with clone$"
}

@test "clone3 and clone(CLONE_PIDFD) refused with EPERM: fork plus pidfd_open still works" {
	run "$H/nosys" -e EPERM clone3,clone_pidfd "$AK" -vv sh -c 'exit 5'
	assert_equal "$status" 5
	assert_line --regexp "^autokill: started [0-9]+ with fork$"
	run "$H/nosys" -e EPERM clone3,clone_pidfd "$AR" -v -w true
	assert_success
	assert_line --regexp "^autoreap: started [0-9]+ with fork$"
}

@test "PIDFD_GET_INFO refused: pidfd_exit_info=no, and autoreap --wait still works" {
	run "$H/nosys" pidfd_get_info "$AR" --features
	assert_line pidfd_get_info=no
	assert_line pidfd_exit_info=no
	run "$H/nosys" pidfd_get_info "$AR" -w sh -c 'exit 9'
	assert_equal "$status" 9
}

@test "--mode=kernel without the kernel flags: 125, one line, nothing started" {
	[[ $(feature autokill) == no ]] || skip "kernel $(uname -r) has the 7.1 flags"
	run "$AK" --mode=kernel touch "$T/started"
	assert_equal "$status" 125
	assert_output "autokill: kernel mode unavailable: clone3 with CLONE_PIDFD_AUTOKILL: Invalid argument (needs Linux 7.1 and clone3 allowed)"
	run "$AR" --mode=kernel touch "$T/started"
	assert_equal "$status" 125
	assert_output --partial "autoreap: kernel mode unavailable"
	[[ ! -e $T/started ]]
}

@test "--mode=kernel with clone3 refused: 125, even on a 7.1 kernel" {
	run "$H/nosys" clone3 "$AK" --mode=kernel touch "$T/started"
	assert_equal "$status" 125
	assert_output --partial "kernel mode unavailable: clone3 with CLONE_PIDFD_AUTOKILL: Function not implemented"
	[[ ! -e $T/started ]]
}

@test "--verbose says which mode ran and why" {
	run "$AK" -vv --mode=userspace true
	assert_line "autokill: mode=userspace: --mode=userspace"
	run "$AR" -v --mode=userspace -w true
	assert_line "autoreap: mode=userspace: --mode=userspace"
}
