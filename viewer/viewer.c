/* The live window: SDL2, one streaming texture, letterboxed presents,
 * keyboard actions, PNG screenshots of the frame shown. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <SDL.h>
#include <cairo.h>

#include "viewer.h"

struct EmoViewer {
    EmoViewerSettings s;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tex_w, tex_h;
    EmoFrame *shown;        /* reference to the frame on screen */
    int uploaded;           /* shown is in the texture */
    EmoViewerState st;
    int video_inited;
};

void emo_viewer_default_settings(EmoViewerSettings *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->title, sizeof(s->title), "%s", "emoscope");
    s->width = 1280;
    s->height = 720;
    snprintf(s->output_dir, sizeof(s->output_dir), "%s", ".");
    s->show_mesh = 1;
    s->show_graph = 1;
    s->show_actions = 1;
    s->show_gaze = 1;
}

int emo_viewer_display_available(void)
{
    const char *keys[] = { "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER" };
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(keys[i]);
        if (v && v[0])
            return 1;
    }
    return 0;
}

void emo_viewer_letterbox(int win_w, int win_h, int frame_w, int frame_h, int *x, int *y, int *w, int *h)
{
    *x = *y = *w = *h = 0;
    if (win_w <= 0 || win_h <= 0 || frame_w <= 0 || frame_h <= 0)
        return;
    /* integer cross-multiplication: no rounding drift */
    if ((int64_t)win_w * frame_h <= (int64_t)win_h * frame_w) {
        *w = win_w;
        *h = (int)(((int64_t)win_w * frame_h + frame_w / 2) / frame_w);
    } else {
        *h = win_h;
        *w = (int)(((int64_t)win_h * frame_w + frame_h / 2) / frame_h);
    }
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
    *x = (win_w - *w) / 2;
    *y = (win_h - *h) / 2;
}

void emo_viewer_close(EmoViewer **pv)
{
    if (!pv || !*pv)
        return;
    EmoViewer *v = *pv;
    emo_frame_unref(&v->shown);
    if (v->tex)
        SDL_DestroyTexture(v->tex);
    if (v->ren)
        SDL_DestroyRenderer(v->ren);
    if (v->win)
        SDL_DestroyWindow(v->win);
    if (v->video_inited)
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    free(v);
    *pv = NULL;
}

int emo_viewer_open(EmoViewer **out, const EmoViewerSettings *s)
{
    if (!out)
        return EMO_EINVAL;
    *out = NULL;
    EmoViewerSettings def;
    if (!s) {
        emo_viewer_default_settings(&def);
        s = &def;
    }
    if (s->width < 1 || s->height < 1 || s->width > 16384 || s->height > 16384 ||
        !memchr(s->title, 0, sizeof(s->title)) || !memchr(s->output_dir, 0, sizeof(s->output_dir))) {
        emo_log(s->logger, EMO_LOG_ERROR, "viewer: bad window size %dx%d or strings", s->width, s->height);
        return EMO_EINVAL;
    }
    int err = EMO_ENODEV;
    EmoViewer *v = calloc(1, sizeof(*v));
    if (!v)
        return EMO_ENOMEM;
    v->s = *s;
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        emo_log(s->logger, EMO_LOG_ERROR, "viewer: no display: %s", SDL_GetError());
        goto fail;
    }
    v->video_inited = 1;
    Uint32 flags = SDL_WINDOW_RESIZABLE | (s->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    v->win = SDL_CreateWindow(s->title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, s->width, s->height, flags);
    if (!v->win) {
        emo_log(s->logger, EMO_LOG_ERROR, "viewer: cannot open a window: %s", SDL_GetError());
        goto fail;
    }
    Uint32 rflags = s->vsync ? SDL_RENDERER_PRESENTVSYNC : 0;
    v->ren = SDL_CreateRenderer(v->win, -1, rflags | SDL_RENDERER_ACCELERATED);
    if (!v->ren)
        v->ren = SDL_CreateRenderer(v->win, -1, rflags | SDL_RENDERER_SOFTWARE);
    if (!v->ren) {
        emo_log(s->logger, EMO_LOG_ERROR, "viewer: cannot create a renderer: %s", SDL_GetError());
        goto fail;
    }
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(v->ren, &info) == 0)
        emo_log(s->logger, EMO_LOG_DEBUG, "viewer: renderer %s", info.name);
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    v->st.show_mesh = s->show_mesh != 0;
    v->st.show_model_bars = s->show_model_bars != 0;
    v->st.show_graph = s->show_graph != 0;
    v->st.show_actions = s->show_actions != 0;
    v->st.show_gaze = s->show_gaze != 0;
    v->st.fullscreen = s->fullscreen != 0;
    SDL_GetRendererOutputSize(v->ren, &v->st.window_w, &v->st.window_h);
    SDL_SetRenderDrawColor(v->ren, 0, 0, 0, 255);
    SDL_RenderClear(v->ren);
    SDL_RenderPresent(v->ren);
    *out = v;
    return 0;
