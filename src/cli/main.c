/* main.c: the cnn command: train, evaluate, apply and describe networks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"

static int usage(FILE *to)
{
    fprintf(to,
        "usage: cnn COMMAND [OPTIONS]\n"
        "\n"
        "  train     train a network on IDX image data, writing a model after each epoch\n"
        "  eval      loss, accuracy, per-class accuracy and confusion matrix of a model\n"
        "  predict   classify PGM or IDX images with a model\n"
        "  info      layers, shapes, parameters and multiply-adds of a network\n"
        "  show      write a model's first-layer kernels or a digit's feature maps as PGM\n"
        "  export    write a model as ONNX, or as one C file with no dependencies\n"
        "\n"
        "Shipped networks: seed000 (default), seed002, seed003, seed004, lenet.\n"
        "'cnn COMMAND --help' describes each command; 'cnn --version' says whether\n"
        "MPI is built in (mpirun -np N cnn train ... trains on N processes).\n");
    return to == stdout ? EXIT_OK : EXIT_USAGE;
}

static int version(void)
{
    const char *mpi = cnn_dist_library();
    printf("cnn %s\nMPI: %s\n", CNN_VERSION,
           mpi ? mpi : "not built in (configure with meson setup -Dmpi=enabled)");
    return EXIT_OK;
}

/* Results that never reached their reader (a full disk, /dev/full, a closed
 * stdout) are a failure, not a success with the output lost. */
static int output_written(int status, const char *cmd)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return status;
    fprintf(stderr, "cnn %s: writing the output failed: %s\n", cmd,
            errno ? strerror(errno) : "write error");
    return status == EXIT_OK ? EXIT_FAIL : status;
}

int main(int argc, char **argv)
{
    static const struct { const char *name; int (*run)(int, char **); } commands[] = {
        { "train", cmd_train }, { "eval", cmd_eval }, { "predict", cmd_predict },
        { "info", cmd_info }, { "show", cmd_show }, { "export", cmd_export },
    };
    cnn_runtime_setup(argv);
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return output_written(usage(stdout), "help");
    if (!strcmp(argv[1], "--version")) return output_written(version(), "--version");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return output_written(commands[i].run(argc - 1, argv + 1), argv[1]);
    fprintf(stderr, "cnn: unknown command '%s' (train, eval, predict, info, show, export; "
                    "see 'cnn --help')\n", argv[1]);
    return EXIT_USAGE;
}
