/*
 * Runs a command under the kernel's W^X rule (prctl PR_SET_MDWE, Linux 6.3+): no memory may become
 * both writable and executable, which is what MemoryDenyWriteExecute=yes enforces with seccomp.
 * Exit 125 when the kernel lacks the prctl (the caller skips), 126 when exec fails.
 *   mdwe COMMAND [ARG...]
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: mdwe COMMAND [ARG...]\n"); return 2; }
    if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) != 0) { perror("prctl(PR_SET_MDWE)"); return 125; }
    execvp(argv[1], argv + 1);
    perror("execvp");
    return 126;
}
