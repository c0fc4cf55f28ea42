// SPDX-License-Identifier: GPL-2.0
/*
 * wcachectl: all LVM access through liblvm2cmd. Reports are read as
 * JSON (lvs --reportformat json), captured from lvm's standard output
 * (report_run) and parsed with json-c.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <lvm2cmd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lvm.h"
#include "wcachectl.h"

static void *handle;
static char last_error[WC_ERR_MAX];

/* output capture for reports */
static char *cap;
static size_t cap_len, cap_size;
static int capturing;
#define CAP_REPORT	1	/* JSON report lines only */
#define CAP_ALL		2	/* every line lvm prints (lvmconfig) */

static void cap_add(const char *s)
{
	size_t n = strlen(s);

	if (cap_len + n + 2 > cap_size) {
		size_t ns = (cap_size ? cap_size : 65536);
		char *p;

		while (cap_len + n + 2 > ns)
			ns *= 2;
		if (ns > (64u << 20))
			return;		/* refuse absurd reports */
		p = realloc(cap, ns);
		if (!p)
			return;
		cap = p;
		cap_size = ns;
	}
	memcpy(cap + cap_len, s, n);
	cap_len += n;
	cap[cap_len++] = '\n';
	cap[cap_len] = '\0';
}

static int is_report_line(const char *m)
{
	const char *p = m;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "WARNING:", 8))
		return 0;
	return *p == '{' || *p == '}' || *p == '[' || *p == ']' || *p == '"' ||
	       *p == '\0';
}

static void log_fn(int level, const char *file, int line, int dm_errno,
		   const char *message)
{
	(void)file;
	(void)line;
	(void)dm_errno;
	level &= 0x0f;
	if (level <= LVM2_LOG_ERROR) {
		/* keep the first error line of a command: the most specific */
		if (!last_error[0])
			wc_strlcpy(last_error, message, sizeof(last_error));
		if (wc_verbose)
			fprintf(stderr, "wcachectl: lvm: %s\n", message);
		return;
	}
	if (level == LVM2_LOG_PRINT && capturing == CAP_ALL) {
		cap_add(message);
		return;
	}
	if (level == LVM2_LOG_PRINT && capturing && is_report_line(message)) {
		cap_add(message);
		return;
	}
	if (level == LVM2_LOG_PRINT ? wc_verbose : wc_verbose > 1)
		fprintf(stderr, "wcachectl: lvm: %s\n", message);
}

int wc_lvm_init(void)
{
	if (handle)
		return 0;
	setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 1);
	/* a command profile from the environment would sit above the metadata
	 * profile that wc_lvm_profile() prints */
	unsetenv("LVM_COMMAND_PROFILE");
	lvm2_log_fn(log_fn);
	handle = lvm2_init();
	if (!handle)
		return wc_err(WC_ELVM, "cannot initialise liblvm2cmd");
	lvm2_log_level(handle, wc_verbose > 1 ? LVM2_LOG_DEBUG :
			       wc_verbose ? LVM2_LOG_VERBOSE : LVM2_LOG_PRINT);
	return 0;
}

void wc_lvm_exit(void)
{
	if (handle)
		lvm2_exit(handle);
	handle = NULL;
	free(cap);
	cap = NULL;
	cap_len = cap_size = 0;
}

const char *wc_lvm_error(void)
{
	return last_error[0] ? last_error : "unknown LVM error";
}

static int vrun(const char *fmt, va_list ap)
{
	char cmd[4096];
	int n, r;

	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		wc_strlcpy(last_error, "LVM command line too long", sizeof(last_error));
		return WC_ELVM;
	}
	if (wc_lvm_init())
		return WC_ELVM;
	last_error[0] = '\0';
	wc_debug("lvm %s", cmd);
	r = lvm2_run(handle, cmd);
	if (r != LVM2_COMMAND_SUCCEEDED) {
		if (!last_error[0])
			snprintf(last_error, sizeof(last_error), "'%.200s' failed (%d)", cmd, r);
		return WC_ELVM;
	}
	if (!capturing)
		wc_step_done(cmd);
	return 0;
}

