/* machine.c: the CPU and BLAS a benchmark reports; see machine.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cnn.h"
#include "machine.h"

void machine_cpu(char *buf, size_t len)
{
    char line[256], model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            const char *name = strchr(line, ':') + 1;
            name += strspn(name, " \t");
            snprintf(model, sizeof model, "%.*s", (int)strcspn(name, "\n"), name);
            for (char *c = model; *c; c++) /* it goes into JSON strings too */
                if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = ' ';
            break;
        }
    if (f) fclose(f);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(buf, len, "%s, %ld core%s", model, cores, cores == 1 ? "" : "s");
}

void machine_print_header(void)
{
    char cpu[192], blas[160];
    machine_cpu(cpu, sizeof cpu);
    cnn_blas_describe(blas, sizeof blas);
    printf("# %s; %s\n", cpu, blas);
}
