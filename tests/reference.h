/* reference.h: the direct-loop convolution, the one place a convolution is
 * written as loops, to check the engine's im2col + sgemm path against. */
#ifndef CNN_REFERENCE_H
#define CNN_REFERENCE_H

#include "cnn.h"

/* out (n, F, Ho, Wo), dw (F, C, kh, kw), db (F), dx (n, C, H, W), in double,
 * from input x, weights w, bias b and output gradient dy. */
void reference_conv(double *out, double *dw, double *db, double *dx, const float *x,
                    const float *w, const float *b, const float *dy, const cnn_layer *L,
                    int n);

/* Run the engine's conv_forward and conv_backward for layer L with weights w
 * on n random images and compare output, kernel, bias and (if input_grad)
 * input gradients with the reference, within 1e-4 relative. Returns 0, or -1
 * with the first mismatch described in why (CNN_ERR_LEN bytes). */
int reference_check_conv(const cnn_layer *L, const float *w, int n, int input_grad,
                         char *why);

#endif
