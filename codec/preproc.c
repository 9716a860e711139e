/* SpeexDSP wrappers: a resampler (speex_resampler) and a denoise/AGC preprocessor. */
#include "preproc.h"

#include <errno.h>
#include <limits.h>
#include <speex/speex_preprocess.h>
#include <speex/speex_resampler.h>

#include "alloc.h"

#define MIN_RATE 8000
#define MAX_RATE 192000

struct resampler {
    SpeexResamplerState *st;
    uint32_t in_rate, out_rate;
};

struct preproc {
    SpeexPreprocessState *st;
};

static int resampler_err(int err)
{
    switch (err) {
    case RESAMPLER_ERR_SUCCESS:
        return 0;
    case RESAMPLER_ERR_ALLOC_FAILED:
        return -ENOMEM;
    case RESAMPLER_ERR_INVALID_ARG:
    case RESAMPLER_ERR_PTR_OVERLAP:
        return -EINVAL;
    case RESAMPLER_ERR_OVERFLOW:
        return -EOVERFLOW;
    default:
        return -EIO;
    }
}

static int rate_ok(uint32_t rate)
{
    return rate >= MIN_RATE && rate <= MAX_RATE;
}

int resampler_create(struct resampler **out, uint32_t in_rate, uint32_t out_rate, int quality)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!rate_ok(in_rate) || !rate_ok(out_rate) || quality < SPEEX_RESAMPLER_QUALITY_MIN ||
        quality > SPEEX_RESAMPLER_QUALITY_MAX)
        return -EINVAL;
    struct resampler *r = mcu_calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    int err = RESAMPLER_ERR_SUCCESS;
    r->st = speex_resampler_init(1, in_rate, out_rate, quality, &err);
    if (!r->st) {
        mcu_free(r);
        /* SpeexDSP allocates with plain calloc and may report a failure as success. */
        return err != RESAMPLER_ERR_SUCCESS ? resampler_err(err) : -ENOMEM;
    }
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    *out = r;
    return 0;
}

void resampler_destroy(struct resampler **rp)
{
    if (!rp || !*rp)
        return;
    speex_resampler_destroy((*rp)->st);
    mcu_free(*rp);
    *rp = NULL;
}

int resampler_process(struct resampler *r, const int16_t *in, int in_samples, int16_t *out,
                      int out_cap)
{
    if (!r || !in || !out || in_samples <= 0 || out_cap <= 0)
        return -EINVAL;
    /* One call yields floor or ceil of in * out_rate / in_rate samples, so refusing a smaller
     * buffer up front keeps the resampler's state untouched instead of half-consuming the
     * frame. */
    uint64_t need = ((uint64_t)in_samples * r->out_rate + r->in_rate - 1) / r->in_rate;
    if (need > (uint64_t)out_cap)
        return -ENOBUFS;
    spx_uint32_t in_len = (spx_uint32_t)in_samples;
    spx_uint32_t out_len = (spx_uint32_t)out_cap;
    int err = speex_resampler_process_int(r->st, 0, in, &in_len, out, &out_len);
    if (err != RESAMPLER_ERR_SUCCESS)
        return resampler_err(err);
    if (in_len != (spx_uint32_t)in_samples)
        return -ENOBUFS; /* not expected after the check above; never report a partial frame */
    return (int)out_len;
}

/* speex_preprocess_ctl takes a pointer: to int for the switches, to float for the AGC level
 * (Debian ships the float build; a fixed-point build has no AGC and refuses the request). */
static int ctl_int(SpeexPreprocessState *st, int request, int value)
{
    return speex_preprocess_ctl(st, request, &value) == 0 ? 0 : -ENOTSUP;
}

static int preproc_configure(SpeexPreprocessState *st, const struct preproc_params *p)
{
    int err = ctl_int(st, SPEEX_PREPROCESS_SET_DENOISE, p->denoise ? 1 : 0);
    if (!err)
        err = ctl_int(st, SPEEX_PREPROCESS_SET_AGC, p->agc ? 1 : 0);
    if (!err && p->agc && p->agc_level > 0) {
        float level = (float)p->agc_level;
        if (speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level) != 0)
            err = -ENOTSUP;
    }
    /* The VAD stays at its default, off: talker selection does not use it (DESIGN.md), and
     * SPEEX_PREPROCESS_SET_VAD prints a warning to stderr, which codec/ must not do. */
    if (!err)
        err = ctl_int(st, SPEEX_PREPROCESS_SET_DEREVERB, 0);
    return err;
}

int preproc_create(struct preproc **out, const struct preproc_params *p)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    /* Frames from 2.5 to 100 ms. SpeexDSP runs its FFT on two frames at once, so a whole 20 ms
     * frame (960 at 48 kHz, FFT 1920 = 2^7 * 3 * 5) goes through in one call: no sub-frames. */
    if (!p || !rate_ok(p->rate) || p->frame_samples < (int)(p->rate / 400) ||
        p->frame_samples > (int)(p->rate / 10) || p->agc_level < 0 || p->agc_level > 32768)
        return -EINVAL;
    struct preproc *pp = mcu_calloc(1, sizeof(*pp));
    if (!pp)
        return -ENOMEM;
    pp->st = speex_preprocess_state_init(p->frame_samples, (int)p->rate);
    if (!pp->st) {
        mcu_free(pp);
        return -ENOMEM;
    }
    int err = preproc_configure(pp->st, p);
    if (err < 0) {
        preproc_destroy(&pp);
        return err;
    }
    *out = pp;
    return 0;
}

void preproc_destroy(struct preproc **pp)
{
    if (!pp || !*pp)
        return;
    speex_preprocess_state_destroy((*pp)->st);
    mcu_free(*pp);
    *pp = NULL;
}

int preproc_run(struct preproc *p, int16_t *frame)
{
    if (!p || !frame)
        return -EINVAL;
    /* The return value is the VAD decision, which we switched off. */
    (void)speex_preprocess_run(p->st, frame);
    return 0;
}
