#define _GNU_SOURCE
#include "FiredrillSystemShims.h"

#ifdef __linux__
#include <sys/prctl.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <spawn.h>
#include <fcntl.h>
#include <stdio.h>

extern char **environ;

int firedrill_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int firedrill_spawn_watchdog(const char *cgroup, const char *seconds) {
    // Its own process group (a terminal's Ctrl-C does not reach it), stdio on /dev/null, and no
    // descriptor of the orchestrator's: it holds no pipe of a step's open.
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    if (posix_spawnattr_init(&attr) != 0) return -1;
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    const char *script = "sleep \"$1\"; [ -e \"$0/cgroup.kill\" ] && echo 1 > \"$0/cgroup.kill\"";
    char *argv[] = {"/bin/sh", "-c", (char *)script, (char *)cgroup, (char *)seconds, NULL};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -1;
}

int firedrill_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int firedrill_is_child_subreaper(void) {
    int value = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) != 0) return -1;
    return value != 0;
}
#else
#include <errno.h>

int firedrill_set_child_subreaper(void) { errno = ENOSYS; return -1; }
int firedrill_is_child_subreaper(void) { errno = ENOSYS; return -1; }
int firedrill_spawn_watchdog(const char *cgroup, const char *seconds) { errno = ENOSYS; return -1; }
int firedrill_pidfd_open(int pid) { errno = ENOSYS; return -1; }
#endif
