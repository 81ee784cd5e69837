#!/usr/bin/env bats
# --status-fd: JSON lines that match what happened, and a reader that goes away.

load common

# json_ok FILE: every line is one JSON object (python3, else jq, else a strict shape check).
json_ok() {
	if command -v python3 >/dev/null; then
		python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"
	elif command -v jq >/dev/null; then
		jq -e . "$1" >/dev/null
	else
		! grep -vqE '^\{"event":"[a-z]+".*\}$' "$1"
	fi
}

@test "autokill: start, one record per ladder step, end; fields match" {
	run env --block-signal=HUP "$AK" --mode=userspace --status-fd=5 -t 0.2 -g 0.2 "$H/sigrec" -c HUP -r "$T/ready" "$T/log" 5>"$T/status"
	assert_equal "$status" 124
	json_ok "$T/status"
	assert_equal "$(wc -l <"$T/status")" 4
	pid=$(cat "$T/ready")
	head -1 "$T/status" | grep -q "^{\"event\":\"start\",\"tool\":\"autokill\",\"version\":\"[0-9.]*\",\"pid\":$pid,\"mode\":\"userspace\",\"nnp\":false,\"contain\":\"pgrp\""
	sed -n 2p "$T/status" | grep -q '"event":"signal","signal":"HUP","target":"group","relayed":false'
	sed -n 3p "$T/status" | grep -q '"event":"signal","signal":"TERM"'
	tail -1 "$T/status" | grep -q '"event":"end","exit_code":null,"signal":"TERM","core":false,"timed_out":true,"killed":false,"duration":'
}

@test "autoreap --wait: start and end with the exit code and CPU figures" {
	run "$AR" -w --status-fd=5 sh -c 'exit 3' 5>"$T/status"
	assert_equal "$status" 3
	json_ok "$T/status"
	# The kernel reaps an auto-reaped COMMAND: no CPU figures reach us then (documented).
	if head -1 "$T/status" | grep -q '"mode":"kernel"'; then
		num=null
	else
		num='[0-9.]+'
	fi
	tail -1 "$T/status" | grep -qE "\"event\":\"end\",\"exit_code\":3,\"signal\":null,.*\"user_cpu\":$num,\"sys_cpu\":$num,\"max_rss_kib\":$num\}\$"
}

@test "relayed signals are recorded as relayed" {
	"$AK" --status-fd=5 "$H/sigrec" -x USR1:0 -r "$T/ready" "$T/log" 5>"$T/status" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	kill -USR1 "$BG_PIDS"
	wait "$BG_PIDS"
	json_ok "$T/status"
	grep -q '"event":"signal","signal":"USR1","target":"group","relayed":true' "$T/status"
	tail -1 "$T/status" | grep -q '"exit_code":0'
}

@test "a reader that went away breaks neither tool" {
	for tool in "$AK -t 30 -g 0.1" "$AR -w"; do
		# The reader end of the pipe is closed before anything is written.
		st=$(bash -c "exec 5> >(exec true); wait \$!; $tool --status-fd=5 sh -c 'exit 4' >/dev/null; echo \$?")
		assert_equal "$st" 4
	done
}

@test "a bad --status-fd: 125, one line" {
	run "$AK" --status-fd=9 true
	assert_equal "$status" 125
	assert_line --index 0 "autokill: --status-fd=9 is not an fd open for writing"
	run "$AR" --status-fd=x true
	assert_equal "$status" 125
	assert_line --index 0 "autoreap: invalid fd number 'x'"
}
