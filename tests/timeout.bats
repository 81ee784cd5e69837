#!/usr/bin/env bats
# autokill as timeout(1): run under the name `timeout` (a symlink), it takes GNU timeout's
# command line and keeps its documented behaviour (coreutils manual, "timeout invocation"),
# with the leash added. Then the same options under autokill's own name.

load common

setup() {
	common_setup
	TO=$T/timeout
	ln -s "$AK" "$TO"
}

# --- the timeout-named binary: GNU timeout's manual, one behaviour per test ---

@test "timeout: COMMAND finishing in time gives its own status" {
	run -3 "$TO" 20 sh -c 'exit 3'
	run -0 "$TO" 20 true
}

@test "timeout: on timeout TERM is sent and the status is 124" {
	run -124 env --block-signal=TERM "$TO" 0.1 "$H/sigrec" -c TERM -x TERM:0 "$T/log"
	assert_equal "$(signals_in "$T/log")" "TERM"
}

@test "timeout: -s picks the signal, by name, with SIG, or by number" {
	for s in HUP SIGHUP 1 hup; do
		run -124 env --block-signal=HUP "$TO" -s "$s" 0.1 "$H/sigrec" -c HUP -x HUP:0 "$T/log.$s"
		assert_equal "$(signals_in "$T/log.$s")" "HUP"
	done
	run -124 env --block-signal=INT "$TO" --signal=INT 0.1 "$H/sigrec" -c INT -x INT:0 "$T/log.l"
	assert_equal "$(signals_in "$T/log.l")" "INT"
}

@test "timeout: without -k nothing but the one signal is sent; the status is still 124" {
	# The manual's example: a COMMAND that ignores the signal runs to its own end.
	# The fifo in bats' own tmpdir: $T may be on a filesystem without fifos (vm-run's 9p).
	mkfifo "$BATS_TEST_TMPDIR/go"
	env --ignore-signal=INT "$TO" -v -s INT 0.1 sh -c 'read x <"$1"; exit 5' sh "$BATS_TEST_TMPDIR/go" 2>"$T/err" 3>&- &
	BG_PIDS=$!
	wait_for "grep -q 'sending signal INT' $T/err"
	# Longer than autokill's default grace: no KILL comes.
	run -124 "$AK" -t 2.5 tail --pid="$BG_PIDS" -f /dev/null
	echo go >"$BATS_TEST_TMPDIR/go"
	st=0
	wait "$BG_PIDS" || st=$?
	assert_equal "$st" 124
	assert_equal "$(cat "$T/err")" "timeout: sending signal INT to command 'sh'"
}

@test "timeout: -k sends KILL that long after the signal; 137" {
	run -137 env --ignore-signal=INT "$TO" -s INT -k 0.2 0.1 sleep 100
	run -137 env --ignore-signal=TERM "$TO" --kill-after=0.1 0.1 sleep 100
}

@test "timeout: -s 0 -k D: nothing at the timeout, KILL after D" {
	run -137 "$TO" -v -s 0 -k 0.1 0.1 sleep 100
	assert_line --index 0 "timeout: sending signal EXIT to command 'sleep'"
	assert_line --index 1 "timeout: sending signal KILL to command 'sleep'"
	run -137 "$TO" -s EXIT -k 0.1 0.1 sleep 100
}

@test "timeout: -k 0 or a DURATION of 0 disables the timer" {
	run -124 "$TO" -v -k 0 0.1 sleep 100
	assert_output "timeout: sending signal TERM to command 'sleep'"
	run -0 "$TO" -k 0.1 0 sh -c 'exit 0'
}

@test "timeout: -s KILL gives 137" {
	run -137 "$TO" -s KILL 0.1 sleep 100
}

@test "timeout: --preserve-status exits like COMMAND: 128+N for a signal, its code else" {
	run -143 "$TO" --preserve-status 0.1 sleep 100
	run -3 env --block-signal=TERM "$TO" --preserve-status 0.1 "$H/sigrec" -c TERM -x TERM:3 "$T/log"
	run -137 env --ignore-signal=TERM "$TO" --preserve-status -k 0.1 0.1 sleep 100
	run -0 "$TO" --preserve-status 10 true
}

@test "timeout: a COMMAND killed by a signal timeout did not send makes timeout die of it" {
	run bash -c '"$1" 10 sh -c "kill -USR1 \$\$"; echo $?' sh "$TO"
	assert_output --partial 138
	run bash -c '"$1" --preserve-status 10 sh -c "kill -USR1 \$\$"; echo $?' sh "$TO"
	assert_output --partial 138
}

@test "timeout: 125 for its own errors, 126 not executable, 127 not found" {
	for bad in "-s FOO 1" "nan" "-1" "1x" "--bogus 1" "-k 2y 1" "" "." "1s2"; do
		run -125 "$TO" $bad true
		assert_equal "${#lines[@]}" 2
		assert_line --index 1 --partial "Try \`timeout --help'"
	done
	run -125 "$TO"
	run -125 "$TO" 10
	assert_line --index 0 "timeout: missing COMMAND"
	run -126 "$TO" 10 /etc/passwd
	run -127 "$TO" 10 /nonexistent/cmd
}

