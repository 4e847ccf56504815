/*
 * Benchmark receiver: the greeter side in C, timing publish-to-receive. Each message starts with
 * "T <send-ns> <length>\n" (CLOCK_MONOTONIC, the clock of Node's process.hrtime) followed by the
 * payload; for every complete message one line "<latency-ns>\n" goes to stdout.
 *   receiver mq NAME   blocking mq_receive on the queue (what a C greeter does)
 *   receiver fd        read(2) on fd 3, a Unix socket pair from the parent (stream: length-framed)
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void report(const char *msg)
{
    unsigned long long sent = 0, got = now_ns();
    if (sscanf(msg, "T %llu", &sent) != 1) return;
    printf("%llu\n", got - sent);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    if (argc == 3 && strcmp(argv[1], "mq") == 0) {
        mqd_t q = mq_open(argv[2], O_RDONLY);
        if (q == (mqd_t)-1) { perror("mq_open"); return 1; }
        for (;;) {
            ssize_t n = mq_receive(q, buf, sizeof buf - 1, NULL);
            if (n < 0) { perror("mq_receive"); return 1; }
            buf[n] = '\0';
            report(buf);
        }
    }
    if (argc == 2 && strcmp(argv[1], "fd") == 0) {
        size_t have = 0;
        for (;;) {
            ssize_t n = read(3, buf + have, sizeof buf - 1 - have);
            if (n <= 0) return 0;
            have += (size_t)n;
            for (;;) { /* every complete message in the buffer */
                buf[have] = '\0';
                char *nl = memchr(buf, '\n', have);
                unsigned long long sent, len;
                if (!nl || sscanf(buf, "T %llu %llu", &sent, &len) != 2) break;
                size_t total = (size_t)(nl - buf) + 1 + len;
                if (have < total) break;
                report(buf);
                memmove(buf, buf + total, have - total);
                have -= total;
            }
        }
    }
    fprintf(stderr, "usage: receiver mq NAME | receiver fd\n");
    return 2;
}
