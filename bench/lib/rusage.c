/*
 * rusage PROGRAM [ARG...]: runs PROGRAM (an absolute path, no PATH search) and then prints one line
 * on stderr, "rusage: WALL_US USER_US SYS_US MAXRSS_KB", its wall time and the CPU time of it and every
 * child it waited for, in microseconds, and the peak resident set of the largest of them in KiB (a
 * wrapper's Node, not the shell), from wait4(2). On a machine shared with other work, CPU time is the
 * start-up figure that other load disturbs least; GNU time rounds it to 10 ms. Exit status: PROGRAM's.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long us(struct timeval t) { return (long long)t.tv_sec * 1000000 + t.tv_usec; }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execv(argv[1], argv + 1);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return 1;
  clock_gettime(CLOCK_MONOTONIC, &end);
  long long wall = (end.tv_sec - start.tv_sec) * 1000000LL + (end.tv_nsec - start.tv_nsec) / 1000;
  fprintf(stderr, "rusage: %lld %lld %lld %ld\n", wall, us(ru.ru_utime), us(ru.ru_stime), ru.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