@test "timeout: DURATION as GNU reads it: exponents, inf, units, huge and tiny values" {
	for d in 1e3 2.34e+5d inf infinity 1e400 99999999999d 0x10 1.5m 2h 0.5d 10s .5 +1; do
		run -0 "$TO" "$d" true
	done
	# Below the float range: 0, so no timeout, as in GNU timeout.
	run -0 "$TO" 1e-10000 sh -c 'exit 0'
	# Tiny but not 0: the smallest timeout there is, never "no timeout".
	run -124 "$TO" 0.0000000004 sleep 10
	run -124 "$TO" 1e-300 sleep 10
}

@test "timeout: options must precede DURATION; COMMAND's own options are left alone" {
	run -0 "$TO" 10 sh -c 'echo "$@"' sh -v -k 1 --preserve-status
	assert_output "-v -k 1 --preserve-status"
	run -127 "$TO" 10 -v true
}

@test "timeout: a SIGALRM it receives counts as its timer firing (cascaded timeouts)" {
	# The inner timeout gets ALRM from the outer one and times out in turn: its 124
	# reaches the outer one, which preserves it. Relaying ALRM would make it 142. The outer
	# DURATION leaves the inner one time to start (an ALRM before it has set up its
	# signals kills it with 142, as it would GNU timeout; ASan's start-up took over 0.1 s).
	run -124 "$TO" --preserve-status -s ALRM 2 "$TO" 100 sleep 100
	run -124 "$TO" -s ALRM -k 5 2 "$TO" 100 sleep 100
	# Ignored when timeout started (a background job's nohup-like set-up): not the timer.
	run -5 env --ignore-signal=ALRM "$TO" 100 sh -c 'kill -ALRM $PPID; exit 5'
}

@test "timeout: -v says one line per signal sent and nothing else" {
	run -0 "$TO" -v 10 true
	assert_output ""
	run -124 "$TO" -v 0.1 sleep 100
	assert_output "timeout: sending signal TERM to command 'sleep'"
	run -137 env --ignore-signal=TERM "$TO" -v -k 0.1 0.1 sleep 100
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 "timeout: sending signal KILL to command 'sleep'"
}

@test "timeout: TERM received is relayed; with -k, KILL follows that long after" {
	"$H/subreaper" -w -r "$T/rep" "$TO" -k 0.2 100 "$H/sigrec" -c TERM -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	kill -TERM "$(child_of "$BG_PIDS")"
	st=0
	wait "$BG_PIDS" || st=$?
	assert_equal "$st" 137
	assert_equal "$(signals_in "$T/log")" "TERM"
	grep -qx "alive 0" "$T/rep"
}

@test "timeout: a second INT is relayed like the first, not turned into KILL" {
	"$H/subreaper" -w -r "$T/rep" "$TO" 100 "$H/sigrec" -c INT,TERM -x TERM:7 -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	to=$(child_of "$BG_PIDS")
	kill -INT "$to"
	wait_for "[[ \$(grep -c INT $T/log) -ge 1 ]]"
	kill -INT "$to"
	wait_for "[[ \$(grep -c INT $T/log) -ge 2 ]]"
	kill -TERM "$to"
	st=0
	wait "$BG_PIDS" || st=$?
	assert_equal "$st" 7
}

# fire TO_ARGS...: runs timeout TO_ARGS... 100 COMMAND, which starts a `sleep` child and
# writes its pid and own process group to $T/child; then makes the timer fire (ALRM counts
# as the timer) and sets ST to timeout's status and CHILD to the sleep's pid.
fire() {
	"$TO" "$@" 100 sh -c 'sleep 100 & echo "$! $(cut -d" " -f5 /proc/$$/stat)" >"$1.tmp"; mv "$1.tmp" "$1"; wait' sh "$T/child" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/child ]]"
	read -r CHILD PGID <"$T/child"
	kill -ALRM "$BG_PIDS"
	ST=0
	wait "$BG_PIDS" || ST=$?
	rm "$T/child"
}

@test "timeout: by default the group gets the signal; --foreground signals COMMAND only" {
	fire
	assert_equal "$ST" 124
	wait_for "ended $CHILD"
	[[ $PGID != "$(cut -d' ' -f5 /proc/$$/stat)" ]]
	# --foreground: COMMAND stays in the caller's process group, its child is left alone.
	fire --foreground
	assert_equal "$ST" 124
	alive=$(state_of "$CHILD")
	kill -KILL "$CHILD"
	[[ -n $alive && $alive != Z ]]
	assert_equal "$PGID" "$(cut -d' ' -f5 /proc/$$/stat)"
}

