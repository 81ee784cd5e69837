#!/usr/bin/env bats
# --die-with-parent: when the process that started the tool dies, even by SIGKILL, COMMAND
# goes too and the tool exits; a parent gone before the watch is armed is caught too.

load common

# under_parent TOOL-ARGS...: under the subreaper harness (-w: it waits for what is left),
# a shell starts TOOL-ARGS in the background and waits; $T/sh gets the shell's pid.
under_parent() {
	"$H/subreaper" -w -t 30 -r "$T/rep" bash -c "$* & echo \$\$ >$T/sh; wait" 3>&- &
	BG_PIDS=$!
}

# The parent is SIGKILLed once COMMAND (a sigrec) is ready; nothing may be left after.
kill_parent() {
	wait_for "[[ -s $T/ready && -s $T/sh ]]"
	kill -KILL "$(cat "$T/sh")"
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" $((128 + 9))
	grep -qx "alive 0" "$T/rep" || fail "left: $(cat "$T/rep")"
}

# What COMMAND gets when the parent dies (man page, DIE WITH PARENT): the ladder with the
# userspace leash; with the kernel leash its last step, KILL, at once, which leaves a
# sigrec catching HUP and TERM nothing to log.
parent_death_signals() {
	if [[ $(feature mode) == kernel ]]; then echo ""; else echo "HUP TERM"; fi
}

@test "autokill --die-with-parent: SIGKILL of the parent shell runs the ladder; nothing is left" {
	under_parent "$AK" --die-with-parent -g 0.2 "$H/sigrec" -c HUP,TERM -r "$T/ready" "$T/log"
	kill_parent
	assert_equal "$(signals_in "$T/log")" "$(parent_death_signals)"
}

@test "autokill without --die-with-parent: the same leaves COMMAND running (what the option is for)" {
	"$H/subreaper" -t 30 -r "$T/rep" bash -c "$AK -g 0.2 $H/sigrec -c HUP -r $T/ready $T/log & echo \$\$ >$T/sh; wait" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -s $T/ready && -s $T/sh ]]"
	kill -KILL "$(cat "$T/sh")"
	wait "$BG_PIDS" || true
	! grep -qx "alive 0" "$T/rep"
}

@test "autokill --die-with-parent --contain=subreaper: the keeper takes the whole tree down" {
	under_parent "$AK" --die-with-parent --contain=subreaper -g 0.2 bash -c \
		"'( setsid $H/sigrec -c HUP,TERM -r $T/ready $T/log & ); exec sleep 1000'"
	kill_parent
	assert_equal "$(signals_in "$T/log")" "$(parent_death_signals)"
}

@test "autoreap --wait --die-with-parent: COMMAND is KILLed with its parent" {
	under_parent "$AR" --wait --die-with-parent "$H/sigrec" -c HUP,TERM -r "$T/ready" "$T/log"
	kill_parent
	assert_equal "$(cat "$T/log")" ""
}

@test "autoreap --wait --contain=subreaper --die-with-parent: adopted orphans are KILLed too" {
	under_parent "$AR" --wait --contain=subreaper --die-with-parent bash -c \
		"'( setsid $H/sigrec -r $T/ready $T/log & ); exec sleep 1000'"
	kill_parent
}

@test "--die-with-parent: a parent gone before the watch was armed; COMMAND never starts" {
	# The shim holds autokill inside prctl(PR_SET_PDEATHSIG), after it read getppid(),
	# until the parent is dead and reaped. LD_PRELOAD needs a dynamic autokill: the
	# build's own may be static, tests/helpers/autokill-dynamic never is.
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	"$H/subreaper" -w -t 30 -r "$T/rep" bash -c \
		"LD_PRELOAD=$H/prctlhold.so PRCTLHOLD_AT=$T/at PRCTLHOLD_FIFO=$BATS_TEST_TMPDIR/fifo ASAN_OPTIONS=verify_asan_link_order=0 $H/autokill-dynamic --die-with-parent touch $T/started 2>$T/err & echo \$\$ >$T/sh; wait" 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/at && -s $T/sh ]]"
	sh=$(cat "$T/sh")
	kill -KILL "$sh"
	wait_for "[[ ! -e /proc/$sh ]]"
	echo go >"$BATS_TEST_TMPDIR/fifo"
	wait "$BG_PIDS" || true
	grep -qx "alive 0" "$T/rep" || fail "left: $(cat "$T/rep")"
	[[ ! -e $T/started ]]
	grep -q "parent $sh is gone already; COMMAND not started" "$T/err"
}

@test "--die-with-parent: usage errors" {
	run -125 "$AR" --die-with-parent true
	assert_output --partial "--die-with-parent needs --wait"
	run -125 "$AK" --die-with-parent --pidfd-fd=5 true \; true
	assert_output --partial "--die-with-parent cannot be combined with a hand-off"
}
