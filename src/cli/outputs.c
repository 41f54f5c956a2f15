/* outputs.c: what a command may write. Outputs are checked before any work:
 * never a device, FIFO or folder that saving would replace, never one of the
 * run's inputs or another of its outputs; a model being trained is locked
 * against a second run; and every write is checked. */
#define _DEFAULT_SOURCE /* DT_ file types, strdup */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"
#include "outputs.h"

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a folder";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISLNK(m)) return "a symbolic link";
    return "not a regular file";
}

/* The file a path names: the file itself, or for one not there yet its
 * folder and its name in it. */
typedef struct {
    dev_t dev;
    ino_t ino;
    const char *name; /* NULL when the file exists */
} identity;

static int identify(const char *path, identity *id)
{
    struct stat st = { 0 };
    if (stat(path, &st) == 0) {
        *id = (identity){ st.st_dev, st.st_ino, NULL };
        return 0;
    }
    char *copy = strdup(path);
    int rc = copy && stat(dirname(copy), &st) == 0 ? 0 : -1;
    free(copy);
    const char *slash = strrchr(path, '/');
    *id = (identity){ st.st_dev, st.st_ino, slash ? slash + 1 : path };
    return rc;
}

static int same_file(const char *a, const char *b)
{
    identity x, y;
    if (identify(a, &x) || identify(b, &y)) return 0;
    if (x.dev != y.dev || x.ino != y.ino) return 0;
    return x.name ? y.name && !strcmp(x.name, y.name) : !y.name;
}

int check_output(const named_file *out, int replaced, const named_file *others, int n_others,
                 char *err)
{
    struct stat st;
    /* a replaced output's own entry is what rename() replaces: do not follow it */
    if ((replaced ? lstat(out->path, &st) : stat(out->path, &st)) == 0 && !S_ISREG(st.st_mode) &&
        (replaced || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))) {
        snprintf(err, CNN_ERR_LEN, "%s: is %s; %s must name %s", out->path, kind_of(st.st_mode),
                 out->option,
                 replaced ? "a regular file or a new one "
                            "(saving replaces it)"
                          : "a file, a FIFO or a terminal");
        return -1;
    }
    for (int i = 0; i < n_others; i++)
        if (others[i].path && same_file(out->path, others[i].path)) {
            snprintf(err, CNN_ERR_LEN,
                     "%s: is the same file as %s %s; writing it as %s "
                     "would destroy that: choose another %s",
                     out->path, others[i].option, others[i].path, out->option, out->option);
            return -1;
        }
    return 0;
}

static char *with_suffix(const char *path, const char *suffix)
{
    size_t len = strlen(path) + strlen(suffix) + 1;
    char *s = malloc(len);
    if (s) snprintf(s, len, "%s%s", path, suffix);
    return s;
}

int check_writable(const char *path, char *err)
{
    char *probe = with_suffix(path, ".tmp.XXXXXX");
    if (!probe) {
        snprintf(err, CNN_ERR_LEN, "out of memory");
        return -1;
    }
    int fd = mkstemp(probe);
    if (fd < 0) snprintf(err, CNN_ERR_LEN, "%s: cannot write there: %s", path, strerror(errno));
    else {
        close(fd);
        unlink(probe);
    }
    free(probe);
    return fd < 0 ? -1 : 0;
}

/* "cnn, process 123" for the process holding a lock. */
static void describe_process(char *buf, size_t len, pid_t pid)
{
    char path[64], name[64] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(name, sizeof name, f)) name[strcspn(name, "\n")] = 0;
        fclose(f);
    }
    snprintf(buf, len, "%s%sprocess %d", name, *name ? ", " : "", (int)pid);
}

