/* export_cmd.c: cnn export. A trained model as an ONNX model for other
 * frameworks, or as one C99 source file for programs and devices that take
 * no library. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "outputs.h"

static const char *USAGE = "cnn export --model MODEL (--onnx OUT.onnx | --c OUT.c [--name NAME])";

/* The default prefix of the C entry points: OUT.c's base name, with what a C
 * identifier cannot hold turned into '_' ("lenet-v2.c" gives lenet_v2). */
static void name_from_path(char *name, size_t size, const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t len = strlen(base);
    if (len > 2 && !strcmp(base + len - 2, ".c")) len -= 2;
    size_t at = 0;
    if (len == 0 || isdigit((unsigned char)base[0])) at = (size_t)snprintf(name, size, "net_");
    for (size_t i = 0; i < len && at + 1 < size && at < 63; i++)
        name[at++] = isalnum((unsigned char)base[i]) ? base[i] : '_';
    name[at] = 0;
}

int cmd_export(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' }, { "onnx", required_argument, 0, 'o' },
        { "c", required_argument, 0, 'c' },     { "name", required_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' },        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *onnx = NULL, *csrc = NULL, *name = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'o': onnx = optarg; break;
        case 'c': csrc = optarg; break;
        case 'n': name = optarg; break;
        case 'h':
            printf("usage: %s\n\n"
                   "--onnx: an ONNX model (opset 13): input \"image\" N x C x H x W, "
                   "pixels / 255,\n        output \"probs\" N x classes, what "
                   "'cnn predict' gives.\n"
                   "--c:    one self-contained C99 file needing only libm, with\n"
                   "        int NAME_predict(const float *image, float *probs), "
                   "returning the class;\n        NAME is --name or OUT's base name.\n",
                   USAGE);
            return EXIT_OK;
        default:
            if (optopt || strncmp(argv[optind - 1], "--", 2))
                return option_error("export", argv[optind - 1]);
            return cli_error(EXIT_USAGE, "export",
                             "unknown format or option '%s' "
                             "(formats: --onnx FILE, --c FILE)",
                             argv[optind - 1]);
        }
    }
    if (!model || !!onnx == !!csrc || optind < argc || (name && !csrc))
        return usage_error("export", USAGE);
    char cname[64];
    if (csrc && !name) name_from_path(cname, sizeof cname, csrc);

    char err[CNN_ERR_LEN];
    /* the export replaces neither the model nor anything but a regular file */
    named_file target = { onnx ? "--onnx" : "--c", onnx ? onnx : csrc },
               input = { "--model", model };
    if (!*target.path) return cli_error(EXIT_USAGE, "export", "%s: an empty name", target.option);
    if (check_output(&target, 1, &input, 1, err)) return cli_error(EXIT_FAIL, "export", "%s", err);
    cnn_net *net = cnn_model_load(model, NULL, err);
    if (!net) return cli_error(EXIT_FAIL, "export", "%s", err);
    cnn_export_info about = { .model = model, .name = name ? name : cname };
    int rc = onnx ? cnn_export_onnx(onnx, net, &about, err) : cnn_export_c(csrc, net, &about, err);
    if (rc == 0 && onnx)
        printf("%s: ONNX, input \"image\" N x %d x %d x %d, output \"probs\" N x %d\n", onnx,
               net->input.c, net->input.h, net->input.w, net->classes);
    else if (rc == 0)
        printf("%s: C99, int %s_predict(const float *image, float *probs), %d inputs, "
               "%d classes\n",
               csrc, about.name, (int)cnn_shape_size(net->input), net->classes);
    cnn_net_free(net);
    return rc ? cli_error(EXIT_FAIL, "export", "%s", err) : EXIT_OK;
}
