#!/usr/bin/env bats
# Exec failures and the exit-status table shared by both tools.

load common

@test "COMMAND not found: 127 and one line naming it" {
	for tool in "$AR" "$AR -w" "$AK"; do
		run -127 $tool no-such-command-here
		assert_equal "$status" 127
		name=${tool##*/}
		assert_output "${name% -w}: cannot run 'no-such-command-here': No such file or directory"
	done
}

@test "COMMAND not executable: 126 and one line naming it" {
	printf 'data\n' >"$T/plain"
	chmod 644 "$T/plain"
	for tool in "$AR" "$AR -w" "$AK"; do
		run $tool "$T/plain"
		assert_equal "$status" 126
		assert_output --regexp "cannot run '$T/plain': Permission denied$"
	done
	run "$AK" "$T"
	assert_equal "$status" 126
}

@test "COMMAND through a file (ENOTDIR): 126, as GNU timeout, env and bash give, on every path" {
	# Not "not found": something is in the way that cannot be executed, so 126 (coreutils
	# timeout.c and env.c map only ENOENT to 127).
	for tool in "$AR" "$AR -w" "$AK" "$AK --contain=pidns" "$AK --contain=subreaper" \
		"$AR -w --contain=pidns"; do
		run -126 $tool /dev/null/x
		assert_output --regexp "cannot run '/dev/null/x': Not a directory$"
	done
	ln -s "$AK" "$T/timeout"
	run -126 "$T/timeout" 5 /dev/null/x
	# NEXT of a hand-off likewise.
	run -126 "$AR" --pidfd-fd=5 true ';' /dev/null/x
	assert_output --regexp "cannot run NEXT '/dev/null/x': Not a directory \(COMMAND was killed\)$"
}

# Every code natively; under emulation (check-vm sets AUTOREAP_EMULATED=1, where a spawn costs
# ~100 times more) the codes whose handling differs: 0-2, around 125-129, 137, 143, 254, 255.
codes() {
	if [[ ${AUTOREAP_EMULATED:-0} == 1 ]]; then
		echo 0 1 2 3 124 125 126 127 128 129 130 137 143 200 254 255
	else
		seq 0 255
	fi
}

@test "exit codes 0..255 pass through unchanged (autokill)" {
	for code in $(codes); do
		"$AK" sh -c "exit $code" && st=0 || st=$?
		[[ $st == "$code" ]] || fail "autokill: $code became $st"
	done
}

@test "exit codes 0..255 pass through unchanged (autoreap --wait)" {
	for code in $(codes); do
		"$AR" -w sh -c "exit $code" && st=0 || st=$?
		[[ $st == "$code" ]] || fail "autoreap -w: $code became $st"
	done
}

@test "a COMMAND killed by a signal makes the tool die of that signal, without a core" {
	cd "$T"
	ulimit -c unlimited
	for sig in TERM KILL SEGV INT HUP; do
		run "$H/status" "$AK" sh -c "kill -$sig \$\$"
		assert_output "signal $sig"
		run "$H/status" "$AR" -w sh -c "kill -$sig \$\$"
		assert_output "signal $sig"
	done
}

@test "fire-and-forget autoreap exits 0 once COMMAND runs" {
	run "$H/subreaper" -w "$AR" sh -c 'exit 7'
	assert_success
}

@test "a script without #! runs through sh, with a long argument list (the child's own stack)" {
	printf 'echo "$# ${5000}"\n' >"$T/script"
	chmod 755 "$T/script"
	for tool in "$AR -w" "$AK"; do
		run $tool "$T/script" $(seq 5000)
		assert_success
		assert_output "5000 5000"
	done
	run "$H/subreaper" -w "$AR" -q "$T/script" $(seq 5000)
	assert_success
}
