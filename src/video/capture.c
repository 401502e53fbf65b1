/* Video sources: the capture thread (demux, decode, reconnect) and the
 * conversion thread, joined by a small queue of decoded-frame slots. */
#define _POSIX_C_SOURCE 200809L
#include <emoscope/video.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/pixdesc.h>

#include "core/thread.h"
#include "video/source_internal.h"

#define MAX_LIVE_ERRORS 200 /* consecutive decode errors before a live source gives up */

/* ------------------------------------------------------------ capture */

/* Hands the decoded frame v->frm (its buffers, no copy) to the conversion
 * thread with its time stamp and index. 0, or EMO_EINTR when stopping. */
static int emit(EmoVideoSource *v)
{
    AVFrame *in = v->frm;
    double pts;
    if (v->info.kind == EMO_VIDEO_IMAGE || v->info.kind == EMO_VIDEO_IMAGES) {
        pts = (double)v->index / v->s.image_fps;
    } else {
        int64_t ts = in->best_effort_timestamp;
        if (ts == AV_NOPTS_VALUE)
            ts = in->pts;
        if (ts == AV_NOPTS_VALUE) { /* no time stamp at all: continue at the nominal rate */
            pts = v->have_first ? v->last_pts + (v->frame_dur > 0 ? v->frame_dur : 1.0 / 30) : v->pts_offset;
        } else {
            if (!v->have_first) {
                v->first_ts = ts;
                v->have_first = 1;
            }
            pts = (double)(ts - v->first_ts) * av_q2d(v->tb) + v->pts_offset;
        }
        if (v->have_first && v->index > 0 && pts <= v->last_pts)
            emo_log(v->log, EMO_LOG_DEBUG, "video: frame %lld: time stamp %.6f s not after %.6f s",
                    (long long)v->index, pts, v->last_pts);
    }
    v->have_first = 1;
    void *item = NULL;
    double t0 = emo_clock_now();
    int err = emo_queue_pop(v->free_q, &item, -1);
    v->wait_free += emo_clock_now() - t0; /* waiting for the conversion thread: not decoding */
    if (err)
        return EMO_EINTR; /* aborted: closing */
    Slot *slot = item;
    av_frame_move_ref(slot->f, in);
    slot->pts = pts;
    slot->index = v->index++;
    v->last_pts = pts;
    if (emo_queue_push(v->work_q, slot) != 0) {
        av_frame_unref(slot->f);
        return EMO_EINTR;
    }
    if (v->s.max_frames > 0 && v->index >= v->s.max_frames)
        v->done = 1;
    return 0;
}

/* Conversion thread, one slot: pool frame, convert, queue. 0 or an error. */
static int convert_slot(EmoVideoSource *v, Slot *slot, double *busy)
{
    AVFrame *in = slot->f;
    EmoFrame *f = NULL;
    int err;
    while ((err = emo_frame_pool_get(v->pool, &f)) == EMO_EAGAIN) {
        if (v->live) { /* the consumer holds every frame: this one is lost */
            pthread_mutex_lock(&v->lock);
            v->st.frames_dropped++;
            pthread_mutex_unlock(&v->lock);
            return 0;
        }
        if (emo__source_stopping(v))
            return EMO_EINTR;
        emo__source_sleep(0.001);
    }
    double t1 = emo_clock_now();
    if (err) {
        emo__source_error(v, err, "%s: cannot get a frame buffer (%s)", v->url, emo_strerror(err));
        return err;
    }
    err = emo__video_convert(&v->scaler, in, f);
    *busy += emo_clock_now() - t1;
    if (err) {
        emo_frame_unref(&f);
        const char *name = av_get_pix_fmt_name((enum AVPixelFormat)in->format);
        emo__source_error(v, EMO_EFORMAT, "%s: cannot convert a %dx%d %s frame", v->url, in->width, in->height,
                  name ? name : "?");
        return EMO_EFORMAT;
    }
    f->pts = slot->pts;
    f->index = slot->index;
    f->t_capture = emo_clock_now();
    pthread_mutex_lock(&v->lock);
    v->st.frames_decoded++;
    pthread_mutex_unlock(&v->lock);
    err = emo_queue_push(v->q, f);
    if (err) {
        emo_frame_unref(&f);
        return EMO_EINTR;
    }
    return 0;
}

/*
 * Pixel conversion runs on its own thread, so that decoding (one thread
 * when decode_threads = 1) and conversion overlap: the source keeps up with
 * the decoder alone when a second core is free.
 */
