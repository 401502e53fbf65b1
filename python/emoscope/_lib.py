"""Loads libemoscope through cffi in ABI mode: nothing is compiled at install.

The declarations below are the part of the public headers the package uses,
written out by hand because ABI mode reads no header. Where the package only
passes a struct on by pointer, the struct is declared opaque; where it reads
a few leading fields (EmoPipelineResult), only that prefix is declared, which
keeps those offsets right while the rest of the struct may grow.

The library is looked for in this order:
1. ``$EMOSCOPE_LIB`` (a path to the .so);
2. next to the package (a copy put there by whoever packaged it);
3. the repository's ``build/`` folder when the package is used in place
   (``PYTHONPATH=python``);
4. the lib folder of the install prefix the package was installed under,
   then the dynamic linker's search (``ldconfig``).
"""
import ctypes.util
import glob
import os
import sys
import threading

import cffi

from ._errors import error_for

CDEF = r"""
/* core.h */
typedef void (*EmoLogFn)(void *userdata, int level, const char *msg);
typedef struct EmoLogger { EmoLogFn fn; void *userdata; int level; } EmoLogger;
const char *emo_strerror(int err);
int emo_log_level_parse(const char *s, int *out);
unsigned emo_version(void);
const char *emo_version_string(void);

/* config.h */
typedef struct EmoConfig EmoConfig;
typedef struct EmoSettingDesc {
    const char *section; const char *key; int type; size_t offset; size_t size;
    const char *unit; const char *def; double min, max; const char *help; int secret;
} EmoSettingDesc;
const EmoSettingDesc *emo_config_table(void);
int emo_config_new(EmoConfig **out);
void emo_config_free(EmoConfig **cfg);
int emo_config_load(EmoConfig *cfg, const char *path, const EmoLogger *lg);
int emo_config_set(EmoConfig *cfg, const char *assignment, const EmoLogger *lg);
int emo_config_set_value(EmoConfig *cfg, const char *section, const char *key, const char *value, const EmoLogger *lg);
void emo_config_format(const EmoConfig *cfg, const EmoSettingDesc *d, char *buf, size_t n);

/* io.h */
typedef struct EmoResultsWriter EmoResultsWriter;
void emo_models_dir(char *out, size_t n, const char *dir_setting, const char *fallback);
int emo_results_open(EmoResultsWriter **out, const char *jsonl_path, const char *csv_path, const EmoLogger *log);
long emo_results_count(const EmoResultsWriter *w);
int emo_results_close(EmoResultsWriter **w);

/* frame.h */
typedef struct EmoFrame {
    int fmt; int width, height; uint8_t *data[4]; int stride[4];
    double pts; int64_t index; double t_capture;
    int refs_; void *pool_; void *buf_;
} EmoFrame;
int emo_frame_alloc(EmoFrame **out, int fmt, int width, int height);
void emo_frame_unref(EmoFrame **f);
int emo_frame_refcount(const EmoFrame *f);

/* video.h, adapt.h */
typedef struct EmoVideoSourceSettings {
    const char *source; int pix_fmt; int out_width, out_height; int width, height; double fps;
    const char *input_format; int live; int queue_size; int held_frames; int64_t max_frames;
    int loop; int reconnect; double reconnect_delay; double image_fps; int decode_threads;
    double timeout; const char *scaler; const EmoLogger *log;
} EmoVideoSourceSettings;
typedef struct EmoVideoInfo {
    int kind; int live; int width, height; int pix_fmt; int src_width, src_height;
    double fps; double duration; int64_t frame_count; int time_base_num, time_base_den;
    char codec[32]; char container[64]; char camera_format[32];
} EmoVideoInfo;
typedef struct EmoVideoSource EmoVideoSource;
typedef struct EmoVideoSettings EmoVideoSettings;
void emo_video_default_settings(EmoVideoSourceSettings *s);
int emo_video_settings_from_config(EmoVideoSourceSettings *s, const EmoVideoSettings *cfg);
int emo_video_open(EmoVideoSource **out, const EmoVideoSourceSettings *s);
void emo_video_info(const EmoVideoSource *src, EmoVideoInfo *info);
int emo_video_read(EmoVideoSource *src, EmoFrame **frame, double timeout_s);
const char *emo_video_error_message(EmoVideoSource *src);
void emo_video_close(EmoVideoSource **src);
void emo_video_ffmpeg_log_level(int level);

typedef struct EmoVideoStats {
    int64_t frames_decoded; int64_t frames_read; int64_t frames_dropped; int64_t decode_errors; int64_t reconnects;
    double decode_seconds; double convert_seconds;
} EmoVideoStats;

/* analyze.h: one file into an output folder */
typedef struct EmoAnalyzeProgress { int64_t frames; double pts; double duration; double wall_s; } EmoAnalyzeProgress;
typedef struct EmoAnalyzeOptions {
    int analyze; int results; int video; int chart; const char *models_dir; const int *stop;
    void (*progress)(void *opaque, const EmoAnalyzeProgress *p); void *opaque;
    const void *sinks; int n_sinks;
} EmoAnalyzeOptions;
typedef struct EmoAnalyzeReport {
    int end; int failed_stage; int live_stopped; int64_t frames; int64_t written; int64_t records, events;
    double first_pts, last_pts; double wall_s; double encode_s; double t_face, t_emotion, t_motion, t_render;
    int64_t analysed; EmoVideoInfo info; EmoVideoStats stats; char error[512]; char source_error[256];
} EmoAnalyzeReport;
void emo_analyze_default_options(EmoAnalyzeOptions *o);
int emo_analyze_file(const EmoConfig *cfg, const char *source, const char *out_dir,
                     const EmoAnalyzeOptions *o, EmoAnalyzeReport *rep, const EmoLogger *lg);

/* batch.h: one item per input, the list of a batch, its index */
typedef struct EmoBatchResult {
    int status; char key[65]; int64_t frames; double seconds; char error[512];
} EmoBatchResult;
typedef struct EmoBatchList EmoBatchList;
const char *emo_batch_status_name(int s);
int emo_batch_item(const EmoConfig *cfg, const char *input, const char *output, const EmoAnalyzeOptions *o,
                   EmoBatchResult *res, const EmoLogger *lg);
void emo_batch_share_cores(EmoConfig *cfg, int jobs);
int emo_batch_list_open(EmoBatchList **out, const char *const *args, int n_args, const char *out_dir,
                        const EmoLogger *lg);
int emo_batch_list_count(const EmoBatchList *l);
const char *emo_batch_list_input(const EmoBatchList *l, int i);
const char *emo_batch_list_output(const EmoBatchList *l, int i);
int64_t emo_batch_list_size(const EmoBatchList *l, int i);
void emo_batch_list_close(EmoBatchList **l);
int emo_batch_write_index(const char *path, const EmoBatchList *l, const EmoBatchResult *results);

/* emotion.h, actions.h, motion.h: the names the records use */
const char *emo_emotion_name(int e);
const char *emo_blendshape_name(int i);
int emo_action_unit_number(int i);
const char *emo_region_name(int region);

/* pipeline.h */
typedef struct EmoPipelineSettings {
    const EmoConfig *cfg; const char *models_dir; int draw; int keep_timeline; const EmoLogger *log;
} EmoPipelineSettings;
typedef struct EmoPipelineResult {   /* leading fields only: read through pointers, never sized */
    int64_t index; double pts; int n_faces; void *faces; int n_events;
} EmoPipelineResult;
typedef struct EmoPipeline EmoPipeline;
void emo_pipeline_default_settings(EmoPipelineSettings *s);
int emo_pipeline_open(EmoPipeline **out, const EmoPipelineSettings *s);
int emo_pipeline_process(EmoPipeline *p, EmoFrame *frame, double capture_fps, const EmoPipelineResult **res);
int emo_pipeline_finish(EmoPipeline *p, const EmoPipelineResult **res);
int emo_pipeline_write_records(EmoPipeline *p, const EmoPipelineResult *res, EmoResultsWriter *frames,
                               EmoResultsWriter *events);
int emo_pipeline_write_summary(EmoPipeline *p, const char *path, const char *source);
int emo_pipeline_write_timeline(EmoPipeline *p, const char *png_path, const char *svg_path, const char *source);
void emo_pipeline_close(EmoPipeline **p);
"""

