/* kind_examples DIR: for test_export.sh, each layer kind's example network
 * (reference_example_net) as DIR/kind_NAME.net. */
#include <stdio.h>
#include "reference.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: kind_examples DIR\n");
        return 2;
    }
    for (int k = 0; k < CNN_LAYER_KINDS; k++) {
        char path[4096], text[1024];
        snprintf(path, sizeof path, "%s/kind_%s.net", argv[1], layer_kinds[k].name);
        reference_example_net(&layer_kinds[k], text, sizeof text);
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) == EOF || fclose(f)) {
            perror(path);
            return 1;
        }
    }
    return 0;
}
