#!/usr/bin/env bats
# contrib/: the shell completions, driven as the shells drive them and kept in step with
# --help; the examples, each run the way its host runs it.
#
# A missing shell or package skips with the reason; .ci/run installs them all and sets
# AUTOREAP_REQUIRE_CONTRIB=1, under which a skip of that kind is a failure.

load common

C=$top_srcdir/contrib/completions

# need WHAT WHY: skip (or fail, under AUTOREAP_REQUIRE_CONTRIB=1) when WHAT (a command or a
# file) is absent.
need() {
	command -v "$1" >/dev/null 2>&1 || [[ -e $1 ]] && return 0
	if [[ ${AUTOREAP_REQUIRE_CONTRIB:-0} == 1 ]]; then
		echo "$1 is missing but AUTOREAP_REQUIRE_CONTRIB=1 ($2)" >&2
		return 1
	fi
	skip "$1 is not installed ($2)"
}

# The long options autokill's or autoreap's --help lists today.
long_options() { "$top_builddir/$1" --help | grep -o -- '--[a-z][a-z-]*' | sort -u; }

BASH_COMPLETION=/usr/share/bash-completion/bash_completion

# bcomplete LINE: what the bash completion offers with the cursor at the end of LINE, one
# candidate a line. Runs a fresh bash as bash-completion would: COMP_WORDS split at spaces
# and at '=' (as COMP_WORDBREAKS does), COMP_CWORD the last word, COMP_LINE and COMP_POINT.
bcomplete() {
	need "$BASH_COMPLETION" "package bash-completion: the bash completion needs it"
	PATH=$top_builddir:$PATH bash --norc --noprofile -c '
		source "$1" && source "$2/autoreap.bash" || exit 1
		complete -W "alpha beta" fakecmd   # a command with a completion of its own
		compopt() { :; }                    # outside readline it would complain
		line=$3
		COMP_LINE=$line COMP_POINT=${#line}
		read -ra COMP_WORDS <<<"${line//=/ = }"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_autoreap_autokill "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$BASH_COMPLETION" "$C" "$1"
}

# offers LINE WORD...: the completion of LINE is exactly WORD... (in any order).
offers() {
	local line=$1 got want
	shift
	got=$(bcomplete "$line" | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[[ $got == "$want" ]] || fail "[$line] offered '$got', expected '$want'"
}

@test "bash completion: every long option of --help is offered" {
	for tool in autokill autoreap; do
		offered=$(bcomplete "$tool --")
		for opt in $(long_options $tool); do
			grep -qxE -- "$opt=?" <<<"$offered" || fail "$tool: $opt not offered by $C/autoreap.bash"
		done
	done
}

@test "bash completion: --contain and --mode values, signal names after --ladder, -L, -s" {
	offers "autokill --contain=" pgrp subreaper pidns cgroup auto
	offers "autoreap --contain=" pgrp subreaper pidns
	offers "autoreap -w --contain " pgrp subreaper pidns
	offers "autokill --mode=" auto kernel userspace
	offers "autoreap --mode u" userspace
	offers "autokill --ladder=HUP,T" HUP,TERM HUP,TRAP HUP,TSTP HUP,TTIN HUP,TTOU
	offers "autokill -L INT,TERM,K" INT,TERM,KILL
	offers "autokill -vL K" KILL
	offers "autokill -s US" USR1 USR2
	offers "autokill --signal=WIN" WINCH
	# Durations and fds are free text: nothing offered.
	offers "autokill -t "
	offers "autokill --grace="
	offers "autokill --kill-after "
	offers "autoreap --status-fd="
}

@test "bash completion: after COMMAND, COMMAND's own completion, never the tool's options" {
	offers "autokill fakecmd a" alpha
	offers "autokill -t 5 fakecmd " alpha beta
	offers "autokill -t5 fakecmd b" beta
	offers "autokill -vt 5 fakecmd b" beta
	offers "autokill --timeout=5 -L HUP,KILL fakecmd a" alpha
	offers "autokill -- fakecmd a" alpha
	offers "autokill fakecmd --time"
	offers "autoreap -w -s fakecmd a" alpha          # autoreap's -s (setsid) takes no argument
	offers "autoreap --pid-file p fakecmd b" beta
	# The hand-off: NEXT after ';' is a command of its own.
	offers "autokill --pidfd-fd=7 sleep 1 \\; fakecmd a" alpha
	# COMMAND's name: the commands in PATH.
	bcomplete "autokill -t 5 autoki" | grep -qx autokill || fail "command names not completed"
	bcomplete "autoreap -w autore" | grep -qx autoreap || fail "command names not completed"
}

@test "zsh completion: parses, and has every long option of --help" {
	z=$C/_autoreap
	for tool in autokill autoreap; do
		# The options both tools share, and this tool's branch of the case.
		part=$(sed -n '/^common=(/,/^)/p; /^'$tool')/,/;;/p' "$z")
		for opt in $(long_options $tool); do
			grep -q -- "$opt\b" <<<"$part" || fail "$tool: $opt missing from $z"
		done
	done
	need zsh "package zsh: checks the zsh completion's syntax"
	zsh -n "$z"
}

@test "fish completion: parses, has every long option of --help, and completes as fish does" {
	for tool in autokill autoreap; do
		f=$C/$tool.fish
		for opt in $(long_options $tool); do
			grep -qE -- "-l ${opt#--}( |$)" "$f" || fail "$tool: $opt missing from $f"
		done
	done
	need fish "package fish: checks and drives the fish completion"
	fcomplete() {
		PATH=$top_builddir:$PATH fish --no-config -c \
			'source $argv[1]/autokill.fish; source $argv[1]/autoreap.fish; complete -C $argv[2]' "$C" "$1" | cut -f1
	}
	for tool in autokill autoreap; do
		fish -n "$C/$tool.fish"
		offered=$(fcomplete "$tool --")
		for opt in $(long_options $tool); do
			grep -qx -- "$opt" <<<"$offered" || fail "$tool: fish does not offer $opt"
		done
	done
	[[ $(fcomplete "autokill --contain=" | tr '\n' ' ') == "--contain=auto --contain=cgroup --contain=pgrp --contain=pidns --contain=subreaper " ]]
	[[ $(fcomplete "autokill -L HUP,K") == HUP,KILL ]]
	[[ $(fcomplete "autokill -s WIN") == WINCH ]]
	[[ $(fcomplete "autoreap --mode=k") == --mode=kernel ]]
	# After COMMAND: COMMAND's own options (autokill's own, as a COMMAND), never the tool's.
	[[ $(fcomplete "autoreap -w autokill -t 1 --preserve-s") == --preserve-status ]]
	[[ $(fcomplete "autokill -vt 5 autoreap --det") == --detach ]]
	[[ -z $(fcomplete "autoreap -w autokill --det") ]]
	fcomplete "autokill -t 5 autoki" | grep -qx autokill
}

# --- contrib/examples: each run the way its host runs it ---------------------------------

E=$top_srcdir/contrib/examples

# A CI workspace: ci/build, and ci/integration-tests, a suite that starts a test server
# that daemonizes (setsid and a double fork, pid in $T/daemon.pid), writes its own pid to
# $T/suite.pid, creates $T/ready, then passes, fails (3) or runs until signalled, as
# $SUITE says. Its own sleep is a background job: INT does not reach it (async jobs of a
# non-interactive shell ignore INT), as with a test runner that finishes its current test.
ci_workspace() {
	mkdir -p "$T/ws/ci"
	printf '#!/bin/sh\nexit 0\n' >"$T/ws/ci/build"
	cat >"$T/ws/ci/integration-tests" <<-SH
		#!/bin/bash
		(setsid sleep 300 & echo \$! >"$T/daemon.pid")
		echo \$\$ >"$T/suite.pid"
		touch "$T/ready"
		case \${SUITE:-pass} in
		pass) exit 0 ;;
		fail) exit 3 ;;
		esac
		sleep 300 &
		wait
	SH
	chmod +x "$T/ws/ci/build" "$T/ws/ci/integration-tests"
}

