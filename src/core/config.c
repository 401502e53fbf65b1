#define _POSIX_C_SOURCE 200809L
#include <emoscope/config.h>

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OFF(f) offsetof(EmoConfig, f)
#define SZ(f) sizeof(((EmoConfig *)0)->f)
#define I(sec, fld, unit, def, lo, hi, help) { #sec, #fld, EMO_SETTING_INT, OFF(sec.fld), 0, unit, def, lo, hi, help, 0 }
#define D(sec, fld, unit, def, lo, hi, help) { #sec, #fld, EMO_SETTING_DOUBLE, OFF(sec.fld), 0, unit, def, lo, hi, help, 0 }
#define B(sec, fld, def, help) { #sec, #fld, EMO_SETTING_BOOL, OFF(sec.fld), 0, "bool", def, 0, 1, help, 0 }
#define S(sec, fld, def, help) { #sec, #fld, EMO_SETTING_STRING, OFF(sec.fld), SZ(sec.fld), "text", def, 0, 0, help, 0 }

static const EmoSettingDesc table[] = {
    S(general, log_level, "info", "error, warn, info or debug"),
    I(general, threads, "threads", "1", 0, 64, "analysis threads (XNNPACK pool); 0 = all cores"),
    S(general, models_dir, "", "model folder; empty = the one `make models` installed"),
    S(general, output_dir, "out", "folder for results, video, chart, screenshots"),
    D(general, stats_interval, "s", "0", 0, 86400, "seconds between progress lines (frames, fps, dropped, reconnects) on stderr; 0 = none"),
    I(general, workers, "threads", "0", 0, 64, "workers analysing the faces of a frame in parallel (mesh, emotion models, flow), each with its own model instances; 0 = one per core, 1 = serial"),

    S(video, source, "", "file, /dev/videoN, rtsp/http URL, image, folder or pattern; empty = first camera, else the sample clip"),
    I(video, width, "px", "1920", 16, 16384, "frame width asked of a camera"),
    I(video, height, "px", "1080", 16, 16384, "frame height asked of a camera"),
    D(video, fps, "frames/s", "60", 1, 1000, "frame rate asked of a camera"),
    S(video, input_format, "mjpeg", "camera pixel format preferred"),
    S(video, live, "auto", "auto, yes or no: live sources drop the oldest frame when analysis falls behind"),
    I(video, queue_size, "frames", "4", 1, 256, "frames buffered between capture and analysis"),
    I(video, max_frames, "frames", "0", 0, 2147483647, "stop after this many frames; 0 = all"),
    B(video, loop, "false", "restart a file source at its end"),
    B(video, reconnect, "false", "reopen a live source that stops or is unplugged"),
    D(video, reconnect_delay, "s", "1.0", 0, 3600, "wait between reconnection attempts"),
    D(video, image_fps, "frames/s", "1", 0.001, 1000, "frame rate given to still images and image folders"),
    I(video, decode_threads, "threads", "0", 0, 64, "decoder threads; 0 = automatic (FFmpeg's choice)"),
    S(video, pix_fmt, "bgra", "pixel format of decoded frames: bgra, yuv420p, gray8 or rgb24"),
    D(video, timeout, "s", "10", 0.1, 3600, "longest a network or camera source may block opening or reading"),
    S(video, scaler, "bilinear", "swscale algorithm for conversion and resizing: bilinear, fast_bilinear, point, bicubic, area"),

    D(face, min_detection_confidence, "probability", "0.5", 0, 1, "BlazeFace score needed to accept a face"),
    D(face, min_presence, "probability", "0.5", 0, 1, "face-mesh presence needed to keep tracking a face"),
    I(face, max_faces, "faces", "8", 1, 64, "faces tracked at once (groups, audiences, a 2x4 call grid); while fewer are tracked the detector looks for new ones every detect_interval frames (1.5 ms of CPU at 1080p); each face tracked costs its own landmarks, emotion models and flow (docs/face.md, Groups)"),
    I(face, detect_interval, "frames", "30", 0, 1000000, "detector runs at least this often to find new faces; 0 = only when a face is lost"),
    D(face, nms_iou, "IoU", "0.3", 0, 1, "overlap above which detections are merged"),
    D(face, crop_scale, "x box", "1.5", 1, 4, "face-mesh crop size relative to the face box"),
    I(face, aligned_size, "px", "96", 32, 512, "side of the normalised face used for optical flow"),
    I(face, detect_tiles, "levels", "2", 0, 2, "small or distant faces: when the whole frame shows none, search overlapping tiles of 1/2 (1) and then 1/3 (2) of the frame; 0 = off"),
    D(face, min_reliable_size, "px", "40", 0, 4096, "faces narrower than this (the records' size_px: mesh width along the eye line) are still tracked and analysed but marked low_confidence: below it landmarks and emotion drift from those of the same face seen larger (docs/face.md, small faces); 0 = never"),
    I(face, tile_scan, "frames", "8", 0, 1000000, "small faces beside tracked ones (an audience beside a close-up, a distant person at the piano): while fewer than max_faces faces are tracked, BlazeFace full-range runs on one tile (of 1/2 or 1/3 of the frame, as detect_tiles allows) every this many frames, counted from the last tile or detector run, round robin: 21 tiles at 640x360 and above, 3 passes per detect_interval of 30 frames, a cycle in about 7 s at 30 fps, about 0.5 ms of CPU per frame at 1080p (4-5 ms per pass); auto and full detectors only; 0 = off (docs/face.md)"),
    S(face, detector, "auto", "face detector: auto (BlazeFace full-range on the whole frame when no face is tracked and every detect_interval for new faces, short-range first to find a lost face again, full-range tiles when the whole frame shows none: faces from about 6% of the frame's long side, 2% with tiles), short (short-range only: faces from about 12% of the frame's long side, a third of the cost) or full (full-range only); sizes and costs in docs/face.md"),
    D(face, mirror_yaw, "deg", "30", 0, 90, "faces turned at least this far (|yaw|) also run through the face mesh mirrored and the two are averaged (better landmarks on turned faces, twice the mesh cost on them); 90 = off"),
    I(face, actions, "frames", "1", 0, 1000000, "facial actions (MediaPipe's 52 blendshapes and the FACS action units mapped from them, docs/actions.md) of each face every this many frames, from the 478-point landmarker's points (not available with the face mesh); 0 = off"),
    S(face, mesh_model, "auto", "landmark network: landmarker (MediaPipe's 478-point face landmarker from face_landmarker.task: the 468 mesh points and 10 iris points, 256x256 input, 3.2x the face mesh's arithmetic), facemesh (the 468-point face_landmark.tflite, 192x192) or auto (the landmarker when the models folder holds face_landmarker.task, else the face mesh; the log says which)"),
    I(face, landmarker_faces, "faces", "1", 0, 64, "with the landmarker (mesh_model): at most this many faces are tracked with it at once, the others with the face mesh (a quarter of its cost: with 1, 4 faces keep 60 fps on 2 cores, 66-67 fps measured; with 2, 59.5-59.7; docs/performance.md); a face keeps its network while it is tracked and a new face takes a landmarker place freed by a face that left; facial actions need the landmarker, so only these faces have them; 0 = no limit"),
    D(face, reid_seconds, "s", "3", 0, 3600, "a face that leaves (lost, out of the frame, hidden) and is found again within this time near where it left (centre within its size, size within 1.5x) gets its former id back; 0 = every face found is a new id (docs/face.md, Groups)"),
    D(face, cut_threshold, "score", "0.3", 0, 1, "shot cuts: a frame whose cut score (min of the share of 384 sampled cells whose luma changed by more than 24 levels and 3x the luma histogram distance) reaches this begins a new shot: every track ends and no id carries over (talking-head clips: 0.21 at most; cuts between the shared stills: 0.385 or more); 0 = off"),

    D(emotion, interval, "s", "0", 0, 3600, "time between emotion analyses of a face; 0 = every frame"),
    S(emotion, models, "mini_xception,fer_vgg", "comma-separated models in the ensemble (also model.NAME sections); the default two (weights 0.3/0.7): FER2013 PublicTest 68.88%, CK+48 68.50%, 1.1 ms per face on one thread; with big_xception too (weights 0.15/0.25/0.6): 70.19%, CK+48 66.24%, 2.1 ms per face (docs/emotion.md)"),
    S(emotion, fusion, "mean", "mean (weighted arithmetic) or geometric (weighted log-linear)"),
    B(emotion, flip_tta, "false", "average each model over the face and its mirror image"),
    D(emotion, ema_alpha, "weight", "0.3", 0.001, 1, "EMA weight of the newest probabilities"),
    I(emotion, sg_window, "samples", "15", 3, 1001, "Savitzky-Golay window (odd)"),
    I(emotion, sg_order, "degree", "2", 0, 10, "Savitzky-Golay polynomial order (< window)"),
    D(emotion, history_seconds, "s", "10", 1, 3600, "history kept for graphs"),
    D(emotion, weight_mini_xception, "weight", "0.3", 0, 1000, "fusion weight of the FER2013 mini-Xception (0.3 to fer_vgg's 0.7 with mean fusion; mini/big/fer_vgg 0.15/0.25/0.6; mini/big alone 0.6/0.4: each chosen on FER2013 PublicTest, see docs/emotion.md)"),
    D(emotion, weight_big_xception, "weight", "0.4", 0, 1000, "fusion weight of the FER2013 big-Xception (not in the default ensemble)"),
    D(emotion, weight_kdef_xception, "weight", "1", 0, 1000, "fusion weight of the KDEF mini-Xception (off by default)"),
    D(emotion, weight_deepface, "weight", "1", 0, 1000, "fusion weight of the DeepFace emotion CNN"),
    D(emotion, weight_fer_vgg, "weight", "0.7", 0, 1000, "fusion weight of the FER2013 VGG-style CNN trained in this project (models/fer_vgg.md; alone 68.21% on PublicTest)"),

    B(api, enabled, "false", "use the online emotion API"),
    S(api, url, "", "endpoint receiving POSTed face crops"),
    { "api", "key", EMO_SETTING_STRING, OFF(api.key), SZ(api.key), "text", "", 0, 0,
      "API key (prefer key_env); never printed or written", 1 },
    S(api, key_env, "EMOSCOPE_API_KEY", "environment variable holding the API key"),
    S(api, key_header, "X-API-Key", "HTTP header carrying the key"),
    S(api, format, "json", "json (base64 image in a JSON body) or multipart"),
    S(api, image, "jpeg", "jpeg or png"),
    D(api, interval, "s", "0.3", 0, 3600, "time between requests"),
    D(api, timeout, "s", "2", 0.01, 600, "time before a request is abandoned"),
    D(api, weight, "weight", "1", 0, 1000, "fusion weight of the API"),
    B(api, verify_tls, "true", "verify TLS certificates"),

    B(motion, enabled, "true", "micro-expression analysis"),
    D(motion, threshold, "px@ref", "3.0", 0, 1000, "region displacement from its rest position that makes a micro-movement, in pixels of a face reference_size px wide (0.9 px of a 96 px normalised face)"),
    I(motion, frame_gap, "frames", "1", 1, 100, "flow between frames t-k and t"),
    D(motion, min_duration, "s", "0.04", 0, 60, "shortest event; shorter ones are dropped"),
    D(motion, max_duration, "s", "0.5", 0, 60, "longest micro-expression; longer expression events are macro-expressions"),
    B(motion, compensate, "true", "remove rigid head motion before measuring"),
    I(motion, levels, "levels", "3", 1, 8, "Farneback pyramid levels"),
    D(motion, pyr_scale, "ratio", "0.5", 0.1, 0.9, "Farneback pyramid scale"),
    I(motion, winsize, "px", "7", 3, 101, "Farneback averaging window (face regions are 5-20 px of a 96-px face: a small window keeps them apart)"),
    I(motion, iterations, "iterations", "3", 1, 50, "Farneback iterations per level"),
    I(motion, poly_n, "px", "5", 5, 7, "Farneback polynomial neighbourhood (5 or 7)"),
    D(motion, poly_sigma, "px", "0.9", 0.1, 10, "Farneback polynomial Gaussian sigma (0.9 on faces: less noise under head motion than 1.1)"),
    D(motion, reference_size, "px", "320", 16, 4096, "face width the threshold's pixels refer to; set it to face.aligned_size to count pixels of the normalised face"),
    D(motion, rest_time, "s", "0.5", 0.05, 60, "time constant with which a region's rest position follows it (slow drifts and held expressions fade)"),
    D(motion, hysteresis, "ratio", "0.3", 0.05, 1, "an event lasts while its magnitude stays above threshold x this"),
    I(motion, release_frames, "frames", "2", 1, 100, "frames under the lower threshold that end an event"),
    S(motion, spotter, "transient", "event spotter: transient (a region's rise and return within +-window, relative to its recent noise; events typed, see local) or rest (the original rule: displacement from a slowly following rest position)"),
    D(motion, window, "s", "0.16", 0.02, 2, "transient spotter: half window k; e(t) = p(t) - (p(t-k) + p(t+k))/2 of a region's position p; events are known k late"),
    D(motion, return_ratio, "ratio", "0.4", 0, 1, "transient spotter: an event starts only where p(t) stands out from both p(t-k) and p(t+k) by at least this x the length of e (not on the flank of a movement, not on a step)"),
    D(motion, noise_gain, "ratio", "2.5", 0, 100, "transient spotter: a region's threshold is at least this x its recent mean length of e (talking, jitter); 0 = fixed threshold"),
    D(motion, noise_time, "s", "0.4", 0.1, 600, "transient spotter: time constant of a region's recent mean length of e"),
    B(motion, local, "true", "transient spotter: type events by what moved (docs/motion.md, \"Event types\"): blinks, speech (mouth, lips and chin while talking, the jaw), head (many regions at once; both eyes without a blink: gaze), one event for a movement several regions of a face part share; false: every event is an expression"),
    D(motion, fit_exclude, "ratio", "0.02", 0, 0.5, "skin within this fraction of the face side of the brows, lips and mouth corners (landmarks) is left out of the head-motion fit, so that a small movement there is not partly fitted as head motion (0 = keep it)"),
    D(motion, region_fit, "ratio", "0.1", 0, 0.5, "each region (with landmarks) is compensated with the head motion fitted without the skin within this fraction of the face side of its own landmarks, so that the fit does not take up part of the region's own movement (0 = one fit for all)"),
    D(motion, noise_delay, "windows", "1.5", 0, 10, "transient spotter: the threshold uses a region's noise (recent mean length of e) as it was this many windows earlier, before the movement's own rise and leading lobe raised it (0 = the current noise)"),
    D(motion, blink_ratio, "ratio", "0.75", 0.05, 1, "an eye opening (lid gap over eye width, both eyes, landmarks) under this x its level within window before and after is a blink; eye events during it join the one blink event"),
    D(motion, speech_window, "s", "1.0", 0.1, 10, "span over which the mouth's movement says whether the face is talking (the per-frame speaking flag)"),
    D(motion, speech_level, "ratio", "0.4", 0, 100, "the face is speaking when its mouth opening (lip gap over eye-corner distance) travels at least this much over speech_window; mouth, lip and chin events then are speech"),
    D(motion, micro_min, "s", "0.12", 0, 60, "shortest expression event called a micro-expression; measured where the region stands out by hysteresis x its apex, which is about 0.63 of a raised-cosine movement's rise-to-return time, so 0.12 s is a movement of about 0.2 s (annotated micro-expressions run 0.2-0.5 s); shorter ones are class twitch"),
    D(motion, micro_calm, "ratio", "0.2", 0, 100, "a micro-expression rises from a calm face: not speaking, and the region's largest length of e over the half second before the onset under this x the event's peak; else class twitch (0 = no condition)"),

    B(render, overlay, "true", "draw the overlay"),
    B(render, mesh, "true", "draw the face mesh"),
    B(render, model_bars, "false", "draw per-model probability bars"),
    B(render, graph, "true", "draw the history graph"),
    D(render, graph_seconds, "s", "10", 1, 3600, "time span of the history graph"),
    S(render, branding, "emoscope", "branding line"),
    S(render, mesh_style, "contours", "face mesh drawing: contours (oval, eyes, brows, lips), points or both"),
    B(render, actions_panel, "true", "draw the action panel: the strongest facial actions (blendshapes, action units) of the graphed face as bars; viewer key a toggles it"),
    B(render, gaze, "true", "draw gaze arrows from the eyes (with the 478-point landmarker's irises; docs/face.md, Gaze); viewer key e toggles it"),
    I(render, actions, "actions", "6", 1, EMO_RENDER_MAX_ACTIONS_SHOWN, "bars in the action panel (the strongest actions, strongest first; fewer when the frame has no room)"),
    I(render, window_width, "px", "1280", 160, 16384, "initial viewer window width"),
    I(render, window_height, "px", "720", 120, 16384, "initial viewer window height"),
    B(render, fullscreen, "false", "start the viewer full screen"),
    I(render, chart_width, "px", "1600", 200, 16384, "timeline chart width (PNG and SVG)"),
    I(render, chart_height, "px", "900", 200, 16384, "timeline chart height"),

    B(audio, enabled, "true", "sound cues"),
    D(audio, threshold, "probability", "0.6", 0, 1, "smoothed probability an emotion needs to cue"),
    D(audio, cooldown, "s", "3", 0, 3600, "minimum time between two cues of one emotion"),
    D(audio, volume, "gain", "0.5", 0, 1, "cue volume"),
    S(audio, sound_angry, "", "WAV file; empty = built-in cue"),
    S(audio, sound_disgust, "", "WAV file; empty = built-in cue"),
    S(audio, sound_fear, "", "WAV file; empty = built-in cue"),
    S(audio, sound_happy, "", "WAV file; empty = built-in cue"),
    S(audio, sound_sad, "", "WAV file; empty = built-in cue"),
    S(audio, sound_surprise, "", "WAV file; empty = built-in cue"),
    S(audio, sound_neutral, "", "WAV file; empty = built-in cue"),

    B(output, jsonl, "true", "write results.jsonl"),
    B(output, csv, "true", "write results.csv"),
    B(output, video, "true", "write the annotated video"),
    B(output, landmarks, "false", "include the landmarks in the results (478 points with the face landmarker, 468 with the face mesh)"),
    B(output, chart, "true", "write the timeline chart (PNG and SVG)"),
    S(output, video_codec, "libx264", "FFmpeg encoder for the annotated video"),
    I(output, video_crf, "crf", "23", 0, 51, "encoder quality (lower is better)"),
    S(output, video_preset, "veryfast", "encoder preset (x264: ultrafast, superfast, veryfast, faster, fast, medium, slow ...); veryfast takes about a fifth of an analysis's CPU less than medium for a file about 4% larger (docs/video.md)"),
    I(output, video_threads, "threads", "0", 0, 64, "encoder threads; 0 = automatic (the encoder's choice; emoscope batch: the job's share of the cores)"),

    { NULL, NULL, 0, 0, 0, NULL, NULL, 0, 0, NULL, 0 },
};

