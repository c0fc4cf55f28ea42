#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The shipped LVM profiles, read the way wcachectl reads them (LVM finds,
# parses and validates the profile through liblvm2cmd), on the host with a
# private LVM_SYSTEM_DIR. Bad profiles are refused with a clear reason.

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	WC="$TOP/tools/wcachectl"
	[ -x "$WC" ] || make -C "$TOP/tools" wcachectl >/dev/null
	LVM_SYSTEM_DIR=$(mktemp -d)
	export LVM_SYSTEM_DIR LVM_SUPPRESS_FD_WARNINGS=1
	mkdir "$LVM_SYSTEM_DIR/profile"
	printf 'config {\n\tprofile_dir = "%s/profile"\n}\n' "$LVM_SYSTEM_DIR" >"$LVM_SYSTEM_DIR/lvm.conf"
	cp "$TOP"/lvm-profiles/*.profile "$LVM_SYSTEM_DIR/profile/"
}

teardown() {
	rm -rf "$LVM_SYSTEM_DIR"
}

bad_profile() {
	printf 'allocation {\n\tcache_settings {\n\t\t%s {\n\t\t\t%s\n\t\t}\n\t}\n}\n' "$2" "$3" \
		>"$LVM_SYSTEM_DIR/profile/$1.profile"
}

@test "the shipped profiles are valid LVM metadata profiles" {
	n=0
	for f in "$TOP"/lvm-profiles/*.profile; do
		p=$(basename "$f" .profile)
		[[ "$p" == wcache-* ]]
		run lvmconfig --metadataprofile "$p" --validate
		[ "$status" -eq 0 ]
		n=$((n + 1))
	done
	[ "$n" -ge 5 ]
}

@test "wcachectl profile shows exactly the values in each profile" {
	for f in "$TOP"/lvm-profiles/*.profile; do
		p=$(basename "$f" .profile)
		run "$WC" profile "$p" --json
		[ "$status" -eq 0 ]
		want=$(lvmconfig --metadataprofile "$p" allocation/cache_settings |
			sed -nE 's/^[[:space:]]*([a-z_]+)=([0-9]+)$/\1 \2/p' | sort)
		got=$(echo "$output" | jq -r '.settings | to_entries[] | "\(.key) \(.value)"' | sort)
		[ -n "$want" ]
		[ "$want" = "$got" ] || { echo "lvmconfig: $want"; echo "wcachectl: $got"; return 1; }
	done
}

@test "the profiles promise what their names say" {
	run "$WC" profile wcache-burst-absorb --json
	echo "$output" | jq -e '.settings.high_watermark >= 85'
	run "$WC" profile wcache-low-latency --json
	echo "$output" | jq -e '.settings.autocommit_time <= 100 and .settings.autocommit_blocks <= 256'
	run "$WC" profile wcache-cleaner --json
	echo "$output" | jq -e '.settings.cleaner == 1'
	run "$WC" profile wcache-hdd-origin --json
	echo "$output" | jq -e '.settings.sequential_cutoff > 0'
	# the wcache section is ignored for the writecache target, and said so
	run "$WC" profile wcache-hdd-origin --target writecache --json
	echo "$output" | jq -e '.settings.sequential_cutoff == null and .ignored == ["sequential_cutoff"]'
}

@test "profile without NAME lists the wcache profiles, not LVM's others" {
	printf 'allocation {\n\tthin_pool_zero = 1\n}\n' >"$LVM_SYSTEM_DIR/profile/thin-x.profile"
	run "$WC" profile
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[[ "$output" != *thin-x* ]]
}

@test "bad profiles are refused with the reason" {
	bad_profile typo writecache "high_watermak = 50"
	run "$WC" profile typo
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown setting 'high_watermak' in section cache_settings/writecache (valid: high_watermark"* ]]
	bad_profile range writecache "high_watermark = 150"
	run "$WC" profile range
	[ "$status" -eq 2 ]
	[[ "$output" == *"high_watermark=150 out of range (valid: 0..100 %)"* ]]
	bad_profile section writecache "sequential_cutoff = 1"
	run "$WC" profile section
	[ "$status" -eq 2 ]
	[[ "$output" == *"belongs in section cache_settings/wcache"* ]]
	bad_profile str writecache 'max_age = "soon"'
	run "$WC" profile str
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a number"* ]]
	bad_profile order writecache "high_watermark = 40
			low_watermark = 50"
	run "$WC" profile order
	[ "$status" -eq 2 ]
	[[ "$output" == *"above high_watermark"* ]]
	# LVM itself refuses a profile with settings a metadata profile may not hold
	printf 'global {\n\tunits = "k"\n}\n' >"$LVM_SYSTEM_DIR/profile/cmdonly.profile"
	run "$WC" profile cmdonly
	[ "$status" -eq 7 ]
	[[ "$output" == *"LVM refuses profile cmdonly"* ]]
	printf 'allocation {\n' >"$LVM_SYSTEM_DIR/profile/syntax.profile"
	run "$WC" profile syntax
	[ "$status" -eq 7 ]
	run "$WC" profile nosuch
	[ "$status" -eq 4 ]
	[[ "$output" == *"profile nosuch not found"* ]]
	run "$WC" profile ../etc/passwd
	[ "$status" -eq 2 ]
}

@test "wcache-profiles(5) states each shipped profile's values" {
	man="$TOP/man/wcache-profiles.5"
	for f in "$TOP"/lvm-profiles/*.profile; do
		p=$(basename "$f" .profile)
		# the paragraph after ".B wcache\-NAME" up to the next .TP
		para=$(awk -v h=".B ${p//-/\\\\-}" '$0 == h { on = 1; next } on && /^\.(TP|SH)/ { exit } on' "$man")
		[ -n "$para" ] || { echo "no paragraph for $p"; return 1; }
		while read -r k v; do
			[[ "$para" == *"$k $v"* ]] || { echo "$p: man page lacks '$k $v'"; return 1; }
		done < <(lvmconfig --metadataprofile "$p" allocation/cache_settings |
			sed -nE 's/^[[:space:]]*([a-z_]+)=([0-9]+)$/\1 \2/p')
	done
}