# yaml_block FILE START KEY: the text of the block scalar (KEY: |) or block list (KEY:) of
# the first KEY after the first line matching START, unindented; list items become lines.
# Enough for the two examples (no YAML library needed).
yaml_block() {
	awk -v start="$2" -v key="$3" '
		$0 ~ start { inside = 1 }
		inside && !found && $0 ~ "^ *(- )?" key ":" { found = 1; match($0, /^ */); base = RLENGTH; next }
		found {
			match($0, /^ */)
			if ($0 !~ /^ *$/ && RLENGTH <= base) exit
			line = substr($0, base + 1); sub(/^ +/, "", line); sub(/^- /, "", line); print line
		}' "$1"
}

# cancel_like_runner PID SIGNAL_TARGET: the runner's cancellation: SIGINT, then SIGTERM
# when the job has not ended 7.5 s later (GitHub's documented delay; GitLab's runner
# signals the whole process group), then gives it 2.5 s. TARGET is PID or -PGID.
cancel_like_runner() {
	local pid=$1 target=$2 i
	kill -INT -- "$target"
	for ((i = 0; i < 375; i++)); do ended "$pid" && return 0; sleep 0.02; done
	kill -TERM -- "$target" 2>/dev/null || true
	for ((i = 0; i < 125; i++)); do ended "$pid" && return 0; sleep 0.02; done
}

