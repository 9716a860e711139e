/* Audio mixer: talker selection, sum once, mix-minus per talker, shared mix, soft limiter. */
#include "amix.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "audio_dsp.h"
#include "level.h"

#define GAIN_UNITY_Q14 16384
#define LIMIT_PEAK     32767.0f
#define LIMIT_RELEASE  0.02f /* gain regained per tick: about 1 s from 0 to 1 at 20 ms */

struct limiter {
    float gain;
};

struct input {
    int16_t *buf;
    struct level level;
    float score;
    int gain_q14;
    uint8_t used, muted, ready;
};

struct talker_out {
    int16_t *pcm;
    struct limiter lim;
    unsigned owner; /* input slot; keeps its limiter state while it stays a talker */
    int valid;
};

struct amix {
    struct amix_params p;
    struct audio_dsp dsp;
    struct speaker *spk;
    struct input *in;
    float *scores;
    uint8_t *present;
    int32_t *total, *tmp;
    int16_t *shared;
    struct limiter shared_lim;
    struct talker_out out[SPEAKER_MAX_TALKERS];
};

static void *alloc_frame(size_t bytes)
{
    void *p = mcu_malloc_aligned(32, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void amix_destroy(struct amix **ap)
{
    struct amix *a = *ap;
    if (!a)
        return;
    for (unsigned i = 0; a->in && i < a->p.max_inputs; i++)
        mcu_free_aligned(a->in[i].buf);
    for (unsigned k = 0; k < SPEAKER_MAX_TALKERS; k++)
        mcu_free_aligned(a->out[k].pcm);
    mcu_free_aligned(a->total);
    mcu_free_aligned(a->tmp);
    mcu_free_aligned(a->shared);
    mcu_free(a->in);
    mcu_free(a->scores);
    mcu_free(a->present);
    speaker_destroy(&a->spk);
    mcu_free(a);
    *ap = NULL;
}

static int alloc_buffers(struct amix *a)
{
    size_t n = a->p.frame_samples;
    a->total = alloc_frame(n * sizeof(int32_t));
    a->tmp = alloc_frame(n * sizeof(int32_t));
    a->shared = alloc_frame(n * sizeof(int16_t));
    if (!a->total || !a->tmp || !a->shared)
        return -ENOMEM;
    for (unsigned k = 0; k < a->p.max_talkers; k++) {
        if (!(a->out[k].pcm = alloc_frame(n * sizeof(int16_t))))
            return -ENOMEM;
    }
    for (unsigned i = 0; i < a->p.max_inputs; i++) {
        if (!(a->in[i].buf = alloc_frame(n * sizeof(int16_t))))
            return -ENOMEM;
    }
    return 0;
}

int amix_create(struct amix **out, const struct amix_params *p)
{
    if (!p->max_inputs || !p->frame_samples || p->frame_samples % 16 || !p->max_talkers ||
        p->max_talkers > SPEAKER_MAX_TALKERS)
        return -EINVAL;
    struct amix *a = mcu_calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->p = *p;
    audio_dsp_init(&a->dsp, p->cpu_flags);
    a->shared_lim.gain = 1.0f;
    struct speaker_params sp;
    speaker_params_default(&sp, p->max_inputs);
    sp.max_talkers = p->max_talkers;
    a->in = mcu_calloc(p->max_inputs, sizeof(*a->in));
    a->scores = mcu_calloc(p->max_inputs, sizeof(*a->scores));
    a->present = mcu_calloc(p->max_inputs, 1);
    int err = a->in && a->scores && a->present ? speaker_create(&a->spk, &sp) : -ENOMEM;
    if (!err)
        err = alloc_buffers(a);
    if (err) {
        amix_destroy(&a);
        return err;
    }
    *out = a;
    return 0;
}

int amix_input_add(struct amix *a)
{
    for (unsigned i = 0; i < a->p.max_inputs; i++) {
        struct input *in = &a->in[i];
        if (in->used)
            continue;
        in->used = 1;
        in->muted = 0;
        in->ready = 0;
        in->gain_q14 = GAIN_UNITY_Q14;
        level_init(&in->level);
        speaker_reset_input(a->spk, i);
        return (int)i;
    }
    return -ENOSPC;
}

void amix_input_remove(struct amix *a, unsigned idx)
{
    if (idx >= a->p.max_inputs)
        return;
    a->in[idx].used = 0;
    speaker_reset_input(a->spk, idx);
}

void amix_input_set_gain(struct amix *a, unsigned idx, int gain_q14)
{
    if (idx < a->p.max_inputs)
        a->in[idx].gain_q14 = gain_q14 < 0 ? 0 : gain_q14 > 32767 ? 32767 : gain_q14;
}

void amix_input_set_mute(struct amix *a, unsigned idx, int muted)
{
    if (idx < a->p.max_inputs)
        a->in[idx].muted = muted != 0;
}

int16_t *amix_input_buffer(struct amix *a, unsigned idx)
{
    return idx < a->p.max_inputs ? a->in[idx].buf : NULL;
}

void amix_input_ready(struct amix *a, unsigned idx, int has_audio, int level)
{
    if (idx >= a->p.max_inputs || !a->in[idx].used)
        return;
    struct input *in = &a->in[idx];
    in->ready = has_audio != 0;
    if (level >= 0)
        in->score = level_update_rfc6464(&in->level, level);
    else if (level == AMIX_LEVEL_QUIET)
        in->score = level_update_quiet(&in->level);
    else if (!has_audio)
        in->score = level_update_silent(&in->level);
    else
        in->score =
            level_update_energy(&in->level, a->dsp.energy_s16(in->buf, (int)a->p.frame_samples),
                                (int)a->p.frame_samples);
}

/* Soft limiter: a frame that would overflow is scaled down from its first sample (no clipping);
 * afterwards the gain ramps back toward unity a little each tick. */
static void limit(struct amix *a, struct limiter *l, const int32_t *in, int16_t *out)
{
    int n = (int)a->p.frame_samples;
    uint32_t peak = a->dsp.peak_s32(in, n);
    float need = peak > (uint32_t)LIMIT_PEAK ? LIMIT_PEAK / (float)peak : 1.0f;
    float g1 = l->gain + LIMIT_RELEASE;
    if (g1 > 1.0f)
        g1 = 1.0f;
    if (need < g1)
        g1 = need;
    float g0 = l->gain < g1 ? l->gain : g1;
    a->dsp.scale_sat_s32(out, in, g0, g1, n);
    l->gain = g1;
}

static struct talker_out *talker_slot(struct amix *a, unsigned owner)
{
    struct talker_out *free_slot = NULL;
    for (unsigned k = 0; k < a->p.max_talkers; k++) {
        struct talker_out *o = &a->out[k];
        if (o->valid && o->owner == owner)
            return o;
        if (!o->valid && !free_slot)
            free_slot = o;
    }
    /* speaker guarantees at most max_talkers mixed inputs, and stale slots are released in
     * release_stale(), so a free slot exists. */
    free_slot->valid = 1;
    free_slot->owner = owner;
    free_slot->lim.gain = 1.0f;
    return free_slot;
}

static void release_stale(struct amix *a)
{
    for (unsigned k = 0; k < a->p.max_talkers; k++) {
        if (a->out[k].valid && !speaker_is_mixed(a->spk, a->out[k].owner))
            a->out[k].valid = 0;
    }
}

static int contributes(const struct amix *a, unsigned i)
{
    const struct input *in = &a->in[i];
    return in->used && in->ready && !in->muted && in->gain_q14 > 0;
}

void amix_run(struct amix *a)
{
    unsigned n = a->p.max_inputs;
    int fs = (int)a->p.frame_samples;
    for (unsigned i = 0; i < n; i++) {
        a->present[i] = contributes(a, i);
        a->scores[i] = a->in[i].score;
    }
    speaker_update(a->spk, a->scores, a->present, n);
    release_stale(a);

    const unsigned *talkers;
    unsigned nt = speaker_talkers(a->spk, &talkers);
    memset(a->total, 0, (size_t)fs * sizeof(int32_t));
    for (unsigned k = 0; k < nt; k++) {
        unsigned i = talkers[k];
        if (a->present[i])
            a->dsp.accumulate_s16(a->total, a->in[i].buf, a->in[i].gain_q14, fs);
    }
    limit(a, &a->shared_lim, a->total, a->shared);
    for (unsigned k = 0; k < nt; k++) {
        unsigned i = talkers[k];
        struct talker_out *o = talker_slot(a, i);
        if (a->present[i]) {
            a->dsp.sub_s16(a->tmp, a->total, a->in[i].buf, a->in[i].gain_q14, fs);
            limit(a, &o->lim, a->tmp, o->pcm);
        } else {
            limit(a, &o->lim, a->total, o->pcm);
        }
    }
    for (unsigned i = 0; i < n; i++)
        a->in[i].ready = 0;
}

const int16_t *amix_output(const struct amix *a, unsigned idx)
{
    if (speaker_is_mixed(a->spk, idx)) {
        for (unsigned k = 0; k < a->p.max_talkers; k++) {
            if (a->out[k].valid && a->out[k].owner == idx)
                return a->out[k].pcm;
        }
    }
    return a->shared;
}

const int16_t *amix_shared_output(const struct amix *a)
{
    return a->shared;
}

int amix_is_mixed(const struct amix *a, unsigned idx)
{
    return speaker_is_mixed(a->spk, idx);
}

int amix_is_talking(const struct amix *a, unsigned idx)
{
    return speaker_is_talking(a->spk, idx);
}

unsigned amix_talkers(const struct amix *a, const unsigned **idx)
{
    return speaker_talkers(a->spk, idx);
}

int amix_active_speaker(const struct amix *a)
{
    return speaker_active(a->spk);
}

float amix_input_level_db(const struct amix *a, unsigned idx)
{
    return idx < a->p.max_inputs ? level_db(&a->in[idx].level) : -96.0f;
}
