/* Video codec lookup, parameter checks, and the encoder/decoder objects that own one codec's
 * private state; the decoder's wait-for-keyframe rule lives here, the same for every codec. */
#include "vcodec.h"

#include <errno.h>
#include <strings.h>

#include "alloc.h"

#define MIN_DIM         16
#define MIN_FPS         1
#define MAX_FPS         60
#define MIN_KBPS        50
#define MAX_KBPS        20000
#define MAX_THREADS     16
#define DEFAULT_KEY_SEC 10 /* keyint 0: a keyframe at least this often */

/* The codec's private state follows the header in the same allocation; max_align_t keeps it
 * aligned for whatever the wrapper stores there. */
struct venc {
    const struct vcodec *codec;
    struct venc_params p; /* with defaults filled in */
    max_align_t priv[];
};

struct vdec {
    const struct vcodec *codec;
    int need_key;
    max_align_t priv[];
};

static const struct {
    const char *name;
    enum vcodec_id id;
} names[] = {{"vp8", VCODEC_VP8}, {"h264", VCODEC_H264}};

int vcodec_parse(const char *name, enum vcodec_id *id)
{
    if (!name || !id)
        return -EINVAL;
    /* The SDP names ("VP8", "H264") and ours differ only in case. */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(names[i].name, name) == 0) {
            *id = names[i].id;
            return 0;
        }
    }
    return -EINVAL;
}

const struct vcodec *vcodec_get(enum vcodec_id id)
{
    switch (id) {
    case VCODEC_VP8:
        return &vcodec_vp8;
    case VCODEC_H264:
        return &vcodec_h264;
    }
    return NULL;
}

const char *vcodec_sdp_name(enum vcodec_id id)
{
    const struct vcodec *c = vcodec_get(id);
    return c ? c->name : NULL;
}

static int in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

/* Check p and fill in its defaults. */
static int params_resolve(const struct venc_params *p, struct venc_params *out)
{
    if (!in_range(p->width, MIN_DIM, VFRAME_MAX_DIM) || p->width % 2 ||
        !in_range(p->height, MIN_DIM, VFRAME_MAX_DIM) || p->height % 2 ||
        !in_range(p->fps, MIN_FPS, MAX_FPS) || !in_range(p->bitrate_kbps, MIN_KBPS, MAX_KBPS) ||
        p->keyint < 0 || !in_range(p->threads, 0, MAX_THREADS))
        return -EINVAL;
    *out = *p;
    if (out->keyint == 0)
        out->keyint = DEFAULT_KEY_SEC * out->fps;
    if (out->threads == 0)
        out->threads = 1;
    return 0;
}

int venc_create(struct venc **out, enum vcodec_id id, const struct venc_params *p)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    const struct vcodec *c = vcodec_get(id);
    struct venc_params rp;
    if (!c || !p || params_resolve(p, &rp) < 0)
        return -EINVAL;
    struct venc *e = mcu_calloc(1, sizeof(*e) + c->enc_priv_size);
    if (!e)
        return -ENOMEM;
    e->codec = c;
    e->p = rp;
    int err = c->enc_open(e->priv, &rp);
    if (err < 0) {
        /* enc_open unwinds its own partial state (vcodec.h), so only our block is left. */
        mcu_free(e);
        return err;
    }
    *out = e;
    return 0;
}

void venc_destroy(struct venc **ep)
{
    if (!ep || !*ep)
        return;
    struct venc *e = *ep;
    e->codec->enc_close(e->priv);
    mcu_free(e);
    *ep = NULL;
}

static int picture_ok(const struct vframe *pic, int w, int h)
{
    if (pic->w != w || pic->h != h)
        return 0;
    const int pw[3] = {w, vframe_chroma_w(w), vframe_chroma_w(w)};
    for (int i = 0; i < 3; i++)
        if (!pic->data[i] || pic->stride[i] < pw[i])
            return 0;
    return 1;
}

int venc_encode(struct venc *e, const struct vframe *pic, int64_t pts, int force_key,
                struct venc_frame *out)
{
    if (!e || !pic || !out || !picture_ok(pic, e->p.width, e->p.height))
        return -EINVAL;
    out->data = NULL;
    out->len = 0;
    out->keyframe = 0;
    return e->codec->encode(e->priv, pic, pts, force_key ? 1 : 0, out);
}

int venc_set_bitrate(struct venc *e, int kbps)
{
    if (!e || !in_range(kbps, MIN_KBPS, MAX_KBPS))
        return -EINVAL;
    int err = e->codec->set_bitrate(e->priv, kbps);
    if (err == 0)
        e->p.bitrate_kbps = kbps;
    return err;
}

enum vcodec_id venc_codec(const struct venc *e)
{
    return e->codec->id;
}

int vdec_create(struct vdec **out, enum vcodec_id id)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    const struct vcodec *c = vcodec_get(id);
    if (!c)
        return -EINVAL;
    struct vdec *d = mcu_calloc(1, sizeof(*d) + c->dec_priv_size);
    if (!d)
        return -ENOMEM;
    d->codec = c;
    d->need_key = 1;
    int err = c->dec_open(d->priv);
    if (err < 0) {
        mcu_free(d);
        return err;
    }
    *out = d;
    return 0;
}

void vdec_destroy(struct vdec **dp)
{
    if (!dp || !*dp)
        return;
    struct vdec *d = *dp;
    d->codec->dec_close(d->priv);
    mcu_free(d);
    *dp = NULL;
}

int vdec_decode(struct vdec *d, const uint8_t *data, size_t len, struct vframe *pic)
{
    if (!d || !data || !pic)
        return -EINVAL;
    /* No payload format carries an empty frame, and libvpx reads a NULL/0 frame as "flush". */
    if (len == 0)
        return -EBADMSG;
    int kind = d->codec->probe(data, len);
    if (kind < 0) {
        /* The frame is lost to us, so whatever refers to it would decode wrong. */
        d->need_key = 1;
        return kind;
    }
    if (d->need_key && kind != VCODEC_PROBE_KEY)
        return 0;
    int ret = d->codec->decode(d->priv, data, len, pic);
    if (ret == -EBADMSG || ret == -ENOTSUP)
        d->need_key = 1;
    else if (ret == 1 && kind == VCODEC_PROBE_KEY)
        d->need_key = 0;
    return ret;
}

int vdec_waiting_keyframe(const struct vdec *d)
{
    return d->need_key;
}

enum vcodec_id vdec_codec(const struct vdec *d)
{
    return d->codec->id;
}
