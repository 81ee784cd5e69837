#!/usr/bin/env bats
# The documentation matches the tools: every long option of --help is in the man page, and
# every exit status of --help's table is in the man page's EXIT STATUS section.

load common

@test "every long option in --help is documented in the man page" {
	for tool in autoreap autokill; do
		man=$top_srcdir/man/$tool.1.scd
		for opt in $("$top_builddir/$tool" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			grep -qE -- "^\*.*$opt\b" "$man" || fail "$tool: $opt missing from $man"
		done
	done
}

@test "the exit-status table of --help is in the man page" {
	for tool in autoreap autokill; do
		man=$top_srcdir/man/$tool.1.scd
		section=$(sed -n '/^# EXIT STATUS/,/^# /p' "$man")
		for code in $("$top_builddir/$tool" --help | sed -n '/^Exit status:/,$p' | grep -oE '^ +[0-9]{1,3}'); do
			grep -qE "^\|\[ \*?$code\*?( |$)" <<<"$section" || fail "$tool: exit status $code not in $man"
		done
	done
}
