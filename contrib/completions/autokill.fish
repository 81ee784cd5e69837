# fish completion for autokill(1); installed in fish's vendor_completions.d. The option list
# is static: tests/contrib.bats fails when --help names an option that is missing here.

# The command-line walk is autoreap.fish's, with autokill's options that take an argument.
functions -q __autoreap_words; or source (status dirname)/autoreap.fish

function __autokill_command
    __autoreap_words '^-[^gLtsk]*[gLtsk]$' --grace --ladder --timeout --signal --kill-after \
        --contain --mode --status-fd --pidfd-fd --send-pidfd
end

function __autokill_no_command
    not __autokill_command >/dev/null
end

# Signal names; for --ladder, after the commas already typed.
function __autokill_signals
    set -l prefix ''
    if test "$argv[1]" = list
        set prefix (string replace -r -- '^(-[^-]*L|--ladder=)' '' (commandline -ct) | string replace -r -- '[^,]*$' '')
    end
    for s in HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX
        echo $prefix$s
    end
end

set -l n '__autokill_no_command'
complete -c autokill -f
complete -c autokill -n $n -s g -l grace -x -d 'Time between two steps of the ladder (DURATION)'
complete -c autokill -n $n -s L -l ladder -x -a '(__autokill_signals list)' -d 'Signals of the escalation ladder, the last KILL'
complete -c autokill -n $n -s t -l timeout -x -d 'Run the ladder after DURATION'
complete -c autokill -n $n -s s -l signal -x -a '(__autokill_signals)' -d 'Signal sent when the timeout fires'
complete -c autokill -n $n -s k -l kill-after -x -d 'Send KILL this long after the first signal'
complete -c autokill -n $n -l preserve-status -d 'Exit with the status of COMMAND even on timeout'
complete -c autokill -n $n -l foreground -d 'Do not signal the whole process group'
complete -c autokill -n $n -l no-nnp -d 'Never set no_new_privs'
complete -c autokill -n $n -l contain -x -a 'pgrp subreaper pidns cgroup auto' -d 'What dies with COMMAND'
complete -c autokill -n $n -l wait-all -d 'Wait for the rest of the tree when COMMAND exits'
complete -c autokill -n $n -l features -d 'Print what the running kernel offers and exit'
complete -c autokill -n $n -l mode -x -a 'auto kernel userspace' -d 'Kernel flags or the userspace fallback'
complete -c autokill -n $n -l nnp -d 'Start COMMAND with no_new_privs'
complete -c autokill -n $n -l die-with-parent -d 'When the parent of autokill dies, COMMAND goes too'
complete -c autokill -n $n -l status-fd -x -d 'Write JSON status lines to fd N'
complete -c autokill -n $n -s v -l verbose -d 'Say which mode runs and why, and each signal sent'
complete -c autokill -n $n -l pidfd-fd -x -d "After COMMAND ARGS ';' exec NEXT holding the pidfd at fd N"
complete -c autokill -n $n -l send-pidfd -x -d 'Send the pidfd over the unix socket FD and exit'
complete -c autokill -n $n -s '?' -l help -d 'Give the help list'
complete -c autokill -n $n -l usage -d 'Give a short usage message'
complete -c autokill -n $n -s V -l version -d 'Print the program version'
# COMMAND, then COMMAND's own arguments.
complete -c autokill -x -a '(__autoreap_complete_words __autokill_command)'
