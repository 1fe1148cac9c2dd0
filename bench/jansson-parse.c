/*
 * bench/jansson-parse.c: what building a jansson tree of every line costs.
 * Reads a JSON-lines file and only parses each line with jansson's
 * json_loadb (then frees it), on one thread, and prints the records parsed
 * per CPU-second. ps-alert read its input that way before, which held it
 * under about N times this rate on N cores; it now reads lines with yajl's
 * events, and bench/alert.sh prints both rates.
 *
 *   cc -O2 -o jansson-parse bench/jansson-parse.c -ljansson && ./jansson-parse FILE
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
	char *line = NULL;
	size_t cap = 0, n = 0, bad = 0;
	ssize_t len;
	double t0, t;

	if (!f) {
		fprintf(stderr, "usage: jansson-parse FILE\n");
		return 2;
	}
	t0 = cpu_now();
	while ((len = getline(&line, &cap, f)) >= 0) {
		json_error_t je;
		json_t *v = json_loadb(line, (size_t)len, JSON_DECODE_ANY, &je);
		if (!v)
			bad++;
		json_decref(v);
		n++;
	}
	t = cpu_now() - t0;
	printf("%zu lines (%zu not JSON) in %.2f s CPU: %.0f records per CPU-second\n", n, bad, t,
	       t > 0 ? (double)n / t : 0.0);
	free(line);
	fclose(f);
	return 0;
}
