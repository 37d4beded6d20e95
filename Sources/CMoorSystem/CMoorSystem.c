#define _GNU_SOURCE
#include "CMoorSystem.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int moor_pipe2_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int moor_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}
short moor_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }
int moor_stat(const char *path, struct stat *out) { return stat(path, out); }
int moor_lstat(const char *path, struct stat *out) { return lstat(path, out); }
int moor_statvfs(const char *path, struct statvfs *out) { return statvfs(path, out); }
int moor_flock_exclusive(int fd) { return flock(fd, LOCK_EX); }
int moor_flock_exclusive_nonblocking(int fd) { return flock(fd, LOCK_EX | LOCK_NB); }
unsigned int moor_major(unsigned long long dev) { return major(dev); }
unsigned int moor_minor(unsigned long long dev) { return minor(dev); }
// O_PATH and AT_EMPTY_PATH are GNU names that Swift's Glibc does not import.
int moor_openat_directory_nofollow(int dirfd, const char *name) {
    return openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}
int moor_fstatat_nofollow(int dirfd, const char *name, struct stat *out) {
    return fstatat(dirfd, name, out, AT_SYMLINK_NOFOLLOW);
}
int moor_fchownat_empty_path(int fd, unsigned int uid, unsigned int gid) {
    return fchownat(fd, "", uid, gid, AT_EMPTY_PATH);
}

// moor and moord are fully static, and a static glibc resolves user and
// group names by dlopen()ing the node's NSS modules, which crashes (seen:
// libnss_systemd, reached from libnfs mapping NFSv4 "owner@domain" strings).
// Moor never needs a name lookup, so these answer "no such name" and libnfs
// falls back to numeric ids.
#include <errno.h>
#include <grp.h>
#include <pwd.h>
struct passwd *getpwnam(const char *name) { (void)name; errno = 0; return 0; }
struct group *getgrnam(const char *name) { (void)name; errno = 0; return 0; }
