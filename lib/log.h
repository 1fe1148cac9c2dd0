/*
 * log: messages on stderr in one shape ("prog: what went wrong"), colour only
 * on a terminal (NO_COLOR honoured), and secret redaction so that passwords
 * in URLs and values of secret-looking keys never reach the terminal or logs.
 *
 * Only cmd/ code calls the printing functions; the library fills a
 * struct ps_error instead (util.h).
 */
#ifndef PS_LOG_H
#define PS_LOG_H

#include <stdio.h>

enum ps_color_mode {
	PS_COLOR_AUTO = 0,	/* on a terminal, unless NO_COLOR is set */
	PS_COLOR_ALWAYS,
	PS_COLOR_NEVER,
};

/* Verbosity: -1 quiet (errors only), 0 normal, 1 verbose, 2 debug. */
void ps_log_init(const char *progname);
const char *ps_log_progname(void);
void ps_log_set_verbosity(int v);
int ps_log_verbosity(void);
void ps_log_set_color(enum ps_color_mode mode);
/* Whether to colour what goes to f, from the mode, isatty and NO_COLOR. */
int ps_log_use_color(FILE *f);

/* "prog: error: ..."; every message is redacted before it is written. */
void ps_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ps_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown from verbosity 1 / 2. */
void ps_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ps_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress or notes at normal verbosity, without a severity word. */
void ps_log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A copy of s (caller frees) with secrets masked as "***":
 *  - the password of any URL's userinfo (scheme://user:PASSWORD@host),
 *  - the value in KEY=VALUE or KEY: VALUE where KEY ends in KEY, SECRET,
 *    TOKEN, PASSWORD, PASSWD, PWD or CREDENTIAL(S) (any case),
 *  - password=... in libpq keyword/value conninfo strings.
 */
char *ps_redact(const char *s);
/* ps_redact's text appended to out (no allocation once out has room). */
struct ps_buf;
void ps_redact_into(struct ps_buf *out, const char *s);

/* Whether a variable or key name looks like it holds a secret. */
int ps_is_secret_name(const char *name);

#endif
