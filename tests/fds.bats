#!/usr/bin/env bats
# fd hygiene: COMMAND holds exactly the fds its caller gave it, nothing of the tool's.

load common

@test "COMMAND holds only the caller's fds (autokill, autoreap --wait)" {
	direct=$("$H/fdlist" 5</dev/null 7>"$T/seven")
	[[ " $direct " == *" 5 "* && " $direct " == *" 7 "* ]]
	for tool in "$AK" "$AK --mode=userspace" "$AR -w" "$AR -w --mode=userspace"; do
		out=$($tool "$H/fdlist" 5</dev/null 7>"$T/seven")
		assert_equal "$out" "$direct"
	done
}

@test "COMMAND holds only the caller's fds (autoreap fire-and-forget)" {
	sh -c "exec $H/fdlist >$T/direct" 5</dev/null
	[[ " $(cat "$T/direct") " == *" 5 "* ]]
	for mode in auto userspace; do
		"$H/subreaper" -w "$AR" --mode=$mode sh -c "exec $H/fdlist >$T/out.$mode" 5</dev/null
		assert_equal "$(cat "$T/out.$mode")" "$(cat "$T/direct")"
	done
}

@test "the userspace leash watcher holds none of the caller's pipes" {
	# If the watcher kept stdout, $(...) would wait for it; it must end with autokill.
	out=$(timeout 20 "$AK" --mode=userspace echo hi)
	assert_equal "$out" hi
}
