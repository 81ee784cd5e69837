#!/usr/bin/env bats
# As PID 1 of a PID namespace (a container's ENTRYPOINT): every orphan is reaped, signals
# are relayed, COMMAND's status comes out, 128+N for a signal death.

load common

# 100 processes forked and reaped twice over on a loaded 2-core machine take their time.
BATS_TEST_TIMEOUT=180

setup() {
	common_setup
	unshare -pf --mount-proc true 2>"$T/why" || skip "no PID namespace here: $(cat "$T/why")"
}

# A COMMAND that leaves 100 orphans: a shell starts them blocked on a fifo and exits; they
# are released, exit, and are counted in the namespace's /proc (processes besides PID 1,
# COMMAND and autokill's leash watcher) until none is left or 10 s passed; "zombies Z others N" goes to $COUNT, then
# COMMAND exits with status $1.
write_orphans() {
	cat >"$T/orphans" <<'EOF2'
#!/bin/bash
fifo=$(mktemp -u "$COUNT.XXXXXX")
mkfifo "$fifo"
exec 9<>"$fifo"
rm "$fifo"
bash -c 'for i in {1..100}; do read -r -u 9 _ & done'
for i in {1..100}; do echo; done >&9
exec 9>&-
for ((i = 0; i < 500; i++)); do
	z=0 n=0
	for s in /proc/[0-9]*/stat; do
		{ read -r pid comm st _ <"$s"; } 2>/dev/null || continue
		[[ $pid == 1 || $pid == $$ || $pid == $BASHPID || $comm == "(autokill-leash)" ]] && continue
		n=$((n + 1))
		[[ $st == Z ]] && z=$((z + 1))
	done
	((n == 0)) && break
	sleep 0.02
done
echo "zombies $z others $n" >"$COUNT"
exit "$1"
EOF2
	chmod +x "$T/orphans"
}

@test "PID 1: 100 orphans are reaped while COMMAND runs; its exit status comes out" {
	write_orphans
	for tool in "$AR --wait" "$AK"; do
		rm -f "$T/count"
		COUNT=$T/count run timeout 80 unshare -pf --mount-proc $tool -- "$T/orphans" 7
		assert_equal "$status" 7
		assert_equal "$(cat "$T/count")" "zombies 0 others 0"
	done
}

@test "PID 1: COMMAND killed by signal N gives 128+N (PID 1 cannot die of it)" {
	for tool in "$AR --wait" "$AK"; do
		run timeout 30 unshare -pf --mount-proc $tool -- sh -c 'kill -TERM $$'
		assert_equal "$status" $((128 + 15))
		run timeout 30 unshare -pf --mount-proc $tool -- sh -c 'kill -KILL $$'
		assert_equal "$status" $((128 + 9))
	done
}

@test "PID 1: TERM, INT, HUP, QUIT, USR1, USR2, WINCH sent to PID 1 reach COMMAND" {
	for tool in "$AR --wait" "$AK"; do
		rm -f "$T/ready" "$T/log"
		# The harness starts unshare with INT and QUIT at their default action, as
		# docker would; a background job of this shell would have them ignored.
		"$H/subreaper" unshare -pf --mount-proc $tool -- "$H/sigrec" -c WINCH,USR1,USR2,QUIT,HUP,INT,TERM -x TERM:3 -r "$T/ready" "$T/log" 3>&- &
		BG_PIDS=$!
		wait_for "[[ -s $T/ready ]]"
		init=$(child_of "$(child_of "$BG_PIDS")")
		assert_equal "$(awk '/^NSpid/ {print $3}' "/proc/$init/status")" 1
		for sig in WINCH USR1 USR2 QUIT; do
			kill -$sig "$init"
			wait_for "grep -q ^$sig $T/log"
		done
		if [[ $tool == "$AR --wait" ]]; then
			# autokill takes HUP and INT as the start of its ladder; autoreap relays them.
			for sig in HUP INT; do
				kill -$sig "$init"
				wait_for "grep -q ^$sig $T/log"
			done
		fi
		kill -TERM "$init"
		wait "$BG_PIDS" && st=0 || st=$?
		assert_equal "$st" 3
		want="WINCH USR1 USR2 QUIT"
		[[ $tool == "$AR --wait" ]] && want+=" HUP INT"
		assert_equal "$(signals_in "$T/log")" "$want TERM"
	done
}

@test "PID 1: exits when COMMAND exits; what is left dies with the namespace" {
	run timeout 30 "$H/subreaper" -r "$T/rep" unshare -pf --mount-proc "$AR" --wait -- bash -c "( exec -a orphan-${T##*.} sleep 1000 & ); exit 4"
	assert_equal "$status" 4
	grep -qx "alive 0" "$T/rep"
	! pgrep -f "orphan-${T##*.}"
}

@test "contrib/examples/Dockerfile: its ENTRYPOINT, as PID 1, passes the status through" {
	entry=$(sed -n 's/^ENTRYPOINT \[\(.*\)\]$/\1/p' "$top_srcdir/contrib/examples/Dockerfile" | tr -d '",')
	[[ $entry == "autoreap --wait --" ]]
	run timeout 30 unshare -pf --mount-proc "$AR" ${entry#autoreap} sh -c 'echo $$; exit 9'
	assert_equal "$status" 9
	assert_output 2
}
