// spawnbench N CMD ARGS... [--then CMD2 ARGS2...]
//
// Times N runs of CMD (and, with --then, of CMD2 right after it in the same
// iteration) from posix_spawn() to waitpid() return, on CLOCK_MONOTONIC.
// stdin, stdout and stderr are /dev/null. 10 warm-up iterations are run
// first and not counted. Prints one line per command:
//     <label> p50=<ms> p90=<ms> p99=<ms> n=<N>
// where label is basename(CMD) plus its first argument. Exits non-zero if
// any run (warm-up included) fails to spawn or exits non-zero.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define WARMUP 10

static posix_spawn_file_actions_t actions;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Spawns argv, waits, returns elapsed ms; -1 on failure (reported once).
static double run_once(char **argv) {
    pid_t pid;
    double start = now_ms();
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "spawnbench: posix_spawn %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) { perror("spawnbench: waitpid"); return -1; }
    }
    double elapsed = now_ms() - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const char *arg = argv[1] ? argv[1] : "", *sep = argv[1] ? " " : "";
        if (WIFEXITED(status))
            fprintf(stderr, "spawnbench: %s%s%s exited with %d\n", argv[0], sep, arg, WEXITSTATUS(status));
        else
            fprintf(stderr, "spawnbench: %s%s%s killed by signal %d\n", argv[0], sep, arg, WTERMSIG(status));
        return -1;
    }
    return elapsed;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Nearest-rank percentile of a sorted array.
static double pct(const double *v, int n, double p) {
    int rank = (int)(p / 100.0 * n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1];
}

static void report(char **argv, double *v, int n) {
    char *copy = strdup(argv[0]);
    qsort(v, n, sizeof *v, cmp);
    printf("%s%s%s p50=%.3f p90=%.3f p99=%.3f n=%d\n", basename(copy), argv[1] ? " " : "",
           argv[1] ? argv[1] : "", pct(v, n, 50), pct(v, n, 90), pct(v, n, 99), n);
    free(copy);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: spawnbench N CMD ARGS... [--then CMD2 ARGS2...]\n");
        return 2;
    }
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end || n < 1 || n > 10000000) { fprintf(stderr, "spawnbench: bad N %s\n", argv[1]); return 2; }

    char **first = &argv[2], **second = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--then") == 0) {
            argv[i] = NULL;
            second = &argv[i + 1];
            if (!second[0] || i == 2) { fprintf(stderr, "spawnbench: --then needs a command on both sides\n"); return 2; }
            break;
        }
    }

    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

    double *t1 = calloc(n, sizeof *t1), *t2 = calloc(n, sizeof *t2);
    if (!t1 || !t2) { perror("spawnbench: calloc"); return 2; }

    int failed = 0;
    for (long i = -WARMUP; i < n; i++) {
        double a = run_once(first);
        double b = second ? run_once(second) : 0;
        if (a < 0 || b < 0) { failed = 1; break; }
        if (i >= 0) { t1[i] = a; t2[i] = b; }
    }
    if (failed) return 1;
    report(first, t1, (int)n);
    if (second) report(second, t2, (int)n);
    return 0;
}
