/*
 * Fault injection for tests/endurance/hotplug.py --fault MODE: proves the
 * endurance test catches what it is meant to catch.  Preloaded into QEMU
 * between the ASan runtime and the fake-vfio test double; never used by a
 * passing run.  HOTPLUG_FAULT selects the fault:
 *
 *   fd               each open of /dev/iommu is dup()ed and the copy kept:
 *                    one more open fd per hot-plug (the iommufd backend
 *                    opens /dev/iommu for its first user), and the test
 *                    double never sees that open released; hot-plug itself
 *                    keeps working
 *   leak             each open of a VFIO device cdev allocates 1000 bytes
 *                    and loses them (a leak on the hot-plug path)
 *   leak-suppressed  the same, in a function the test adds to its
 *                    suppressions: only the 1 vs N cycles comparison of the
 *                    suppressed bytes can see it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int mode(const char *m)
{
    const char *e = getenv("HOTPLUG_FAULT");

    return e && !strcmp(e, m);
}

__attribute__((noinline)) void hotplug_fault_leak(void)
{
    char *volatile p = malloc(1000);

    memset(p, 0xa5, 1000);
    p = NULL;
}

__attribute__((noinline)) void hotplug_fault_suppressed_leak(void)
{
    char *volatile p = malloc(1000);

    memset(p, 0x5a, 1000);
    p = NULL;
}

static int opened(const char *path, int fd)
{
    if (fd >= 0 && path && !strcmp(path, "/dev/iommu") && mode("fd")) {
        dup(fd);
    }
    if (fd < 0 || !path || strncmp(path, "/dev/vfio/devices/", 18)) {
        return fd;
    }
    if (mode("leak")) {
        hotplug_fault_leak();
    } else if (mode("leak-suppressed")) {
        hotplug_fault_suppressed_leak();
    }
    return fd;
}

#define OPEN(name, proto, args)                                         \
    int name proto                                                      \
    {                                                                   \
        static int (*real) proto;                                       \
        mode_t m = 0;                                                   \
        if (flags & (O_CREAT | __O_TMPFILE)) {                          \
            va_list ap;                                                 \
            va_start(ap, flags);                                        \
            m = va_arg(ap, mode_t);                                     \
            va_end(ap);                                                 \
        }                                                               \
        if (!real) {                                                    \
            real = dlsym(RTLD_NEXT, #name);                             \
        }                                                               \
        return opened(path, real args);                                 \
    }

OPEN(open, (const char *path, int flags, ...), (path, flags, m))
OPEN(open64, (const char *path, int flags, ...), (path, flags, m))
OPEN(openat, (int dir, const char *path, int flags, ...), (dir, path, flags, m))
OPEN(openat64, (int dir, const char *path, int flags, ...),
     (dir, path, flags, m))

int __open_2(const char *path, int flags)
{
    static int (*real)(const char *, int);

    if (!real) {
        real = dlsym(RTLD_NEXT, "__open_2");
    }
    return opened(path, real(path, flags));
}

int __open64_2(const char *path, int flags)
{
    static int (*real)(const char *, int);

    if (!real) {
        real = dlsym(RTLD_NEXT, "__open64_2");
    }
    return opened(path, real(path, flags));
}

