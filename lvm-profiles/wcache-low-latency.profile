# SPDX-License-Identifier: GPL-2.0
#
# wcache-low-latency: frequent commits. Writes without FLUSH are committed
# after 64 blocks or 100 ms, so little uncommitted data is in flight and a
# FLUSH finds little to do; writeback starts early and in small batches.
#
# An LVM metadata profile for wcachectl (wcache-profiles(5)):
#   wcachectl attach VG/LV --cachevol FAST --profile wcache-low-latency
#   wcachectl tune VG/LV --profile wcache-low-latency
#   wcachectl profile wcache-low-latency        (the settings as wcachectl reads them)
# cache_settings/writecache holds dm-writecache's settings (both targets);
# cache_settings/wcache what dm-writecache lacks (wcache target only).
# Settings left out are computed from the device geometry
# (wcachectl plan explains them).

allocation {
	cache_settings {
		writecache {
			high_watermark = 40
			low_watermark = 30
			writeback_jobs = 256
			autocommit_blocks = 64
			autocommit_time = 100
		}
		wcache {
			sequential_cutoff = 1048576
		}
	}
}
