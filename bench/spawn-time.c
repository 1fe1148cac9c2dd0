/*
 * bench/spawn-time.c: time a command without a shell in the way, as
 * hyperfine --shell=none does. A shell's `time` charges the command with
 * the shell's own work: expanding a few hundred operands costs bash about
 * 2 ms, as much as a fast tool takes for the whole job. Here the operands
 * are expanded once, before the first run, and each run is fork, exec,
 * wait, with standard output and error on /dev/null.
 *
 *   cc -O2 -o spawn-time bench/spawn-time.c
 *   ./spawn-time RUNS COMMAND [ARG...]
 *
 * Prints "MIN MEDIAN CPU" in seconds: the fastest and the median wall
 * time of RUNS runs, and the least CPU (user + system) of one run. Exits
 * 1 when a run fails to start or exits with a signal.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	double *wall, cpu = -1;

	if (runs < 1) {
		fprintf(stderr, "usage: spawn-time RUNS COMMAND [ARG...]\n");
		return 2;
	}
	wall = calloc((size_t)runs, sizeof(*wall));
	if (!wall)
		return 1;
	for (int i = 0; i < runs; i++) {
		struct rusage ru;
		double t0 = now();
		int st;
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 1);
			dup2(fd, 2);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		if (wait4(pid, &st, 0, &ru) < 0)
			return 1;
		wall[i] = now() - t0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) {
			fprintf(stderr, "spawn-time: %s did not run\n", argv[2]);
			return 1;
		}
		double c = tv(ru.ru_utime) + tv(ru.ru_stime);

		if (cpu < 0 || c < cpu)
			cpu = c;
	}
	qsort(wall, (size_t)runs, sizeof(*wall), cmp);
	printf("%.6f %.6f %.6f\n", wall[0], wall[runs / 2], cpu);
	free(wall);
	return 0;
}
