/*
 * libFuzzer target for lib/alertexpr.c, the alert condition language: any
 * bytes are parsed; an error must carry a column inside the input (or just
 * past it) and a message; a parsed expression is evaluated against values
 * derived from the input, and its value and only-check are queried.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alertexpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	struct ps_error err = { 0 };
	struct ps_ax_vals v;
	struct ps_ax *e;
	size_t i;
	int var;

	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = 0;
	e = ps_ax_parse(src, &err);
	if (!e) {
		if (err.code != PS_EXIT_USAGE || !err.msg[0] || err.col < 1 ||
		    (size_t)err.col > strlen(src) + 1)
			abort();
		free(src);
		return 0;
	}
	ps_ax_vals_clear(&v);
	(void)ps_ax_eval(e, &v);	/* all unknown */
	for (i = 0; i < PS_AX_NVARS; i++) {
		v.num[i] = size ? (double)data[i % size] / 7.0 : 0;
		v.str[i] = i % 2 ? "database" : "";
	}
	v.num[0] = NAN;
	(void)ps_ax_eval(e, &v);
	(void)ps_ax_value(e, &v, &var);
	if (var >= PS_AX_NVARS || !ps_ax_var_name(var < 0 ? 0 : var))
		abort();
	(void)ps_ax_only_check(e);
	if (ps_ax_needs(e) >> PS_AX_NVARS)
		abort();
	ps_ax_free(e);
	free(src);
	return 0;
}
