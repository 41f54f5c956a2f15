/* export.c: checks and wording shared by the ONNX and C exporters. */
#include <stdio.h>
#include "export/export.h"

int export_check_params(const cnn_net *net, const char *path, char *err)
{
    int bad = cnn_net_first_nonfinite(net);
    if (bad < 0) return 0;
    snprintf(err, CNN_ERR_LEN,
             "%s: not written: layer %d (line %d) has NaN or infinite "
             "parameters",
             path, bad + 1, net->layers[bad].line);
    return -1;
}

const char *export_output_kind(const cnn_net *net)
{
    if (net->loss == CNN_LOSS_SOFTMAX_CE) return "softmax probabilities";
    switch (net->layers[net->n_layers - 1].act.kind) {
    case CNN_ACT_SIGMOID: return "sigmoid outputs";
    case CNN_ACT_RELU: return "ReLU outputs";
    case CNN_ACT_TANH: return "tanh outputs";
    case CNN_ACT_LEAKY: return "leaky ReLU outputs";
    case CNN_ACT_NONE: break;
    }
    return "the last layer's outputs (no activation)";
}

const char *export_pixels(const cnn_net *net)
{
    return net->input.c == 3
               ? "the planes R, G, B, pixel bytes scaled to [0, 1] as value / 255, as cnn "
                 "reads images"
               : "pixel bytes scaled to [0, 1] as value / 255, as cnn reads images";
}
