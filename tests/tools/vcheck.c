/* vcheck: the colours of boxes in the last complete frame of a raw yuv420p file.
 *   vcheck [--frame N] FILE W H [X Y BW BH]...
 * prints "frames N" and then, per box, "Y U V" (means, rounded) of the last frame (or frame N,
 * counted from 0; past the end: the last): what a composite test compares with the colours its
 * senders sent. Boxes must lie inside the frame and have even X and Y. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int num(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return errno || *end || *v < lo || *v > hi ? -1 : 0;
}

static double box_mean(const unsigned char *plane, long stride, long x, long y, long w, long h)
{
    double sum = 0;
    for (long r = 0; r < h; r++)
        for (long c = 0; c < w; c++)
            sum += plane[(y + r) * stride + x + c];
    return sum / (double)(w * h);
}

int main(int argc, char **argv)
{
    long w, h, want = -1;
    if (argc > 2 && !strcmp(argv[1], "--frame")) {
        if (num(argv[2], 0, 1000000, &want)) {
            fprintf(stderr, "vcheck: --frame takes a frame number\n");
            return 2;
        }
        argv += 2;
        argc -= 2;
    }
    if (argc < 4 || (argc - 4) % 4 || num(argv[2], 2, 8192, &w) || num(argv[3], 2, 8192, &h) ||
        (w | h) & 1) {
        fprintf(stderr, "usage: vcheck FILE W H [X Y BW BH]...  (W, H even)\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st)) {
        fprintf(stderr, "vcheck: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    long fsize = w * h * 3 / 2, frames = (long)(st.st_size / fsize);
    printf("frames %ld\n", frames);
    if (frames == 0)
        return 1;
    unsigned char *buf = malloc((size_t)fsize);
    long pick = want >= 0 && want < frames ? want : frames - 1;
    if (!buf || fseek(f, pick * fsize, SEEK_SET) ||
        fread(buf, 1, (size_t)fsize, f) != (size_t)fsize) {
        fprintf(stderr, "vcheck: cannot read the last frame\n");
        return 1;
    }
    const unsigned char *y = buf, *u = buf + w * h, *v = u + (w / 2) * (h / 2);
    for (int i = 4; i + 3 < argc; i += 4) {
        long x, yy, bw, bh;
        if (num(argv[i], 0, w - 2, &x) || num(argv[i + 1], 0, h - 2, &yy) ||
            num(argv[i + 2], 2, w - x, &bw) || num(argv[i + 3], 2, h - yy, &bh)) {
            fprintf(stderr, "vcheck: box %d is not inside %ldx%ld\n", (i - 4) / 4, w, h);
            return 2;
        }
        printf("%.0f %.0f %.0f\n", box_mean(y, w, x, yy, bw, bh),
               box_mean(u, w / 2, x / 2, yy / 2, bw / 2, bh / 2),
               box_mean(v, w / 2, x / 2, yy / 2, bw / 2, bh / 2));
    }
    free(buf);
    fclose(f);
    return 0;
}
