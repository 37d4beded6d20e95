// libnfs (Debian's libnfs-dev), a userspace NFS client: the server-side
// work (reachability and export checks, subdirectories, capacity) that
// must not need a kernel mount. libnfs.h uses struct timeval and uint*_t
// without including their headers.
#include <stdint.h>
#include <sys/time.h>
#include <nfsc/libnfs.h>
