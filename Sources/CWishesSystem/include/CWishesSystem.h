#ifndef C_WISHES_SYSTEM_H
#define C_WISHES_SYSTEM_H

#ifdef __linux__
#include <sys/prctl.h>

/// prctl is variadic, which Swift cannot call: this makes the calling process non-dumpable, so a
/// process of the same user can neither ptrace it nor read its /proc/<pid>/environ and memory.
static inline int wishes_set_non_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

/// 1 when the process is dumpable, 0 when not, -1 on error.
static inline int wishes_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

#include <spawn.h>
// glibc 2.34's, declared only under _GNU_SOURCE, which Swift's Glibc module is not built with.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/// Closes every descriptor from `from` up in the spawned child, as Foundation's Process did.
static inline int wishes_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
#else
static inline int wishes_set_non_dumpable(void) { return 0; }
static inline int wishes_is_dumpable(void) { return 1; }
#endif

#endif