# no_survivors: the suite, the daemon it started and every other descendant are gone.
no_survivors() {
	grep -qx "alive 0" "$T/rep" || fail "left behind: $(cat "$T/rep")"
	ended "$(cat "$T/suite.pid")" || fail "the suite survived"
	ended "$(cat "$T/daemon.pid")" || fail "the suite's daemon survived"
}

# github_step: runs the "integration tests" step's run: text as the runner does, under the
# subreaper harness (report in $T/rep), in the background; BG_PIDS is the harness.
github_step() {
	ci_workspace
	yaml_block "$E/github-actions.yml" '^ *- name: integration tests$' run >"$T/step.sh"
	grep -q autokill "$T/step.sh" || fail "no step found in $E/github-actions.yml"
	(cd "$T/ws" && exec env PATH="$top_builddir:$PATH" "$H/subreaper" -w -t 40 -r "$T/rep" \
		bash --noprofile --norc -eo pipefail "$T/step.sh") 3>&- &
	BG_PIDS=$!
}

@test "examples: the GitHub Actions step passes the suite's status through and leaves nothing" {
	SUITE=fail github_step
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 3
	no_survivors
	rm -f "$T/ready"
	SUITE=pass github_step
	wait "$BG_PIDS" && st=0 || st=$?
	assert_equal "$st" 0
	no_survivors
}

@test "examples: the GitHub Actions step, cancelled as the runner does, leaves nothing and does not pass" {
	SUITE=hang github_step
	wait_for "[[ -e $T/ready ]]"
	job=$(child_of "$BG_PIDS")   # bash, which exec'd autokill
	cancel_like_runner "$job" "$job"
	wait "$BG_PIDS" && st=0 || st=$?
	# Killed by INT, HUP or TERM, or ended by the ladder's KILL: never 0, never the 124 of
	# a timeout.
	[[ $st == @(129|130|137|143) ]] || fail "cancelled step exited $st"
	no_survivors
}

@test "examples: the GitLab CI job, cancelled with INT then TERM to its group, leaves nothing" {
	ci_workspace
	yaml_block "$E/gitlab-ci.yml" '^integration-tests:' script >"$T/job.sh"
	grep -q autokill "$T/job.sh" || fail "no script found in $E/gitlab-ci.yml"
	(cd "$T/ws" && exec env SUITE=hang PATH="$top_builddir:$PATH" "$H/subreaper" -w -t 40 -r "$T/rep" \
		setsid bash -eo pipefail "$T/job.sh") 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	job=$(child_of "$BG_PIDS")
	assert_equal "$(ps -o pgid= -p "$job" | tr -d ' ')" "$job"
	cancel_like_runner "$job" "-$job"
	wait "$BG_PIDS" && st=0 || st=$?
	[[ $st == @(129|130|137|143) ]] || fail "cancelled job exited $st"
	no_survivors
	# Not cancelled: the job's status is the suite's.
	rm -f "$T/ready"
	(cd "$T/ws" && SUITE=fail PATH="$top_builddir:$PATH" "$H/subreaper" -w -t 40 -r "$T/rep" \
		bash -eo pipefail "$T/job.sh") 3>&- && st=0 || st=$?
	assert_equal "$st" 3
	no_survivors
}

