/*
 * loadgen: the advertise benchmark's load generator, in C so that the server under test is the
 * bottleneck and not the client (a Node generator saturates first: under it a C responder beats bare
 * Node by only 1.06x). Closed loop over epoll: each of CONCURRENCY clients sends its next request as
 * soon as its answer arrived, so the server's speed sets the rate.
 *
 *   loadgen udp PORT SECONDS CONCURRENCY QUERY_BYTES MAGIC
 *       CONCURRENCY connected UDP sockets on 127.0.0.1, each sending a query of QUERY_BYTES bytes
 *       (MAGIC, then zero padding) and the next one when its answer came. A client silent for 50 ms
 *       (a datagram lost on a full receive queue) sends again.
 *   loadgen tcp PORT SECONDS CONCURRENCY DOCUMENT_BYTES
 *       CONCURRENCY loops of connect, read to the end of stream, close; a connection counts as an
 *       answer when at least DOCUMENT_BYTES arrived before the server closed.
 *
 * Prints one line on stdout: "answers N wall_us W cpu_us C errors E" (C: the generator's own CPU, so
 * the bench can show it was not the one saturated).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1024

static long long now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static long long cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static struct sockaddr_in server;
static int ep;
static long long answers, errors;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void udp_run(int clients, long long until, const char *query, size_t query_bytes) {
  int fds[MAX_CLIENTS];
  long long last[MAX_CLIENTS];
  char buf[65536];
  for (int i = 0; i < clients; i++) {
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fds[i] < 0) die("socket");
    if (connect(fds[i], (struct sockaddr *)&server, sizeof server) < 0) die("connect");
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl");
  }
  for (int i = 0; i < clients; i++) {
    send(fds[i], query, query_bytes, 0);
    last[i] = now_us();
  }
  struct epoll_event evs[MAX_CLIENTS];
  long long next_revive = now_us() + 10000;
  for (;;) {
    int n = epoll_wait(ep, evs, MAX_CLIENTS, 10);
    long long now = now_us();
    if (now >= until) break;
    for (int k = 0; k < n; k++) {
      int i = (int)evs[k].data.u32;
      for (;;) {
        ssize_t r = recv(fds[i], buf, sizeof buf, 0);
        if (r < 0) {
          if (errno != EAGAIN) errors++; /* ECONNREFUSED: nobody on the port (yet) */
          break;
        }
        answers++;
        send(fds[i], query, query_bytes, 0);
        last[i] = now;
      }
    }
    if (now >= next_revive) {
      for (int i = 0; i < clients; i++)
        if (now - last[i] > 50000) {
          send(fds[i], query, query_bytes, 0);
          last[i] = now;
        }
      next_revive = now + 10000;
    }
  }
  for (int i = 0; i < clients; i++) close(fds[i]);
}

static int tcp_open(int i) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) die("connect");
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = ((unsigned long long)(unsigned)fd << 32) | (unsigned)i};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  return fd;
}

static void tcp_run(int clients, long long until, long long expect) {
  int fds[MAX_CLIENTS];
  long long got[MAX_CLIENTS];
  char buf[65536];
  for (int i = 0; i < clients; i++) {
    fds[i] = tcp_open(i);
    got[i] = 0;
  }
  struct epoll_event evs[MAX_CLIENTS];
  for (;;) {
    int n = epoll_wait(ep, evs, MAX_CLIENTS, 10);
    if (now_us() >= until) break;
    for (int k = 0; k < n; k++) {
      int i = (int)(evs[k].data.u64 & 0xffffffffu);
      for (;;) {
        ssize_t r = read(fds[i], buf, sizeof buf);
        if (r > 0) {
          got[i] += r;
          continue;
        }
        if (r < 0 && errno == EAGAIN) break;
        if (r == 0 && got[i] >= expect) answers++;
        else errors++; /* reset, refused, or closed before the whole document */
        close(fds[i]); /* also removes it from the epoll set */
        fds[i] = tcp_open(i);
        got[i] = 0;
        break;
      }
    }
  }
  for (int i = 0; i < clients; i++) close(fds[i]);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: loadgen udp PORT SECONDS CONCURRENCY QUERY_BYTES MAGIC | tcp PORT SECONDS CONCURRENCY DOCUMENT_BYTES\n");
    return 2;
  }
  int udp = strcmp(argv[1], "udp") == 0;
  int port = atoi(argv[2]);
  double seconds = atof(argv[3]);
  int clients = atoi(argv[4]);
  long long bytes = atoll(argv[5]);
  if (clients < 1 || clients > MAX_CLIENTS || port < 1 || port > 65535 || seconds <= 0 || bytes < 1) {
    fprintf(stderr, "loadgen: bad arguments\n");
    return 2;
  }
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  server.sin_port = htons((unsigned short)port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  long long cpu0 = cpu_us(), t0 = now_us();
  long long until = t0 + (long long)(seconds * 1e6);
  if (udp) {
    if (argc < 7) return 2;
    char *query = calloc(1, (size_t)bytes + strlen(argv[6]));
    if (!query) die("calloc");
    memcpy(query, argv[6], strlen(argv[6])); /* the magic line, then zeros */
    size_t len = (size_t)bytes > strlen(argv[6]) ? (size_t)bytes : strlen(argv[6]);
    udp_run(clients, until, query, len);
  } else {
    tcp_run(clients, until, bytes);
  }
  long long wall = now_us() - t0, cpu = cpu_us() - cpu0;
  printf("answers %lld wall_us %lld cpu_us %lld errors %lld\n", answers, wall, cpu, errors);
  return 0;
}
