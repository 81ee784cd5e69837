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

# closed_run CLOSE TOOL...: runs TOOL... (its COMMAND writes its fds to $T/out) with the fds
# in CLOSE (e.g. "0 2") closed, under a reaping subreaper; sets $status.
closed_run() {
	local close=$1 redir= fd
	shift
	for fd in $close; do redir+=" $fd>&-"; done
	eval '"$H/subreaper" -w "$@"' "$redir" 3>&-
}

# closed_all STATUS TOOL...: for each of the 7 combinations of closed 0, 1, 2, TOOL...
# COMMAND exits with STATUS-or-0 as TOOL passes it on, and sees exactly the fds a direct
# run sees (the tool's placeholders on 0-2 are close-on-exec). Hand-offs: TOOL... ends
# with the --pidfd-fd option; NEXT waits for COMMAND's report.
closed_all() {
	local want=$1 close redir fd
	shift
	for close in "0" "1" "2" "0 1" "0 2" "1 2" "0 1 2"; do
		redir=
		for fd in $close; do redir+=" $fd>&-"; done
		rm -f "$T/out" "$T/direct"
		eval '"$H/fdlist" -o "$T/direct"' "$redir" 3>&-
		if [[ " $* " == *" --pidfd-fd=7 "* ]]; then
			run -"$want" closed_run "$close" "$@" sh -c "$H/fdlist -o $T/out.tmp; mv $T/out.tmp $T/out; exit 7" \; \
				sh -c 'while [ ! -e "$0" ]; do sleep 0.01; done' "$T/out"
		else
			run -"$want" closed_run "$close" "$@" sh -c "$H/fdlist -o $T/out.tmp; mv $T/out.tmp $T/out; exit 7"
		fi
		assert_equal "$(cat "$T/out") [closed $close]" "$(cat "$T/direct") [closed $close]"
	done
}

@test "closed stdio, every combination: autokill (pgrp)" {
	closed_all 7 "$AK"
}

@test "closed stdio, every combination: autokill --contain=subreaper" {
	closed_all 7 "$AK" --contain=subreaper
}

@test "closed stdio, every combination: autoreap --wait" {
	closed_all 7 "$AR" -w
}

@test "closed stdio, every combination: autoreap fire-and-forget" {
	closed_all 0 "$AR" -q
}

@test "closed stdio, every combination: autokill hand-off" {
	closed_all 0 "$AK" --pidfd-fd=7
}

@test "closed stdio, every combination: autoreap hand-off" {
	closed_all 0 "$AR" -q --pidfd-fd=7
}

@test "the status fd and the send-pidfd socket do not leak into COMMAND or NEXT" {
	direct=$("$H/fdlist")
	"$H/subreaper" -w "$AR" -w --status-fd=5 "$H/fdlist" -o "$T/ar" 5>"$T/st"
	"$H/subreaper" -w "$AK" --status-fd=5 "$H/fdlist" -o "$T/ak" 5>"$T/st"
	"$H/subreaper" -w "$AR" -q --status-fd=5 "$H/fdlist" -o "$T/ff" 5>"$T/st"
	assert_equal "$(cat "$T/ar")" "$direct"
	assert_equal "$(cat "$T/ak")" "$direct"
	assert_equal "$(cat "$T/ff")" "$direct"
	# NEXT holds the pidfd at 7 (and the leash at 8), not the status fd.
	"$H/subreaper" -w "$AK" --mode=userspace --status-fd=5 --pidfd-fd=7 true \; "$H/fdlist" -o "$T/next" 5>"$T/st"
	assert_equal "$(cat "$T/next")" "$(tr ' ' '\n' <<<"$direct 7 8" | sort -n | tr '\n' ' ' | sed 's/ $//')"
	run "$H/pidfdrecv" 9 "$AK" --send-pidfd=9 "$H/fdlist" -o "$T/sent"
	assert_line "command exit 0"
	assert_equal "$(cat "$T/sent")" "$direct"
	# The issue's reproducer: -d promises the caller's pipe is not held.
	start=$(date +%s%N)
	x=$("$H/subreaper" "$AR" -q -d --status-fd=3 "$H/sigrec" "$T/log" 3>&1 | head -c 1)
	(( $(date +%s%N) - start < 5000000000 ))
}

@test "--pidfd-fd=N with the caller's fds 3..N already open: NEXT gets the pidfd at N, the leash at N+1" {
	for n in 3 4 6; do
		redir=
		for ((fd = 3; fd <= n; fd++)); do redir+=" $fd</dev/null"; done
		eval '"$H/subreaper" -w "$AK" --mode=userspace --pidfd-fd=$n sleep 0.01 \; bash -c "readlink /proc/self/fd/\$AUTOKILL_PIDFD /proc/self/fd/\$AUTOKILL_LEASH >$T/links"' "$redir"
		run cat "$T/links"
		assert_line --index 0 "anon_inode:[pidfd]"
		assert_line --index 1 --regexp '^pipe:'
		eval '"$H/subreaper" -w "$AR" -q --pidfd-fd=$n sleep 0.01 \; bash -c "readlink /proc/self/fd/\$AUTOREAP_PIDFD >$T/links"' "$redir"
		assert_equal "$(cat "$T/links")" "anon_inode:[pidfd]"
	done
}
