/* info_cmd.c: cnn info. Each layer's output shape, parameters and
 * multiply-adds per image, and the totals. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"

static const char *USAGE = "cnn info (--net NAME|FILE | --model MODEL)";

static void describe(char *buf, size_t len, const cnn_layer *L)
{
    switch (L->kind) {
    case CNN_CONV:
        snprintf(buf, len, "conv %d@%dx%d stride %d pad %d %s", L->out.c, L->win.kh, L->win.kw,
                 L->win.stride, L->win.pad, cnn_act_name(L->act));
        break;
    case CNN_DENSE:
        snprintf(buf, len, "dense %d %s", L->out.c, cnn_act_name(L->act));
        break;
    case CNN_DROPOUT:
        snprintf(buf, len, "dropout rate %g (training only)", L->rate);
        break;
    default:
        snprintf(buf, len, "%s %dx%d stride %d", cnn_layer_name(L->kind), L->win.kh, L->win.kw,
                 L->win.stride);
    }
}

int cmd_info(int argc, char **argv)
{
    static const struct option longs[] = {
        { "net", required_argument, 0, 'n' }, { "model", required_argument, 0, 'm' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *name = NULL, *model = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'm': model = optarg; break;
        case 'h':
            printf("usage: %s\n\nShapes are channels x height x width. Training costs "
                   "about three times the\nforward multiply-adds (forward, kernel "
                   "gradient, input gradient).\n", USAGE);
            return EXIT_OK;
        default:
            return option_error("info", argv[optind - 1]);
        }
    }
    if (!!name == !!model || optind < argc) return usage_error("info", USAGE);
    char err[CNN_ERR_LEN];
    cnn_train_state st = { 0 };
    cnn_net *net = model ? cnn_model_load(model, &st, err) : cnn_net_load(name, err);
    if (!net) return cli_error(EXIT_FAIL, "info", "%s", err);

    printf("%s: input %dx%dx%d, loss %s, %d classes\n\n", model ? model : name,
           net->input.c, net->input.h, net->input.w, cnn_loss_name(net->loss), net->classes);
    printf("  #  line  %-36s %-12s %10s %14s\n", "layer", "output", "params", "MACs/image");
    double total_macs = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        char what[64], shape[32];
        describe(what, sizeof what, L);
        snprintf(shape, sizeof shape, "%dx%dx%d", L->out.c, L->out.h, L->out.w);
        double macs = cnn_layer_macs(L);
        total_macs += macs;
        printf("%3d  %4d  %-36s %-12s %10zu %14.0f\n", l + 1, L->line, what, shape,
               L->n_w + L->n_b, macs);
    }
    printf("\ntotal: %zu parameters, %.0f multiply-adds per image forward, "
           "about %.1f MFLOP per training image\n", net->n_params, total_macs,
           total_macs * 6 / 1e6);
    const cnn_recipe *r = &net->recipe;
    printf("default recipe: %d epochs, batch %d, lr %g %s, momentum %g, weight decay %g, "
           "shift %d%s%s\n", r->epochs, r->batch, r->sgd.lr,
           cnn_schedule_name(r->schedule), r->sgd.momentum,
           r->sgd.weight_decay, r->shift, r->flip ? ", flip" : "", r->resize ? ", resize" : "");
    if (model)
        printf("model: %d of %d epochs trained, batch %d, lr %g %s, momentum %g, "
               "weight decay %g, shift %d%s%s\n", st.epoch, st.epochs, st.batch, st.sgd.lr,
               cnn_schedule_name(st.schedule), st.sgd.momentum,
               st.sgd.weight_decay, st.shift, st.flip ? ", flip" : "",
               st.resize ? ", resize" : "");
    if (model && net->class_names_guessed) {
        printf("classes: not recorded (a format-1 model)\n");
    } else if (model) {
        char list[128], used[64] = "all training images";
        format_classes(list, sizeof list, net);
        if (st.limit) snprintf(used, sizeof used, "the first %d training images (--limit)",
                               st.limit);
        printf("classes: %s%s; trained on %s\n", list,
               st.select_classes ? " (--classes)" : "", used);
    }
    free(st.velocity);
    free(st.moment2);
    cnn_net_free(net);
    return EXIT_OK;
}
