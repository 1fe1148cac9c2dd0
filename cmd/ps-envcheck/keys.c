/*
 * ps-envcheck --diff: the key sets of several files side by side, so that
 * a missing key stands out; JSON lines ("env_keys" records) for machines.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/ps-envcheck/envcheck.h"
#include "lib/records.h"
#include "lib/util.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int envcheck_keydiff(FILE *out, struct envfile *files, size_t n, int json)
{
	char **keys = NULL;
	size_t nk = 0, cap = 0, i, j, w = 3, ndiff = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < files[i].doc.nentries; j++) {
			const char *k = files[i].doc.entries[j].key;
			size_t m;

			/* once per key: its last entry in the first file */
			if (ps_dotenv_get(&files[i].doc, k) != &files[i].doc.entries[j])
				continue;
			for (m = 0; m < i && !ps_dotenv_get(&files[m].doc, k); m++)
				;
			if (m < i)
				continue;
			ps_xgrow(&keys, &cap, nk + 1, sizeof(*keys));
			keys[nk++] = ps_xstrdup(k);
			if (strlen(k) > w)
				w = strlen(k);
		}
	}
	if (nk)
		qsort(keys, nk, sizeof(*keys), cmp_str);
	if (!json) {
		fprintf(out, "%-*s", (int)w, "KEY");
		for (i = 0; i < n; i++)
			fprintf(out, "  %s", files[i].path);
		fputc('\n', out);
	}
	for (j = 0; j < nk; j++) {
		size_t have = 0;

		for (i = 0; i < n; i++)
			have += ps_dotenv_get(&files[i].doc, keys[j]) != NULL;
		if (have != n)
			ndiff++;
		if (json) {
			json_t *rec = ps_rec_new("env_keys", ENVCHECK_TOOL);
			json_t *present = json_object(), *missing = json_array();

			json_object_set_new(rec, "key", json_string(keys[j]));
			for (i = 0; i < n; i++) {
				int has = ps_dotenv_get(&files[i].doc, keys[j]) != NULL;

				json_object_set_new(present, files[i].path,
						    json_boolean(has));
				if (!has)
					json_array_append_new(missing,
						json_string(files[i].path));
			}
			json_object_set_new(rec, "files", present);
			json_object_set_new(rec, "missing_in", missing);
			json_object_set_new(rec, "same", json_boolean(have == n));
			ps_rec_write(out, rec);
			json_decref(rec);
		} else {
			fprintf(out, "%-*s", (int)w, keys[j]);
			for (i = 0; i < n; i++) {
				int has = ps_dotenv_get(&files[i].doc, keys[j]) != NULL;
				int cw = (int)strlen(files[i].path);

				fprintf(out, "  %-*s", i + 1 < n ? cw : 0,
					has ? "set" : "MISSING");
			}
			fputc('\n', out);
		}
	}
	if (!json)
		fprintf(out, "%zu keys in %zu files; %zu not in every file\n", nk,
			n, ndiff);
	for (j = 0; j < nk; j++)
		free(keys[j]);
	free(keys);
	return ndiff ? 1 : 0;
}