struct EmoExtraSection {
    char name[128];
    int n;
    char (*keys)[64];
    char (*values)[EMO_PATH_MAX];
};

const EmoSettingDesc *emo_config_table(void)
{
    return table;
}

static const EmoSettingDesc *find(const char *section, const char *key)
{
    for (const EmoSettingDesc *d = table; d->section; d++)
        if (!strcasecmp(d->section, section) && !strcasecmp(d->key, key))
            return d;
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(v, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return EMO_EINVAL;
}

static int apply(EmoConfig *cfg, const EmoSettingDesc *d, const char *v, const EmoLogger *lg)
{
    char *field = (char *)cfg + d->offset;
    char *end = NULL;
    switch (d->type) {
    case EMO_SETTING_INT: {
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < d->min || n > d->max) {
            emo_log(lg, EMO_LOG_ERROR, "setting %s.%s: '%s' is not an integer in [%g, %g] (%s)",
                    d->section, d->key, v, d->min, d->max, d->unit);
            return EMO_EINVAL;
        }
        *(int *)field = (int)n;
        return 0;
    }
    case EMO_SETTING_DOUBLE: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x) || x < d->min || x > d->max) {
            emo_log(lg, EMO_LOG_ERROR, "setting %s.%s: '%s' is not a number in [%g, %g] (%s)",
                    d->section, d->key, v, d->min, d->max, d->unit);
            return EMO_EINVAL;
        }
        *(double *)field = x;
        return 0;
    }
    case EMO_SETTING_BOOL:
        if (parse_bool(v, (int *)field)) {
            emo_log(lg, EMO_LOG_ERROR, "setting %s.%s: '%s' is not true/false", d->section, d->key, v);
            return EMO_EINVAL;
        }
        return 0;
    case EMO_SETTING_STRING:
        if (strlen(v) >= d->size) {
            emo_log(lg, EMO_LOG_ERROR, "setting %s.%s: value longer than %zu bytes", d->section, d->key,
                    d->size - 1);
            return EMO_EINVAL;
        }
        memcpy(field, v, strlen(v) + 1);
        return 0;
    }
    return EMO_EINTERNAL;
}

