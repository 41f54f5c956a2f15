/* libFuzzer target: the model loader on arbitrary bytes. The CRC refuses
 * most mutations at once, so the target also re-seals the input with a valid
 * CRC half the time, letting the fuzzer reach the field checks behind it. */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include "cnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t len = size - 1;
    uint8_t *bytes = malloc(len + 4);
    memcpy(bytes, data + 1, len);
    if ((data[0] & 1) && len >= 4) { /* re-seal: replace the last 4 bytes by a CRC */
        uint32_t crc = (uint32_t)crc32(0L, bytes, (uInt)(len - 4));
        for (int i = 0; i < 4; i++) bytes[len - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
    int fd = memfd_create("fuzz", 0);
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len) abort();
    free(bytes);
    char path[64], err[CNN_ERR_LEN];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    cnn_train_state st;
    cnn_net *net = cnn_model_load(path, &st, err);
    if (net) {
        free(st.velocity);
        free(st.moment2);
        cnn_net_free(net);
    } else if (strncmp(err, path, strlen(path))) {
        abort(); /* errors name the file */
    }
    close(fd);
    return 0;
}
