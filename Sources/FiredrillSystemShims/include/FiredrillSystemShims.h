#ifndef FIREDRILL_SYSTEM_SHIMS_H
#define FIREDRILL_SYSTEM_SHIMS_H

// prctl is variadic, which Swift cannot call: these wrap the calls Firedrill needs.

/// PR_SET_CHILD_SUBREAPER on the calling process: orphans below it re-parent to it. 0 or -1 (errno set).
int firedrill_set_child_subreaper(void);

/// Whether the calling process is a child subreaper: 1, 0, or -1 (errno set).
int firedrill_is_child_subreaper(void);

/// Starts `/bin/sh` that sleeps `seconds`, then writes 1 to `cgroup`/cgroup.kill: a step's
/// deadline that holds even if the orchestrator dies. Returns its pid, or -1.
int firedrill_spawn_watchdog(const char *cgroup, const char *seconds);

/// pidfd_open(2): a descriptor that becomes readable when `pid` exits (Linux 5.3+); -1 and errno otherwise.
int firedrill_pidfd_open(int pid);

#endif