void emo_config_defaults(EmoConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (const EmoSettingDesc *d = table; d->section; d++) {
        int err = apply(cfg, d, d->def, NULL);
        (void)err; /* the built-in table is checked by the unit tests */
    }
}

static EmoExtraSection *extra_get(EmoConfig *cfg, const char *name, int create)
{
    for (int i = 0; i < cfg->n_extra_; i++)
        if (!strcasecmp(cfg->extra_[i].name, name))
            return &cfg->extra_[i];
    if (!create || strlen(name) >= sizeof(cfg->extra_[0].name) || cfg->n_extra_ >= 64)
        return NULL;
    EmoExtraSection *n = realloc(cfg->extra_, sizeof(*n) * (size_t)(cfg->n_extra_ + 1));
    if (!n)
        return NULL;
    cfg->extra_ = n;
    EmoExtraSection *s = &n[cfg->n_extra_++];
    memset(s, 0, sizeof(*s));
    memcpy(s->name, name, strlen(name) + 1);
    return s;
}

int emo_config_set_value(EmoConfig *cfg, const char *section, const char *key, const char *value,
                         const EmoLogger *lg)
{
    if (!strncasecmp(section, "model.", 6)) {
        EmoExtraSection *s = extra_get(cfg, section, 1);
        if (!s || strlen(key) >= 64 || strlen(value) >= EMO_PATH_MAX || s->n >= 64) {
            emo_log(lg, EMO_LOG_ERROR, "section [%s]: too many or too long entries", section);
            return EMO_EINVAL;
        }
        for (int i = 0; i < s->n; i++) {
            if (!strcasecmp(s->keys[i], key)) {
                memcpy(s->values[i], value, strlen(value) + 1);
                return 0;
            }
        }
        void *k = realloc(s->keys, sizeof(*s->keys) * (size_t)(s->n + 1));
        if (!k)
            return EMO_ENOMEM;
        s->keys = k;
        void *v = realloc(s->values, sizeof(*s->values) * (size_t)(s->n + 1));
        if (!v)
            return EMO_ENOMEM;
        s->values = v;
        memcpy(s->keys[s->n], key, strlen(key) + 1);
        memcpy(s->values[s->n], value, strlen(value) + 1);
        s->n++;
        return 0;
    }
    const EmoSettingDesc *d = find(section, key);
    if (!d) {
        emo_log(lg, EMO_LOG_ERROR, "unknown setting %s.%s (see `emoscope config --dump`)", section, key);
        return EMO_EINVAL;
    }
    return apply(cfg, d, value, lg);
}