int wc_lvm_run(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vrun(fmt, ap);
	va_end(ap);
	return r;
}

/* the whole of what was written to fd, from its start; NULL on failure */
static char *read_back(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;
	size_t got = 0;
	ssize_t n;

	if (len < 0 || len > (64 << 20) || lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	while (got < (size_t)len) {
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	return buf;
}

/* the next line of *cursor (cut at its newline), NULL at the end */
static char *next_line(char **cursor)
{
	char *line = *cursor, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl)
		*nl++ = '\0';
	*cursor = nl ? nl : line + strlen(line);
	return line;
}

/*
 * Run a report command and keep its report lines in cap. lvm hands each line
 * it prints to the log callback through a 4096-byte buffer, so a longer
 * report line (an LV with kilobytes of tags) would arrive cut and the whole
 * JSON report be lost. A report therefore runs with no callback, its standard
 * output and error in anonymous files that are read back whole; the first
 * error line becomes last_error, as with the callback.
 */
static int report_run(const char *fmt, ...)
{
	int out, err, so = -1, se = -1, r;
	char *text, *line, *cursor;
	va_list ap;

	cap_len = 0;
	if (cap)
		cap[0] = '\0';
	/* before the callback is unset below: a first init would set it again */
	if (wc_lvm_init())
		return WC_ELVM;
	out = memfd_create("wcachectl-lvm-report", MFD_CLOEXEC);
	err = memfd_create("wcachectl-lvm-errors", MFD_CLOEXEC);
	fflush(stdout);
	fflush(stderr);
	if (out >= 0 && err >= 0) {
		so = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		se = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	}
	if (so < 0 || se < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(err, STDERR_FILENO) < 0) {
		snprintf(last_error, sizeof(last_error),
			 "cannot capture the output of lvs: %s", strerror(errno));
		r = WC_ELVM;
		goto restore;
	}
	lvm2_log_fn(NULL);
	capturing = CAP_REPORT;
	va_start(ap, fmt);
	r = vrun(fmt, ap);
	va_end(ap);
	capturing = 0;
	fflush(stdout);
	fflush(stderr);
	lvm2_log_fn(log_fn);
restore:
	if (so >= 0)
		dup2(so, STDOUT_FILENO);
	if (se >= 0)
		dup2(se, STDERR_FILENO);
	if (so >= 0)
		close(so);
	if (se >= 0)
		close(se);
	text = err >= 0 ? read_back(err) : NULL;
	for (cursor = text; (line = next_line(&cursor));) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			continue;
		if (wc_verbose)
			fprintf(stderr, "wcachectl: lvm: %s\n", line);
		if (r && strncmp(line, "WARNING:", 8) &&
		    (!last_error[0] || !strncmp(last_error, "'lvs ", 5)))
			wc_strlcpy(last_error, line, sizeof(last_error));
	}
	free(text);
	text = out >= 0 && !r ? read_back(out) : NULL;
	for (cursor = text; (line = next_line(&cursor));)
		if (is_report_line(line))
			cap_add(line);
	free(text);
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	if (!r && !cap) {
		wc_strlcpy(last_error, "lvs printed no report", sizeof(last_error));
		r = WC_ELVM;
	}
	return r;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int copy_field(struct json_object *o, const char *key, char *dst, size_t len)
{
	const char *s = jstr(o, key);

	if (!s || strlen(s) >= len)
		return WC_ELVM;
	strcpy(dst, s);
	return 0;
}

/*
 * The tags of one LV. An LV may carry far more tags than we keep: then
 * only its wcache.* tags are kept (all that wcachectl reads or removes),
 * and if even those do not fit, one tag the parser refuses for this LV
 * alone. Either way the rest of the report stays usable.
 */
static int copy_tags(struct json_object *o, struct wc_lv *lv)
{
	const char *s = jstr(o, "lv_tags"), *p, *end;
	size_t off = 0, n;

	if (!s)
		return WC_ELVM;
	if (strlen(s) < sizeof(lv->tags)) {
		strcpy(lv->tags, s);
		return 0;
	}
	lv->tags[0] = '\0';
	for (p = s; *p; p = end + 1) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n > strlen(WC_TAG_PREFIX_LVM) &&
		    !strncmp(p, WC_TAG_PREFIX_LVM, strlen(WC_TAG_PREFIX_LVM))) {
			if (off + n + 2 > sizeof(lv->tags)) {
				wc_strlcpy(lv->tags, WC_TAG_PREFIX_LVM "tags=too-long",
					   sizeof(lv->tags));
				return 0;
			}
			if (off)
				lv->tags[off++] = ',';
			memcpy(lv->tags + off, p, n);
			off += n;
			lv->tags[off] = '\0';
		}
		if (!end)
			break;
	}
	return 0;
}

