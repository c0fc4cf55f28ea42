# SPDX-License-Identifier: GPL-2.0
#
# wcache-cleaner: empty the cache. Everything is written back, writes of
# uncached blocks go straight to the origin, every suspend writes back
# what is left. Use before a planned split or to take the SSD out of the
# write path without removing the cache.
#
# An LVM metadata profile for wcachectl (wcache-profiles(5)):
#   wcachectl attach VG/LV --cachevol FAST --profile wcache-cleaner
#   wcachectl tune VG/LV --profile wcache-cleaner
#   wcachectl profile wcache-cleaner        (the settings as wcachectl reads them)
# cache_settings/writecache holds dm-writecache's settings (both targets);
# cache_settings/wcache what dm-writecache lacks (wcache target only).
# Settings left out are computed from the device geometry
# (wcachectl plan explains them).

allocation {
	cache_settings {
		writecache {
			cleaner = 1
			high_watermark = 0
			low_watermark = 0
		}
		wcache {
			flush_on_suspend = 1
		}
	}
}
