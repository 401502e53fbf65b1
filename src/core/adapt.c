/*
 * The one adapter from the INI configuration (EmoConfig, config.h) to the
 * settings of each library module: the modules take only their own settings
 * structs and never read the configuration. The viewer library's two
 * (window, sound cues) are in viewer/adapt.c, beside the types they fill.
 */
#include <emoscope/adapt.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "video/video_internal.h" /* emo__video_sws_flags: the scaler names the source accepts */

/* ------------------------------------------------------------ video source */

int emo_video_settings_from_config(EmoVideoSourceSettings *s, const EmoVideoSettings *c)
{
    if (c->source[0])
        s->source = c->source;
    s->width = c->width;
    s->height = c->height;
    s->fps = c->fps;
    s->input_format = c->input_format;
    if (!strcasecmp(c->live, "auto"))
        s->live = EMO_VIDEO_LIVE_AUTO;
    else if (!strcasecmp(c->live, "yes") || !strcasecmp(c->live, "true") || !strcmp(c->live, "1"))
        s->live = EMO_VIDEO_LIVE_YES;
    else if (!strcasecmp(c->live, "no") || !strcasecmp(c->live, "false") || !strcmp(c->live, "0"))
        s->live = EMO_VIDEO_LIVE_NO;
    else
        return EMO_EINVAL;
    s->queue_size = c->queue_size;
    s->max_frames = c->max_frames;
    s->loop = c->loop;
    s->reconnect = c->reconnect;
    s->reconnect_delay = c->reconnect_delay;
    s->image_fps = c->image_fps;
    s->decode_threads = c->decode_threads;
    s->timeout = c->timeout;
    s->scaler = c->scaler;
    s->pix_fmt = emo_video_parse_pixfmt(c->pix_fmt);
    if (s->pix_fmt == EMO_PIX_NONE || emo__video_sws_flags(c->scaler) < 0)
        return EMO_EINVAL;
    return 0;
}

/* ------------------------------------------------------------ video writer */

void emo_video_writer_settings_from_config(EmoVideoWriterSettings *s, const EmoOutputSettings *c)
{
    s->codec = c->video_codec;
    s->crf = c->video_crf;
    s->preset = c->video_preset;
    s->threads = c->video_threads;
}

/* ------------------------------------------------------------ overlay */

int emo_overlay_settings_from_config(EmoOverlaySettings *s, const EmoConfig *cfg)
{
    if (!s || !cfg)
        return EMO_EINVAL;
    snprintf(s->branding, sizeof(s->branding), "%s", cfg->render.branding);
    s->graph_seconds = cfg->render.graph_seconds;
    s->actions = cfg->render.actions;
    if (emo_mesh_style_parse(cfg->render.mesh_style, &s->mesh_style) != 0) {
        emo_log(s->logger, EMO_LOG_ERROR, "render.mesh_style: '%s' is not contours, points or both",
                cfg->render.mesh_style);
        return EMO_EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------ online API client */

int emo_api_settings_from_config(EmoApiClientSettings *s, const EmoConfig *cfg, const EmoLogger *lg)
{
    emo_api_default_settings(s);
    s->log = lg;
    snprintf(s->url, sizeof(s->url), "%s", cfg->api.url);
    const char *key = emo_config_api_key(cfg);
    if (key && strlen(key) >= sizeof(s->key)) {
        emo_log(lg, EMO_LOG_ERROR, "api: the key is longer than %zu characters", sizeof(s->key) - 1);
        return EMO_EINVAL;
    }
    snprintf(s->key, sizeof(s->key), "%s", key ? key : "");
    snprintf(s->key_header, sizeof(s->key_header), "%s", cfg->api.key_header);
    if (!strcasecmp(cfg->api.format, "json"))
        s->format = EMO_API_JSON;
    else if (!strcasecmp(cfg->api.format, "multipart"))
        s->format = EMO_API_MULTIPART;
    else {
        emo_log(lg, EMO_LOG_ERROR, "api.format = '%s': use json or multipart", cfg->api.format);
        return EMO_EINVAL;
    }
    if (!strcasecmp(cfg->api.image, "jpeg") || !strcasecmp(cfg->api.image, "jpg"))
        s->image = EMO_API_JPEG;
    else if (!strcasecmp(cfg->api.image, "png"))
        s->image = EMO_API_PNG;
    else {
        emo_log(lg, EMO_LOG_ERROR, "api.image = '%s': use jpeg or png", cfg->api.image);
        return EMO_EINVAL;
    }
    s->interval = cfg->api.interval;
    s->timeout = cfg->api.timeout;
    s->verify_tls = cfg->api.verify_tls;
    return 0;
}

/* ------------------------------------------------------------ emotion ensemble */

int emo_ensemble_settings_from_config(EmoEnsembleSettings *s, const EmoConfig *cfg, const char *models_dir,
                                      const char *list, const EmoLogger *lg)
{
    if (!s || !cfg)
        return EMO_EINVAL;
    emo_ensemble_default_settings(s);
    s->log = lg;
    snprintf(s->models_dir, sizeof(s->models_dir), "%s", models_dir ? models_dir : "");
    if (emo_emotion_fusion_parse(cfg->emotion.fusion, &s->fusion)) {
        emo_log(lg, EMO_LOG_ERROR, "emotion.fusion = '%s': use mean or geometric", cfg->emotion.fusion);
        return EMO_EINVAL;
    }
    s->flip_tta = cfg->emotion.flip_tta;
    s->interval = cfg->emotion.interval;
    s->ema_alpha = cfg->emotion.ema_alpha;
    s->nn_threads = cfg->general.threads;
    s->history_seconds = cfg->emotion.history_seconds;
    s->sg_window = cfg->emotion.sg_window;
    s->sg_order = cfg->emotion.sg_order;
    int err = emo_emotion_models_resolve(cfg, list, models_dir, s->models, EMO_EMOTION_MAX_MODELS, &s->n_models, lg);
    if (err)
        return err;
    s->api_enabled = cfg->api.enabled;
    s->api_weight = cfg->api.weight;
    s->api_max_age = cfg->api.timeout > s->api_max_age ? cfg->api.timeout : s->api_max_age;
    if (s->api_enabled && (err = emo_api_settings_from_config(&s->api, cfg, lg)))
        return err;
    return 0;
}
