/* act.c: element-wise activations, applied in place to a layer's output. */
#include <math.h>
#include "layers.h"

void act_forward(float *x, size_t len, cnn_act a)
{
    switch (a) {
    case CNN_ACT_NONE:
        break;
    case CNN_ACT_RELU:
        for (size_t i = 0; i < len; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case CNN_ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case CNN_ACT_TANH:
        for (size_t i = 0; i < len; i++) x[i] = tanhf(x[i]);
        break;
    }
}

/* The derivatives written with the output y, which is what backward keeps:
 * ReLU 1 where y > 0, sigmoid y(1-y), tanh 1-y^2. */
void act_backward(float *d, const float *y, size_t len, cnn_act a)
{
    switch (a) {
    case CNN_ACT_NONE:
        break;
    case CNN_ACT_RELU:
        for (size_t i = 0; i < len; i++) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
        break;
    case CNN_ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) d[i] *= y[i] * (1.0f - y[i]);
        break;
    case CNN_ACT_TANH:
        for (size_t i = 0; i < len; i++) d[i] *= 1.0f - y[i] * y[i];
        break;
    }
}
