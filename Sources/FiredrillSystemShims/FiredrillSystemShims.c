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
#include <signal.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// `fd` as the child's standard descriptor `target`. dup2 clears close-on-exec on the copy; when
// the two are one descriptor (the parent had `target` closed), the flag is cleared by hand.
static int bind_standard(int fd, int target) {
    if (fd != target) return dup2(fd, target) < 0 ? -1 : 0;
    int flags = fcntl(fd, F_GETFD);
    return flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0 ? -1 : 0;
}

int firedrill_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int firedrill_spawn(const char *path, char *const argv[], int in_fd, int out_fd, int err_fd,
                    const char *cgroup_procs, int *failure, int *stage) {
    // No handler of ours may run in the child, which shares our memory until it executes:
    // every signal is blocked around vfork, and the child sets each back to its default first.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    // Written by the child (same memory) when it cannot go on; read once it has gone.
    volatile int child_errno = 0;
    volatile int child_stage = FIREDRILL_SPAWN_STAGE_SETUP;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pid_t pid = vfork();
#pragma GCC diagnostic pop
    if (pid == 0) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);  // glibc's own signals refuse: EINVAL
        }
        if (setpgid(0, 0) != 0) goto fail;
        if (bind_standard(in_fd, 0) != 0 || bind_standard(out_fd, 1) != 0 || bind_standard(err_fd, 2) != 0) goto fail;
        // Nothing else of ours reaches the program: every other descriptor closes at exec.
        if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
            struct rlimit limit;
            long top = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? (long)limit.rlim_cur : 65536;
            for (long fd = 3; fd < top; fd++) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
        }
        if (cgroup_procs != NULL) {
            // Into the step's cgroup before the program runs, so nothing it starts is outside it.
            child_stage = FIREDRILL_SPAWN_STAGE_CGROUP;
            int fd = open(cgroup_procs, O_WRONLY | O_CLOEXEC);
            if (fd < 0) goto fail;
            if (write(fd, "0", 1) != 1) goto fail;
            close(fd);
        }
        child_stage = FIREDRILL_SPAWN_STAGE_EXEC;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, environ);
    fail:
        child_errno = errno != 0 ? errno : EINVAL;
        _exit(127);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        *failure = saved;
        *stage = FIREDRILL_SPAWN_STAGE_SETUP;
        return -1;
    }
    if (child_errno != 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *failure = child_errno;
        *stage = child_stage;
        return -1;
    }
    return pid;
}

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
int firedrill_pipe_cloexec(int fds[2]) { errno = ENOSYS; return -1; }
int firedrill_spawn(const char *path, char *const argv[], int in_fd, int out_fd, int err_fd,
                    const char *cgroup_procs, int *failure, int *stage) {
    *failure = ENOSYS;
    *stage = FIREDRILL_SPAWN_STAGE_SETUP;
    return -1;
}
#endif
