/* libFuzzer target: the network-description parser on arbitrary text. A
 * network it accepts is also run forward and backward on one image. */
#include <stdlib.h>
#include <string.h>
#include "cnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), err[CNN_ERR_LEN];
    memcpy(text, data, size);
    text[size] = 0;
    cnn_net *net = cnn_net_parse(text, "fuzz.net", err);
    free(text);
    if (!net) {
        if (strncmp(err, "fuzz.net:", 9)) abort(); /* errors say file:line */
        return 0;
    }
    /* keep the run cheap: skip networks that would take long */
    if (cnn_shape_size(net->input) <= 4096 && net->n_params <= 100000) {
        cnn_trainer *t = cnn_trainer_new(net, 1, 1, err);
        if (t) {
            float *x = calloc(cnn_shape_size(net->input), sizeof(float));
            uint8_t y = 0;
            cnn_sgd sgd = { 0.01f, 0.9f, 0.0f };
            cnn_train_step(t, x, &y, 1, &sgd, NULL);
            free(x);
            cnn_trainer_free(t);
        }
    }
    cnn_net_free(net);
    return 0;
}
