/*
 * responder: the physical floor of the advertise benchmark. Answers every UDP datagram on
 * 127.0.0.1:PORT with BYTES bytes, and every TCP connection on the same port with the same BYTES
 * bytes then close. No parsing, no limits, no sampling: what one process pays for the system calls.
 *
 *   responder BYTES        binds an ephemeral port and prints it on stdout
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  size_t bytes = (size_t)atol(argv[1]);
  if (bytes < 1 || bytes > 65000) return 2;
  char *doc = malloc(bytes);
  if (!doc) die("malloc");
  memset(doc, 'x', bytes);

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(tcp, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(tcp, 511) < 0) die("tcp");
  socklen_t len = sizeof addr;
  getsockname(tcp, (struct sockaddr *)&addr, &len);
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int rcvbuf = 4 << 20;
  setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(udp, (struct sockaddr *)&addr, sizeof addr) < 0) die("udp");
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);

  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = tcp};
  epoll_ctl(ep, EPOLL_CTL_ADD, tcp, &ev);
  ev.data.fd = udp;
  epoll_ctl(ep, EPOLL_CTL_ADD, udp, &ev);
  char buf[65536];
  struct epoll_event evs[2];
  for (;;) {
    int n = epoll_wait(ep, evs, 2, -1);
    for (int k = 0; k < n; k++) {
      if (evs[k].data.fd == udp) {
        for (;;) {
          struct sockaddr_in from;
          socklen_t flen = sizeof from;
          ssize_t r = recvfrom(udp, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
          if (r < 0) break;
          sendto(udp, doc, bytes, 0, (struct sockaddr *)&from, flen);
        }
      } else {
        for (;;) {
          int c = accept4(tcp, NULL, NULL, SOCK_NONBLOCK);
          if (c < 0) break;
          ssize_t w = write(c, doc, bytes); /* a fresh socket's send buffer takes it whole */
          (void)w;
          close(c);
        }
      }
    }
  }
}
