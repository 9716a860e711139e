/* The sender's own voice-activity decision, read out of an Opus packet without decoding it.
 *
 * An Opus packet whose first frame has a SILK layer (SILK-only or hybrid mode: every VoIP-mode
 * encoder below ~40 kbit/s, browsers included) begins that layer with one VAD flag per SILK
 * frame, range coded at probability 1/2 (RFC 6716 4.2.3). Reading them costs a few dozen
 * instructions, against tens of microseconds for a decode, so a mixer can leave the packets of
 * quiet participants undecoded and still see the moment one starts to talk.
 * Pure: no state, no allocation; every byte read is bounds-checked (fuzz_opus_vad). */
#ifndef MCU_OPUS_VAD_H
#define MCU_OPUS_VAD_H

#include <stddef.h>
#include <stdint.h>

/* 1: some SILK frame of the packet's first Opus frame is flagged active; 0: none is, or the
 * frame is empty (DTX); -ENOTSUP: CELT-only, which has no flag (the caller must decode to
 * know); -EBADMSG: not a well-formed Opus packet (too short, or frame lengths past its end). */
int opus_vad(const uint8_t *pkt, size_t len);

#endif