static int parse_lv(struct json_object *o, struct wc_lv *lv)
{
	const char *s;
	uint64_t v;

	memset(lv, 0, sizeof(*lv));
	if (copy_field(o, "vg_name", lv->vg, sizeof(lv->vg)) ||
	    copy_field(o, "lv_name", lv->name, sizeof(lv->name)) ||
	    copy_field(o, "lv_uuid", lv->uuid, sizeof(lv->uuid)) ||
	    copy_field(o, "lv_attr", lv->attr, sizeof(lv->attr)) ||
	    copy_field(o, "segtype", lv->segtype, sizeof(lv->segtype)) ||
	    copy_field(o, "lv_layout", lv->layout, sizeof(lv->layout)) ||
	    copy_field(o, "lv_dm_path", lv->dm_path, sizeof(lv->dm_path)) ||
	    copy_tags(o, lv))
		return WC_ELVM;
	s = jstr(o, "lv_size");
	if (!s || wc_parse_u64(s, 0, UINT64_MAX, &lv->size))
		return WC_ELVM;
	s = jstr(o, "seg_count");
	if (!s || wc_parse_u64(s, 0, 1u << 20, &v))
		return WC_ELVM;
	lv->seg_count = v;
	s = jstr(o, "lv_active_locally");
	lv->active = s && !strcmp(s, "1");
	s = jstr(o, "lv_device_open");
	lv->open = s && !strcmp(s, "1");
	s = jstr(o, "lv_skip_activation");
	lv->skip = s && !strcmp(s, "1");
	return 0;
}

