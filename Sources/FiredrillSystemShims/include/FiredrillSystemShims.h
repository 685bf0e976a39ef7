#ifndef FIREDRILL_SYSTEM_SHIMS_H
#define FIREDRILL_SYSTEM_SHIMS_H

// prctl is variadic, and clone3 and vfork must not return into Swift: these wrap the calls Firedrill needs.

/// PR_SET_CHILD_SUBREAPER on the calling process: orphans below it re-parent to it. 0 or -1 (errno set).
int firedrill_set_child_subreaper(void);

/// Whether the calling process is a child subreaper: 1, 0, or -1 (errno set).
int firedrill_is_child_subreaper(void);

/// Starts `/bin/sh` that sleeps `seconds`, then writes 1 to `cgroup`/cgroup.kill: a step's
/// deadline that holds even if the orchestrator dies. Returns its pid, or -1.
int firedrill_spawn_watchdog(const char *cgroup, const char *seconds);

/// pidfd_open(2): a descriptor that becomes readable when `pid` exits (Linux 5.3+); -1 and errno otherwise.
int firedrill_pidfd_open(int pid);

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so a command started at the
/// same time from another thread does not inherit them. 0, or -1 and errno.
int firedrill_pipe_cloexec(int fds[2]);

/// What `firedrill_spawn` was doing when it failed.
#define FIREDRILL_SPAWN_STAGE_SETUP 0   // vfork, the process group or the descriptors
#define FIREDRILL_SPAWN_STAGE_CGROUP 1  // entering the cgroup (opening or writing its cgroup.procs)
#define FIREDRILL_SPAWN_STAGE_EXEC 2    // execve

/// Starts the program at `path` with `argv` (NULL-terminated) and this process's environment:
/// in a process group of its own (its pid), with `in_fd`, `out_fd` and `err_fd` as its standard
/// descriptors and no other descriptor of ours, every signal at its default and none blocked.
/// With `cgroup` (a cgroup v2 directory), the program and all it starts run in that cgroup: the
/// process is born there (clone3 with CLONE_INTO_CGROUP, Linux 5.7) when `born_in_cgroup` is
/// set and clone3 can, or else it writes itself into the cgroup's `cgroup.procs` before it
/// executes the program.
/// Returns the pid once the program runs; or -1 with `*failure` the errno and `*stage` what
/// failed, the process gone.
int firedrill_spawn(const char *path, char *const argv[], int in_fd, int out_fd, int err_fd,
                    const char *cgroup, int born_in_cgroup, int *failure, int *stage);

/// Whether `firedrill_spawn` starts commands in their cgroup with clone3 here: 1 it does, 0 it
/// cannot (an older kernel, a seccomp filter) and writes `cgroup.procs` instead, -1 not tried yet.
int firedrill_spawn_born_in_cgroup(void);

#endif
