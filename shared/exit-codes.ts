/**
 * The one exit-code table of every ltsp-balance command (top README "Exit codes"). A number means
 * the same thing in every command; a command uses only the rows that can happen to it.
 *
 * Where a number was already fixed by someone else, it is theirs:
 * - 3 is LSB's "program is not running" for `status` (systemctl status exits 3 the same way);
 * - 4, 7, 9 and 10 are the Linux-PAM return values PAM_SYSTEM_ERR, PAM_AUTH_ERR,
 *   PAM_AUTHINFO_UNAVAIL and PAM_USER_UNKNOWN, so a pam_exec wrapper (or FreeBSD's pam_exec with
 *   return_prog_exit_status) passes `ltsp-winbind-pool auth` results on unchanged. The other
 *   commands reuse them with the same meaning: 4 is an internal error everywhere, 9 "cannot answer
 *   now, try later" (a timeout included), 10 "no such thing".
 * LDM ignores get_hosts' exit status (it reads stdout), so get_hosts follows the table like the rest.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The command could not do its job: cannot bind, a queue or file error, a refused install. */
  failure: 1,
  /** Invoked or configured wrongly: a bad flag, flag value, subcommand or configuration value (ERR_USAGE, ERR_CONFIG). */
  usage: 2,
  /** `status`: no daemon answers (LSB "program is not running"). */
  notRunning: 3,
  /** A bug or an unexpected exception (ERR_INTERNAL; PAM_SYSTEM_ERR). */
  internal: 4,
  /** Done, but not all of it: a default replaced a bad setting, a server gave no ssh key. */
  partial: 5,
  /** Another instance already serves this socket or queue. */
  busy: 6,
  /** Authentication refused (PAM_AUTH_ERR). */
  denied: 7,
  /** The user left without choosing. */
  cancelled: 8,
  /** Cannot answer now, try later: nothing answered in time, backend or daemon unavailable (PAM_AUTHINFO_UNAVAIL). */
  unavailable: 9,
  /** No such user, group or server to offer (PAM_USER_UNKNOWN). */
  notFound: 10,
} as const;
