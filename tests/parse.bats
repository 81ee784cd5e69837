#!/usr/bin/env bats
# Command-line parsing: durations, signals, modes, bad input. Bad input gets one line naming
# the problem, the --help hint, exit 125, and no COMMAND started.

load common

# bad_input TOOL ARGS... : exit 125, exactly the error line and the hint, nothing started.
bad_input() {
	run "$@" touch "$T/started"
	assert_equal "$status" 125
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp "^Try \`auto(reap|kill) --help'"
	[[ ! -e $T/started ]]
}

@test "valid durations are accepted, GNU timeout's included" {
	for d in 0 0.5 250ms 2s 1.5m 1h 1d .5 10 1e3 2.34e+5d inf 1e400 99999999999d " 1" 0x10 1e-10000; do
		run "$AK" -t "$d" true
		# In a loaded emulated guest, starting true can outlast 250 ms: 124 is a timeout
		# honoured, as much proof of a parsed duration as 0.
		[[ $status == 0 || $status == 124 ]] || fail "-t $d: status $status: $output"
		refute_output --partial invalid
	done
}

@test "invalid durations are refused with one line and 125" {
	for d in -1 "" 5x nan -inf 1s2 1..2 . 1e 2mss 1m1; do
		bad_input "$AK" -t "$d"
		assert_line --index 0 "autokill: invalid duration '$d'"
	done
	bad_input "$AK" -g -2s
	assert_line --index 0 "autokill: invalid duration '-2s'"
}

@test "signals are accepted by name, with or without SIG, any case, or number" {
	for l in HUP,TERM,KILL SIGHUP,sigterm,kill hup,9 RTMIN+2,KILL RTMAX-1,KILL 1,15,9 KILL; do
		run "$AK" -L "$l" true
		assert_success
	done
}

@test "unknown signals, out-of-range numbers and ladders without KILL are refused" {
	bad_input "$AK" -L FOO,KILL
	assert_line --index 0 "autokill: invalid signal 'FOO' in ladder 'FOO,KILL'"
	bad_input "$AK" -L 0,KILL
	assert_line --index 0 "autokill: invalid signal '0' in ladder '0,KILL'"
	bad_input "$AK" -L 65,KILL
	assert_line --index 0 "autokill: invalid signal '65' in ladder '65,KILL'"
	bad_input "$AK" -L RTMIN+99,KILL
	assert_line --index 0 --partial "invalid signal 'RTMIN+99'"
	bad_input "$AK" -L HUP,TERM
	assert_line --index 0 "autokill: ladder 'HUP,TERM' must end with KILL"
	bad_input "$AK" -L ""
	assert_line --index 0 "autokill: ladder '' must end with KILL"
}

@test "a ladder with an empty step is refused, not read as a shorter ladder" {
	bad_input "$AK" -L HUP,,KILL
	assert_line --index 0 "autokill: invalid signal '' in ladder 'HUP,,KILL'"
	bad_input "$AK" -L ,KILL
	assert_line --index 0 "autokill: invalid signal '' in ladder ',KILL'"
	bad_input "$AK" -L KILL,
	assert_line --index 0 "autokill: invalid signal '' in ladder 'KILL,'"
	bad_input "$AK" -L 1,2,3,4,5,6,7,8,KILL
	assert_line --index 0 "autokill: ladder '1,2,3,4,5,6,7,8,KILL' has more than 8 steps"
}

@test "unknown option, bad mode and missing COMMAND: 125 for both tools" {
	for tool in "$AR" "$AK"; do
		name=${tool##*/}
		bad_input "$tool" --bogus
		assert_line --index 0 "$name: unrecognized option '--bogus'"
		bad_input "$tool" --mode=fast
		assert_line --index 0 "$name: invalid mode 'fast' (auto, kernel or userspace)"
		run "$tool"
		assert_equal "$status" 125
		assert_line --index 0 "$name: missing COMMAND"
		run "$tool" -v
		assert_equal "$status" 125
	done
}

@test "options stop at COMMAND: COMMAND's own options are left alone" {
	run "$AK" sh -c 'echo "$@"' sh -v --mode=x -t
	assert_success
	assert_output "-v --mode=x -t"
	run "$AR" -w sh -c 'echo "$@"' sh -w -p
	assert_success
	assert_output "-w -p"
	run "$AK" -- printf '%s\n' --help
	assert_output "--help"
}

@test "--help and --version exit 0 and name the tool" {
	for tool in "$AR" "$AK"; do
		run "$tool" --help
		assert_success
		assert_line --index 0 --partial "Usage: ${tool##*/} [OPTION...] COMMAND [ARG]..."
		run "$tool" --version
		assert_success
		assert_output --regexp "^${tool##*/} [0-9]"
	done
}

@test "bad --contain: unknown modes, autokill's modes in autoreap, --contain without --wait" {
	bad_input "$AK" --contain=jail
	assert_line --index 0 "autokill: invalid containment 'jail' (pgrp, subreaper, pidns, cgroup or auto)"
	for m in cgroup auto jail; do
		bad_input "$AR" -w --contain=$m
		assert_line --index 0 "autoreap: invalid containment '$m' (pgrp, subreaper or pidns; autokill has the others)"
	done
	bad_input "$AR" --contain=subreaper
	assert_line --index 0 "autoreap: --contain needs --wait: a tree is contained while autoreap waits"
}
