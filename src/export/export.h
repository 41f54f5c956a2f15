/* export.h: what the ONNX and C exporters share. */
#ifndef CNN_EXPORT_H
#define CNN_EXPORT_H

#include "cnn.h"

/* How both exports expect their input, for the files' documentation. */
/* How the input's values come from an image's bytes: value / 255, as cnn
 * reads images; for three channels, the planes R, G, B. */
const char *export_pixels(const cnn_net *net);

/* -1 with a reason naming path in err when a parameter is NaN or infinite:
 * such a network computes nothing useful, and a C file could not hold it. */
int export_check_params(const cnn_net *net, const char *path, char *err);

/* What the network outputs, for the documentation: "softmax probabilities"
 * or the last layer's activations. */
const char *export_output_kind(const cnn_net *net);

#endif
