/* cmyk_jpeg: write an 8x8 CMYK JPEG (which OpenCV cannot write) through
 * TurboJPEG, for test_images.sh to check that cnn refuses it by name.
 *   cmyk_jpeg OUT.jpg */
#include <stdio.h>
#include <turbojpeg.h>

int main(int argc, char **argv)
{
    unsigned char px[8 * 8 * 4], *jpeg = NULL;
    unsigned long len = 0;
    for (int i = 0; i < (int)sizeof px; i++) px[i] = (unsigned char)(i * 7);
    tjhandle tj = tjInitCompress();
    FILE *f = argc == 2 ? fopen(argv[1], "wb") : NULL;
    int ok = tj && f &&
             tjCompress2(tj, px, 8, 0, 8, TJPF_CMYK, &jpeg, &len, TJSAMP_444, 90, 0) == 0 &&
             fwrite(jpeg, 1, len, f) == len;
    if (f && fclose(f)) ok = 0;
    if (!ok) fprintf(stderr, "cmyk_jpeg: %s\n", tj ? tjGetErrorStr2(tj) : "no TurboJPEG");
    tjFree(jpeg);
    if (tj) tjDestroy(tj);
    return ok ? 0 : 1;
}
