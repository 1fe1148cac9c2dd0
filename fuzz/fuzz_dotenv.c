/*
 * libFuzzer target for lib/dotenv.c: any bytes parse without a crash, the
 * positions the parser reports stay inside the input, and every value it
 * formats back parses to the same value. It also runs ps-envcheck's
 * per-file rules and checks that --fix (all rules, --sort) leaves every
 * key with the value it had.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/dotenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ps-envcheck's rules and --fix on the same input. */
static void lint_and_fix(const uint8_t *data, size_t size)
{
	struct envcheck ck = { .enabled = RULE_BIT(R_COUNT) - 1, .sort = 1 };
	struct envfile f;
	struct ps_dotenv after;
	size_t len, i;
	int nfix;
	char *text;

	envfile_load_mem(&f, "fuzz.env", (const char *)data, size, "production");
	envcheck_lint_file(&ck, &f);
	ps_diags_free(&ck.diags);
	text = envcheck_fix(&ck, &f, &len, &nfix);
	ps_dotenv_parse(text, len, &after);
	for (i = 0; i < f.doc.nentries; i++) {
		const struct ps_dotenv_entry *e = &f.doc.entries[i], *a;

		if (ps_dotenv_get(&f.doc, e->key) != e || f.doc.nproblems ||
		    !ps_dotenv_key_valid(e->key) || f.doc.has_nul)
			continue;
		a = ps_dotenv_get(&after, e->key);
		if (!a || a->value_len != e->value_len ||
		    memcmp(a->value, e->value, e->value_len) != 0 ||
		    a->exported != e->exported)
			abort();
	}
	ps_dotenv_free(&after);
	free(text);
	envfile_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_dotenv d;
	size_t i;

	ps_dotenv_parse((const char *)data, size, &d);
	for (i = 0; i < d.nentries; i++) {
		const struct ps_dotenv_entry *e = &d.entries[i];
		struct ps_dotenv back;
		char *text, *line;

		if (e->line < 1 || (size_t)e->line > d.nlines ||
		    e->end_line < e->line || (size_t)e->end_line > d.nlines)
			abort();
		if (!ps_dotenv_key_valid(e->key) || memchr(e->value, '\0', e->value_len))
			continue;
		/* format + parse is the identity on values */
		text = ps_dotenv_format_value(e->value, e->value_len, 0);
		line = malloc(strlen(e->key) + strlen(text) + 3);
		if (!line)
			abort();
		strcpy(line, e->key);
		strcat(line, "=");
		strcat(line, text);
		ps_dotenv_parse(line, strlen(line), &back);
		if (back.nentries != 1 || back.entries[0].value_len != e->value_len ||
		    memcmp(back.entries[0].value, e->value, e->value_len) != 0)
			abort();
		ps_dotenv_free(&back);
		free(line);
		free(text);
	}
	for (i = 0; i < d.nproblems; i++)
		if (d.problems[i].line < 1 || (size_t)d.problems[i].line > d.nlines)
			abort();
	ps_dotenv_free(&d);
	lint_and_fix(data, size);
	return 0;
}
