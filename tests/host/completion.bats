#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# completion/wcachectl: sourced into bash with a fake lvs, it completes
# subcommands, each subcommand's options, setting keys, targets, profile
# names from the profile directory and VG/LV names by role.

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	[ -x "$TOP/tools/wcachectl" ] || make -C "$TOP/tools" wcachectl >/dev/null
	PATH="$TOP/tools:$PATH"
	# shellcheck source=/dev/null
	source "$TOP/completion/wcachectl"
	WCACHECTL_PROFILE_DIR=$(mktemp -d)
	cp "$TOP"/lvm-profiles/*.profile "$WCACHECTL_PROFILE_DIR"/
	# an LVM profile without wcache settings is not offered
	printf 'allocation {\n\tthin_pool_zero = 1\n}\n' >"$WCACHECTL_PROFILE_DIR/thin-performance.profile"
	export WCACHECTL_PROFILE_DIR
}

teardown() {
	rm -rf "$WCACHECTL_PROFILE_DIR"
}

# what lvs reports: vg/slow and vg/fast plain, vg/db cached (origin renamed
# db_wco, cachevol dbcache), vg2/home plain
lvs() {
	printf '  vg|slow|\n  vg|fast|\n'
	printf '  vg|db_wco|wcache.v=1,wcache.name=db,wcache.state=attached\n'
	printf '  vg|dbcache|wcache.v=1,wcache.cachevol_of=x,wcache.skip=0\n'
	printf '  vg2|home|other_tag\n'
}

# complete the command line "$1" (the cursor at its end) and print the
# candidates sorted, one per line
comp() {
	local line=$1
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMPREPLY=()
	_wcachectl
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "subcommands complete from wcachectl --help" {
	run comp "wcachectl "
	[ "$(echo "$output" | tr '\n' ' ')" = "activate attach check deactivate doctor dump list plan profile split status tune writeback " ]
	run comp "wcachectl t"
	[ "$output" = tune ]
	run comp "wcachectl -"
	[[ "$output" == *--help* && "$output" == *--version* ]]
}

@test "options are those of the subcommand" {
	run comp "wcachectl attach vg/slow --"
	for o in --cachevol --block-size --profile --set --target --dry-run --yes --force --json; do
		[[ "$output" == *"$o"* ]] || { echo "missing $o"; return 1; }
	done
	[[ "$output" != *--uncache* && "$output" != *--cancel* ]]
	run comp "wcachectl tune vg/db --"
	[ "$(echo "$output" | tr '\n' ' ')" = "--dry-run --help --json --profile --set --verbose " ]
	run comp "wcachectl split vg/db --unc"
	[ "$output" = --uncache ]
}

@test "VG/LV: plain LVs for attach and plan, cached LVs for tune, split, status" {
	run comp "wcachectl attach "
	[ "$(echo "$output" | tr '\n' ' ')" = "vg/fast vg/slow vg2/home " ]
	run comp "wcachectl plan vg/s"
	[ "$output" = vg/slow ]
	for c in tune split status activate deactivate; do
		run comp "wcachectl $c "
		[ "$output" = vg/db ]
	done
}

@test "--cachevol: the other plain LVs of the origin's VG" {
	run comp "wcachectl attach vg/slow --cachevol "
	[ "$output" = fast ]
	run comp "wcachectl attach vg/slow -c f"
	[ "$output" = fast ]
}

@test "setting keys for tune and --set, with the =" {
	run comp "wcachectl tune vg/db high"
	[ "$output" = "high_watermark=" ]
	run comp "wcachectl tune vg/db "
	[ "$(echo "$output" | wc -l)" -eq "$(wcachectl --help | awk '/^Settings/ { on = 1; next } /^$/ { on = 0 } on' | wc -l)" ]
	[[ "$output" == *"sequential_cutoff="* && "$output" == *"cleaner="* ]]
	run comp "wcachectl attach vg/slow --set auto"
	[ "$(echo "$output" | tr '\n' ' ')" = "autocommit_blocks= autocommit_time= " ]
}

@test "profile names from the profile directory, only those with wcache settings" {
	run comp "wcachectl attach vg/slow --profile "
	[ "$(echo "$output" | tr '\n' ' ')" = "wcache-burst-absorb wcache-cleaner wcache-default wcache-hdd-origin wcache-low-latency " ]
	run comp "wcachectl tune vg/db --profile wcache-h"
	[ "$output" = wcache-hdd-origin ]
	run comp "wcachectl profile wcache-c"
	[ "$output" = wcache-cleaner ]
}

@test "--target completes the two targets" {
	run comp "wcachectl attach vg/slow --target "
	[ "$(echo "$output" | tr '\n' ' ')" = "wcache writecache " ]
}
