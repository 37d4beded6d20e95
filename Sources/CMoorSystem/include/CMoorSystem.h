// The few glibc calls Swift's Glibc module does not import (GNU extensions,
// or names shared by a struct and a function). Thin wrappers only.
#ifndef CMOOR_SYSTEM_H
#define CMOOR_SYSTEM_H
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

int moor_pipe2_cloexec(int fds[2]);
int moor_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);
short moor_spawn_setsid_flag(void);
int moor_stat(const char *path, struct stat *out);
int moor_lstat(const char *path, struct stat *out);
int moor_statvfs(const char *path, struct statvfs *out);
int moor_flock_exclusive(int fd);
int moor_flock_exclusive_nonblocking(int fd);
unsigned int moor_major(unsigned long long dev);
unsigned int moor_minor(unsigned long long dev);
int moor_openat_directory_nofollow(int dirfd, const char *name);
int moor_fstatat_nofollow(int dirfd, const char *name, struct stat *out);
int moor_fchownat_empty_path(int fd, unsigned int uid, unsigned int gid);

// Loop devices by ioctl (linux/loop.h). Each returns what ioctl(2) returns:
// -1 with errno set on failure.
int moor_loop_get_free(int control_fd);
int moor_loop_configure(int loop_fd, int file_fd, const char *name);
int moor_loop_set_fd(int loop_fd, int file_fd, const char *name);
int moor_loop_clear(int loop_fd);
// LOOP_GET_STATUS64: the backing file's st_dev (kernel encoding, which
// glibc's major()/minor() decode) and st_ino, even after it was unlinked.
int moor_loop_backing(int loop_fd, unsigned long long *device, unsigned long long *inode);
#endif
