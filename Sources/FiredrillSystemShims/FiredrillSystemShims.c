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
#include <stdint.h>
#include <sys/mman.h>

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

// The new process, before it executes the program: signals at their defaults, its own process
// group, the three descriptors, nothing else of ours, and (when it was not born there) its
// cgroup. Only system calls: it is a copy of one thread of a multithreaded process, or shares
// our memory (vfork). On failure it writes errno and the stage to `report` and exits.
static void exec_child(const char *path, char *const argv[], int in_fd, int out_fd, int err_fd,
                       const char *cgroup_procs, int report) {
    int stage = FIREDRILL_SPAWN_STAGE_SETUP;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);  // glibc's own signals refuse: EINVAL
    }
    if (setpgid(0, 0) != 0) goto fail;
    if (bind_standard(in_fd, 0) != 0 || bind_standard(out_fd, 1) != 0 || bind_standard(err_fd, 2) != 0) goto fail;
    // Nothing else of ours reaches the program: every other descriptor closes at exec (`report` too).
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        struct rlimit limit;
        long top = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? (long)limit.rlim_cur : 65536;
        for (long fd = 3; fd < top; fd++) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    }
    if (cgroup_procs != NULL) {
        // Into the step's cgroup before the program runs, so nothing it starts is outside it.
        stage = FIREDRILL_SPAWN_STAGE_CGROUP;
        int fd = open(cgroup_procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0) goto fail;
        if (write(fd, "0", 1) != 1) goto fail;
        close(fd);
    }
    stage = FIREDRILL_SPAWN_STAGE_EXEC;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(path, argv, environ);
fail:;
    int message[2] = {errno != 0 ? errno : EINVAL, stage};
    (void)!write(report, message, sizeof message);
    _exit(127);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_VM
#define CLONE_VM 0x00000100
#endif
#ifndef CLONE_VFORK
#define CLONE_VFORK 0x00004000
#endif

// clone_args as the kernel has it (5.7, with the cgroup), which not every libc declares.
struct firedrill_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

// Whether clone3 can start a process in a cgroup here (1), cannot (0: an older kernel, or a
// seccomp filter that refuses clone3), or is not known yet (-1).
static volatile int clone_into_cgroup = -1;

int firedrill_spawn_born_in_cgroup(void) { return clone_into_cgroup; }

// What the child of clone3 needs, read from the parent's stack (they share memory until it executes).
struct child_start {
    const char *path;
    char *const *argv;
    int in_fd, out_fd, err_fd, report;
};

static int child_main(void *arg) {
    struct child_start *start = arg;
    exec_child(start->path, start->argv, start->in_fd, start->out_fd, start->err_fd, NULL, start->report);
    return 127;
}

#if defined(__x86_64__)
#define FIREDRILL_HAS_CLONE3_RUN 1
// long firedrill_clone3_run(struct firedrill_clone_args *args, size_t size, int (*fn)(void *), void *arg):
// clone3, and in the child (on the stack the args give it, in our memory) fn(arg), then exit with
// what it returns; in the parent, the child's pid or -errno. As glibc's own __clone3, which it
// does not export: C cannot run a child on another stack.
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl firedrill_clone3_run\n"
    ".hidden firedrill_clone3_run\n"
    ".type firedrill_clone3_run, @function\n"
    "firedrill_clone3_run:\n"
    "    mov %rcx, %r8\n"          // arg: rcx does not survive the syscall
    "    mov $435, %eax\n"         // SYS_clone3
    "    syscall\n"
    "    test %rax, %rax\n"
    "    jz 1f\n"
    "    ret\n"
    "1:\n"
    "    xor %ebp, %ebp\n"         // the child's outermost frame
    "    and $-16, %rsp\n"
    "    mov %r8, %rdi\n"
    "    call *%rdx\n"
    "    mov %rax, %rdi\n"
    "    mov $60, %eax\n"          // SYS_exit
    "    syscall\n"
    "    hlt\n"
    ".size firedrill_clone3_run, .-firedrill_clone3_run\n");
__attribute__((visibility("hidden")))
long firedrill_clone3_run(struct firedrill_clone_args *args, size_t size, int (*fn)(void *), void *arg);
#endif

int firedrill_spawn(const char *path, char *const argv[], int in_fd, int out_fd, int err_fd,
                    const char *cgroup, int born_in_cgroup, int *failure, int *stage) {
    *stage = FIREDRILL_SPAWN_STAGE_SETUP;
    char procs[4096];
    int cgroup_fd = -1;
    if (cgroup != NULL) {
        if (snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup) >= (int)sizeof procs) {
            *failure = ENAMETOOLONG;
            *stage = FIREDRILL_SPAWN_STAGE_CGROUP;
            return -1;
        }
#ifdef FIREDRILL_HAS_CLONE3_RUN
        if (born_in_cgroup && clone_into_cgroup != 0) cgroup_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
    }
    // The child says why it could not go on through this pipe; at exec it closes, and the
    // parent's read returns nothing.
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *failure = errno;
        if (cgroup_fd >= 0) close(cgroup_fd);
        return -1;
    }
    // Its own stack for the child of clone3, which shares our memory until it executes.
    size_t stack_size = 64 * 1024;
    void *stack = MAP_FAILED;
    if (cgroup_fd >= 0) stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    // No handler of ours may run in the child before it set them back to their defaults.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pid_t pid = -1;
    int spawn_errno = 0;
#ifdef FIREDRILL_HAS_CLONE3_RUN
    if (cgroup_fd >= 0 && stack != MAP_FAILED) {
        // Born in the cgroup (Linux 5.7), as vfork would start it (our memory, this thread held
        // until it executes): no cgroup.procs write, whose migration lock costs a scheduler
        // grace period (several milliseconds) when no process moved for a while.
        struct child_start start = {path, argv, in_fd, out_fd, err_fd, report[1]};
        struct firedrill_clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.stack = (uint64_t)(uintptr_t)stack;
        args.stack_size = stack_size;
        args.cgroup = (uint64_t)cgroup_fd;
        long result = firedrill_clone3_run(&args, sizeof args, child_main, &start);
        if (result > 0) {
            pid = (pid_t)result;
            clone_into_cgroup = 1;
        } else {
            spawn_errno = (int)-result;
            if (spawn_errno == ENOSYS || spawn_errno == EINVAL || spawn_errno == E2BIG || spawn_errno == EPERM) clone_into_cgroup = 0;
        }
    }
#endif
    if (pid < 0) {
        // vfork: the child shares our memory and stack until it executes, and enters the cgroup itself.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        pid = vfork();
#pragma GCC diagnostic pop
        if (pid == 0) exec_child(path, argv, in_fd, out_fd, err_fd, cgroup != NULL ? procs : NULL, report[1]);
        spawn_errno = errno;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (stack != MAP_FAILED) munmap(stack, stack_size);
    if (cgroup_fd >= 0) close(cgroup_fd);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        *failure = spawn_errno;
        return -1;
    }
    int message[2];
    ssize_t got;
    do { got = read(report[0], message, sizeof message); } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof message) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *failure = message[0];
        *stage = message[1];
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
int firedrill_spawn_born_in_cgroup(void) { return 0; }
int firedrill_spawn(const char *path, char *const argv[], int in_fd, int out_fd, int err_fd,
                    const char *cgroup, int born_in_cgroup, int *failure, int *stage) {
    *failure = ENOSYS;
    *stage = FIREDRILL_SPAWN_STAGE_SETUP;
    return -1;
}
#endif