# make_check SUITE [make's stdin]: the example Makefile's check target with real make, a
# test server (a sleep; pid in $T/server.pid) and a test run that passes, fails or hangs.
make_fixtures() {
	cat >"$T/server" <<-SH
		#!/bin/sh
		echo \$\$ >"$T/server.pid.tmp" && mv "$T/server.pid.tmp" "$T/server.pid"
		exec sleep 300
	SH
	cat >"$T/wait-for-server" <<-SH
		#!/bin/sh
		i=0
		while [ ! -s "$T/server.pid" ]; do
			i=\$((i + 1)); [ \$i -lt 500 ] || exit 1; sleep 0.02
		done
	SH
	cat >"$T/run-tests" <<-SH
		#!/bin/sh
		echo \$\$ >"$T/suite.pid"
		kill -0 "\$(cat "$T/server.pid")" || exit 9   # the server runs during the tests
		touch "$T/ready"
		case \$1 in pass) exit 0 ;; fail) exit 3 ;; esac
		sleep 300
	SH
	chmod +x "$T/server" "$T/wait-for-server" "$T/run-tests"
}
make_check() {
	make -s -C "$T" -f "$E/Makefile" check AUTOKILL="$AK" SERVER="$T/server" \
		WAIT_FOR_SERVER="$T/wait-for-server" TESTS="$T/run-tests $1"
}

@test "examples: make check runs the tests against the server, which dies with the recipe" {
	command -v make >/dev/null || skip "make is not installed"
	make_fixtures
	run "$H/subreaper" -w -t 30 -r "$T/rep" bash -c "$(declare -f make_check); T=$T E=$E AK=$AK make_check pass"
	assert_success
	grep -qx "alive 0" "$T/rep" || fail "left behind: $(cat "$T/rep")"
	ended "$(cat "$T/server.pid")"
	rm -f "$T/server.pid"
	run "$H/subreaper" -w -t 30 -r "$T/rep" bash -c "$(declare -f make_check); T=$T E=$E AK=$AK make_check fail"
	assert_failure 2
	assert_output --partial "Error 3"
	grep -qx "alive 0" "$T/rep" || fail "left behind: $(cat "$T/rep")"
	ended "$(cat "$T/server.pid")"
}

@test "examples: make check interrupted by Ctrl-C (INT to make's group) leaves no server" {
	command -v make >/dev/null || skip "make is not installed"
	make_fixtures
	"$H/subreaper" -w -t 30 -r "$T/rep" setsid bash -c \
		"$(declare -f make_check); T=$T E=$E AK=$AK make_check hang" >"$T/out" 2>&1 3>&- &
	BG_PIDS=$!
	wait_for "[[ -e $T/ready ]]"
	job=$(child_of "$BG_PIDS")
	kill -INT -- "-$job"
	wait "$BG_PIDS" && st=0 || st=$?
	[[ $st != 0 ]] || fail "interrupted make exited 0"
	grep -qx "alive 0" "$T/rep" || fail "left behind: $(cat "$T/rep")"
	ended "$(cat "$T/server.pid")"
	ended "$(cat "$T/suite.pid")"
}

@test "examples: the systemd unit passes systemd-analyze verify" {
	need systemd-analyze "package systemd: verifies the example unit"
	# The example's programs, replaced by ones that exist; the unit is otherwise as shipped.
	sed -e "s#/usr/bin/autokill#$AK#" -e "s#/usr/libexec/example/helper-proxy#/bin/sleep#" \
		-e "s#/usr/sbin/example-daemon#/bin/sleep#" "$E/helper.service" >"$T/example-helper.service"
	grep -q "^ExecStart=$AK --pidfd-fd=3 /bin/sleep .* \\\\; /bin/sleep" "$T/example-helper.service"
	run systemd-analyze verify "$T/example-helper.service"
	assert_success
	assert_output ""
}
