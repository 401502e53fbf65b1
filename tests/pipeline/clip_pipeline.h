/* The pipeline tests' set-up: the shared clip d0.mp4 read as BGRA, and a
 * pipeline on cfg over the installed models. Fails the test on error. */
#ifndef EMOSCOPE_TEST_CLIP_PIPELINE_H
#define EMOSCOPE_TEST_CLIP_PIPELINE_H

#include "testutil.h"

#include <emoscope/pipeline.h>
#include <emoscope/video.h>

/* A pipeline on cfg (which must outlive it) over the installed models. */
static inline EmoPipeline *open_test_pipeline(const EmoConfig *cfg, int draw, const EmoLogger *log)
{
    EmoPipelineSettings ps;
    emo_pipeline_default_settings(&ps);
    ps.cfg = cfg;
    ps.models_dir = EMO_TEST_MODELS_DIR;
    ps.draw = draw;
    ps.log = log;
    EmoPipeline *p = NULL;
    assert_int_equal(emo_pipeline_open(&p, &ps), 0);
    return p;
}

static inline void open_d0_pipeline(const EmoConfig *cfg, int draw, const EmoLogger *log, EmoVideoSource **src,
                                    EmoPipeline **p)
{
    EmoVideoSourceSettings vs;
    emo_video_default_settings(&vs);
    vs.source = emo_test_shared("testdata/video/d0.mp4");
    vs.pix_fmt = EMO_PIX_BGRA;
    *src = NULL;
    assert_int_equal(emo_video_open(src, &vs), 0);
    *p = open_test_pipeline(cfg, draw, log);
}

#endif