fail:
    emo_viewer_close(&v);
    return err;
}

/* Draws the shown frame letterboxed into the current window; when out is
 * set, reads the result back before presenting it. */
static int redraw_read(EmoViewer *v, EmoFrame *out)
{
    SDL_GetRendererOutputSize(v->ren, &v->st.window_w, &v->st.window_h);
    SDL_SetRenderDrawColor(v->ren, 0, 0, 0, 255);
    SDL_RenderClear(v->ren);
    if (v->shown && v->tex) {
        SDL_Rect dst;
        emo_viewer_letterbox(v->st.window_w, v->st.window_h, v->shown->width, v->shown->height, &dst.x, &dst.y,
                             &dst.w, &dst.h);
        if (SDL_RenderCopy(v->ren, v->tex, NULL, &dst) != 0) {
            emo_log(v->s.logger, EMO_LOG_ERROR, "viewer: %s", SDL_GetError());
            return EMO_EIO;
        }
    }
    if (out) {
        if (out->fmt != EMO_PIX_BGRA || out->width != v->st.window_w || out->height != v->st.window_h)
            return EMO_EINVAL;
        if (SDL_RenderReadPixels(v->ren, NULL, SDL_PIXELFORMAT_ARGB8888, out->data[0], out->stride[0]) != 0) {
            emo_log(v->s.logger, EMO_LOG_ERROR, "viewer: cannot read the window: %s", SDL_GetError());
            return EMO_EIO;
        }
    }
    SDL_RenderPresent(v->ren);
    return 0;
}

static int redraw(EmoViewer *v)
{
    return redraw_read(v, NULL);
}

int emo_viewer_read_window(EmoViewer *v, EmoFrame *out)
{
    if (!v || !out)
        return EMO_EINVAL;
    return redraw_read(v, out);
}

int emo_viewer_set_window_size(EmoViewer *v, int w, int h)
{
    if (!v || w < 1 || h < 1 || w > 16384 || h > 16384)
        return EMO_EINVAL;
    SDL_SetWindowSize(v->win, w, h);
    return redraw(v);
}

int emo_viewer_present(EmoViewer *v, EmoFrame *f)
{
    if (!v || !f || f->fmt != EMO_PIX_BGRA || f->width < 1 || f->height < 1 || !f->data[0])
        return EMO_EINVAL;
    if (!v->st.paused) {
        if (!v->tex || v->tex_w != f->width || v->tex_h != f->height) {
            if (v->tex)
                SDL_DestroyTexture(v->tex);
            /* ARGB8888 is B, G, R, A in memory on little-endian hosts: our BGRA. */
            v->tex = SDL_CreateTexture(v->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, f->width,
                                       f->height);
            if (!v->tex) {
                v->tex_w = v->tex_h = 0;
                emo_log(v->s.logger, EMO_LOG_ERROR, "viewer: cannot create a %dx%d texture: %s", f->width,
                        f->height, SDL_GetError());
                return EMO_EIO;
            }
            SDL_SetTextureBlendMode(v->tex, SDL_BLENDMODE_NONE);
            v->tex_w = f->width;
            v->tex_h = f->height;
        }
        if (SDL_UpdateTexture(v->tex, NULL, f->data[0], f->stride[0]) != 0) {
            emo_log(v->s.logger, EMO_LOG_ERROR, "viewer: %s", SDL_GetError());
            return EMO_EIO;
        }
        EmoFrame *old = v->shown;
        v->shown = emo_frame_ref(f);
        emo_frame_unref(&old);
        v->st.frames_presented++;
    }
    return redraw(v);
}

