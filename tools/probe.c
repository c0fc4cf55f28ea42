// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: device geometry from sysfs and libblkid, RAM and page size,
 * and the one raw write wcachectl does (zeroing the cachevol's start).
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "probe.h"
#include "wcachectl.h"

static int sysfs_u64(uint32_t major, uint32_t minor, const char *attr, uint64_t *v)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major, minor, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return WC_EIO;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return WC_EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return wc_parse_u64(buf, 0, UINT64_MAX, v);
}

static void probe_fs(const char *path, struct wc_devgeom *g)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	const char *v;
	uint64_t bs;

	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	if (blkid_do_safeprobe(pr) == 0) {
		if (!blkid_probe_lookup_value(pr, "TYPE", &v, NULL))
			wc_strlcpy(g->fs_type, v, sizeof(g->fs_type));
		else if (!blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL))
			wc_strlcpy(g->fs_type, v, sizeof(g->fs_type));
		/* BLOCK_SIZE: the smallest unit the filesystem writes */
		if ((!blkid_probe_lookup_value(pr, "BLOCK_SIZE", &v, NULL) ||
		     !blkid_probe_lookup_value(pr, "FSBLOCKSIZE", &v, NULL)) &&
		    !wc_parse_u64(v, 512, 1 << 20, &bs))
			g->fs_block_size = bs;
	}
	blkid_free_probe(pr);
}

int wc_probe_dev(const char *path, struct wc_devgeom *g, char *err, size_t errlen)
{
	struct stat st;
	uint64_t v;

	memset(g, 0, sizeof(*g));
	if (stat(path, &st) || !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "%s is not a block device", path);
		return WC_EIO;
	}
	g->major = major(st.st_rdev);
	g->minor = minor(st.st_rdev);
	if (sysfs_u64(g->major, g->minor, "size", &v)) {
		snprintf(err, errlen, "cannot read the size of %s from sysfs", path);
		return WC_EIO;
	}
	g->bytes = v * 512;
	g->lbs = sysfs_u64(g->major, g->minor, "queue/logical_block_size", &v) ? 512 : v;
	g->pbs = sysfs_u64(g->major, g->minor, "queue/physical_block_size", &v) ? g->lbs : v;
	g->rotational = sysfs_u64(g->major, g->minor, "queue/rotational", &v) ? 1 : !!v;
	probe_fs(path, g);
	return 0;
}

uint64_t wc_probe_ram(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

uint32_t wc_probe_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint32_t)p : 4096;
}

int wc_wipe_start(const char *path, uint64_t bytes, char *err, size_t errlen)
{
	const size_t chunk = 1 << 20;
	uint64_t done = 0;
	void *buf;
	int fd;

	fd = open(path, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s exclusively: %s", path, strerror(errno));
		return errno == EBUSY ? WC_EREFUSED : WC_EIO;
	}
	buf = calloc(1, chunk);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return WC_EFAIL;
	}
	while (done < bytes) {
		size_t n = bytes - done < chunk ? bytes - done : chunk;
		ssize_t w = pwrite(fd, buf, n, done);

		if (w <= 0) {
			snprintf(err, errlen, "writing %s failed: %s", path,
				 w < 0 ? strerror(errno) : "short write");
			free(buf);
			close(fd);
			return WC_EIO;
		}
		done += w;
	}
	free(buf);
	if (fsync(fd)) {
		snprintf(err, errlen, "flushing %s failed: %s", path, strerror(errno));
		close(fd);
		return WC_EIO;
	}
	close(fd);
	wc_step_done("wipe");
	return 0;
}

int wc_random_hex32(char out[33])
{
	unsigned char r[16];
	int i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return WC_EIO;
	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
	out[32] = '\0';
	return 0;
}
