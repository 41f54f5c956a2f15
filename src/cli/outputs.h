/* outputs.h: what a command may write, checked before it starts. */
#ifndef CNN_CLI_OUTPUTS_H
#define CNN_CLI_OUTPUTS_H

#include <stdio.h>

/* A file a run reads or writes, with the option that named it ("--out"). */
typedef struct {
    const char *option, *path;
} named_file;

/* An output is refused when it is one of `others` (the run's inputs and its
 * other outputs; entries with a NULL path are skipped) or, when it is
 * replaced (a model or an image, written beside and renamed over it), when
 * it exists as anything but a regular file; a streamed output (a log) may
 * also be a character device or a FIFO. -1 with err on refusal. */
int check_output(const named_file *out, int replaced, const named_file *others, int n_others,
                 char *err);

/* Fail now, not after an epoch, when no file can be created beside path. */
int check_writable(const char *path, char *err);

/* An advisory lock on PATH.lock while a run writes the model at path; a
 * second run is refused, naming the process that holds it. *fd keeps the
 * lock until unlock_model (the kernel drops it when the process dies). */
int lock_model(const char *path, int *fd, char *err);
void unlock_model(const char *path, int fd);

/* Remove PATH.tmp.XXXXXX files a run killed while saving left behind (call
 * with the lock held: no live run is writing them). Names each on stderr
 * unless quiet. */
void remove_stale_temporaries(const char *path, int quiet);

/* Whether everything written to f reached it: flushes, and on a failure
 * writes "FILE: write failed: REASON" into err. */
int check_written(FILE *f, const char *name, char *err);

#endif
