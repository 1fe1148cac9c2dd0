/*
 * libFuzzer target for the Dockerfile parser and the shell splitter
 * (lib/dockerfile.c): any bytes parse without crashing, and every RUN
 * script, HEALTHCHECK command and heredoc body splits into commands; then
 * every ps-lint-dockerfile rule runs over the same input (ShellCheck off).
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/dockerfile.h"
#include "cmd/ps-lint-dockerfile/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_error err = { 0 };
	struct ps_dockerfile *df = ps_df_parse("fuzz", (const char *)data, size, &err);

	if (!df)
		return 0;
	for (size_t i = 0; i < df->ninsts; i++) {
		const struct ps_df_inst *in = df->insts[i].inner ? df->insts[i].inner :
				 &df->insts[i];
		struct ps_sh_script sc = { 0 };

		if (in->script)
			ps_sh_split(df, in->script, &sc);
		for (size_t h = 0; h < in->nheredocs; h++)
			ps_sh_split(df, in->heredocs[h].body, &sc);
		for (size_t p = 0; p < in->npairs; p++)
			if (in->pairs[p].value)
				ps_df_expand(df, in->pairs[p].value, in->pairs, in->npairs);
		for (size_t a = 0; a < in->argc; a++)
			ps_df_unquote(df, in->argv[a]);
	}
	ps_df_free(df);
	{
		static struct lint_settings set;
		static int init;
		struct ps_diags out = { 0 };

		if (!init) {
			lint_settings_init(&set);
			lint_settings_enable(&set, "all", 1);
			set.shellcheck = SC_NEVER;
			init = 1;
		}
		lint_text(&set, "fuzz", NULL, (const char *)data, size, &out);
		ps_diags_free(&out);
	}
	return 0;
}
