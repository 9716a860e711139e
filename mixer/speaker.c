/* Talker selection with hysteresis. */
#include "speaker.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"

struct input_state {
    float score;
    uint16_t quiet_frames; /* consecutive frames under off_db while talking */
    uint8_t talking;
    uint8_t mixed;
};

struct speaker {
    struct speaker_params p;
    struct input_state *in;
    unsigned talkers[SPEAKER_MAX_TALKERS];
    unsigned ntalkers;
    int active;
    int challenger;
    unsigned challenger_frames;
};

void speaker_params_default(struct speaker_params *p, unsigned max_inputs)
{
    p->max_inputs = max_inputs;
    p->max_talkers = 3;
    p->on_db = 12.0f;
    p->off_db = 6.0f;
    p->hangover_frames = 20;
    p->switch_margin_db = 6.0f;
    p->speaker_hold_frames = 15;
}

int speaker_create(struct speaker **out, const struct speaker_params *p)
{
    if (!p->max_inputs || !p->max_talkers || p->max_talkers > SPEAKER_MAX_TALKERS)
        return -EINVAL;
    struct speaker *s = mcu_calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->in = mcu_calloc(p->max_inputs, sizeof(*s->in));
    if (!s->in) {
        mcu_free(s);
        return -ENOMEM;
    }
    s->p = *p;
    s->active = -1;
    s->challenger = -1;
    *out = s;
    return 0;
}

void speaker_destroy(struct speaker **sp)
{
    struct speaker *s = *sp;
    if (!s)
        return;
    mcu_free(s->in);
    mcu_free(s);
    *sp = NULL;
}

static void drop_talker(struct speaker *s, unsigned k)
{
    s->in[s->talkers[k]].mixed = 0;
    s->talkers[k] = s->talkers[--s->ntalkers];
}

void speaker_reset_input(struct speaker *s, unsigned idx)
{
    if (idx >= s->p.max_inputs)
        return;
    for (unsigned k = 0; k < s->ntalkers; k++) {
        if (s->talkers[k] == idx) {
            drop_talker(s, k);
            break;
        }
    }
    memset(&s->in[idx], 0, sizeof(s->in[idx]));
    if (s->active == (int)idx)
        s->active = -1;
    if (s->challenger == (int)idx)
        s->challenger = -1;
}

/* Hysteresis per input: start above on_db; stop after hangover frames under off_db. */
static void update_talking(struct speaker *s, struct input_state *in, float score, int present)
{
    in->score = present ? score : 0;
    if (!in->talking) {
        in->talking = present && score >= s->p.on_db;
        in->quiet_frames = 0;
        return;
    }
    if (present && score >= s->p.off_db) {
        in->quiet_frames = 0;
        return;
    }
    if (++in->quiet_frames > s->p.hangover_frames)
        in->talking = 0;
}

static unsigned weakest_talker(const struct speaker *s)
{
    unsigned w = 0;
    for (unsigned k = 1; k < s->ntalkers; k++) {
        if (s->in[s->talkers[k]].score < s->in[s->talkers[w]].score)
            w = k;
    }
    return w;
}

/* Fill free slots with the loudest candidates; a full set changes only when a candidate beats
 * the weakest member by the margin. */
static void select_talkers(struct speaker *s, unsigned n)
{
    for (unsigned k = 0; k < s->ntalkers;) {
        if (!s->in[s->talkers[k]].talking)
            drop_talker(s, k);
        else
            k++;
    }
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < n; i++) {
            const struct input_state *in = &s->in[i];
            if (in->talking && !in->mixed && (best < 0 || in->score > s->in[best].score))
                best = (int)i;
        }
        if (best < 0)
            return;
        if (s->ntalkers < s->p.max_talkers) {
            s->talkers[s->ntalkers++] = (unsigned)best;
            s->in[best].mixed = 1;
            continue;
        }
        unsigned w = weakest_talker(s);
        if (s->in[best].score < s->in[s->talkers[w]].score + s->p.switch_margin_db)
            return;
        s->in[s->talkers[w]].mixed = 0;
        s->talkers[w] = (unsigned)best;
        s->in[best].mixed = 1;
    }
}

static void select_active(struct speaker *s)
{
    int loudest = -1;
    for (unsigned k = 0; k < s->ntalkers; k++) {
        unsigned i = s->talkers[k];
        if (loudest < 0 || s->in[i].score > s->in[loudest].score)
            loudest = (int)i;
    }
    if (s->active >= 0 && !s->in[s->active].mixed)
        s->active = -1;
    if (s->active < 0 || loudest < 0 || loudest == s->active) {
        if (s->active < 0)
            s->active = loudest;
        s->challenger = -1;
        s->challenger_frames = 0;
        return;
    }
    if (loudest != s->challenger) {
        s->challenger = loudest;
        s->challenger_frames = 0;
    }
    if (++s->challenger_frames >= s->p.speaker_hold_frames) {
        s->active = loudest;
        s->challenger = -1;
        s->challenger_frames = 0;
    }
}

void speaker_update(struct speaker *s, const float *score, const uint8_t *present, unsigned n)
{
    if (n > s->p.max_inputs)
        n = s->p.max_inputs;
    for (unsigned i = 0; i < n; i++)
        update_talking(s, &s->in[i], score[i], present[i]);
    select_talkers(s, n);
    select_active(s);
}

unsigned speaker_talkers(const struct speaker *s, const unsigned **idx)
{
    *idx = s->talkers;
    return s->ntalkers;
}

int speaker_is_mixed(const struct speaker *s, unsigned idx)
{
    return idx < s->p.max_inputs && s->in[idx].mixed;
}

int speaker_is_talking(const struct speaker *s, unsigned idx)
{
    return idx < s->p.max_inputs && s->in[idx].talking;
}

int speaker_active(const struct speaker *s)
{
    return s->active;
}
