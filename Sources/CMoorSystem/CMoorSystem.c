#define _GNU_SOURCE
#include "CMoorSystem.h"
#include <errno.h>
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

#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>

int moor_loop_get_free(int control_fd) { return ioctl(control_fd, LOOP_CTL_GET_FREE); }

// lo_file_name is only what `losetup -l` may show; moor reads the backing
// file from sysfs. Flags stay 0: no autoclear (moor detaches explicitly),
// no partition scan.
static void moor_loop_name(struct loop_info64 *info, const char *name) {
    strncpy((char *)info->lo_file_name, name, LO_NAME_SIZE - 1);
}

int moor_loop_configure(int loop_fd, int file_fd, const char *name) {
    struct loop_config config;
    memset(&config, 0, sizeof config);
    config.fd = (unsigned int)file_fd;
    moor_loop_name(&config.info, name);
    return ioctl(loop_fd, LOOP_CONFIGURE, &config);
}

// For kernels before 5.8: bind, then name. A failed naming leaves the
// device bound, so undo it.
int moor_loop_set_fd(int loop_fd, int file_fd, const char *name) {
    if (ioctl(loop_fd, LOOP_SET_FD, file_fd) < 0) return -1;
    struct loop_info64 info;
    memset(&info, 0, sizeof info);
    moor_loop_name(&info, name);
    if (ioctl(loop_fd, LOOP_SET_STATUS64, &info) < 0) {
        int saved = errno;
        ioctl(loop_fd, LOOP_CLR_FD, 0);
        errno = saved;
        return -1;
    }
    return 0;
}

int moor_loop_clear(int loop_fd) { return ioctl(loop_fd, LOOP_CLR_FD, 0); }

int moor_loop_backing(int loop_fd, unsigned long long *device, unsigned long long *inode) {
    struct loop_info64 info;
    memset(&info, 0, sizeof info);
    if (ioctl(loop_fd, LOOP_GET_STATUS64, &info) < 0) return -1;
    *device = info.lo_device;
    *inode = info.lo_inode;
    return 0;
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
