/* emoscope analyze FILE: every frame, headless, all outputs. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <emoscope/video.h>

#include "cli.h"
#include "job.h"

int emo_cmd_analyze(EmoCli *cli, int argc, char **argv)
{
    EmoJob job = { 0 };
    job.name = "analyze";
    job.out_dir = cli->cfg.general.output_dir;
    job.analyze = 1;
    job.write_video = cli->cfg.output.video;
    job.write_results = 1;
    job.write_chart = cli->cfg.output.chart;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            job.out_dir = argv[++i];
        } else if (!strncmp(argv[i], "--out=", 6)) {
            job.out_dir = argv[i] + 6;
        } else if (!strcmp(argv[i], "--no-video")) {
            job.write_video = 0;
        } else if (!strcmp(argv[i], "--no-chart")) {
            job.write_chart = 0;
        } else if (!strcmp(argv[i], "--landmarks")) {
            cli->cfg.output.landmarks = 1;
        } else if (!strcmp(argv[i], "--passthrough")) {
            job.analyze = 0;
            job.write_results = 0;
            job.write_chart = 0;
        } else if (emo_job_source_arg(&job, "analyze", "input", argv[i])) {
            return EMO_EXIT_USAGE;
        }
    }
    if (!job.source)
        job.source = cli->cfg.video.source[0] ? cli->cfg.video.source : NULL;
    if (!job.source) {
        fprintf(stderr, "emoscope analyze: no input file\n");
        emo_cli_usage("analyze");
        return EMO_EXIT_USAGE;
    }
    emo_video_ffmpeg_log_level(cli->log.level == EMO_LOG_DEBUG ? EMO_LOG_DEBUG : EMO_LOG_ERROR);
    EmoJobReport rep;
    return emo_job_run(cli, &job, &rep);
}
