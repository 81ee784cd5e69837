# fish completion for autoreap(1); installed in fish's vendor_completions.d. The option list
# is static: tests/contrib.bats fails when --help names an option that is missing here.

# The words from COMMAND (the first operand: argp stops there) on, or from NEXT after a ';'
# of the hand-off; false while there is no COMMAND yet. Shared with autokill.fish, which
# sources this file: __autoreap_words CLUSTER LONG...: CLUSTER matches a cluster of short
# options whose last one takes the next word as its argument (empty: none does), LONG the
# long options that take the next word.
function __autoreap_words
    set -l cluster $argv[1]
    set -l takes $argv[2..-1]
    set -l tokens (commandline -opc)
    set -l skip 0
    set -l found 0
    for i in (seq 2 (count $tokens))
        set -l t $tokens[$i]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case -- --
                set -e tokens[1..$i]
                set found 1
                break
            case '--*=*'
            case '--*'
                contains -- $t $takes; and set skip 1
            case '-*'
                # In a cluster, an option that takes an argument takes the rest of the word,
                # or the next word when it ends the cluster.
                if test -n "$cluster"; and string match -qr -- $cluster $t
                    set skip 1
                end
            case '*'
                set -e tokens[1..(math $i - 1)]
                set found 1
                break
        end
    end
    test $found = 1; or return 1
    set -l semi (contains -i -- ';' $tokens); and set -e tokens[1..$semi]
    printf "%s\n" $tokens
end

# COMMAND's name, or COMMAND's own completion of its arguments; nothing while an option of
# the tool is being typed. FUNC: the tool's __TOOL_command.
function __autoreap_complete_words
    set -l words
    if not set words ($argv[1]); and string match -q -- '-*' (commandline -ct)
        return
    end
    set -l line (string join ' ' -- (string escape -- $words) (commandline -ct))
    complete --do-complete="$line"
end

function __autoreap_command
    __autoreap_words '' --contain --pid-file --mode --status-fd --pidfd-fd --send-pidfd
end

function __autoreap_no_command
    not __autoreap_command >/dev/null
end

set -l n '__autoreap_no_command'
complete -c autoreap -f
complete -c autoreap -n $n -l contain -x -a 'pgrp subreaper pidns' -d 'With --wait: what is reaped and waited for'
complete -c autoreap -n $n -s d -l detach -d 'Send stdin, stdout and stderr to /dev/null'
complete -c autoreap -n $n -l pid-file -r -F -d 'Write the pid of COMMAND to FILE'
complete -c autoreap -n $n -s p -l print-pid -d 'Print the pid of COMMAND on stdout'
complete -c autoreap -n $n -s q -l quiet -d 'No warning about an init that does not reap'
complete -c autoreap -n $n -s s -l setsid -d 'Start COMMAND in a new session'
complete -c autoreap -n $n -s w -l wait -d 'Wait for COMMAND and exit with its status'
complete -c autoreap -n $n -l features -d 'Print what the running kernel offers and exit'
complete -c autoreap -n $n -l mode -x -a 'auto kernel userspace' -d 'Kernel flags or the userspace fallback'
complete -c autoreap -n $n -l nnp -d 'Start COMMAND with no_new_privs'
complete -c autoreap -n $n -l die-with-parent -d 'When the parent of autoreap dies, COMMAND goes too'
complete -c autoreap -n $n -l status-fd -x -d 'Write JSON status lines to fd N'
complete -c autoreap -n $n -s v -l verbose -d 'Say which mode runs and why, and each signal sent'
complete -c autoreap -n $n -l pidfd-fd -x -d "After COMMAND ARGS ';' exec NEXT holding the pidfd at fd N"
complete -c autoreap -n $n -l send-pidfd -x -d 'Send the pidfd over the unix socket FD and exit'
complete -c autoreap -n $n -s '?' -l help -d 'Give the help list'
complete -c autoreap -n $n -l usage -d 'Give a short usage message'
complete -c autoreap -n $n -s V -l version -d 'Print the program version'
# COMMAND, then COMMAND's own arguments.
complete -c autoreap -x -a '(__autoreap_complete_words __autoreap_command)'
