/*
 * Stand-ins for the libavcodec and libavformat functions that libemoscope.a
 * references, for vg_analyze only (see there why it must not load those
 * libraries). The objects that call them (file decoding in video/ and
 * emotion/image.c, the remote API's JPEG encoder in emotion/api.c) are
 * linked in by the static archive but never reached by vg_analyze's
 * analysis of raw frames. Should a change make the analysis call one of
 * them, the program stops at once with the function's name instead of
 * silently taking an error path; the clean-up calls accept the NULL
 * pointers of objects never created, as FFmpeg's own do.
 *
 * FFmpeg's headers are included so that the compiler checks each
 * signature against the real one.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

static void unavailable(const char *fn)
{
    fprintf(stderr, "vg_analyze: %s called, but this memcheck build links no FFmpeg codec\n", fn);
    abort();
}

#define NOCODEC(ret, name, args) \
    ret name args                \
    {                            \
        unavailable(#name);      \
        return 0;                \
    }
/* Clean-up of what was never made is legal; of anything else, it cannot be. */
#define NOCODEC_FREE(name, type)        \
    void name(type p)                   \
    {                                   \
        if (p && *p)                    \
            unavailable(#name);         \
    }

NOCODEC(int, av_find_best_stream,
        (AVFormatContext * ic, enum AVMediaType type, int wanted, int related, const AVCodec **dec, int flags))
NOCODEC(AVPacket *, av_packet_alloc, (void))
NOCODEC(int, av_read_frame, (AVFormatContext * s, AVPacket *pkt))
NOCODEC(AVCodecContext *, avcodec_alloc_context3, (const AVCodec *codec))
NOCODEC(const AVCodec *, avcodec_find_decoder, (enum AVCodecID id))
NOCODEC(const AVCodec *, avcodec_find_encoder, (enum AVCodecID id))
NOCODEC(int, avcodec_open2, (AVCodecContext * avctx, const AVCodec *codec, AVDictionary **options))
NOCODEC(int, avcodec_parameters_to_context, (AVCodecContext * codec, const AVCodecParameters *par))
NOCODEC(int, avcodec_receive_frame, (AVCodecContext * avctx, AVFrame *frame))
NOCODEC(int, avcodec_receive_packet, (AVCodecContext * avctx, AVPacket *avpkt))
NOCODEC(int, avcodec_send_frame, (AVCodecContext * avctx, const AVFrame *frame))
NOCODEC(int, avcodec_send_packet, (AVCodecContext * avctx, const AVPacket *avpkt))
NOCODEC(int, avformat_find_stream_info, (AVFormatContext * ic, AVDictionary **options))
NOCODEC(int, avformat_open_input, (AVFormatContext * *ps, const char *url, const AVInputFormat *fmt,
                                   AVDictionary **options))
NOCODEC_FREE(av_packet_free, AVPacket **)
NOCODEC_FREE(avcodec_free_context, AVCodecContext **)
NOCODEC_FREE(avformat_close_input, AVFormatContext **)

void av_packet_unref(AVPacket *pkt)
{
    if (pkt)
        unavailable("av_packet_unref");
}
