/*
 * Example greeter: reads server-list snapshots from ltsp-greeter-bridge with mq_receive and prints
 * them. Proof that the message format needs no JSON library (greeter-bridge/README.md, "Message format").
 *
 *   cc -O2 -Wall -o greeter greeter.c -lrt
 *   ./greeter [-1] [-t SECONDS] [-c CHOICE_QUEUE] [QUEUE]
 *
 * -1: exit after the first complete snapshot. -t: give up after SECONDS without one (exit 9, as `ltsp-greeter-bridge watch`).
 * -c: ask the bridge to publish again at start (a greeter that starts late finds the queue empty).
 * QUEUE defaults to $LDM_BALANCE_BRIDGE_QUEUE, then /ltsp-greeter-servers.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void print_server(const char *line)
{
    char mark, server[263], status[16];
    int rating, users;
    double load, rtt;
    if (sscanf(line, "%c %262s %15s %d %lf %d %lf", &mark, server, status, &rating, &load, &users, &rtt) != 7) {
        fprintf(stderr, "greeter: bad server line\n");
        return;
    }
    /* -1 means unknown (a Down server has no load). */
    printf("%c %-40s %-8s rating %3d load %7.2f users %5d rtt %7.1f\n", mark, server, status, rating, load, users, rtt);
}

int main(int argc, char **argv)
{
    int once = 0, timeout = 0, opt;
    const char *choice = NULL, *name = getenv("LDM_BALANCE_BRIDGE_QUEUE");
    while ((opt = getopt(argc, argv, "1t:c:")) != -1) {
        if (opt == '1') once = 1;
        else if (opt == 't') timeout = atoi(optarg);
        else if (opt == 'c') choice = optarg;
        else return 2;
    }
    if (optind < argc) name = argv[optind];
    if (!name || !*name) name = "/ltsp-greeter-servers";

    mqd_t q = mq_open(name, O_RDONLY);
    if (q == (mqd_t)-1) { fprintf(stderr, "greeter: mq_open %s: %s\n", name, strerror(errno)); return 1; }
    struct mq_attr attr;
    mq_getattr(q, &attr);
    if (choice) { /* best effort: the bridge also publishes on its own every poll */
        mqd_t c = mq_open(choice, O_WRONLY | O_NONBLOCK);
        if (c != (mqd_t)-1) { mq_send(c, "LTSP-REFRESH 1\n", 15, 0); mq_close(c); }
    }
    char *msg = malloc(attr.mq_msgsize + 1);        /* + 1 for the terminating NUL we add */
    char *lines = NULL;                             /* server lines of the snapshot being assembled */
    size_t used = 0;
    unsigned cur_seq = 0, next_part = 1;
    char cur_epoch[9] = "";

    for (;;) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout > 0 ? timeout : 3600;
        ssize_t n = mq_timedreceive(q, msg, attr.mq_msgsize, NULL, &deadline);
        if (n < 0) {
            if (errno == ETIMEDOUT && timeout > 0) { fprintf(stderr, "greeter: no snapshot\n"); return 9; /* as the bridge: unavailable */ }
            if (errno == ETIMEDOUT || errno == EINTR) continue;
            fprintf(stderr, "greeter: mq_receive: %s\n", strerror(errno));
            return 1;
        }
        msg[n] = '\0';                              /* messages are not NUL-terminated */
        char magic[16], epoch[9];
        unsigned version, seq, part, parts, first, count, total;
        unsigned long when;
        if (sscanf(msg, "%15s %u %8s %u %u %u %u %u %u %lu", magic, &version, epoch, &seq, &part, &parts, &first,
                   &count, &total, &when) != 10 || strcmp(magic, "LTSP-GREETER") != 0 || version != 1) {
            fprintf(stderr, "greeter: not a version 1 snapshot\n");
            continue;
        }
        /* Parts arrive in order; a part that does not follow starts over (older parts were replaced). */
        if (part == 1 || seq != cur_seq || strcmp(epoch, cur_epoch) != 0 || part != next_part) {
            used = 0;
            next_part = 1;
            cur_seq = seq;
            strcpy(cur_epoch, epoch);
            if (part != 1) continue;
        }
        char *body = strchr(msg, '\n') + 1;
        size_t len = strlen(body);
        lines = realloc(lines, used + len + 1);
        memcpy(lines + used, body, len + 1);
        used += len;
        if (next_part++ < parts) continue;

        printf("snapshot %u: %u servers\n", seq, total);
        for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n")) print_server(line);
        printf("end\n");
        fflush(stdout);
        used = 0;
        next_part = 1;
        if (once) break;
    }
    free(lines);
    free(msg);
    mq_close(q);
    return 0;
}
