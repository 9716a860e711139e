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
 * window to stderr. Exit 1 on an unreadable file.
 *
 *   wavtone --window MS --report [--threshold DB] FILE.wav F1 [...]
 *
 * adds, per frequency, within the tone's span: "WINDOWS AUDIBLE AUDIBLE_PCT SNR_DB MEDIAN_SNR_DB
 * MIN_SNR_DB": how many windows the span has, how many of them hold the tone above DB (default
 * -40 dBFS; the span is also found with it), and the tone's power against the rest of the
 * signal: the rest is the window's power minus every listed tone's, so other participants'
 * tones are not noise, but concealment artefacts, clicks, coding noise and gaps are. SNR_DB is
 * over the span (tone energy / rest energy: a few bad windows weigh on it), MEDIAN_SNR_DB the
 * typical window's, MIN_SNR_DB the worst window's; all three leave out the span's first and
 * last windows, where the tone starts and stops. Pick frequencies with a whole number of cycles
 * per window (multiples of 10 Hz for 100 ms): the others leak into the rest. */
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

/* Amplitude of `freq` in x[0..n) (1.0 = full scale). */
static double goertzel_amp(const float *x, size_t n, unsigned rate, double freq)
{
    double k = 2.0 * cos(2.0 * M_PI * freq / rate), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - k * s1 * s2;
    return 2.0 * sqrt(power > 0 ? power : 0) / (double)(n ? n : 1);
}

/* The same as dBFS of a sine of that amplitude. */
static double goertzel_db(const float *x, size_t n, unsigned rate, double freq)
{
    return 20.0 * log10(goertzel_amp(x, n, rate, freq) + 1e-9);
}

static double mean_square(const float *x, size_t n)
{
    double acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += (double)x[i] * x[i];
    return acc / (double)(n ? n : 1);
}

static double rms_db(const float *x, size_t n)
{
    return 10.0 * log10(mean_square(x, n) + 1e-12) + 3.01; /* sine-referenced */
}

struct report {
    size_t windows, audible;
    double snr_db, median_snr_db, min_snr_db;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Tone `f`'s power and the rest's (everything but the listed tones) in one window. */
static void window_powers(const struct wav *w, const float *x, size_t win, const double *freqs,
                          int nf, int f, double *mine, double *rest)
{
    double all = mean_square(x, win), tones = 0;
    *mine = 0;
    for (int k = 0; k < nf; k++) {
        double a = goertzel_amp(x, win, w->rate, freqs[k]);
        tones += a * a / 2; /* a sine of amplitude a has power a^2 / 2 */
        if (k == f)
            *mine = a * a / 2;
    }
    /* Rounding can leave the rest a hair below zero on a clean tone: floor it at -120 dB
     * below full scale so a perfect window reads as a large, finite figure. */
    *rest = all - tones > 1e-12 ? all - tones : 1e-12;
}

/* Audible windows and signal-to-noise of tone `f` (of freqs[0..nf)) in windows t0..t1. The
 * SNR leaves out the span's first and last windows: the tone starts and stops inside them, and
 * a partial sine is not a sine of that window's length (its edges would count as noise). */
static int tone_report(const struct wav *w, size_t win, size_t t0, size_t t1, double thr_db,
                       const double *freqs, int nf, int f, struct report *r)
{
    double tone_e = 0, rest_e = 0;
    size_t n = 0;
    double *snrs = malloc((t1 - t0 + 1) * sizeof(double));
    if (!snrs)
        return -1;
    *r = (struct report){t1 - t0 + 1, 0, -200, -200, 200};
    for (size_t i = t0; i <= t1; i++) {
        double mine, rest;
        window_powers(w, w->mono + i * win, win, freqs, nf, f, &mine, &rest);
        if (20.0 * log10(sqrt(2 * mine) + 1e-9) > thr_db)
            r->audible++;
        double snr = 10.0 * log10((mine + 1e-15) / rest);
        if (getenv("WAVTONE_DEBUG"))
            fprintf(stderr, "%g Hz window %zu: snr %.1f rest %.1f dBFS\n", freqs[f], i, snr,
                    10.0 * log10(rest) + 3.01);
        if (i == t0 || i == t1)
            continue;
        snrs[n++] = snr;
        if (snr < r->min_snr_db)
            r->min_snr_db = snr;
        tone_e += mine;
        rest_e += rest;
    }
    if (n) {
        r->snr_db = 10.0 * log10((tone_e + 1e-15) / (rest_e + 1e-15));
        qsort(snrs, n, sizeof(double), cmp_double);
        r->median_snr_db = n & 1 ? snrs[n / 2] : (snrs[n / 2 - 1] + snrs[n / 2]) / 2;
    } else {
        r->min_snr_db = -200;
    }
    free(snrs);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned window_ms = 100;
    int a = 1, report = 0;
    double thr_db = -40.0;
    for (int k = 0; k < 3; k++) { /* options, in any order, each at most once in effect */
        if (a + 1 < argc && !strcmp(argv[a], "--window")) {
            window_ms = (unsigned)atoi(argv[a + 1]);
            a += 2;
        } else if (a + 1 < argc && !strcmp(argv[a], "--threshold")) {
            thr_db = atof(argv[a + 1]);
            a += 2;
        } else if (a < argc && !strcmp(argv[a], "--report")) {
            report = 1;
            a++;
        }
    }
    if (argc - a < 2 || !window_ms || argc - a - 1 > 64) {
        fprintf(stderr, "usage: wavtone [--window MS] [--report [--threshold DB]] FILE.wav FREQ "
                        "[FREQ ...] (at most 64)\n");
        return 2;
    }
    struct wav w;
    memset(&w, 0, sizeof(w));
    if (read_wav(argv[a], &w)) {
        fprintf(stderr, "wavtone: %s: not a readable 16-bit PCM WAV file\n", argv[a]);
        return 1;
    }
    double freqs[64];
    int nf = argc - a - 1;
    for (int f = 0; f < nf; f++)
        freqs[f] = atof(argv[a + 1 + f]);
    size_t win = (size_t)w.rate * window_ms / 1000, nwin = win ? w.frames / win : 0;
    size_t first = nwin, last = 0;
    for (size_t i = 0; i < nwin; i++) {
        if (rms_db(w.mono + i * win, win) > -50.0) {
            if (first == nwin)
                first = i;
            last = i;
        }
    }
    for (int f = 0; f < nf; f++) {
        double freq = freqs[f], level = -200, min_win = -200;
        struct report rep = {0, 0, -200, -200, -200};
        if (first < nwin) {
            level = goertzel_db(w.mono + first * win, (last - first + 1) * win, w.rate, freq);
            /* Gaps are looked for within this tone's own span (its first to last window above
             * the threshold), so a sender that starts later than another is not a gap. */
            size_t t0 = nwin, t1 = 0;
            for (size_t i = first; i <= last; i++) {
                if (goertzel_db(w.mono + i * win, win, w.rate, freq) > thr_db) {
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
            if (report && t0 < nwin && tone_report(&w, win, t0, t1, thr_db, freqs, nf, f, &rep)) {
                fprintf(stderr, "wavtone: out of memory\n");
                return 1;
            }
        }
        if (report)
            printf("%g %.1f %.1f %zu %zu %.2f %.1f %.1f %.1f\n", freq, level, min_win, rep.windows,
                   rep.audible,
                   rep.windows ? 100.0 * (double)rep.audible / (double)rep.windows : 0.0,
                   rep.snr_db, rep.median_snr_db, rep.min_snr_db);
        else
            printf("%g %.1f %.1f\n", freq, level, min_win);
    }
    free(w.mono);
    return 0;
}
