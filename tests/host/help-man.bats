#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# wcachectl --help, each "wcachectl COMMAND --help" and the man pages must
# agree, in both directions: subcommands, options (long and short), each
# subcommand's options, settings keys and exit codes. Runs on the host.

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	WC="$TOP/tools/wcachectl"
	MAN8="$TOP/man/wcachectl.8"
	MAN5="$TOP/man/wcache-profiles.5"
	[ -x "$WC" ] || make -C "$TOP/tools" wcachectl >/dev/null
}

# lines of a man page between ".SH NAME" and the next .SH
man_section() {
	awk -v s="$2" '/^\.SH / { on = ($0 == ".SH " s); next } on' "$1"
}

# a sorted word list; fail showing both when two lists differ
same() {
	local what=$1 a b
	a=$(echo "$2" | tr ' ' '\n' | sed '/^$/d' | sort -u)
	b=$(echo "$3" | tr ' ' '\n' | sed '/^$/d' | sort -u)
	if [ "$a" != "$b" ]; then
		echo "$what differ:"
		diff <(echo "$a") <(echo "$b") | sed -n 's/^</  only in --help:/p; s/^>/  only in the man page:/p'
		return 1
	fi
}

help_commands() {
	"$WC" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'
}

@test "subcommands: --help and wcachectl(8) list the same" {
	h=$(help_commands)
	m=$(man_section "$MAN8" COMMANDS | sed -n 's/^\.SS \([a-z-]*\)$/\1/p')
	[ -n "$h" ] && [ -n "$m" ]
	same "subcommands" "$h" "$m"
}

@test "options: --help and the OPTIONS of wcachectl(8) list the same, with the same short forms" {
	h=$("$WC" --help | awk '/^Options:/ { on = 1; next } /^$/ { on = 0 } on' |
		grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//')
	# the tag line after each .TP of OPTIONS (the key list of --set has no \-\-)
	m=$(man_section "$MAN8" OPTIONS | awk 'p { print; p = 0 } /^\.TP/ { p = 1 }' |
		grep -oE -- '\\-\\-[a-z][a-z\\-]*' | sed 's/\\-/-/g; s/^--//')
	[ -n "$h" ] && [ -n "$m" ]
	same "options" "$h" "$m"
	hs=$("$WC" --help | grep -oE -- '^  -[a-zA-Z], --[a-z-]+' | sed 's/^  //; s/, / /')
	ms=$(man_section "$MAN8" OPTIONS | grep -oE -- '^\.BR \\-[a-zA-Z] ", " \\-\\-[a-z\\-]+' |
		sed -E 's/^\.BR \\-(.) ", " \\-\\-(.*)/-\1 --\2/; s/\\-/-/g')
	same "short options" "$(echo "$hs" | tr ' ' '=')" "$(echo "$ms" | tr ' ' '=')"
}

@test "each subcommand: its --help and its synopsis in wcachectl(8) name the same options" {
	for c in $(help_commands); do
		run "$WC" "$c" --help
		[ "$status" -eq 0 ]
		usage=$(echo "$output" | head -n1)
		[[ "$usage" == "Usage: wcachectl $c"* ]]
		hu=$(echo "$usage" | grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//')
		# the option list of "COMMAND --help" matches its usage line
		ho=$(echo "$output" | awk '/^Options:/ { on = 1; next } /^$/ { on = 0 } on' |
			grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' | grep -vxE 'help|verbose' || true)
		same "$c: usage line and option list" "$hu" "$ho"
		# the synopsis: from ".SS c" to the first .PP
		m=$(awk -v c="$c" '$0 == ".SS " c { on = 1; next } on && /^\.(PP|SS|SH)/ { exit } on' "$MAN8" |
			grep -oE -- '\\-\\-[a-z][a-z\\-]*' | sed 's/\\-/-/g; s/^--//' || true)
		same "$c: options of --help and the man page synopsis" "$hu" "$m"
	done
}

@test "settings keys: --help, wcachectl(8) and wcache-profiles(5) list the same" {
	h=$("$WC" --help | awk '/^Settings/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
	m8=$(man_section "$MAN8" OPTIONS | awk '/^\.RS/ { on = 1 } /^\.RE/ { on = 0 } on' |
		awk 'p { print; p = 0 } /^\.TP/ { p = 1 }' | sed -nE 's/^\.BR ([a-z_]+) .*/\1/p')
	m5=$(man_section "$MAN5" KEYS | awk 'p { print; p = 0 } /^\.TP/ { p = 1 }' |
		sed -nE 's/^\.BR ([a-z_]+) .*/\1/p')
	[ -n "$h" ]
	same "settings (--help vs wcachectl.8)" "$h" "$m8"
	same "settings (--help vs wcache-profiles.5)" "$h" "$m5"
}

@test "exit codes: --help and EXIT STATUS of wcachectl(8) list the same" {
	h=$("$WC" --help | awk '/^Exit codes:/ { on = 1 } on' | grep -oE '\b[0-9]+ [A-Za-z]' | cut -d' ' -f1)
	m=$(man_section "$MAN8" "EXIT STATUS" | sed -n 's/^\.B \([0-9]*\)$/\1/p')
	same "exit codes" "$h" "$m"
}

@test "the checks above catch a disagreement (a man page without tune)" {
	bad=$(mktemp)
	sed '/^\.SS tune$/,/^\.SS /{/^\.SS profile$/!d}' "$MAN8" >"$bad"
	! grep -q '^\.SS tune$' "$bad"
	MAN8=$bad
	run same "subcommands" "$(help_commands)" \
		"$(man_section "$MAN8" COMMANDS | sed -n 's/^\.SS \([a-z-]*\)$/\1/p')"
	rm -f "$bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"only in --help: tune"* ]]
}

@test "man pages render without groff warnings" {
	for f in "$TOP"/man/*.[1-8]; do
		run sh -c "groff -man -ww -z '$f' 2>&1"
		[ -z "$output" ] || { echo "$f: $output"; return 1; }
	done
}

# man --warnings at 80 columns (man-db passes -ww and a line length of 78n to
# groff); groff itself where man-db is not installed
@test "man pages render without warnings at 80 columns" {
	local page out
	for page in "$TOP"/man/*.[1-8]; do
		if command -v man >/dev/null; then
			out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		else
			out=$(groff -t -man -Tutf8 -rLL=78n -rLT=78n -ww -z "$page" 2>&1)
		fi
		if [ -n "$out" ]; then
			echo "$page:"
			echo "$out"
			return 1
		fi
	done
}
