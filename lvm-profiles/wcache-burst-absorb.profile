# SPDX-License-Identifier: GPL-2.0
#
# wcache-burst-absorb: absorb large write bursts. Writeback starts only at
# 90% full and then drains to 60% in one long run, pauses while users
# write, and data older than an hour is written back anyway; sequential
# writes are cached too.
#
# An LVM metadata profile for wcachectl (wcache-profiles(5)):
#   wcachectl attach VG/LV --cachevol FAST --profile wcache-burst-absorb
#   wcachectl tune VG/LV --profile wcache-burst-absorb
#   wcachectl profile wcache-burst-absorb        (the settings as wcachectl reads them)
# cache_settings/writecache holds dm-writecache's settings (both targets);
# cache_settings/wcache what dm-writecache lacks (wcache target only).
# Settings left out are computed from the device geometry
# (wcachectl plan explains them).

allocation {
	cache_settings {
		writecache {
			high_watermark = 90
			low_watermark = 60
			pause_writeback = 10000
			max_age = 3600000
		}
		wcache {
			sequential_cutoff = 0
		}
	}
}
