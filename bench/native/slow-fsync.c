/*
 * Preloaded into the browser by `npm run bench` for its slow-flush profile (bench/node/slow-flush.ts):
 * every fsync/fdatasync (and the other calls that make a file durable) first does the real call,
 * then sleeps SLOW_FSYNC_US microseconds (default 5000). That is about what Chromium's OPFS
 * flush() costs on macOS, where it is an F_FULLFSYNC; on Linux, base::File::Flush() is fdatasync.
 *
 * SLOW_FSYNC_COUNT_DIR, when set, names a directory where each process that was slowed at least
 * once leaves a file `<pid>` holding its count of slowed calls (rewritten after each one), so
 * that the bench can tell which of Chromium's processes really flush.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static long delay_us = -1;
static unsigned long slowed = 0;

static void record(void) {
  const char *dir = getenv("SLOW_FSYNC_COUNT_DIR");
  if (!dir || !*dir) return;
  char path[512];
  snprintf(path, sizeof path, "%s/%ld", dir, (long)getpid());
  // open/write/close, not stdio: this may run inside any thread of the browser.
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  char line[64];
  int n = snprintf(line, sizeof line, "%lu\n", slowed);
  if (n > 0) {
    ssize_t ignored = write(fd, line, (size_t)n);
    (void)ignored;
  }
  close(fd);
}

static void slow_down(void) {
  if (delay_us < 0) {
    const char *value = getenv("SLOW_FSYNC_US");
    delay_us = value ? atol(value) : 5000;
  }
  if (delay_us > 0) {
    struct timespec wait = {delay_us / 1000000, (delay_us % 1000000) * 1000};
    // The caller expects errno from the real call, not from a sleep interrupted by a signal.
    int saved = errno;
    while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
    }
    errno = saved;
  }
  __atomic_add_fetch(&slowed, 1, __ATOMIC_RELAXED);
  // Every time: a few µs against the 5 ms just slept, and renderers are killed without running destructors.
  record();
}

typedef int (*sync_fn)(int);
typedef int (*range_fn)(int, off64_t, off64_t, unsigned int);

int fsync(int fd) {
  static sync_fn real = NULL;
  if (!real) real = (sync_fn)dlsym(RTLD_NEXT, "fsync");
  int result = real(fd);
  slow_down();
  return result;
}

int fdatasync(int fd) {
  static sync_fn real = NULL;
  if (!real) real = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
  int result = real(fd);
  slow_down();
  return result;
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  static range_fn real = NULL;
  if (!real) real = (range_fn)dlsym(RTLD_NEXT, "sync_file_range");
  int result = real(fd, offset, nbytes, flags);
  // Only the variant that waits for the data to reach the disk is a durability point.
  if (flags & SYNC_FILE_RANGE_WAIT_AFTER) slow_down();
  return result;
}