# Values of the public enums used here (frame.h, core.h).
PIX_BGRA, PIX_RGB24, PIX_GRAY8 = 1, 2, 3
LOG_QUIET, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG = -1, 0, 1, 2, 3

# EmoAnalyzeEnd (analyze.h).
ANALYZE_NOT_RUN, ANALYZE_COMPLETE, ANALYZE_PARTIAL, ANALYZE_INTERRUPTED, ANALYZE_FAILED = range(5)

# EmoBatchStatus (batch.h).
BATCH_DONE, BATCH_SKIPPED, BATCH_FAILED, BATCH_INTERRUPTED = range(4)

# The counts behind the record names (emotion.h, actions.h, motion.h);
# tests/python checks them against the headers.
EMOTION_COUNT = 7
BLENDSHAPES = 52
ACTION_UNITS = 29
REGION_COUNT = 12

ffi = cffi.FFI()
ffi.cdef(CDEF)

_here = os.path.dirname(os.path.abspath(__file__))
#: The repository root when the package is used in place (python/emoscope/..), else None.
REPO = os.path.dirname(os.path.dirname(_here))
if not os.path.isfile(os.path.join(REPO, "include", "emoscope", "core.h")):
    REPO = None


def _prefix_candidates():
    # An installed package sits in PREFIX/lib/python3*/{site,dist}-packages/emoscope.
    parts = _here.split(os.sep)
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] == "lib" or parts[i].startswith("lib"):
            prefix = os.sep.join(parts[:i]) or os.sep
            yield prefix
            break
    yield sys.prefix
    yield "/usr/local"