int emo_config_set(EmoConfig *cfg, const char *assignment, const EmoLogger *lg)
{
    const char *dot = strchr(assignment, '.');
    const char *eq = strchr(assignment, '=');
    /* model.NAME.key=value: the section is everything up to the last dot before '='. */
    if (eq) {
        for (const char *p = eq; p > assignment; p--)
            if (*p == '.') {
                dot = p;
                break;
            }
    }
    if (!dot || !eq || dot > eq || dot == assignment || dot + 1 == eq) {
        emo_log(lg, EMO_LOG_ERROR, "override '%s' is not section.key=value", assignment);
        return EMO_EINVAL;
    }
    char section[128], key[64];
    size_t sl = (size_t)(dot - assignment), kl = (size_t)(eq - dot - 1);
    if (sl >= sizeof(section) || kl >= sizeof(key)) {
        emo_log(lg, EMO_LOG_ERROR, "override '%s': name too long", assignment);
        return EMO_EINVAL;
    }
    memcpy(section, assignment, sl);
    section[sl] = 0;
    memcpy(key, dot + 1, kl);
    key[kl] = 0;
    return emo_config_set_value(cfg, section, key, eq + 1, lg);
}

typedef struct LoadCtx {
    EmoConfig *cfg;
    const EmoLogger *lg;
    const char *path;
    int err;
} LoadCtx;

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
    LoadCtx *c = user;
    if (!section[0]) {
        emo_log(c->lg, EMO_LOG_ERROR, "%s: '%s' is outside any [section]", c->path, name);
        c->err = EMO_EINVAL;
        return 0;
    }
    int err = emo_config_set_value(c->cfg, section, name, value, c->lg);
    if (err) {
        c->err = err;
        return 0;
    }
    return 1;
}

