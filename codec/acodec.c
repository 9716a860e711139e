/* Audio codec lookup and the encoder/decoder objects that own one codec's private state. */
#include "acodec.h"

#include <errno.h>
#include <strings.h>

#include "alloc.h"

/* The codec's private state follows the header in the same allocation; max_align_t keeps it
 * aligned for whatever the wrapper stores there (pointers, int64, double). */
struct aenc {
    const struct acodec *codec;
    max_align_t priv[];
};

struct adec {
    const struct acodec *codec;
    max_align_t priv[];
};

static const struct acodec *const codecs[] = {&acodec_opus, &acodec_pcmu, &acodec_pcma};

const struct acodec *acodec_find(const char *name)
{
    if (!name)
        return NULL;
    /* SDP names ("opus", "PCMU") and our short names differ only in case, so one compare covers
     * both. */
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (strcasecmp(codecs[i]->name, name) == 0)
            return codecs[i];
    return NULL;
}

int aenc_create(struct aenc **out, const struct acodec *c, const struct acodec_enc_params *p)
{
    /* NULL params mean every default; complexity's default is -1, not 0, hence the struct. */
    static const struct acodec_enc_params defaults = {.complexity = -1};
    if (!out || !c)
        return -EINVAL;
    *out = NULL;
    struct aenc *e = mcu_calloc(1, sizeof(*e) + c->enc_priv_size);
    if (!e)
        return -ENOMEM;
    e->codec = c;
    int err = c->enc_open(e->priv, p ? p : &defaults);
    if (err < 0) {
        /* enc_open unwinds its own partial state (acodec.h), so only our block is left. */
        mcu_free(e);
        return err;
    }
    *out = e;
    return 0;
}

void aenc_destroy(struct aenc **ep)
{
    if (!ep || !*ep)
        return;
    struct aenc *e = *ep;
    e->codec->enc_close(e->priv);
    mcu_free(e);
    *ep = NULL;
}

int aenc_encode(struct aenc *e, const int16_t *pcm, int samples, uint8_t *out, size_t cap)
{
    if (!e || !pcm || samples <= 0 || !out)
        return -EINVAL;
    return e->codec->encode(e->priv, pcm, samples, out, cap);
}

void aenc_set_voices(struct aenc *e, unsigned voices)
{
    if (e && e->codec->enc_voices)
        e->codec->enc_voices(e->priv, voices);
}

const struct acodec *aenc_codec(const struct aenc *e)
{
    return e ? e->codec : NULL;
}

int adec_create(struct adec **out, const struct acodec *c)
{
    if (!out || !c)
        return -EINVAL;
    *out = NULL;
    struct adec *d = mcu_calloc(1, sizeof(*d) + c->dec_priv_size);
    if (!d)
        return -ENOMEM;
    d->codec = c;
    int err = c->dec_open(d->priv);
    if (err < 0) {
        mcu_free(d);
        return err;
    }
    *out = d;
    return 0;
}

void adec_destroy(struct adec **dp)
{
    if (!dp || !*dp)
        return;
    struct adec *d = *dp;
    d->codec->dec_close(d->priv);
    mcu_free(d);
    *dp = NULL;
}

int adec_decode(struct adec *d, const uint8_t *pkt, size_t len, int16_t *pcm, int samples, int fec)
{
    if (!d || !pkt || !pcm || samples <= 0)
        return -EINVAL;
    /* No payload format allows an empty packet; libopus would quietly conceal one instead, which
     * would hide a broken sender. A real loss goes through adec_plc. */
    if (len == 0)
        return -EBADMSG;
    return d->codec->decode(d->priv, pkt, len, pcm, samples, fec ? 1 : 0);
}

int adec_plc(struct adec *d, int16_t *pcm, int samples)
{
    if (!d || !pcm || samples <= 0)
        return -EINVAL;
    return d->codec->plc(d->priv, pcm, samples);
}

const struct acodec *adec_codec(const struct adec *d)
{
    return d ? d->codec : NULL;
}

int acodec_activity(const struct acodec *c, const uint8_t *pkt, size_t len)
{
    if (!c || !c->activity)
        return -ENOTSUP;
    return c->activity(pkt, len);
}
