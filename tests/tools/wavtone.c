/* wavtone: measure how loud given tones are in a 16-bit PCM WAV file (Goertzel filter).
 *
 *   wavtone FILE.wav F1 [F2 ...]           level of each frequency over the active part, dBFS
 *   wavtone --window MS FILE.wav F1 [...]  also the quietest MS-long window of each frequency
 *                                          within the active part (a gap shows up there)
 *
 * The level is measured over the active part: from the first to the last window whose overall
 * level is above -50 dBFS. The quietest window is looked for within the tone's own span (its
 * first to last window above -40 dBFS), so senders starting at different times are not gaps.
 * Output, one line per frequency: "FREQ LEVEL_DB MIN_WINDOW_DB". WAVTONE_DEBUG=1 prints every
 * window to stderr. Exit 1 on an unreadable file. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wav {
    unsigned rate, channels;
    size_t frames;
    float *mono;
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_wav(const char *path, struct wav *w)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    int ok = buf && size > 44 && fread(buf, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    if (!ok || memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4)) {
        free(buf);
        return -1;
    }
    size_t off = 12;
    const uint8_t *data = NULL;
    size_t data_len = 0;
    unsigned bits = 0;
    while (off + 8 <= (size_t)size) {
        uint32_t len = le32(buf + off + 4);
        if (!memcmp(buf + off, "fmt ", 4) && len >= 16) {
            w->channels = buf[off + 10] | buf[off + 11] << 8;
            w->rate = le32(buf + off + 12);
            bits = buf[off + 22] | buf[off + 23] << 8;
        } else if (!memcmp(buf + off, "data", 4)) {
            data = buf + off + 8;
            /* FFmpeg leaves the size unset when it cannot seek back: take what is there. */
            data_len = len && len <= (size_t)size - off - 8 ? len : (size_t)size - off - 8;
            break;
        }
        off += 8 + len + (len & 1);
    }
    if (!data || bits != 16 || !w->channels || !w->rate) {
        free(buf);
        return -1;
    }
    w->frames = data_len / (2 * w->channels);
    w->mono = malloc((w->frames ? w->frames : 1) * sizeof(float));
    for (size_t i = 0; i < w->frames; i++) {
        float acc = 0;
        for (unsigned c = 0; c < w->channels; c++) {
            const uint8_t *s = data + 2 * (i * w->channels + c);
            acc += (float)(int16_t)(s[0] | s[1] << 8) / 32768.0f;
        }
        w->mono[i] = acc / (float)w->channels;
    }
    free(buf);
    return 0;
}

/* Amplitude of `freq` in x[0..n), as dBFS of a sine of that amplitude. */
static double goertzel_db(const float *x, size_t n, unsigned rate, double freq)
{
    double k = 2.0 * cos(2.0 * M_PI * freq / rate), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - k * s1 * s2;
    double amp = 2.0 * sqrt(power > 0 ? power : 0) / (double)n;
    return 20.0 * log10(amp + 1e-9);
}

static double rms_db(const float *x, size_t n)
{
    double acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += (double)x[i] * x[i];
    return 10.0 * log10(acc / (double)(n ? n : 1) + 1e-12) + 3.01; /* sine-referenced */
}

int main(int argc, char **argv)
{
    unsigned window_ms = 100;
    int a = 1;
    if (a + 1 < argc && !strcmp(argv[a], "--window")) {
        window_ms = (unsigned)atoi(argv[a + 1]);
        a += 2;
    }
    if (argc - a < 2 || !window_ms) {
        fprintf(stderr, "usage: wavtone [--window MS] FILE.wav FREQ [FREQ ...]\n");
        return 2;
    }
    struct wav w;
    memset(&w, 0, sizeof(w));
    if (read_wav(argv[a], &w)) {
        fprintf(stderr, "wavtone: %s: not a readable 16-bit PCM WAV file\n", argv[a]);
        return 1;
    }
    size_t win = (size_t)w.rate * window_ms / 1000, nwin = win ? w.frames / win : 0;
    size_t first = nwin, last = 0;
    for (size_t i = 0; i < nwin; i++) {
        if (rms_db(w.mono + i * win, win) > -50.0) {
            if (first == nwin)
                first = i;
            last = i;
        }
    }
    for (int f = a + 1; f < argc; f++) {
        double freq = atof(argv[f]), level = -200, min_win = -200;
        if (first < nwin) {
            level = goertzel_db(w.mono + first * win, (last - first + 1) * win, w.rate, freq);
            /* Gaps are looked for within this tone's own span (its first to last window above
             * -40 dBFS), so a sender that starts later than another is not a gap. */
            size_t t0 = nwin, t1 = 0;
            for (size_t i = first; i <= last; i++) {
                if (goertzel_db(w.mono + i * win, win, w.rate, freq) > -40.0) {
                    if (t0 == nwin)
                        t0 = i;
                    t1 = i;
                }
            }
            min_win = t0 < nwin ? 200 : -200;
            for (size_t i = t0; t0 < nwin && i <= t1; i++) {
                double d = goertzel_db(w.mono + i * win, win, w.rate, freq);
                if (getenv("WAVTONE_DEBUG"))
                    fprintf(stderr, "%g Hz window %zu: %.1f\n", freq, i, d);
                if (d < min_win)
                    min_win = d;
            }
        }
        printf("%g %.1f %.1f\n", freq, level, min_win);
    }
    free(w.mono);
    return 0;
}
