/* Histograms, CPU meters and the capacity verdict for the load generator. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loadgen.h"

int lg_hist_init(struct lg_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->bins = calloc(LG_HIST_BINS, sizeof(*h->bins));
    return h->bins ? 0 : -ENOMEM;
}

void lg_hist_free(struct lg_hist *h)
{
    free(h->bins);
    memset(h, 0, sizeof(*h));
}

void lg_hist_add(struct lg_hist *h, double ms)
{
    if (ms < 0)
        ms = 0;
    long b = (long)(ms * 10 + 0.5);
    if (b >= LG_HIST_BINS)
        b = LG_HIST_BINS - 1;
    h->bins[b]++;
    h->count++;
    h->sum_ms += ms;
    if (ms > h->max_ms)
        h->max_ms = ms;
}

double lg_hist_pct(const struct lg_hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t want = (uint64_t)(q * (double)(h->count - 1)) + 1, seen = 0;
    for (long b = 0; b < LG_HIST_BINS; b++) {
        seen += h->bins[b];
        if (seen >= want)
            return b == LG_HIST_BINS - 1 ? h->max_ms : (double)b / 10;
    }
    return h->max_ms;
}

double lg_proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: fields restart after the
     * last ')'. utime and stime are fields 14 and 15. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (double)(ut + st) / (double)(hz > 0 ? hz : 100);
}

double lg_self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

void lg_verdict(const struct lg_run_cfg *c, struct lg_run_result *res)
{
    res->pass = 1;
    char *why = res->why;
    size_t cap = sizeof(res->why);
    why[0] = '\0';
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        size_t used = strlen(why);                                                                 \
        snprintf(why + used, cap - used, __VA_ARGS__);                                             \
        res->pass = 0;                                                                             \
    } while (0)
    if (c->idle)
        return;
    if (res->below_49)
        FAIL("%u under 49 pkt/s; ", res->below_49);
    if (res->ia_p99 >= 30)
        FAIL("p99 gap %.1f ms; ", res->ia_p99);
    if (res->overruns > 0)
        FAIL("%.0f tick overruns; ", res->overruns);
    /* Video: what a viewer needs to see motion (25 of the canvas's 30 frames a second, no
     * freeze a viewer notices), every receiver, counting only frames that arrived whole. */
    if (res->video && res->vbelow_25)
        FAIL("%u under 25 frames/s; ", res->vbelow_25);
    if (res->video && res->vgap_p99 >= 100)
        FAIL("p99 frame gap %.0f ms; ", res->vgap_p99);
    if (res->server_cpu_pct > 95)
        FAIL("server CPU %.0f %%; ", res->server_cpu_pct);
    if (res->gen_limited && res->gen_cpu_pct > 90)
        FAIL("generator CPU %.0f %%; ", res->gen_cpu_pct);
    else if (res->gen_limited)
        FAIL("%.1f %% of sends 10 ms late (max %.0f ms)%s; ", res->send_late_pct,
             res->send_late_max_ms,
             res->overruns > 0 && res->server_cpu_pct >= 0 && res->server_cpu_pct < 90
                 ? " and server overruns under 90 % CPU: a stall of the machine?"
                 : "");
#undef FAIL
}
