/*
 * log.h: the daemon's log, one line per message on a stream (stderr),
 * each line prefixed with its sd-daemon(3) level ("<3>" ... "<7>") so
 * that journald turns it into a priority, then "buurtd: ".
 *
 * There is no global logger: a struct log is embedded in struct node (or
 * made by main() before the node exists) and passed to whoever logs.
 * Messages above the threshold are dropped.  Each line is written with a
 * single fwrite(); control characters in a message are replaced, so that
 * one call is always one line.  Not thread-safe beyond what stdio gives.
 */
#ifndef BUURT_NODE_LOG_H
#define BUURT_NODE_LOG_H

#include <stdbool.h>
#include <stdio.h>

/* Levels, numbered as syslog(3) and sd-daemon(3) number them. */
enum log_level {
	LOG_LEVEL_ERROR = 3,	/* the node cannot do what it must */
	LOG_LEVEL_WARNING = 4,	/* something is wrong, the node goes on */
	LOG_LEVEL_NOTICE = 5,	/* normal but significant: start, stop */
	LOG_LEVEL_INFO = 6,	/* each decision: a write, a refusal */
	LOG_LEVEL_DEBUG = 7,	/* reads, dropped messages, details */
};

struct log {
	int level;		/* highest level written (enum log_level) */
	FILE *fp;		/* where lines go; stderr unless a test says */
	const char *ident;	/* program name before each message (static
				 * storage or outliving the log) */
};

/*
 * log_init: set up lg to write messages up to level to stderr, each
 * prefixed with ident.  A level outside the enum is clamped into it.
 */
void log_init(struct log *lg, const char *ident, int level);

/*
 * log_msg: write one line at level if the threshold lets it through.
 * Never fails from the caller's point of view: a line that cannot be
 * written is lost (there is nowhere else to report it).
 */
void log_msg(const struct log *lg, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* log_enabled: would a message at level be written? */
bool log_enabled(const struct log *lg, int level);

/*
 * log_level_parse: the level named s ("error", "warning", "notice",
 * "info", "debug") into *level.  Returns 0 or BUURT_EINVAL.
 */
int log_level_parse(const char *s, int *level);

/* log_level_name: "error" ... "debug", or "unknown"; static storage. */
const char *log_level_name(int level);

#define log_error(lg, ...)	log_msg((lg), LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(lg, ...)	log_msg((lg), LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(lg, ...)	log_msg((lg), LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(lg, ...)	log_msg((lg), LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(lg, ...)	log_msg((lg), LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* BUURT_NODE_LOG_H */