int wc_lvm_parse_report(const char *json, struct wc_lv **lvs, int *n)
{
	struct json_object *root, *rep, *r0, *arr;
	size_t i, cnt;
	int ret = WC_ELVM;

	*lvs = NULL;
	*n = 0;
	root = json_tokener_parse(json);
	if (!root)
		return WC_ELVM;
	if (!json_object_object_get_ex(root, "report", &rep) ||
	    !json_object_is_type(rep, json_type_array))
		goto out;
	if (json_object_array_length(rep) == 0) {
		ret = 0;
		goto out;
	}
	r0 = json_object_array_get_idx(rep, 0);
	if (!json_object_object_get_ex(r0, "lv", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto out;
	cnt = json_object_array_length(arr);
	if (cnt > 100000)
		goto out;
	*lvs = calloc(cnt ? cnt : 1, sizeof(**lvs));
	if (!*lvs) {
		ret = WC_EFAIL;
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		if (parse_lv(json_object_array_get_idx(arr, i), &(*lvs)[i])) {
			free(*lvs);
			*lvs = NULL;
			goto out;
		}
	}
	*n = cnt;
	ret = 0;
out:
	json_object_put(root);
	return ret;
}

#define LVS_FIELDS "vg_name,lv_name,lv_uuid,lv_attr,segtype,lv_layout,lv_dm_path," \
		   "lv_tags,lv_size,seg_count,lv_active_locally,lv_device_open,lv_skip_activation"

int wc_lvm_lvs(const char *vg, struct wc_lv **lvs, int *n)
{
	int r;

	*lvs = NULL;
	*n = 0;
	if (vg && !wc_valid_name(vg))
		return WC_ENOENT;
	r = report_run("lvs -a --reportformat json --binary --units b --nosuffix "
		       "-o " LVS_FIELDS " %s", vg ? vg : "");
	if (r) {
		if (vg && strstr(last_error, "not found"))
			return WC_ENOENT;
		return r;
	}
	if (!cap || wc_lvm_parse_report(cap, lvs, n)) {
		wc_strlcpy(last_error, "cannot parse the JSON report of lvs", sizeof(last_error));
		return WC_ELVM;
	}
	return 0;
}

/* "[name]" or "name" of a sub-LV in a devices field, without "(extent)" */
static void dev_name(const char *s, size_t len, char *buf, size_t blen)
{
	const char *paren = memchr(s, '(', len);

	if (paren)
		len = paren - s;
	if (len && *s == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= blen)
		len = blen - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

static int add_pvs(struct json_object *segs, const char *lv, int depth,
		   char pvs[][WC_PATH_MAX], int max, int *n)
{
	size_t i, cnt = json_object_array_length(segs);
	char name[WC_PATH_MAX];
	int k;

	if (depth > 8)
		return WC_ELVM;
	for (i = 0; i < cnt; i++) {
		struct json_object *seg = json_object_array_get_idx(segs, i);
		const char *ln = jstr(seg, "lv_name"), *devs = jstr(seg, "devices"), *p, *end;

		if (!ln || !devs)
			return WC_ELVM;
		dev_name(ln, strlen(ln), name, sizeof(name));
		if (strcmp(name, lv))
			continue;
		for (p = devs; *p; p = end + 1) {
			end = strchr(p, ',');
			dev_name(p, end ? (size_t)(end - p) : strlen(p), name, sizeof(name));
			if (name[0] == '/') {
				for (k = 0; k < *n && strcmp(pvs[k], name); k++)
					;
				if (k == *n) {
					if (*n >= max)
						return WC_ELVM;
					wc_strlcpy(pvs[(*n)++], name, WC_PATH_MAX);
				}
			} else if (name[0] && add_pvs(segs, name, depth + 1, pvs, max, n)) {
				return WC_ELVM;
			}
			if (!end)
				break;
		}
	}
	return 0;
}

int wc_lvm_parse_pvs(const char *json, const char *lv, char pvs[][WC_PATH_MAX], int max,
		     int *n)
{
	struct json_object *root, *rep, *r0, *segs;
	int ret = WC_ELVM;

	*n = 0;
	root = json_tokener_parse(json);
	if (!root)
		return WC_ELVM;
	if (json_object_object_get_ex(root, "report", &rep) &&
	    json_object_is_type(rep, json_type_array) && json_object_array_length(rep) > 0) {
		r0 = json_object_array_get_idx(rep, 0);
		if ((json_object_object_get_ex(r0, "seg", &segs) ||
		     json_object_object_get_ex(r0, "lv", &segs)) &&
		    json_object_is_type(segs, json_type_array))
			ret = add_pvs(segs, lv, 0, pvs, max, n);
	}
	json_object_put(root);
	return ret;
}

int wc_lvm_lv_pvs(const char *vg, const char *lv, char pvs[][WC_PATH_MAX], int max, int *n)
{
	int r;

	*n = 0;
	if (!wc_valid_name(vg))
		return WC_ELVM;
	r = report_run("lvs -a --segments --reportformat json -o lv_name,devices %s", vg);
	if (r)
		return r;
	if (!cap || wc_lvm_parse_pvs(cap, lv, pvs, max, n)) {
		wc_strlcpy(last_error, "cannot parse the JSON segment report of lvs",
			   sizeof(last_error));
		return WC_ELVM;
	}
	return 0;
}

/*
 * Run "lvmconfig --file TMP ARGS" and read what it wrote into @buf
 * (lvmconfig writes its output to stdout directly, not through the log
 * function, so it goes through a private temporary file).
 */
static int lvmconfig(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int lvmconfig(char *buf, size_t len, const char *fmt, ...)
{
	char path[] = "/tmp/wcachectl-lvmconfig.XXXXXX", args[1024];
	va_list ap;
	size_t n;
	FILE *f;
	int fd, r;

	va_start(ap, fmt);
	n = vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (n >= sizeof(args)) {
		wc_strlcpy(last_error, "lvmconfig arguments too long", sizeof(last_error));
		return WC_ELVM;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(last_error, sizeof(last_error), "cannot create %s: %s", path,
			 strerror(errno));
		return WC_ELVM;
	}
	capturing = CAP_ALL;	/* lvmconfig changes nothing: not a crash-test step */
	r = wc_lvm_run("lvmconfig --file %s %s", path, args);
	capturing = 0;
	if (!r) {
		f = fdopen(fd, "r");
		if (!f) {
			close(fd);
			r = WC_ELVM;
		} else {
			n = fread(buf, 1, len, f);
			fclose(f);
			if (n >= len) {
				wc_strlcpy(last_error, "lvmconfig printed too much", sizeof(last_error));
				r = WC_ELVM;
			} else {
				buf[n] = '\0';
			}
		}
	} else {
		close(fd);
	}
	unlink(path);
	return r;
}

static int quoted(const char *out, char *buf, size_t len)
{
	const char *p = strchr(out, '"'), *e = p ? strchr(p + 1, '"') : NULL;

	if (!p || !e || (size_t)(e - p) > len)
		return WC_ELVM;
	memcpy(buf, p + 1, e - p - 1);
	buf[e - p - 1] = '\0';
	return 0;
}

int wc_lvm_activation_mode(char *buf, size_t len)
{
	char out[256];

	if ((!lvmconfig(out, sizeof(out), "--type current activation/activation_mode") &&
	     !quoted(out, buf, len)) ||
	    (!lvmconfig(out, sizeof(out), "--type default activation/activation_mode") &&
	     !quoted(out, buf, len)))
		return 0;
	wc_strlcpy(last_error, "cannot read activation/activation_mode", sizeof(last_error));
	return WC_ELVM;
}

int wc_lvm_profile_dir(char *buf, size_t len)
{
	char out[WC_PATH_MAX + 64];

	/* set in lvm.conf, or LVM's default (relative to LVM_SYSTEM_DIR) */
	if ((!lvmconfig(out, sizeof(out), "--type current config/profile_dir") &&
	     !quoted(out, buf, len)) ||
	    (!lvmconfig(out, sizeof(out), "--type default config/profile_dir") &&
	     !quoted(out, buf, len)))
		return 0;
	wc_strlcpy(last_error, "cannot read config/profile_dir", sizeof(last_error));
	return WC_ELVM;
}

int wc_lvm_profile_text(const char *name, char *buf, size_t len)
{
	int r;

	if (!wc_valid_name(name)) {
		snprintf(last_error, sizeof(last_error), "invalid profile name '%.64s'", name);
		return WC_EUSAGE;
	}
	/*
	 * The metadata profile is the front of the config cascade here (no
	 * --config string, no command profile), and lvmconfig without
	 * --mergedconfig prints only the front: exactly the profile.
	 */
	r = lvmconfig(buf, len, "--metadataprofile %s allocation/cache_settings", name);
	if (!r)
		return 0;
	if (strstr(last_error, "stat failed") || strstr(last_error, "No such file"))
		return WC_ENOENT;
	if (strstr(last_error, "not found") && strstr(last_error, "cache_settings")) {
		/* a valid profile without cache settings */
		wc_strlcpy(buf, "cache_settings {\n}\n", len);
		return 0;
	}
	return WC_ELVM;
}
