// bindbench N SRC DST
//
// In-process floor for "moor mount of an already-staged volume": N times,
// mount(SRC, DST, NULL, MS_BIND, NULL) then umount2(DST, 0), each syscall
// timed on CLOCK_MONOTONIC. 10 warm-up pairs are not counted. Prints
//     bind-mount(2) p50=<ms> p90=<ms> p99=<ms> n=<N>
//     umount2 p50=<ms> p90=<ms> p99=<ms> n=<N>
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>

#define WARMUP 10

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, int n, double p) {
    int rank = (int)(p / 100.0 * n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1];
}

static void report(const char *label, double *v, int n) {
    qsort(v, n, sizeof *v, cmp);
    printf("%s p50=%.3f p90=%.3f p99=%.3f n=%d\n", label, pct(v, n, 50), pct(v, n, 90), pct(v, n, 99), n);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: bindbench N SRC DST\n"); return 2; }
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end || n < 1 || n > 10000000) { fprintf(stderr, "bindbench: bad N %s\n", argv[1]); return 2; }
    const char *src = argv[2], *dst = argv[3];
    double *m = calloc(n, sizeof *m), *u = calloc(n, sizeof *u);
    if (!m || !u) { perror("bindbench: calloc"); return 2; }

    for (long i = -WARMUP; i < n; i++) {
        double t0 = now_ms();
        if (mount(src, dst, NULL, MS_BIND, NULL) != 0) {
            fprintf(stderr, "bindbench: mount %s %s: %s\n", src, dst, strerror(errno));
            return 1;
        }
        double t1 = now_ms();
        if (umount2(dst, 0) != 0) {
            fprintf(stderr, "bindbench: umount2 %s: %s\n", dst, strerror(errno));
            return 1;
        }
        double t2 = now_ms();
        if (i >= 0) { m[i] = t1 - t0; u[i] = t2 - t1; }
    }
    report("bind-mount(2)", m, (int)n);
    report("umount2", u, (int)n);
    return 0;
}