@test "timeout --foreground in a terminal: COMMAND reads it, Ctrl-C ends the job as COMMAND" {
	# The job is timeout and COMMAND in one group: COMMAND reads the terminal, the
	# terminal's INT reaches both, and the job ends as COMMAND did.
	run "$H/ptyjob" "$TO" --foreground 100 sh -c "touch $T/ready; read l; echo \$l >$T/got; exec '$H/sigrec' -c INT -x INT:130 -r $T/ready2 $T/log" <<EOF
wait-file $T/ready
type hello
wait-file $T/ready2
intr
exit
owner
EOF
	assert_success
	assert_line "exit 130"
	assert_line "fg=job"
	assert_equal "$(cat "$T/got")" hello
	assert_equal "$(wc -l <"$T/log")" 1
}

@test "timeout: the leash holds: SIGKILL of timeout takes COMMAND down, even one ignoring TERM" {
	"$H/subreaper" -w -r "$T/rep" env --ignore-signal=TERM "$TO" 100 "$H/sigrec" -c HUP -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	cmd=$(cat "$T/ready")
	kill -KILL "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" || true
	ended "$cmd"
	grep -qx "alive 0" "$T/rep"
}

@test "timeout: an inherited ignored SIGPIPE is reset for COMMAND (documented difference)" {
	run bash -c 'trap "" PIPE; "$1" 10 yes | :; echo "${PIPESTATUS[0]}"' sh "$TO"
	assert_output 141
}

@test "timeout: --help and --version" {
	run -0 "$TO" --help
	assert_line --index 0 --partial "Usage: timeout [OPTION...] DURATION COMMAND [ARG]..."
	assert_output --partial "--preserve-status"
	assert_output --partial "--foreground"
	run -0 "$TO" --version
	assert_line --index 0 --regexp '^timeout \(autokill\) [0-9]'
}

# --- the same options under autokill's own name ---

@test "autokill -s/-k: SIG at the timeout, KILL -k later; 137" {
	# USR1 waits, blocked, for sigrec's handler; the KILL must leave sigrec time to start
	# and record it (0.2 s did not, in a loaded emulated guest).
	run -137 env --block-signal=USR1 "$AK" -t 0.1 -s USR1 -k 2 "$H/sigrec" -c USR1 "$T/log"
	assert_equal "$(signals_in "$T/log")" "USR1"
	run -124 "$AK" -t 0.1 -s INT sleep 100
	run -137 "$AK" -v -t 0.1 -s 0 -k 0.1 sleep 100
	assert_equal "${#lines[@]}" 2
}

@test "autokill -s/-k with --ladder, or -k with --grace: one line, 125" {
	for bad in "-s TERM -L TERM,KILL" "-L TERM,KILL -k 1" "-k 1 -g 2" "-s FOO"; do
		run -125 "$AK" $bad true
		assert_equal "${#lines[@]}" 2
	done
	run -125 "$AK" -s TERM -L TERM,KILL true
	assert_line --index 0 "autokill: -s and -k build the ladder; they cannot be combined with --ladder"
}

@test "autokill --preserve-status and --foreground" {
	run -143 "$AK" --preserve-status -s TERM -t 0.1 sleep 100
	run -129 "$AK" --preserve-status -t 0.1 sleep 100
	run -0 "$AK" --foreground -t 10 sh -c 'cut -d" " -f5 /proc/$$/stat'
	assert_output "$(cut -d' ' -f5 /proc/$$/stat)"
	run -125 "$AK" --foreground --contain=subreaper true
}

@test "autokill: SIGALRM received is the timer firing, also without --timeout" {
	# GNU timeout -s ALRM sends ALRM to autokill and to its own process group. Its timer
	# is made to fire (ALRM to timeout) once COMMAND runs: with a fixed 0.1 s, a loaded
	# machine sometimes had not run autokill's first instructions yet (142, nothing started).
	"$TO" --preserve-status -s ALRM 1000 "$AK" sh -c "touch $T/ready; exec sleep 100" &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	kill -ALRM "$BG_PIDS"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 124
}

@test "autokill -v: one line per signal; -vv adds the details" {
	run -0 "$AK" -v true
	assert_output ""
	run -124 "$AK" -v -t 0.1 -L HUP,KILL -g 10 sleep 100
	assert_output "autokill: sending signal HUP to command 'sleep'"
	run -124 "$AK" -vv --mode=userspace -t 0.1 sleep 100
	assert_line --regexp "^autokill: sending signal HUP to command 'sleep' \(pid [0-9]+, after [0-9.]+s\)$"
	assert_line --partial "mode=userspace"
}

@test "autokill -t: a tiny DURATION is not 0" {
	run -124 "$AK" -t 0.0000000004 sleep 10
}

@test "autokill -s without -k: the leash still ends in KILL" {
	"$H/subreaper" -w -r "$T/rep" env --ignore-signal=TERM "$AK" --mode=userspace -s TERM "$H/sigrec" -c HUP -r "$T/ready" "$T/log" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready ]]"
	cmd=$(cat "$T/ready")
	kill -KILL "$(child_of "$BG_PIDS")"
	wait "$BG_PIDS" || true
	ended "$cmd"
	grep -qx "alive 0" "$T/rep"
}

@test "autokill --version names autokill" {
	run -0 "$AK" --version
	assert_output --regexp '^autokill [0-9]'
}