/* One attempt: 0 locked, 1 try again, -1 refused (err set). */
static int try_lock(const char *path, const char *lock, int *fd, char *err)
{
    /* never through a symlink: it could create a file anywhere */
    int f = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f < 0) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot create its lock file %s: %s", path, lock,
                 strerror(errno));
        return -1;
    }
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(f, F_SETLK, &fl) == 0) {
        /* a run that held it removes the file as it ends: ours must be the one there */
        struct stat mine, there;
        if (fstat(f, &mine) == 0 && stat(lock, &there) == 0 && mine.st_dev == there.st_dev &&
            mine.st_ino == there.st_ino) {
            *fd = f;
            return 0;
        }
        close(f);
        return 1;
    }
    int why = errno;
    if (why != EACCES && why != EAGAIN) {
        snprintf(err, CNN_ERR_LEN, "%s: cannot lock %s: %s", path, lock, strerror(why));
        close(f);
        return -1;
    }
    fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET };
    int holder = fcntl(f, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(f);
    if (!holder) return 1; /* released meanwhile */
    char who[128];
    describe_process(who, sizeof who, fl.l_pid);
    snprintf(err, CNN_ERR_LEN,
             "%s: another run (%s) is writing this model; wait for it to "
             "end or choose another --out",
             path, who);
    return -1;
}

int lock_model(const char *path, int *fd, char *err)
{
    char *lock = with_suffix(path, ".lock");
    int rc = 1;
    *fd = -1;
    if (!lock) snprintf(err, CNN_ERR_LEN, "out of memory");
    for (int tries = 0; lock && rc == 1 && tries < 100; tries++) rc = try_lock(path, lock, fd, err);
    if (rc == 1) snprintf(err, CNN_ERR_LEN, "%s: cannot lock %s.lock", path, path);
    free(lock);
    return rc == 0 ? 0 : -1;
}

void unlock_model(const char *path, int fd)
{
    if (fd < 0) return;
    char *lock = with_suffix(path, ".lock");
    if (lock) unlink(lock); /* while still holding it: see try_lock */
    free(lock);
    close(fd);
}

/* Whether `path` is what a model save leaves when killed: a regular file of
 * ours, mode 0600 as mkstemp makes it, empty or starting with the model
 * magic. Anything else under a matching name is a user's, and stays. */
static int left_by_a_save(const char *path)
{
    struct stat st;
    char head[8];
    if (lstat(path, &st) || !S_ISREG(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 07777) != 0600)
        return 0;
    if (st.st_size == 0) return 1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int ours = fd >= 0 && read(fd, head, sizeof head) == (ssize_t)sizeof head &&
               !memcmp(head, "CNNMODEL", sizeof head);
    if (fd >= 0) close(fd);
    return ours;
}

void remove_stale_temporaries(const char *path, int quiet)
{
    char *dcopy = strdup(path), *bcopy = strdup(path);
    const char *dir = dcopy && bcopy ? dirname(dcopy) : NULL;
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) goto done;
    const char *base = basename(bcopy);
    size_t blen = strlen(base);
    int in_cwd = !strchr(path, '/');
    struct dirent *e;
    while ((e = readdir(d))) {
        /* exactly what the model's save creates: PATH.tmp.XXXXXX */
        if (strncmp(e->d_name, base, blen) || strncmp(e->d_name + blen, ".tmp.", 5) ||
            strlen(e->d_name + blen + 5) != 6)
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *stale = malloc(len);
        if (!stale) break;
        snprintf(stale, len, "%s%s%s", in_cwd ? "" : dir, in_cwd ? "" : "/", e->d_name);
        if (left_by_a_save(stale) && unlink(stale) == 0 && !quiet)
            fprintf(stderr, "cnn train: removed %s, left by a run killed while saving\n", stale);
        free(stale);
    }
    closedir(d);
done:
    free(dcopy);
    free(bcopy);
}

int check_written(FILE *f, const char *name, char *err)
{
    errno = 0;
    int flushed = fflush(f) == 0;
    if (flushed && !ferror(f)) return 0;
    snprintf(err, CNN_ERR_LEN, "%s: write failed: %s", name,
             errno ? strerror(errno) : "output lost");
    return -1;
}
