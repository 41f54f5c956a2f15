/* info_cmd.c: cnn info. Each layer's output shape, parameters and
 * multiply-adds per image, and the totals. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"

static const char *USAGE = "cnn info (--net NAME|FILE | --model MODEL)";

/* The layer's words, and where it reads from when that is not simply the
 * layer above: "add relu  <- 3, input" (by number in this list). */
static void describe(char *buf, size_t len, const cnn_layer *L, int l)
{
    cnn_layer_describe(L, buf, len);
    if (L->n_from == 1 && L->from[0] == l - 1) return;
    size_t at = strlen(buf);
    for (int i = 0; i < L->n_from && at < len; i++) {
        int n = L->from[i] == CNN_INPUT
                    ? snprintf(buf + at, len - at, "%sinput", i ? ", " : "  <- ")
                    : snprintf(buf + at, len - at, "%s%d", i ? ", " : "  <- ", L->from[i] + 1);
        at += n > 0 ? (size_t)n : 0;
    }
}

/* A recipe in words, after its epochs: the batch, the optimiser with the
 * settings it uses, the schedule with its own, augmentation. */
static void print_recipe(const cnn_recipe *r)
{
    const cnn_sgd *o = &r->sgd;
    int adam = o->kind == CNN_OPT_ADAM || o->kind == CNN_OPT_ADAMW;
    printf("batch %d, %s", r->batch, cnn_optimizer_name(o->kind));
    if (adam) printf(" (beta1 %g, beta2 %g, eps %g)", o->beta1, o->beta2, o->eps);
    else printf(" (momentum %g)", o->momentum);
    printf(", lr %g %s", o->lr, cnn_schedule_name(r->schedule));
    if (r->schedule == CNN_SCHEDULE_STEP)
        printf(" (times %g every %d epochs)", o->gamma, o->step_every);
    if (o->warmup) printf(", warm-up %d epoch%s", o->warmup, o->warmup == 1 ? "" : "s");
    printf(", weight decay %g, shift %d%s%s\n", o->weight_decay, r->shift, r->flip ? ", flip" : "",
           r->resize ? ", resize" : "");
}

int cmd_info(int argc, char **argv)
{
    static const struct option longs[] = {
        { "net", required_argument, 0, 'n' },
        { "model", required_argument, 0, 'm' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *name = NULL, *model = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'm': model = optarg; break;
        case 'h':
            printf("usage: %s\n\nShapes are channels x height x width. Training costs "
                   "about three times the\nforward multiply-adds (forward, kernel "
                   "gradient, input gradient).\n",
                   USAGE);
            return EXIT_OK;
        default: return option_error("info", argv[optind - 1]);
        }
    }
    if (!!name == !!model || optind < argc) return usage_error("info", USAGE);
    char err[CNN_ERR_LEN];
    cnn_train_state st = { 0 };
    cnn_net *net = model ? cnn_model_load(model, &st, err) : cnn_net_load(name, err);
    if (!net) return cli_error(EXIT_FAIL, "info", "%s", err);

    printf("%s: input %dx%dx%d, loss %s, %d classes\n\n", model ? model : name, net->input.c,
           net->input.h, net->input.w, cnn_loss_name(net->loss), net->classes);
    int width = 36; /* the layer column: as wide as its longest entry */
    for (int l = 0; l < net->n_layers; l++) {
        char what[64];
        describe(what, sizeof what, &net->layers[l], l);
        if ((int)strlen(what) > width) width = (int)strlen(what);
    }
    printf("  #  line  %-*s %-12s %10s %14s\n", width, "layer", "output", "params", "MACs/image");
    double total_macs = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const cnn_layer *L = &net->layers[l];
        char what[64], shape[32];
        describe(what, sizeof what, L, l);
        snprintf(shape, sizeof shape, "%dx%dx%d", L->out.c, L->out.h, L->out.w);
        double macs = cnn_layer_macs(L);
        total_macs += macs;
        printf("%3d  %4d  %-*s %-12s %10zu %14.0f\n", l + 1, L->line, width, what, shape,
               L->n_w + L->n_b, macs);
    }
    printf("\ntotal: %zu parameters, %.0f multiply-adds per image forward, "
           "about %.1f MFLOP per training image\n",
           net->n_params, total_macs, total_macs * 6 / 1e6);
    printf("default recipe: %d epochs, ", net->recipe.epochs);
    print_recipe(&net->recipe);
    if (model) {
        cnn_recipe run = { st.epochs, st.batch, st.sgd, st.schedule, st.shift, st.flip, st.resize };
        printf("model: %d of %d epochs trained, ", st.epoch, st.epochs);
        print_recipe(&run);
        if (st.val.count) {
            printf("validation: %d images held out (seed %llu); best epoch %d, accuracy %.4f",
                   st.val.count, (unsigned long long)st.val.seed, st.val.best_epoch,
                   st.val.best_accuracy);
            if (st.val.keep_best) printf("; --keep-best");
            if (st.val.patience) printf("; --patience %d", st.val.patience);
            printf("\n");
        }
    }
    if (model && net->class_names_guessed) {
        printf("classes: not recorded (a format-1 model)\n");
    } else if (model) {
        char list[128], used[64] = "all training images";
        format_classes(list, sizeof list, net);
        if (st.limit)
            snprintf(used, sizeof used, "the first %d training images (--limit)", st.limit);
        printf("classes: %s%s; trained on %s\n", list, st.select_classes ? " (--classes)" : "",
               used);
    }
    free(st.velocity);
    free(st.moment2);
    cnn_net_free(net);
    return EXIT_OK;
}
