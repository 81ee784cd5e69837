# bash completion for autoreap(1) and autokill(1)                  -*- shell-script -*-
#
# Installed twice, as bash-completion/completions/autoreap and .../autokill (bash-completion
# loads a command's file by its name); either copy registers both tools. Needs the
# bash-completion package (_init_completion, _command_offset, _filedir), like timeout's.
#
# The option lists are static: tests/contrib.bats fails when --help names an option that
# is missing here.

# A comma-separated list of signal names (--ladder): complete the part after the last comma.
_autoreap_signals()
{
	local names='HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT
		CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX'
	local prefix=
	[[ $1 == list && $cur == *,* ]] && prefix=${cur%,*},
	COMPREPLY=($(compgen -P "$prefix" -W "$names" -- "${cur##*,}"))
	# A ladder goes on after a comma until KILL.
	[[ $1 == list ]] && compopt -o nospace
}

_autoreap_autokill()
{
	local cur prev words cword split
	_init_completion -s || return

	local tool=${1##*/} long_arg short_arg opts
	if [[ $tool == autokill ]]; then
		long_arg='--grace|--ladder|--timeout|--signal|--kill-after|--contain|--mode|--status-fd|--pidfd-fd|--send-pidfd'
		short_arg=gLtsk
		opts='--grace= --ladder= --timeout= --signal= --kill-after= --preserve-status
			--foreground --no-nnp --nnp --contain= --wait-all --die-with-parent --features --mode= --status-fd=
			--verbose --pidfd-fd= --send-pidfd= --help --usage --version
			-g -L -t -s -k -v -V'
	else
		long_arg='--contain|--pid-file|--mode|--status-fd|--pidfd-fd|--send-pidfd'
		short_arg=
		opts='--contain= --detach --pid-file= --print-pid --quiet --setsid --wait --die-with-parent --features
			--mode= --nnp --status-fd= --verbose --pidfd-fd= --send-pidfd= --help --usage
			--version -d -p -q -s -w -v -V'
	fi

	# Find COMMAND, the first operand (argp stops at it), in the raw COMP_WORDS that
	# _command_offset works on: there, --opt=value is the three words --opt, =, value.
	local i w j cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -- ]]; then
			cmd=$((i + 1))
			break
		elif [[ $w == = ]]; then
			((i++))
		elif [[ $w == --* ]]; then
			[[ $w == @($long_arg) && ${COMP_WORDS[i + 1]} != = ]] && ((i++))
		elif [[ $w == -?* ]]; then
			# A cluster: an option that takes an argument takes the rest of the word, or
			# the next word when it ends the cluster.
			for ((j = 1; j < ${#w}; j++)); do
				if [[ -n $short_arg && $short_arg == *"${w:j:1}"* ]]; then
					((j == ${#w} - 1)) && ((i++))
					break
				fi
			done
		else
			cmd=$i
			break
		fi
	done
	if [[ -n $cmd ]] && ((cmd <= COMP_CWORD)); then
		# With --pidfd-fd, NEXT follows a ';' word: complete NEXT there.
		for ((i = COMP_CWORD - 1; i > cmd; i--)); do
			if [[ ${COMP_WORDS[i]} == @(\\\;|\';\'|\";\") ]]; then
				cmd=$((i + 1))
				break
			fi
		done
		_command_offset "$cmd"
		return
	fi

	case $prev in
	--help | --usage | --version | -V | --features)
		return ;;
	--contain)
		if [[ $tool == autokill ]]; then
			COMPREPLY=($(compgen -W 'pgrp subreaper pidns cgroup auto' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'pgrp subreaper pidns' -- "$cur"))
		fi
		return ;;
	--mode)
		COMPREPLY=($(compgen -W 'auto kernel userspace' -- "$cur"))
		return ;;
	--pid-file)
		_filedir
		return ;;
	--status-fd | --pidfd-fd | --send-pidfd)
		return ;;
	esac
	if [[ $tool == autokill ]]; then
		case $prev in
		--ladder | -!(-*)L)
			_autoreap_signals list
			return ;;
		--signal | -!(-*)s)
			_autoreap_signals
			return ;;
		--grace | --timeout | --kill-after | -!(-*)[gtk])
			# A duration: free text.
			return ;;
		esac
	fi
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
	else
		_command_offset "$COMP_CWORD"
	fi
} &&
	complete -F _autoreap_autokill autoreap autokill

# ex: filetype=sh
