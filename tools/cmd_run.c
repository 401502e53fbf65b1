/* emoscope run [SOURCE]: live analysis with the viewer window. */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <emoscope/video.h>

#include "viewer.h"
#include "cli.h"
#include "job.h"

/* The first V4L2 device that exists, or NULL. */
static const char *first_camera(char *buf, size_t n)
{
    glob_t g;
    const char *found = NULL;
    if (glob("/dev/video[0-9]*", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
            if (access(g.gl_pathv[i], R_OK) == 0) {
                snprintf(buf, n, "%s", g.gl_pathv[i]);
                found = buf;
            }
        }
        globfree(&g);
    }
    return found;
}

int emo_cmd_run(EmoCli *cli, int argc, char **argv)
{
    EmoJob job = { 0 };
    job.name = "run";
    job.out_dir = cli->cfg.general.output_dir;
    job.analyze = 1;
    job.pace = 1;
    int headless = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--headless")) {
            headless = 1;
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            job.out_dir = argv[++i];
        } else if (!strncmp(argv[i], "--out=", 6)) {
            job.out_dir = argv[i] + 6;
        } else if (!strcmp(argv[i], "--no-pace")) {
            job.pace = 0;
        } else if (emo_job_source_arg(&job, "run", "source", argv[i])) {
            return EMO_EXIT_USAGE;
        }
    }
    char cam[64], sample[EMO_PATH_MAX + 32];
    if (!job.source && cli->cfg.video.source[0])
        job.source = cli->cfg.video.source;
    if (!job.source)
        job.source = first_camera(cam, sizeof(cam));
    if (!job.source && cli->cfg.video.reconnect) {
        /* Asked to reconnect, the user waits for the camera to be plugged
         * in rather than watching the sample clip: the first one plugged in
         * is /dev/video0 where none was there. */
        job.source = "/dev/video0";
        printf("run: no camera found; waiting for %s (video.reconnect=true)\n", job.source);
        fflush(stdout);
    }
    if (!job.source) {
        emo_cli_sample_clip(cli, sample, sizeof(sample));
        if (access(sample, R_OK) != 0) {
            fprintf(stderr, "emoscope run: no camera found and no sample clip at %s (run `make models`)\n", sample);
            return EMO_EXIT_FAIL;
        }
        printf("run: no camera found; using the sample clip %s\n", sample);
        job.source = sample;
    }
    job.viewer = !headless && emo_viewer_display_available();
    /* Results, summary and chart are always kept; the annotated video only
     * headless (in the window, `r` records on demand). */
    job.write_results = 1;
    job.write_chart = cli->cfg.output.chart;
    if (!job.viewer) {
        job.write_video = cli->cfg.output.video;
        job.pace = 0;
        printf("run: no display; running headless, outputs go to %s\n", job.out_dir);
    }
    emo_video_ffmpeg_log_level(cli->log.level == EMO_LOG_DEBUG ? EMO_LOG_DEBUG : EMO_LOG_ERROR);
    EmoJobReport rep;
    return emo_job_run(cli, &job, &rep);
}
