/* common.c: helpers shared by the cnn commands. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common.h"

int cli_error(int status, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cnn %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

int usage_error(const char *cmd, const char *usage)
{
    return cli_error(EXIT_USAGE, cmd, "usage: %s (see 'cnn %s --help')", usage, cmd);
}

int option_error(const char *cmd, const char *arg)
{
    if (optopt && !strncmp(arg, "--", 2))
        return cli_error(EXIT_USAGE, cmd, "option '%s' needs a value (see 'cnn %s --help')",
                         arg, cmd);
    return cli_error(EXIT_USAGE, cmd, "unknown option '%s' (see 'cnn %s --help')", arg, cmd);
}

int opt_int(const char *cmd, const char *name, const char *value, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (!*value || *end || errno) {
        cli_error(EXIT_USAGE, cmd, "--%s %s: not a whole number", name, value);
        return -1;
    }
    if (v < lo || v > hi) {
        cli_error(EXIT_USAGE, cmd, "--%s %s: out of range (%ld to %ld)", name, value, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int opt_float(const char *cmd, const char *name, const char *value, double lo, double hi,
              float *out)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (!*value || *end || errno || !isfinite(v)) {
        cli_error(EXIT_USAGE, cmd, "--%s %s: not a number", name, value);
        return -1;
    }
    if (v < lo || v > hi) {
        cli_error(EXIT_USAGE, cmd, "--%s %s: out of range (%g to %g)", name, value, lo, hi);
        return -1;
    }
    *out = (float)v;
    return 0;
}

/* dir/part-images-idx3-ubyte.gz, or the same without .gz */
static void find_file(char *path, size_t len, const char *dir, const char *part,
                      const char *kind)
{
    struct stat st;
    snprintf(path, len, "%s/%s-%s.gz", dir, part, kind);
    if (stat(path, &st) == 0) return;
    snprintf(path, len, "%s/%s-%s", dir, part, kind);
    if (stat(path, &st) == 0) return;
    snprintf(path, len, "%s/%s-%s.gz", dir, part, kind);   /* name the usual one */
}

int load_part(cnn_dataset *d, const char *dir, const char *part, char *err)
{
    char images[4096], labels[4096];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, CNN_ERR_LEN, "%s: %s", dir,
                 stat(dir, &st) ? strerror(errno) : "not a folder");
        return -1;
    }
    find_file(images, sizeof images, dir, part, "images-idx3-ubyte");
    find_file(labels, sizeof labels, dir, part, "labels-idx1-ubyte");
    return cnn_dataset_load(d, images, labels, err);
}

int check_images_fit(const cnn_dataset *d, const cnn_net *net, char *err)
{
    if (d->channels != net->input.c || d->height != net->input.h || d->width != net->input.w) {
        snprintf(err, CNN_ERR_LEN, "%s: images are %dx%dx%d but the network takes %dx%dx%d",
                 d->images_path, d->height, d->width, d->channels, net->input.h, net->input.w,
                 net->input.c);
        return -1;
    }
    return 0;
}

int check_data_fits(const cnn_dataset *d, const cnn_net *net, char *err)
{
    if (check_images_fit(d, net, err)) return -1;
    for (int i = 0; d->labels && i < d->count; i++)
        if (d->labels[i] >= net->classes) {
            snprintf(err, CNN_ERR_LEN, "%s: label %d of image %d is out of range for a "
                     "network with %d classes%s", d->labels_path, d->labels[i], i, net->classes,
                     net->classes == 2 ? " (pick two with --classes A,B)" : "");
            return -1;
        }
    return 0;
}

int parse_classes(const char *s, int *keep, int *n_keep, char *err)
{
    *n_keep = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 255 || (*end && *end != ',') || *n_keep == 256) {
            snprintf(err, CNN_ERR_LEN, "--classes: expected labels 0-255 separated by "
                     "commas, as in 0,1");
            return -1;
        }
        for (int k = 0; k < *n_keep; k++)
            if (keep[k] == v) {
                snprintf(err, CNN_ERR_LEN, "--classes: %ld is listed twice", v);
                return -1;
            }
        keep[(*n_keep)++] = (int)v;
        s = *end ? end + 1 : end;
    }
    if (*n_keep < 2) {
        snprintf(err, CNN_ERR_LEN, "--classes: list at least two labels");
        return -1;
    }
    return 0;
}

/* --classes with one label per output of the network. */
static int parse_classes_for(const cnn_net *net, const char *what, const char *classes,
                             int *keep, int *n_keep, char *err)
{
    if (parse_classes(classes, keep, n_keep, err)) return -1;
    if (*n_keep != net->classes) {
        snprintf(err, CNN_ERR_LEN, "--classes lists %d labels but %s has %d classes",
                 *n_keep, what, net->classes);
        return -1;
    }
    return 0;
}

int classes_for_training(cnn_net *net, const char *what, const char *classes, int *keep,
                         int *n_keep, char *err)
{
    char names[256][12];
    const char *name_of[256];
    if (parse_classes_for(net, what, classes, keep, n_keep, err)) return -1;
    for (int k = 0; k < *n_keep; k++) {
        snprintf(names[k], sizeof names[k], "%d", keep[k]);
        name_of[k] = names[k];
    }
    return cnn_net_set_class_names(net, name_of, *n_keep, "--classes", err);
}

int model_classes(const cnn_net *net, const char *model, const char *classes, int *keep,
                  int *n_keep, char *err)
{
    *n_keep = 0;
    if (net->class_names_guessed)
        return classes ? parse_classes_for(net, model, classes, keep, n_keep, err) : 0;
    /* IDX labels are named by their decimal digits: "7" */
    for (int k = 0; k < net->classes; k++) {
        const char *name = net->class_names[k];
        size_t len = strlen(name);
        if (len > 3 || strspn(name, "0123456789") != len || (name[0] == '0' && len > 1) ||
            atoi(name) > 255) {
            snprintf(err, CNN_ERR_LEN, "%s: class '%s' is not an IDX label (0 to 255): the "
                     "model was trained on other data", model, name);
            return -1;
        }
        keep[k] = atoi(name);
    }
    *n_keep = net->classes;
    int given[256], n_given;
    if (!classes) return 0;
    if (parse_classes(classes, given, &n_given, err)) return -1;
    if (n_given != *n_keep || memcmp(given, keep, sizeof(int) * n_given)) {
        char list[128];
        format_classes(list, sizeof list, net);
        snprintf(err, CNN_ERR_LEN, "--classes %s contradicts %s, whose classes are %s "
                 "(drop --classes: the model's are used)", classes, model, list);
        return -1;
    }
    return 0;
}

void format_classes(char *buf, size_t len, const cnn_net *net)
{
    size_t at = 0;
    buf[0] = 0;
    for (int k = 0; k < net->classes && at < len; k++) {
        int n = snprintf(buf + at, len - at, "%s%s", k ? "," : "", net->class_names[k]);
        if (n < 0 || (size_t)n >= len - at) {
            snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
            return;
        }
        at += (size_t)n;
    }
}
