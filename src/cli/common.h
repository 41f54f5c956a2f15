/* common.h: what the cnn commands share: option values checked with their
 * names, data folders, and the exit statuses (0 ok, 1 failure, 2 bad usage). */
#ifndef CNN_CLI_COMMON_H
#define CNN_CLI_COMMON_H

#include "cnn.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Print "cnn CMD: message" to stderr and return the status given. */
int cli_error(int status, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --name VALUE as a number in [lo, hi]; on error print it and return -1.
 * One strict syntax: an optional '-', digits (and for opt_float a decimal
 * point and exponent), nothing else: no spaces, '+', hex, inf or nan. */
int opt_int(const char *cmd, const char *name, const char *value, long lo, long hi, int *out);
int opt_seed(const char *cmd, const char *name, const char *value, unsigned long long *out);
int opt_float(const char *cmd, const char *name, const char *value, double lo, double hi,
              float *out);

/* The images and labels files of one part ("train" or "t10k") of a data
 * folder in the standard MNIST names, gzip-compressed or not (refused when
 * both are there), into buffers of len bytes. */
int data_files(const char *dir, const char *part, char *images, char *labels, size_t len,
               char *err);
/* ... and the data in them. */
int load_part(cnn_dataset *d, const char *dir, const char *part, char *err);
/* How a data folder (--data DIR) holds its images, told apart by what it
 * holds: DIR/train/ a folder (class folders: DIR/train/<class>/...,
 * DIR/test/<class>/...), DIR/data_batch_1.bin or test_batch.bin (CIFAR-10's
 * binary files), else the MNIST names of IDX files. */
typedef enum { LAYOUT_IDX, LAYOUT_FOLDERS, LAYOUT_CIFAR } data_layout;
data_layout data_layout_of(const char *dir);
/* The training part (test 0) or test part (test 1) of DIR, in its layout,
 * as images of spec (converted to its channels; scaled if spec->resize);
 * notes as cnn_dataset_load_folders writes them. */
int load_any_part(cnn_dataset *d, const char *dir, int test, const cnn_image_spec *spec,
                  FILE *notes, char *err);
/* Image folders and CIFAR-10 name their classes: relabel d's images to the
 * network's classes of the same names (d's names then go); a class the
 * network lacks is an error. IDX data (no names) is left as it is. */
int labels_by_name(cnn_dataset *d, const cnn_net *net, char *err);
/* --class-names FILE: name a network's IDX classes after FILE's lines (line
 * k names label k) and record their labels; keep (n_keep labels, 0: labels
 * 0 to classes - 1) are the labels of its outputs. */
int name_idx_classes(cnn_net *net, const char *file, const int *keep, int n_keep, char *err);
/* A model, and in *spec how its run read images (its input, and whether
 * it scaled them: train --resize), for eval, predict and show to read them
 * the same way; class_names (NULL: none) names IDX classes the model left
 * unnamed, for this run. */
cnn_net *load_model_reading(const char *model, const char *class_names, cnn_image_spec *spec,
                            char *err);
/* Refuse images of another size than the network's, naming the file. */
int check_images_fit(const cnn_dataset *d, const cnn_net *net, char *err);
/* The same, and labels beyond the network's classes. */
int check_data_fits(const cnn_dataset *d, const cnn_net *net, char *err);
/* --classes 0,1: the list, at least 2 and at most 256 distinct labels. */
int parse_classes(const char *s, int *keep, int *n_keep, char *err);
/* --classes for a network (`what` names it) that is to be trained on them:
 * one label per output, which become the names of its classes. */
int classes_for_training(cnn_net *net, const char *what, const char *classes, int *keep,
                         int *n_keep, char *err);
/* The IDX labels of a model's classes, in output order, to select and
 * relabel data with (cnn_dataset_filter). --classes (NULL when not given)
 * must agree with them. A format-1 model did not record its classes: then
 * --classes gives them, and without it *n_keep is 0 (the data as it is). */
int model_classes(const cnn_net *net, const char *model, const char *classes, int *keep,
                  int *n_keep, char *err);
/* The class names joined by commas ("7,8"), cut short to fit len. */
void format_classes(char *buf, size_t len, const cnn_net *net);

/* One line: the usage and a pointer to --help; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *usage);
/* What getopt_long (with opterr = 0) stopped at, an unknown option or one
 * missing its value, in one line; returns EXIT_USAGE. */
int option_error(const char *cmd, const char *arg);

#endif
