/* cifar.c: CIFAR-10's binary files (data_batch_1.bin ... test_batch.bin):
 * records of one label byte and a 32x32 colour image as three 1024-byte
 * planes, red, green, blue; batches.meta.txt, when there, names the
 * classes one per line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cnn.h"
#include "data/image.h"
#include "sys/blas_room.h"

#define SIDE    32
#define PLANE   (SIDE * SIDE)
#define RECORD  (1 + 3 * PLANE)
#define CLASSES 10

/* The class names from meta (NULL or missing: "0" ... "9"). */
static int read_names(cnn_dataset *d, const char *meta, char *err)
{
    struct stat st;
    if (!(d->class_names = calloc(CLASSES, sizeof *d->class_names))) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", meta ? meta : "CIFAR-10");
        return -1;
    }
    if (meta && (stat(meta, &st) == 0 || errno != ENOENT)) {
        if (cnn_class_names_read(meta, d->class_names, CLASSES, &d->n_classes, err)) return -1;
        if (d->n_classes != CLASSES) {
            snprintf(err, CNN_ERR_LEN, "%s: %d class names; CIFAR-10 has %d", meta, d->n_classes,
                     CLASSES);
            return -1;
        }
    }
    for (; d->n_classes < CLASSES; d->n_classes++) {
        char name[12];
        snprintf(name, sizeof name, "%d", d->n_classes);
        if (!(d->class_names[d->n_classes] = strdup(name))) {
            snprintf(err, CNN_ERR_LEN, "CIFAR-10: out of memory");
            return -1;
        }
    }
    return 0;
}

/* The records of one file, appended to d (which has room for them). */
static int read_records(cnn_dataset *d, const char *path, long records, int channels, char *err)
{
    FILE *f = fopen(path, "rb");
    uint8_t rec[RECORD];
    if (!f) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (long r = 0; r < records; r++, d->count++) {
        if (fread(rec, 1, RECORD, f) != RECORD) {
            snprintf(err, CNN_ERR_LEN, "%s: record %ld: %s", path, r,
                     ferror(f) ? strerror(errno) : "the file got shorter while being read");
            fclose(f);
            return -1;
        }
        if (rec[0] >= CLASSES) {
            snprintf(err, CNN_ERR_LEN, "%s: record %ld has label %d; CIFAR-10's are 0-9", path, r,
                     rec[0]);
            fclose(f);
            return -1;
        }
        d->labels[d->count] = rec[0];
        uint8_t *img = d->pixels + (size_t)d->count * d->image_size;
        const uint8_t *red = rec + 1, *green = red + PLANE, *blue = green + PLANE;
        if (channels == 3) memcpy(img, rec + 1, 3 * PLANE);
        for (int p = 0; channels == 1 && p < PLANE; p++)
            img[p] = image_luma(red[p], green[p], blue[p]);
    }
    fclose(f);
    return 0;
}

int cnn_dataset_load_cifar(cnn_dataset *d, const char *const *files, int n_files, const char *meta,
                           const cnn_image_spec *spec, char *err)
{
    const cnn_shape *shape = &spec->shape;
    long records[16], total = 0;
    memset(d, 0, sizeof *d);
    snprintf(d->images_path, sizeof d->images_path, "%s", n_files ? files[0] : "");
    snprintf(d->labels_path, sizeof d->labels_path, "%s", d->images_path);
    if (n_files < 1 || n_files > 16) {
        snprintf(err, CNN_ERR_LEN, "CIFAR-10: %d files; 1 to 16 are read", n_files);
        return -1;
    }
    if (((shape->h != SIDE || shape->w != SIDE) && !spec->resize) ||
        (shape->c != 1 && shape->c != 3)) {
        snprintf(err, CNN_ERR_LEN,
                 "%s: CIFAR-10 images are 32x32x3 but the network takes "
                 "%dx%dx%d%s",
                 files[0], shape->h, shape->w, shape->c,
                 shape->c == 1 || shape->c == 3 ? " (--resize scales images to it)" : "");
        return -1;
    }
    for (int i = 0; i < n_files; i++) {
        struct stat st;
        if (stat(files[i], &st)) {
            snprintf(err, CNN_ERR_LEN, "%s: %s", files[i], strerror(errno));
            return -1;
        }
        if (st.st_size == 0 || st.st_size % RECORD) {
            snprintf(err, CNN_ERR_LEN,
                     "%s: %lld bytes, not a whole number of CIFAR-10 "
                     "records (%d bytes each)",
                     files[i], (long long)st.st_size, RECORD);
            return -1;
        }
        records[i] = (long)(st.st_size / RECORD);
        total += records[i];
    }
    d->channels = shape->c;
    d->height = d->width = SIDE;
    d->image_size = (size_t)shape->c * PLANE;
    size_t bytes = (size_t)total * d->image_size;
    if (total > (1L << 30) || address_space_room(bytes + (size_t)total)) {
        char limits[128];
        describe_memory_limits(limits, sizeof limits);
        snprintf(err, CNN_ERR_LEN,
                 "%s: out of memory: %ld images need %zu MiB, more than %s "
                 "leaves free",
                 files[0], total, (bytes >> 20) + 1, limits);
        return -1;
    }
    d->pixels = malloc(bytes);
    d->labels = malloc((size_t)total);
    if (!d->pixels || !d->labels) {
        snprintf(err, CNN_ERR_LEN, "%s: out of memory", files[0]);
        cnn_dataset_free(d);
        return -1;
    }
    for (int i = 0; i < n_files; i++)
        if (read_records(d, files[i], records[i], shape->c, err)) {
            cnn_dataset_free(d);
            return -1;
        }
    if (read_names(d, meta, err) || cnn_dataset_resize(d, spec, err)) {
        cnn_dataset_free(d);
        return -1;
    }
    return 0;
}