int emo_config_load(EmoConfig *cfg, const char *path, const EmoLogger *lg)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        emo_log(lg, EMO_LOG_ERROR, "cannot open config file %s: %s", path, strerror(errno));
        return EMO_ENOENT;
    }
    LoadCtx c = { cfg, lg, path, 0 };
    int line = ini_parse_file(f, on_ini_entry, &c);
    fclose(f);
    if (line != 0) {
        if (line > 0)
            emo_log(lg, EMO_LOG_ERROR, "%s:%d: invalid line in config file", path, line);
        else
            emo_log(lg, EMO_LOG_ERROR, "%s: cannot parse config file", path);
        return c.err ? c.err : EMO_EINVAL;
    }
    return 0;
}

void emo_config_format(const EmoConfig *cfg, const EmoSettingDesc *d, char *buf, size_t n)
{
    const char *field = (const char *)cfg + d->offset;
    switch (d->type) {
    case EMO_SETTING_INT: snprintf(buf, n, "%d", *(const int *)field); break;
    case EMO_SETTING_DOUBLE: snprintf(buf, n, "%g", *(const double *)field); break;
    case EMO_SETTING_BOOL: snprintf(buf, n, "%s", *(const int *)field ? "true" : "false"); break;
    case EMO_SETTING_STRING:
        if (d->secret && field[0])
            snprintf(buf, n, "***");
        else
            snprintf(buf, n, "%s", field);
        break;
    }
}