void *emo__source_convert_main(void *arg)
{
    EmoVideoSource *v = arg;
    int err = 0;
    double busy = 0;
    emo__thread_name("emo-convert");
    for (;;) {
        void *item = NULL;
        if (emo_queue_pop(v->work_q, &item, -1) != 0)
            break; /* the decoder is done (or closing) */
        Slot *slot = item;
        if (!err) {
            err = convert_slot(v, slot, &busy);
            if (err && err != EMO_EINTR)
                emo_queue_abort(v->free_q); /* the decoder stops at its next frame */
        }
        av_frame_unref(slot->f);
        emo_queue_push(v->free_q, slot); /* fails only when closing: slots stay in v->slots */
        pthread_mutex_lock(&v->lock);
        v->convert_busy = busy;
        pthread_mutex_unlock(&v->lock);
    }
    pthread_mutex_lock(&v->lock);
    int st = v->capture_status;
    if (err && err != EMO_EINTR)
        st = err;
    else if (err == EMO_EINTR && (st == EMO_EOF || !st))
        st = EMO_EINTR;
    v->status = st ? st : EMO_EOF;
    v->t_end = emo_clock_now();
    pthread_mutex_unlock(&v->lock);
    emo_queue_close(v->q);
    return NULL;
}

/*
 * Sends one packet (NULL: flush) and emits every frame that comes out.
 * Returns 0, EMO_EINTR, or EMO_EFORMAT for a packet the decoder rejects.
 */
static int decode(EmoVideoSource *v, AVPacket *pkt)
{
    char eb[128];
    int ret = avcodec_send_packet(v->dec, pkt);
    int bad = 0;
    if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR(EAGAIN)) {
        emo_log(v->log, v->live ? EMO_LOG_DEBUG : EMO_LOG_WARN, "video: %s: decoder rejected a packet (%s)", v->url,
                emo__video_errstr(ret, eb, sizeof(eb)));
        bad = 1;
    }
    while (!v->done) {
        ret = avcodec_receive_frame(v->dec, v->frm);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            emo_log(v->log, v->live ? EMO_LOG_DEBUG : EMO_LOG_WARN, "video: %s: decoding failed (%s)", v->url,
                    emo__video_errstr(ret, eb, sizeof(eb)));
            bad = 1;
            break;
        }
        int err = emit(v);
        av_frame_unref(v->frm);
        if (err)
            return err;
    }
    if (bad) {
        pthread_mutex_lock(&v->lock);
        v->st.decode_errors++;
        pthread_mutex_unlock(&v->lock);
        return EMO_EFORMAT;
    }
    return 0;
}

/*
 * Reads the current input to its end. Returns EMO_EOF at a clean end (or
 * after max_frames), EMO_EINTR when stopped, or the error that ended it
 * (with its message set), after flushing every frame decodable before it.
 */
