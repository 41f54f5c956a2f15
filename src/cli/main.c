/* main.c: the cnn command: train, evaluate, apply and describe networks. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "outputs.h"
#include "sys/runtime.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: cnn COMMAND [OPTIONS]\n"
                "\n"
                "  train     train a network on IDX image data, writing a model after each epoch\n"
                "  eval      loss, accuracy, per-class accuracy and confusion matrix of a model\n"
                "  predict   classify PGM or IDX images with a model\n"
                "  info      layers, shapes, parameters and multiply-adds of a network\n"
                "  show      write a model's first-layer kernels or a digit's feature maps as PGM\n"
                "  export    write a model as ONNX, or as one C file with no dependencies\n"
                "\n"
                "Shipped networks: seed000 (default), seed002, seed003, seed004, lenet, vgg,\n"
                "cifar (32x32 colour).\n"
                "'cnn COMMAND --help' describes each command; 'cnn --version' names the BLAS\n"
                "kernel and says whether MPI is built in (mpirun -np N cnn train ... trains\n"
                "on N processes).\n");
    return to == stdout ? EXIT_OK : EXIT_USAGE;
}

static int version(void)
{
    const char *mpi = cnn_dist_library();
    char blas[160];
    cnn_blas_describe(blas, sizeof blas);
    printf("cnn %s\nBLAS: %s\nMPI: %s\n", CNN_VERSION, blas,
           mpi ? mpi : "not built in (configure with meson setup -Dmpi=enabled)");
    return EXIT_OK;
}

/* A closed standard stream would hand its number to the next file opened,
 * and output meant for the terminal would land in a model. Open /dev/null
 * read-only in its place: writes to it fail, and are reported. */
static void keep_standard_streams_apart(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != fd) _exit(EXIT_FAIL);
}

/* Output that did not arrive is a failure, reported like any other (a
 * command that failed has said why already). */
static int finish_output(const char *cmd, int status)
{
    char err[CNN_ERR_LEN];
    if (check_written(stdout, "standard output", err) == 0 || status != EXIT_OK) return status;
    return cli_error(EXIT_FAIL, cmd, "%s", err);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        { "train", cmd_train }, { "eval", cmd_eval }, { "predict", cmd_predict },
        { "info", cmd_info },   { "show", cmd_show }, { "export", cmd_export },
    };
    cnn_runtime_setup(argv);
    keep_standard_streams_apart();
    /* A reader gone (predict | head -1, a --log FIFO whose reader quit) and a
     * file-size limit (ulimit -f) are write errors, reported in one line with
     * exit 1 and the temporaries removed, not silent kills (141, 153). */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) return usage(stderr);
    /* cnn help CMD is cnn CMD --help */
    char *help_argv[] = { argv[0], argc > 2 ? argv[2] : NULL, (char[]){ "--help" }, NULL };
    if (argc == 3 && !strcmp(argv[1], "help")) argv = help_argv;
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return finish_output("--help", usage(stdout));
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return finish_output("--version", version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return finish_output(argv[1], commands[i].run(argc - 1, argv + 1));
    fprintf(stderr,
            "cnn: unknown command '%s' (train, eval, predict, info, show, export; "
            "see 'cnn --help')\n",
            argv[1]);
    return EXIT_USAGE;
}