void emo_viewer_get_state(const EmoViewer *v, EmoViewerState *st)
{
    if (!st)
        return;
    if (!v) {
        memset(st, 0, sizeof(*st));
        return;
    }
    *st = v->st;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[EMO_PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return EMO_EINVAL;
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return EMO_EIO;
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

int emo_viewer_screenshot(EmoViewer *v, char *path, size_t path_size)
{
    if (!v || !path || path_size < 2)
        return EMO_EINVAL;
    path[0] = 0;
    if (!v->shown)
        return EMO_EAGAIN;
    const char *dir = v->s.output_dir[0] ? v->s.output_dir : ".";
    if (make_dirs(dir) != 0) {
        emo_log(v->s.logger, EMO_LOG_ERROR, "viewer: cannot create %s: %s", dir, strerror(errno));
        return EMO_EIO;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tmv;
    char stamp[32];
    time_t sec = ts.tv_sec;
    if (!localtime_r(&sec, &tmv) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tmv))
        snprintf(stamp, sizeof(stamp), "%lld", (long long)sec);
    int n = snprintf(path, path_size, "%s/emoscope-%s-%03ld.png", dir, stamp, ts.tv_nsec / 1000000L);
    if (n < 0 || (size_t)n >= path_size)
        return EMO_EINVAL;
    /* RGB24 reads the same bytes and ignores alpha: a frame decoded with
     * alpha 0 still saves opaque. Cairo only reads the pixels here. */
    EmoFrame *f = v->shown;
    cairo_surface_t *s = cairo_image_surface_create_for_data(f->data[0], CAIRO_FORMAT_RGB24, f->width, f->height,
                                                             f->stride[0]);
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        emo_log(v->s.logger, EMO_LOG_ERROR, "viewer: cannot write %s: %s", path, cairo_status_to_string(st));
        return EMO_EIO;
    }
    emo_log(v->s.logger, EMO_LOG_INFO, "viewer: screenshot %s", path);
    return 0;
}

static int key_action(EmoViewer *v, const SDL_KeyboardEvent *k, EmoViewerAction *a)
{
    memset(a, 0, sizeof(*a));
    switch (k->keysym.sym) {
    case SDLK_q:
    case SDLK_ESCAPE:
        a->type = EMO_VIEWER_QUIT;
        return 1;
    case SDLK_SPACE:
        v->st.paused = !v->st.paused;
        a->type = EMO_VIEWER_PAUSE;
        a->value = v->st.paused;
        return 1;
    case SDLK_m:
        v->st.show_mesh = !v->st.show_mesh;
        a->type = EMO_VIEWER_MESH;
        a->value = v->st.show_mesh;
        return 1;
    case SDLK_b:
        v->st.show_model_bars = !v->st.show_model_bars;
        a->type = EMO_VIEWER_MODEL_BARS;
        a->value = v->st.show_model_bars;
        return 1;
    case SDLK_g:
        v->st.show_graph = !v->st.show_graph;
        a->type = EMO_VIEWER_GRAPH;
        a->value = v->st.show_graph;
        return 1;
    case SDLK_a:
        v->st.show_actions = !v->st.show_actions;
        a->type = EMO_VIEWER_ACTIONS;
        a->value = v->st.show_actions;
        return 1;
    case SDLK_e: /* g is the graph: e for eyes */
        v->st.show_gaze = !v->st.show_gaze;
        a->type = EMO_VIEWER_GAZE;
        a->value = v->st.show_gaze;
        return 1;
    case SDLK_s:
        a->type = EMO_VIEWER_SCREENSHOT;
        a->value = emo_viewer_screenshot(v, a->path, sizeof(a->path));
        return 1;
    case SDLK_f:
        v->st.fullscreen = !v->st.fullscreen;
        if (SDL_SetWindowFullscreen(v->win, v->st.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0) != 0) {
            emo_log(v->s.logger, EMO_LOG_WARN, "viewer: full screen: %s", SDL_GetError());
            v->st.fullscreen = !v->st.fullscreen;
        }
        a->type = EMO_VIEWER_FULLSCREEN;
        a->value = v->st.fullscreen;
        return 1;
    case SDLK_PLUS:
    case SDLK_EQUALS: /* the + key unshifted on most layouts */
    case SDLK_KP_PLUS:
        a->type = EMO_VIEWER_THRESHOLD_UP;
        return 1;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        a->type = EMO_VIEWER_THRESHOLD_DOWN;
        return 1;
    case SDLK_r:
        v->st.recording = !v->st.recording;
        a->type = EMO_VIEWER_RECORD;
        a->value = v->st.recording;
        return 1;
    default:
        return 0;
    }
}

int emo_viewer_poll(EmoViewer *v, EmoViewerAction *actions, int max)
{
    if (!v || max < 0 || (max > 0 && !actions))
        return EMO_EINVAL;
    int n = 0, need_redraw = 0;
    SDL_Event ev;
    while (n < max && SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            memset(&actions[n], 0, sizeof(actions[n]));
            actions[n++].type = EMO_VIEWER_QUIT;
            break;
        case SDL_WINDOWEVENT:
            if (ev.window.event == SDL_WINDOWEVENT_CLOSE) {
                memset(&actions[n], 0, sizeof(actions[n]));
                actions[n++].type = EMO_VIEWER_QUIT;
            } else if (ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
                       ev.window.event == SDL_WINDOWEVENT_EXPOSED) {
                need_redraw = 1;
            }
            break;
        case SDL_KEYDOWN:
            if (!ev.key.repeat || ev.key.keysym.sym == SDLK_PLUS || ev.key.keysym.sym == SDLK_EQUALS ||
                ev.key.keysym.sym == SDLK_MINUS || ev.key.keysym.sym == SDLK_KP_PLUS ||
                ev.key.keysym.sym == SDLK_KP_MINUS)
                n += key_action(v, &ev.key, &actions[n]);
            break;
        default:
            break;
        }
    }
    if (need_redraw || (v->st.paused && n > 0)) {
        int err = redraw(v);
        if (err)
            return err;
    }
    return n;
}
