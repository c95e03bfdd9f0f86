/*
 * log.c: sd-daemon-prefixed lines on stderr; see log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <buurt/error.h>

#include "log.h"

/* Longest line written; longer messages are cut. */
#define LOG_LINE_MAX	1024

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static int
clamp_level(int level)
{
	if (level < LOG_LEVEL_ERROR) {
		return LOG_LEVEL_ERROR;
	}
	if (level > LOG_LEVEL_DEBUG) {
		return LOG_LEVEL_DEBUG;
	}
	return level;
}

void
log_init(struct log *lg, const char *ident, int level)
{
	lg->level = clamp_level(level);
	lg->fp = stderr;
	lg->ident = ident != NULL ? ident : "buurtd";
}

bool
log_enabled(const struct log *lg, int level)
{
	return lg != NULL && clamp_level(level) <= lg->level;
}

void
log_msg(const struct log *lg, int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	size_t len, i, start;
	int n;

	if (!log_enabled(lg, level) || lg->fp == NULL) {
		return;
	}
	level = clamp_level(level);
	n = snprintf(line, sizeof(line), "<%d>%s: ", level, lg->ident);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		return;
	}
	start = (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + start, sizeof(line) - start - 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	len = strlen(line);
	/* One call, one line: a newline in a message would lose its level. */
	for (i = start; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
			line[i] = '?';
		}
	}
	line[len++] = '\n';
	(void)fwrite(line, 1, len, lg->fp);
	(void)fflush(lg->fp);
}

int
log_level_parse(const char *s, int *level)
{
	int l;

	if (s == NULL || level == NULL) {
		return BUURT_EINVAL;
	}
	for (l = LOG_LEVEL_ERROR; l <= LOG_LEVEL_DEBUG; l++) {
		if (strcmp(s, level_names[l]) == 0) {
			*level = l;
			return 0;
		}
	}
	return BUURT_EINVAL;
}

const char *
log_level_name(int level)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_DEBUG) {
		return "unknown";
	}
	return level_names[level];
}
