# SPDX-License-Identifier: GPL-2.0
#
# wcache-hdd-origin: a rotational origin. Writeback starts at half full, in
# deep batches the disk can sort, and yields to user I/O between the
# watermarks; long sequential streams go straight to the disk, which
# writes them at full speed.
#
# An LVM metadata profile for wcachectl (wcache-profiles(5)):
#   wcachectl attach VG/LV --cachevol FAST --profile wcache-hdd-origin
#   wcachectl tune VG/LV --profile wcache-hdd-origin
#   wcachectl profile wcache-hdd-origin        (the settings as wcachectl reads them)
# cache_settings/writecache holds dm-writecache's settings (both targets);
# cache_settings/wcache what dm-writecache lacks (wcache target only).
# Settings left out are computed from the device geometry
# (wcachectl plan explains them).

allocation {
	cache_settings {
		writecache {
			high_watermark = 50
			low_watermark = 40
			writeback_jobs = 4096
			autocommit_time = 1000
			pause_writeback = 1000
		}
		wcache {
			sequential_cutoff = 4194304
		}
	}
}
