// Closed-loop HTTP/1.1 load on a unix socket, for moord's plugin endpoints:
//   sockload SOCKET PATH BODY CONNECTIONS SECONDS
// Each connection is a thread with one keep-alive connection that sends a
// request, reads the whole response (Content-Length), and sends the next.
// Prints requests/s and latency percentiles.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *sock_path, *path, *body;
static double seconds;
static volatile int stop;

typedef struct { double *lat; long n, cap; long errors; } result_t;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static int dial(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, sock_path, sizeof a.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
    return fd;
}

static void *worker(void *arg) {
    result_t *r = arg;
    int fd = dial();
    char req[4096];
    int len = snprintf(req, sizeof req,
        "POST %s HTTP/1.1\r\nHost: plugin.moby.localhost\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: %zu\r\n\r\n%s",
        path, strlen(body), body);
    static __thread char buf[1 << 22];
    while (!stop) {
        double t0 = now();
        if (write(fd, req, len) != len) { r->errors++; break; }
        long have = 0, need = -1, head = -1;
        for (;;) {
            ssize_t k = read(fd, buf + have, sizeof buf - have - 1);
            if (k <= 0) { r->errors++; goto out; }
            have += k; buf[have] = 0;
            if (head < 0) {
                char *e = strstr(buf, "\r\n\r\n");
                if (e) {
                    head = e - buf + 4;
                    char *cl = strcasestr(buf, "content-length:");
                    need = cl ? atol(cl + 15) : 0;
                }
            }
            if (head >= 0 && have >= head + need) break;
        }
        if (strncmp(buf, "HTTP/1.1 200", 12) != 0) r->errors++;
        if (r->n == r->cap) { r->cap = r->cap ? r->cap * 2 : 65536; r->lat = realloc(r->lat, r->cap * sizeof(double)); }
        r->lat[r->n++] = (now() - t0) * 1e3;
    }
out:
    close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: sockload SOCKET PATH BODY CONNECTIONS SECONDS\n"); return 2; }
    sock_path = argv[1]; path = argv[2]; body = argv[3];
    int conns = atoi(argv[4]); seconds = atof(argv[5]);
    pthread_t th[256]; result_t res[256] = {0};
    for (int i = 0; i < conns; i++) pthread_create(&th[i], NULL, worker, &res[i]);
    usleep((useconds_t)(seconds * 1e6));
    stop = 1;
    long total = 0, errors = 0;
    for (int i = 0; i < conns; i++) { pthread_join(th[i], NULL); total += res[i].n; errors += res[i].errors; }
    double *all = malloc((total + 1) * sizeof(double)); long k = 0;
    for (int i = 0; i < conns; i++) { memcpy(all + k, res[i].lat, res[i].n * sizeof(double)); k += res[i].n; }
    qsort(all, total, sizeof(double), cmp);
    printf("%s rps=%.0f p50=%.3f p99=%.3f n=%ld errors=%ld\n", path, total / seconds,
           total ? all[total / 2] : 0, total ? all[(long)(total * 0.99)] : 0, total, errors);
    return errors ? 1 : 0;
}
