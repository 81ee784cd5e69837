#!/usr/bin/env bats
# The feature probe (--features) and spawning on kernels that refuse clone3 or pidfd calls,
# simulated with a seccomp filter (tests/helpers/nosys).

load common

@test "--features prints every key as one key=value line" {
	for tool in "$AR" "$AK"; do
		run "$tool" --features
		assert_success
		for key in clone3 autoreap nnp autokill pidfd_exit_info kernel mode; do
			assert_line --regexp "^$key=."
		done
		assert_line "kernel=$(uname -r)"
		# autokill adds contain=, what --contain=auto would choose.
		[[ $tool == "$AK" ]] && assert_line --regexp '^contain=(pidns|cgroup|subreaper)$'
		assert_equal "${#lines[@]}" $([[ $tool == "$AK" ]] && echo 8 || echo 7)
	done
}

@test "--features on a kernel without the 7.1 flags: userspace mode" {
	[[ $(feature autoreap) == no ]] || skip "kernel $(uname -r) has the 7.1 flags"
	run "$AK" --features
	assert_line clone3=yes
	assert_line autoreap=no
	assert_line nnp=no
	assert_line autokill=no
	assert_line pidfd_exit_info=yes
	assert_line mode=userspace
	run "$AR" --features
	assert_line mode=userspace
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