void emo_config_dump(const EmoConfig *cfg, FILE *out)
{
    const char *section = "";
    char val[EMO_PATH_MAX + 8];
    for (const EmoSettingDesc *d = emo_config_table(); d->section; d++) {
        if (strcmp(section, d->section)) {
            fprintf(out, "%s[%s]\n", section[0] ? "\n" : "", d->section);
            section = d->section;
        }
        emo_config_format(cfg, d, val, sizeof(val));
        fprintf(out, "; %s (%s, default: %s)\n%s = %s\n", d->help, d->unit, d->def[0] ? d->def : "empty",
                d->key, val);
    }
    for (int i = 0; i < cfg->n_extra_; i++) {
        fprintf(out, "\n[%s]\n", cfg->extra_[i].name);
        for (int k = 0; k < cfg->extra_[i].n; k++)
            fprintf(out, "%s = %s\n", cfg->extra_[i].keys[k], cfg->extra_[i].values[k]);
    }
}

int emo_config_extra_count(const EmoConfig *cfg)
{
    return cfg->n_extra_;
}

const char *emo_config_extra_name(const EmoConfig *cfg, int i)
{
    return i >= 0 && i < cfg->n_extra_ ? cfg->extra_[i].name : NULL;
}

const char *emo_config_extra_get(const EmoConfig *cfg, int i, const char *key)
{
    if (i < 0 || i >= cfg->n_extra_)
        return NULL;
    for (int k = 0; k < cfg->extra_[i].n; k++)
        if (!strcasecmp(cfg->extra_[i].keys[k], key))
            return cfg->extra_[i].values[k];
    return NULL;
}

void emo_config_clear(EmoConfig *cfg)
{
    for (int i = 0; i < cfg->n_extra_; i++) {
        free(cfg->extra_[i].keys);
        free(cfg->extra_[i].values);
    }
    free(cfg->extra_);
    cfg->extra_ = NULL;
    cfg->n_extra_ = 0;
}

const char *emo_config_api_key(const EmoConfig *cfg)
{
    if (cfg->api.key[0])
        return cfg->api.key;
    if (cfg->api.key_env[0]) {
        const char *v = getenv(cfg->api.key_env);
        if (v && v[0])
            return v;
    }
    return NULL;
}
