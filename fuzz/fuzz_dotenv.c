/*
 * libFuzzer target for lib/dotenv.c: any bytes parse without a crash, the
 * positions the parser reports stay inside the input, and every value it
 * formats back parses to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dotenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	return 0;
}