def _candidates():
    env = os.environ.get("EMOSCOPE_LIB")
    if env:
        yield env
        return
    yield from sorted(glob.glob(os.path.join(_here, "libemoscope.so*")))
    if REPO:
        yield os.path.join(REPO, "build", "libemoscope.so")
    for prefix in _prefix_candidates():
        for libdir in ("lib", "lib64", "lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu"):
            yield from sorted(glob.glob(os.path.join(prefix, libdir, "libemoscope.so*")))
    found = ctypes.util.find_library("emoscope")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ffi.dlopen(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("emoscope: libemoscope.so not found; build it (make) or set EMOSCOPE_LIB. Tried: "
                      + ", ".join(tried or ["nothing"]))


lib, LIB_PATH = _load()


class Messages:
    """A logger that keeps what the library said, for the exceptions.

    The callback may come from the library's own threads (cffi takes the
    GIL for it); the list is guarded so that those do not race the caller.
    Messages also go to the ``emoscope`` logging logger.
    """

    def __init__(self, level=LOG_WARN):
        import logging
        self._py = logging.getLogger("emoscope")
        self._lock = threading.Lock()
        self.lines = []
        self._cb = ffi.callback("void(void *, int, const char *)", self._on_message)
        self.logger = ffi.new("EmoLogger *")
        self.logger.fn = self._cb
        self.logger.level = level

    def _on_message(self, userdata, level, msg):
        text = ffi.string(msg).decode("utf-8", "replace")
        with self._lock:
            self.lines.append((level, text))
            del self.lines[:-32]
        self._py.log({LOG_ERROR: 40, LOG_WARN: 30, LOG_INFO: 20}.get(level, 10), "%s", text)

    def take(self):
        """The errors and warnings said since the last take, newest last."""
        with self._lock:
            lines, self.lines = self.lines, []
        return [t for lv, t in lines if lv <= LOG_WARN]

    def error(self, code, what):
        said = self.take()
        text = "%s: %s" % (what, ffi.string(lib.emo_strerror(code)).decode())
        if said:
            text += " (" + "; ".join(said[-3:]) + ")"
        return error_for(code, text)

    def check(self, code, what):
        if code < 0:
            raise self.error(code, what)
        return code


def cstr(s):
    """A str or os.PathLike as a NUL-terminated char array cffi keeps alive."""
    return ffi.new("char[]", os.fsencode(s))
