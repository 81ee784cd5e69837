#!/usr/bin/env bats
# contrib/: the shell completions, driven as the shells drive them, and kept in step with
# --help (a long option --help names that a completion file lacks fails here).
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