static int run_input(EmoVideoSource *v)
{
    char eb[128];
    int end = EMO_EOF, live_errors = 0, rearm = 1;
    for (;;) {
        if (emo__source_stopping(v))
            return EMO_EINTR;
        if (v->done)
            return EMO_EOF;
        if (rearm)
            emo__source_arm_deadline(v);
        int ret = av_read_frame(v->fmt, v->pkt);
        rearm = ret != AVERROR(EAGAIN);
        if (ret == AVERROR(EAGAIN)) { /* non-blocking camera: nothing yet */
            if (v->deadline > 0 && emo_clock_now() > v->deadline)
                v->timed_out = 1;
            else {
                emo__source_sleep(0.002);
                continue;
            }
        }
        if (ret < 0) {
            if (emo__source_stopping(v))
                return EMO_EINTR;
            if (v->timed_out) { /* whatever the demuxer made of the interrupted read */
                end = EMO_ETIMEDOUT;
                emo__source_error(v, end, "%s: no data for %g s", v->url, v->s.timeout);
            } else if (ret == AVERROR_EOF && !(v->fmt->pb && v->fmt->pb->error)) {
                end = EMO_EOF;
            } else {
                end = emo__video_err(ret == AVERROR_EOF ? v->fmt->pb->error : ret);
                if (end == EMO_EOF || end == EMO_EINTR || end == 0)
                    end = EMO_EIO;
                if (v->info.kind == EMO_VIDEO_STREAM && end == EMO_EIO)
                    end = EMO_ENET;
                emo__source_error(v, end, "%s: reading stopped after %lld frames: %s%s", v->url, (long long)v->index,
                          emo__video_errstr(ret, eb, sizeof(eb)),
                          end == EMO_EFORMAT ? " (truncated or corrupt file)" : "");
            }
            break;
        }
        if (v->pkt->stream_index != v->vidx) {
            av_packet_unref(v->pkt);
            continue;
        }
        v->packets++;
        if ((v->pkt->flags & AV_PKT_FLAG_CORRUPT) && !v->live) {
            av_packet_unref(v->pkt);
            /* A stop interrupts the read in the middle of a packet: the
             * demuxer hands back the part it had, flagged corrupt. */
            if (emo__source_stopping(v))
                return EMO_EINTR;
            end = EMO_EFORMAT;
            emo__source_error(v, end, "%s: packet %lld is cut or corrupt (truncated or damaged file)", v->url,
                      (long long)v->packets);
            break;
        }
        int err = decode(v, v->pkt);
        av_packet_unref(v->pkt);
        if (err == EMO_EINTR || (err && emo__source_stopping(v)))
            return EMO_EINTR;
        if (err == EMO_EFORMAT) {
            if (v->live && ++live_errors < MAX_LIVE_ERRORS)
                continue;
            end = EMO_EFORMAT;
            emo__source_error(v, end, "%s: packet %lld could not be decoded (%s)", v->url, (long long)v->packets,
                      v->live ? "too many errors in a row" : "corrupt file");
            break;
        } else if (err) {
            return err;
        }
        live_errors = 0;
    }
    /* Frames still inside the decoder (reordering delay) come before the damage. */
    int err = decode(v, NULL);
    if (err == EMO_EINTR)
        return EMO_EINTR;
    if (end == EMO_EOF && v->expected_packets > 0 && v->packets < v->expected_packets && !v->done) {
        end = EMO_EFORMAT;
        emo__source_error(v, end, "%s: file ends after %lld of %lld frames (truncated)", v->url, (long long)v->packets,
                  (long long)v->expected_packets);
    }
    if (end == EMO_EOF && err == EMO_EFORMAT && !v->live) {
        end = EMO_EFORMAT;
        emo__source_error(v, end, "%s: undecodable data at the end after %lld frames", v->url, (long long)v->index);
    }
    return end;
}
void *emo__source_capture_main(void *arg)
{
    EmoVideoSource *v = arg;
    int status;
    emo__thread_name("emo-capture");
    for (;;) {
        int64_t before = v->index;
        status = run_input(v);
        if (status == EMO_EINTR || v->done) {
            status = status == EMO_EINTR ? EMO_EINTR : EMO_EOF;
            break;
        }
        int images = v->info.kind == EMO_VIDEO_IMAGE || v->info.kind == EMO_VIDEO_IMAGES;
        if (images) {
            if (v->index > before)
                v->list_good_in_cycle = 1;
            if (status != EMO_EOF || v->index == before)
                emo__source_skip_image(v, v->files[v->list_pos], "no picture in it");
            emo__source_input_close(v);
            status = emo__source_next_image(v);
            if (status == 0)
                continue;
            if (status == EMO_EOF && v->list_failed) {
                status = EMO_EFORMAT;
                emo__source_error(v, status, "%d of %d images could not be read", v->list_failed, v->n_files);
            }
            break;
        }
        int restart = (status == EMO_EOF && v->s.loop && !v->live) || (v->live && v->s.reconnect);
        if (!restart)
            break;
        emo__source_input_close(v);
        v->pts_offset = v->last_pts + (v->frame_dur > 0 ? v->frame_dur : 1.0 / 30);
        int opened = 0;
        while (!emo__source_stopping(v) && !opened) {
            if (v->live) {
                emo_log(v->log, EMO_LOG_WARN, "video: %s stopped; reconnecting in %g s", v->url,
                        v->s.reconnect_delay);
                for (double w = 0; w < v->s.reconnect_delay && !emo__source_stopping(v); w += 0.05)
                    emo__source_sleep(0.05);
                if (emo__source_stopping(v))
                    break;
            }
            pthread_mutex_lock(&v->lock);
            v->message[0] = 0;
            pthread_mutex_unlock(&v->lock);
            opened = emo__source_input_open(v, v->url) == 0;
            if (opened && v->live) {
                pthread_mutex_lock(&v->lock);
                v->st.reconnects++;
                pthread_mutex_unlock(&v->lock);
            }
            if (!opened && !v->live)
                break; /* a file that went away while looping */
        }
        if (!opened) {
            status = emo__source_stopping(v) ? EMO_EINTR : EMO_EIO;
            break;
        }
    }
    pthread_mutex_lock(&v->lock);
    v->capture_status = status;
    v->decode_busy = emo_clock_now() - v->t_start - v->wait_free;
    pthread_mutex_unlock(&v->lock);
    emo_queue_close(v->work_q); /* the conversion thread finishes what is queued, then ends the source */
    return NULL;
}
