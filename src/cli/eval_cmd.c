/* eval_cmd.c: cnn eval. Loss, accuracy, per-class accuracy and the confusion
 * matrix of a model on labelled data (IDX, image folders or CIFAR-10); the
 * last line is "accuracy: 0.xxxx". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"

static const char *USAGE =
    "cnn eval --model MODEL (--data DIR | --images F --labels F) [--classes A,B] "
    "[--class-names FILE] [--threads T]";

int cmd_eval(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' },
        { "data", required_argument, 0, 'd' },
        { "images", required_argument, 0, 'i' },
        { "labels", required_argument, 0, 'l' },
        /* train's names for the same files */
        { "test-images", required_argument, 0, 'i' },
        { "test-labels", required_argument, 0, 'l' },
        { "classes", required_argument, 0, 'c' },
        { "threads", required_argument, 0, 't' },
        { "class-names", required_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *data = NULL, *images = NULL, *labels = NULL, *classes = NULL,
               *class_names = NULL;
    int threads = 0, keep[256], n_keep = 0, c;
    char err[CNN_ERR_LEN] = "out of memory";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'n': class_names = optarg; break;
        case 'i': images = optarg; break;
        case 'l': labels = optarg; break;
        case 'c':
            classes = optarg;
            if (parse_classes(classes, keep, &n_keep, err))
                return cli_error(EXIT_USAGE, "eval", "%s", err);
            break;
        case 't':
            if (opt_int("eval", "threads", optarg, 1, 1024, &threads)) return EXIT_USAGE;
            break;
        case 'h':
            printf("usage: %s\n\nThe test part of DIR (t10k-images-idx3-ubyte[.gz] and "
                   "t10k-labels-...; DIR/test/<class>/...\nimage folders, or CIFAR-10's "
                   "test_batch.bin) or the two IDX files given,\nthe images of the model's "
                   "classes (a model trained with --classes 7,8 is tested\non the 7s and "
                   "8s). --classes is only needed for models of cnn 0.1, which did\nnot "
                   "record their classes; for others it must name the same.\n--class-names FILE "
                   "names the classes of a model trained on IDX labels\nwithout names: line "
                   "k of FILE names label k. --test-images and --test-labels,\nas train "
                   "calls them, are --images and --labels.\n",
                   USAGE);
            return EXIT_OK;
        default: return option_error("eval", argv[optind - 1]);
        }
    }
    if (!model || (!data && !(images && labels)) || optind < argc)
        return usage_error("eval", USAGE);

    cnn_dataset d = { 0 };
    cnn_trainer *t = NULL;
    int *confusion = NULL, status = EXIT_FAIL;
    cnn_image_spec spec;
    cnn_net *net = load_model_reading(model, class_names, &spec, err);
    if (!net) goto fail;
    if ((data ? load_any_part(&d, data, 1, &spec, stderr, err)
              : cnn_dataset_load(&d, images, labels, err) || cnn_dataset_resize(&d, &spec, err)))
        goto fail;
    if (d.class_names) { /* image folders, CIFAR-10: classes by name */
        if (classes) {
            snprintf(err, sizeof err, "--classes picks IDX labels; %s names its classes", data);
            goto fail;
        }
        if (labels_by_name(&d, net, err)) goto fail;
    } else { /* --classes was checked as a list above; here against the model's own */
        if (model_classes(net, model, classes, keep, &n_keep, err)) goto fail;
        if (n_keep) cnn_dataset_filter(&d, keep, n_keep);
    }
    if (check_data_fits(&d, net, err)) goto fail;
    if (d.count == 0) {
        char list[128];
        format_classes(list, sizeof list, net);
        snprintf(err, sizeof err, "%s: no images of the model's classes (%s)", d.labels_path, list);
        goto fail;
    }
    if (!(t = cnn_trainer_new(net, 256, threads, err))) goto fail;
    int k = net->classes;
    confusion = calloc((size_t)k * k, sizeof(int));
    if (!confusion) goto fail;
    cnn_epoch_stats st = cnn_evaluate(t, &d, confusion);

    /* rows and columns named by the classes; digits line up as they always have */
    char *const *name = net->class_names;
    int width = 3;
    for (int i = 0; i < k; i++)
        if ((int)strlen(name[i]) > width) width = (int)strlen(name[i]);
    int cell = width + 3 > 6 ? width + 3 : 6;
    printf("images: %d\nloss: %.4f\n\nper class:\n", d.count, st.loss);
    for (int i = 0; i < k; i++) {
        long total = 0;
        for (int j = 0; j < k; j++) total += confusion[i * k + j];
        if (total)
            printf("  class %*s: %.4f  (%d of %ld)\n", width, name[i],
                   (double)confusion[i * k + i] / total, confusion[i * k + i], total);
    }
    printf("\nconfusion (rows: true class, columns: predicted):\n  %*s ", width, "");
    for (int j = 0; j < k; j++) printf("%*s", cell, name[j]);
    for (int i = 0; i < k; i++) {
        printf("\n  %*s ", width, name[i]);
        for (int j = 0; j < k; j++) printf("%*d", cell, confusion[i * k + j]);
    }
    printf("\n\naccuracy: %.4f\n", st.accuracy);
    status = EXIT_OK;
    goto done;
fail:
    cli_error(EXIT_FAIL, "eval", "%s", err);
done:
    free(confusion);
    cnn_trainer_free(t);
    cnn_net_free(net);
    cnn_dataset_free(&d);
    return status;
}
