# SPDX-License-Identifier: GPL-2.0
#
# wcache-default: balanced settings for an SSD in front of any origin.
#
# An LVM metadata profile for wcachectl (wcache-profiles(5)):
#   wcachectl attach VG/LV --cachevol FAST --profile wcache-default
#   wcachectl tune VG/LV --profile wcache-default
#   wcachectl profile wcache-default        (the settings as wcachectl reads them)
# cache_settings/writecache holds dm-writecache's settings (both targets);
# cache_settings/wcache what dm-writecache lacks (wcache target only).
# Settings left out are computed from the device geometry
# (wcachectl plan explains them).

allocation {
	cache_settings {
		writecache {
			high_watermark = 50
			low_watermark = 45
			autocommit_time = 1000
			pause_writeback = 0
			cleaner = 0
		}
		wcache {
			sequential_cutoff = 0
			flush_on_suspend = 0
		}
	}
}
