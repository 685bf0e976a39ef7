# What the lab scripts share; sourced, not run.

# The servers a lab script starts outlive it: they must not inherit its caller's descriptors
# (a pipe or socket held open by a daemon makes the caller wait forever for it to close).
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
done
unset fd

# Alive and not a zombie: a process killed a moment ago lingers as a zombie until init reaps
# it (a second or more here); `kill -0` calls that running, and a new server refuses to start.
pid_alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "${state#Z}" = "$state" ]
}
