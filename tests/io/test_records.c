/* The records module (src/io/records.c): one event schema wherever an event
 * is written (events.jsonl/csv and summary.json), the frame record's fields,
 * the summary's counts, and the JSONL and CSV of the same records agreeing. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/records.h"

static EmoLogger quiet = { NULL, NULL, EMO_LOG_ERROR - 1 };

/* The field names of events, in order: README "Event records". */
static const char *const event_fields[] = { "type", "class", "region", "direction", "onset_frame", "apex_frame",
                                            "offset_frame", "onset_t", "apex_t", "offset_t", "duration",
                                            "magnitude", "dx", "dy" };
#define N_EVENT_FIELDS (int)(sizeof(event_fields) / sizeof(event_fields[0]))

/* An expression event of class micro (micro 1) or macro (micro 0). */
static EmoMotionEvent sample_event(int micro)
{
    return (EmoMotionEvent){ .onset = 10, .apex = 13, .offset = 17, .onset_pts = 0.4, .apex_pts = 0.52,
                             .offset_pts = 0.6812345678, .duration = 0.32, .region = EMO_REGION_LEFT_BROW,
                             .direction = EMO_DIR_UP, .peak_magnitude = 5.25f, .peak_dx = 0.1f,
                             .peak_dy = -1.97f, .type = EMO_EVENT_EXPRESSION,
                             .cls = micro ? EMO_EVENT_CLASS_MICRO : EMO_EVENT_CLASS_MACRO, .micro = micro };
}

/* An event of another type: no class. */
static EmoMotionEvent typed_event(EmoEventType type)
{
    EmoMotionEvent e = sample_event(0);
    e.type = type;
    e.cls = EMO_EVENT_CLASS_NONE;
    return e;
}

/* The names of o's fields in order must be first..., then names. */
static void assert_fields(const cJSON *o, const char *first, const char *const *names, int n)
{
    const cJSON *it = o->child;
    if (first) {
        assert_non_null(it);
        assert_string_equal(it->string, first);
        it = it->next;
    }
    for (int i = 0; i < n; i++, it = it->next) {
        assert_non_null(it);
        assert_string_equal(it->string, names[i]);
    }
    assert_null(it);
}

static void test_event_record(void **state)
{
    (void)state;
    EmoMotionEvent e = sample_event(1);
    cJSON *o = emo__record_event(&e, 3);
    assert_non_null(o);
    assert_fields(o, "face_id", event_fields, N_EVENT_FIELDS);
    assert_int_equal(cJSON_GetObjectItem(o, "face_id")->valueint, 3);
    assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, "expression");
    assert_string_equal(cJSON_GetObjectItem(o, "class")->valuestring, "micro");
    assert_string_equal(emo__record_event_label(&e), "micro-expression");
    assert_string_equal(cJSON_GetObjectItem(o, "region")->valuestring, "left_brow");
    assert_string_equal(cJSON_GetObjectItem(o, "direction")->valuestring, "Up Movement");
    assert_int_equal(cJSON_GetObjectItem(o, "apex_frame")->valueint, 13);
    assert_true(cJSON_GetObjectItem(o, "offset_t")->valuedouble == 0.681235); /* to the microsecond */
    assert_true(fabs(cJSON_GetObjectItem(o, "dy")->valuedouble + 1.97) < 1e-9);
    cJSON_Delete(o);

    e = sample_event(0);
    e.direction = EMO_DIR_NONE;
    o = emo__record_event(&e, -1); /* as listed in summary.json: no face_id */
    assert_non_null(o);
    assert_fields(o, NULL, event_fields, N_EVENT_FIELDS);
    assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, "expression");
    assert_string_equal(cJSON_GetObjectItem(o, "class")->valuestring, "macro");
    assert_string_equal(emo__record_event_label(&e), "macro-expression");
    /* The same direction names as the frame records' regions. */
    assert_string_equal(cJSON_GetObjectItem(o, "direction")->valuestring, emo_direction_name(EMO_DIR_NONE));
    cJSON_Delete(o);

    /* Every type by name; the class only on expression events (null, an
     * empty CSV cell, on the others), twitches as their own class. */
    static const char *const names[EMO_EVENT_TYPE_COUNT] = { "expression", "blink", "speech", "head" };
    for (int t = 1; t < EMO_EVENT_TYPE_COUNT; t++) {
        e = typed_event((EmoEventType)t);
        o = emo__record_event(&e, 1);
        assert_fields(o, "face_id", event_fields, N_EVENT_FIELDS);
        assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, names[t]);
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "class")));
        assert_string_equal(emo__record_event_label(&e), names[t]);
        cJSON_Delete(o);
    }
    e = sample_event(0);
    e.cls = EMO_EVENT_CLASS_TWITCH;
    o = emo__record_event(&e, 1);
    assert_string_equal(cJSON_GetObjectItem(o, "class")->valuestring, "twitch");
    assert_string_equal(emo__record_event_label(&e), "expression");
    cJSON_Delete(o);
    assert_string_equal(emo_event_type_name(EMO_EVENT_TYPE_COUNT), "?");
    assert_null(emo_event_class_name(EMO_EVENT_CLASS_NONE));
    assert_null(emo_event_class_name(-1));
}

static void test_motion_record(void **state)
{
    (void)state;
    EmoMotionFrame r;
    memset(&r, 0, sizeof(r));
    r.has_flow = 1;
    r.frame_gap = 1;
    r.head[0] = 0.12345f;
    r.head[1] = 0.012345f;
    r.mean_magnitude = NAN; /* a degenerate flow is written as 0, never as an invalid number */
    for (int i = 0; i < EMO_REGION_COUNT; i++)
        r.region[i].direction = EMO_DIR_NONE;
    r.region[EMO_REGION_CHIN].active = 1;
    r.region[EMO_REGION_CHIN].magnitude = 4;
    r.region[EMO_REGION_CHIN].direction = EMO_DIR_DOWN;
    r.n_active = 1;
    r.n_events = 2;
    r.speaking = 1;
    r.eye_open = 0.31234f;
    r.mouth_open = -1;
    cJSON *o = emo__record_motion(&r);
    assert_non_null(o);
    cJSON *act = cJSON_GetObjectItem(o, "active");
    assert_int_equal(cJSON_GetArraySize(act), 1);
    assert_string_equal(cJSON_GetArrayItem(act, 0)->valuestring, "chin");
    cJSON *regs = cJSON_GetObjectItem(o, "regions");
    assert_int_equal(cJSON_GetArraySize(regs), EMO_REGION_COUNT);
    cJSON *chin = cJSON_GetObjectItem(regs, "chin");
    assert_string_equal(cJSON_GetObjectItem(chin, "direction")->valuestring, "Down Movement");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(chin, "active")));
    cJSON *head = cJSON_GetObjectItem(o, "head_affine");
    assert_true(cJSON_GetArrayItem(head, 0)->valuedouble == 0.123); /* translation: 1e-3 px */
    assert_true(cJSON_GetArrayItem(head, 1)->valuedouble == 0.0123); /* linear term: 1e-4 */
    assert_true(cJSON_GetObjectItem(o, "mean_magnitude")->valuedouble == 0);
    assert_int_equal(cJSON_GetObjectItem(o, "events")->valueint, 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "speaking")));
    assert_true(cJSON_GetObjectItem(o, "eye_open")->valuedouble == 0.312);
    assert_true(cJSON_GetObjectItem(o, "mouth_open")->valuedouble == -1); /* no landmarks */
    r.speaking = 0;
    cJSON_Delete(o);
    o = emo__record_motion(&r);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "speaking")));
    assert_null(cJSON_GetObjectItem(o, "frame")); /* the frame record has frame and t already */
    cJSON_Delete(o);
}

/* A frame record's fields after "frame": README "Outputs" (results.jsonl).
 * The landmarks, asked for, come between pose and emotion. */
static const char *const face_fields[] = { "t", "face_id", "detected", "tracked", "detection_score",
                                           "landmark_score", "box", "size_px", "low_confidence", "pose",
                                           "emotion", "motion" };
#define N_FACE_FIELDS (int)(sizeof(face_fields) / sizeof(face_fields[0]))
static const char *const pose_fields[] = { "yaw", "pitch", "roll" };

static void fill_face(EmoPipelineFace *pf)
{
    memset(pf, 0, sizeof(*pf));
    pf->face.id = 7;
    pf->face.flags = EMO_FACE_TRACKED | EMO_FACE_LOW_CONFIDENCE;
    pf->face.size_px = 31.256f;
    pf->face.box[0] = 12.344f;
    pf->face.box[1] = -3.456f;
    pf->face.box[2] = pf->face.box[3] = 100;
    pf->face.presence = 0.99f;
    pf->face.detection_score = 0.9f;
    pf->face.yaw = 1.5f;
    pf->face.pitch = -2.25f;
    pf->face.roll = 0.5f;
    pf->face.landmarks[1][2] = 4.006f;
    pf->emotion.dominant = 3;
    pf->emotion.fused[3] = pf->emotion.smoothed[3] = 0.123456f;
    pf->emotion.n_models = 1;
    pf->emotion.model_names[0] = "mini";
    pf->emotion.available[0] = 0;
    pf->emotion.api_age = -1;
    pf->motion_active_region = -1;
    for (int i = 0; i < EMO_REGION_COUNT; i++)
        pf->motion.region[i].direction = EMO_DIR_NONE;
}

/* The record of fill_face's face in frame 42 at t = 1.6800004 s. */
/* n_landmarks: the face's count (0 as a face built by hand: its 468 mesh points). */
static cJSON *sample_frame_n(int landmarks, int motion, int n_landmarks)
{
    EmoPipelineResult res;
    memset(&res, 0, sizeof(res));
    res.index = 42;
    res.pts = 1.6800004;
    static EmoPipelineFace pf;
    fill_face(&pf);
    pf.face.n_landmarks = n_landmarks;
    for (int i = EMO_FACE_LANDMARKS; i < EMO_FACE_LANDMARKS_MAX; i++)
        pf.face.landmarks[i][2] = (float)i + 0.004f;
    EmoRecordOptions opt = { landmarks, motion };
    cJSON *o = emo__record_frame(&res, &pf, &opt);
    assert_non_null(o);
    return o;
}

static cJSON *sample_frame(int landmarks, int motion)
{
    return sample_frame_n(landmarks, motion, 0);
}

static void test_frame_record(void **state)
{
    (void)state;
    cJSON *o = sample_frame(0, 1);
    /* frame, t, then the face's fields with its id first */
    assert_string_equal(o->child->string, "frame");
    assert_string_equal(o->child->next->string, "t");
    assert_string_equal(o->child->next->next->string, "face_id");
    assert_int_equal(cJSON_GetObjectItem(o, "face_id")->valueint, 7);
    assert_true(cJSON_GetObjectItem(o, "t")->valuedouble == 1.68);
    /* The face's fields follow its id, in this order (README "Outputs"). */
    assert_fields(o, "frame", face_fields, N_FACE_FIELDS);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "detected")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "tracked")));
    assert_float_equal(cJSON_GetObjectItem(o, "detection_score")->valuedouble, 0.9, 1e-6);
    assert_float_equal(cJSON_GetObjectItem(o, "landmark_score")->valuedouble, 0.99, 1e-6);
    /* box to two decimals, halves away from zero */
    cJSON *box = cJSON_GetObjectItem(o, "box");
    assert_int_equal(cJSON_GetArraySize(box), 4);
    assert_true(cJSON_GetArrayItem(box, 0)->valuedouble == 12.34);
    assert_true(cJSON_GetArrayItem(box, 1)->valuedouble == -3.46);
    assert_true(cJSON_GetArrayItem(box, 2)->valuedouble == 100);
    /* A small face: its width to two decimals, and the mark (docs/face.md, "Small faces"). */
    assert_true(cJSON_GetObjectItem(o, "size_px")->valuedouble == 31.26);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "low_confidence")));
    cJSON *pose = cJSON_GetObjectItem(o, "pose");
    assert_fields(pose, NULL, pose_fields, 3);
    assert_float_equal(cJSON_GetObjectItem(pose, "yaw")->valuedouble, 1.5, 1e-6);
    assert_float_equal(cJSON_GetObjectItem(pose, "pitch")->valuedouble, -2.25, 1e-6);
    assert_float_equal(cJSON_GetObjectItem(pose, "roll")->valuedouble, 0.5, 1e-6);
    assert_null(cJSON_GetObjectItem(o, "landmarks"));
    cJSON *emo = cJSON_GetObjectItem(o, "emotion");
    assert_string_equal(cJSON_GetObjectItem(emo, "dominant")->valuestring, "happy");
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(emo, "fused"), "happy")->valuedouble == 0.12346);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(emo, "models"), "mini")));
    assert_non_null(cJSON_GetObjectItem(o, "motion"));
    cJSON_Delete(o);

    o = sample_frame(1, 0);
    cJSON *lm = cJSON_GetObjectItem(o, "landmarks");
    assert_int_equal(cJSON_GetArraySize(lm), EMO_FACE_LANDMARKS * 3);
    assert_true(cJSON_GetArrayItem(lm, 5)->valuedouble == 4.01); /* point 1's z, two decimals */
    assert_string_equal(lm->prev->string, "pose"); /* after the pose, before the emotion */
    assert_null(cJSON_GetObjectItem(o, "motion"));
    cJSON_Delete(o);

    /* The face mesh's face: 468 points; the landmarker's: 478, irises last. */
    o = sample_frame_n(1, 0, EMO_FACE_LANDMARKS);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "landmarks")), EMO_FACE_LANDMARKS * 3);
    cJSON_Delete(o);
    o = sample_frame_n(1, 0, EMO_FACE_LANDMARKS_MAX);
    lm = cJSON_GetObjectItem(o, "landmarks");
    assert_int_equal(cJSON_GetArraySize(lm), EMO_FACE_LANDMARKS_MAX * 3);
    assert_true(cJSON_GetArrayItem(lm, 3 * 477 + 2)->valuedouble == 477.0); /* iris point 477's z */
    assert_true(cJSON_GetArrayItem(lm, 5)->valuedouble == 4.01);
    cJSON_Delete(o);

    /* A face at or above face.min_reliable_size: the mark is false, the size still there. */
    static EmoPipelineFace big;
    fill_face(&big);
    big.face.flags = EMO_FACE_TRACKED;
    big.face.size_px = 120;
    o = emo__record_frame(&(EmoPipelineResult){ .index = 42 }, &big, &(EmoRecordOptions){ 0, 0 });
    assert_non_null(o);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "low_confidence")));
    assert_true(cJSON_GetObjectItem(o, "size_px")->valuedouble == 120);
    cJSON_Delete(o);
}

static void test_summary(void **state)
{
    (void)state;
    EmoPipelineEvent evs[6] = { { .face_id = 1, .event = sample_event(1) },
                                { .face_id = 1, .event = sample_event(0) },
                                { .face_id = 1, .event = sample_event(1) },
                                { .face_id = 1, .event = typed_event(EMO_EVENT_BLINK) },
                                { .face_id = 1, .event = typed_event(EMO_EVENT_BLINK) },
                                { .face_id = 1, .event = typed_event(EMO_EVENT_SPEECH) } };
    /* The second event carries two action units, the strongest first. */
    evs[1].n_actions = 2;
    evs[1].actions[0] = emo_action_unit_index(12);
    evs[1].actions[1] = emo_action_unit_index(6);
    double dom[EMO_EMOTION_COUNT] = { 0.5, 0, 0, 2.25, 0, 0, 1.0 };
    double none[EMO_EMOTION_COUNT] = { 0 };
    /* 80 frames from 0.04 s to 3.2 s: 3.2 s tracked (79 intervals of 0.04 s, and the last frame's). */
    EmoRecordFaceSummary faces[2] = { { 1, 80, 0.04, 3.2, dom, evs, 6, 1.5, 30, 41.256 },
                                      { 2, 0, 0, 0, none, NULL, 0, 0, 0, 0 } };
    cJSON *doc = emo__record_summary("clip.mp4", 81, faces, 2);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "source")->valuestring, "clip.mp4");
    assert_int_equal(cJSON_GetObjectItem(doc, "frames_analysed")->valueint, 81);
    cJSON *arr = cJSON_GetObjectItem(doc, "faces");
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    cJSON *f = cJSON_GetArrayItem(arr, 0);
    assert_string_equal(cJSON_GetObjectItem(f, "most_dominant")->valuestring, "happy");
    /* How small the face was: its mean size to 0.01 px, its frames marked low-confidence. */
    assert_true(cJSON_GetObjectItem(f, "mean_size_px")->valuedouble == 41.26);
    assert_int_equal(cJSON_GetObjectItem(f, "low_confidence_frames")->valueint, 30);
    assert_int_equal(cJSON_GetObjectItem(f, "micro_expressions")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(f, "macro_expressions")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(f, "expression_twitches")->valueint, 0);
    cJSON *by = cJSON_GetObjectItem(f, "events_by_type");
    assert_int_equal(cJSON_GetObjectItem(by, "expression")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(by, "blink")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(by, "speech")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(by, "head")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(f, "blinks")->valueint, 2);
    /* 2 blinks in 3.2 s: 37.5 per minute. */
    assert_true(fabs(cJSON_GetObjectItem(f, "blinks_per_minute")->valuedouble - 37.5) < 1e-9);
    assert_true(fabs(cJSON_GetObjectItem(f, "speaking_seconds")->valuedouble - 1.5) < 1e-9);
    assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "blinks_per_minute")->valuedouble == 0);
    cJSON *ev = cJSON_GetObjectItem(f, "events");
    assert_int_equal(cJSON_GetArraySize(ev), 6);
    /* The one event schema: the events.jsonl record less its face_id. */
    cJSON *full = emo__record_event(&evs[1].event, 1);
    emo__record_event_actions(full, &evs[1]);
    cJSON_DeleteItemFromObject(full, "face_id");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 1), "actions")->valuestring, "AU12+AU6");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 0), "actions")->valuestring, "");
    assert_true(cJSON_Compare(cJSON_GetArrayItem(ev, 1), full, 1));
    cJSON_Delete(full);
    /* A face with no frames has no dominant emotion. */
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "most_dominant")->valuestring, "");

    const char *dir = emo_test_tmpdir("records");
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(emo__record_write_file(path, doc, &quiet), 0);
    size_t n;
    char *text = emo_test_read_file(path, &n);
    assert_true(n > 0 && text[n - 1] == '\n');
    cJSON *back = cJSON_Parse(text);
    assert_true(cJSON_Compare(back, doc, 1));
    cJSON_Delete(back);
    free(text);
    FILE *t = fopen(tmp, "r");
    assert_null(t); /* the temporary file was renamed into place */
    snprintf(path, sizeof(path), "%s/no/such/dir/summary.json", dir);
    assert_int_equal(emo__record_write_file(path, doc, &quiet), EMO_EIO);
    cJSON_Delete(doc);
}

/* results.csv of a frame record: the face's columns in the record's order,
 * the box one ';'-joined cell, the pose flattened. */
static void test_frame_csv(void **state)
{
    (void)state;
    cJSON *rec = sample_frame(0, 0);
    char c[4200];
    snprintf(c, sizeof(c), "%s/results.csv", emo_test_tmpdir("records-frame"));
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, NULL, c, &quiet), 0);
    assert_int_equal(emo_results_write(w, rec), 0);
    cJSON_Delete(rec);
    assert_int_equal(emo_results_close(&w), 0);
    size_t n;
    char *csv = emo_test_read_file(c, &n);
    const char *head = "frame,t,face_id,detected,tracked,detection_score,landmark_score,box,size_px,low_confidence,"
                       "pose.yaw,pose.pitch,pose.roll,emotion.dominant,";
    assert_true(!strncmp(csv, head, strlen(head)));
    const char *row = strchr(csv, '\n');
    assert_non_null(row);
    const char *want = "42,1.68,7,false,true,0.9,0.99,12.34;-3.46;100;100,31.26,true,1.5,-2.25,0.5,happy,";
    assert_true(!strncmp(row + 1, want, strlen(want)));
    free(csv);
}

/* events.jsonl and events.csv of the same records: the CSV header is the
 * event schema and each row holds the JSONL line's values. */
static void test_events_jsonl_csv_agree(void **state)
{
    (void)state;
    const char *dir = emo_test_tmpdir("records-events");
    char j[4200], c[4200];
    snprintf(j, sizeof(j), "%s/events.jsonl", dir);
    snprintf(c, sizeof(c), "%s/events.csv", dir);
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, j, c, &quiet), 0);
    for (int i = 0; i < 3; i++) {
        EmoMotionEvent e = i < 2 ? sample_event(i == 0) : typed_event(EMO_EVENT_BLINK);
        cJSON *rec = emo__record_event(&e, 5);
        assert_int_equal(emo_results_write(w, rec), 0);
        cJSON_Delete(rec);
    }
    assert_int_equal(emo_results_close(&w), 0);
    size_t n;
    char *csv = emo_test_read_file(c, &n);
    char header[512] = "face_id";
    for (int i = 0; i < N_EVENT_FIELDS; i++) {
        strcat(header, ",");
        strcat(header, event_fields[i]);
    }
    strcat(header, "\n");
    assert_true(!strncmp(csv, header, strlen(header)));
    const char *row = csv + strlen(header);
    const char *want = "5,expression,micro,left_brow,Up Movement,10,13,17,0.4,0.52,0.681235,0.32,5.25,0.1,-1.97\n";
    assert_true(!strncmp(row, want, strlen(want)));
    assert_non_null(strstr(row, "\n5,expression,macro,left_brow,"));
    /* No class: an empty cell, null in the JSONL. */
    assert_non_null(strstr(row, "\n5,blink,,left_brow,"));
    free(csv);
    char *jsonl = emo_test_read_file(j, &n);
    assert_non_null(strstr(jsonl, "{\"face_id\":5,\"type\":\"expression\",\"class\":\"micro\",\"region\":\"left_brow\","));
    assert_non_null(strstr(jsonl, "{\"face_id\":5,\"type\":\"blink\",\"class\":null,\"region\":\"left_brow\","));
    free(jsonl);
}

/* Commas outside quotes on one CSV line (up to its end or '\n'). */
/* The gaze (faces with the landmarker's irises only): combined and per eye,
 * angles to 0.01 degree, null for an eye without a direction; after the
 * pose (and landmarks), before the emotion; in CSV one column each, the
 * same columns for a valid and an invalid gaze. */
static void test_frame_gaze(void **state)
{
    (void)state;
    EmoPipelineResult res;
    memset(&res, 0, sizeof(res));
    static EmoPipelineFace pf;
    fill_face(&pf);
    pf.face.n_landmarks = EMO_FACE_LANDMARKS_MAX;
    pf.gaze.valid = 1;
    pf.gaze.yaw = 12.3456f;
    pf.gaze.pitch = -4.5f;
    pf.gaze.eyes = 1;
    pf.gaze.eye[0] = (EmoGazeEye){ 1, 12.3456f, -4.5f, 10.004f, -1.25f, 0.2567f };
    pf.gaze.eye[1] = (EmoGazeEye){ 0, 0, 0, 0, 0, 0.05f };
    const EmoRecordOptions opt = { 0, 0 };
    cJSON *o = emo__record_frame(&res, &pf, &opt);
    assert_non_null(o);
    cJSON *g = cJSON_GetObjectItem(o, "gaze");
    assert_non_null(g);
    assert_string_equal(g->prev->string, "pose");
    assert_string_equal(g->next->string, "emotion");
    static const char *const fields[] = { "valid", "yaw", "pitch", "right", "left" };
    assert_fields(g, NULL, fields, 5);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(g, "valid")));
    assert_true(cJSON_GetObjectItem(g, "yaw")->valuedouble == 12.35);
    assert_true(cJSON_GetObjectItem(g, "pitch")->valuedouble == -4.5);
    cJSON *r = cJSON_GetObjectItem(g, "right"), *l = cJSON_GetObjectItem(g, "left");
    static const char *const eye_fields[] = { "valid", "yaw", "pitch", "head_yaw", "head_pitch", "openness" };
    assert_fields(r, NULL, eye_fields, 6);
    assert_fields(l, NULL, eye_fields, 6);
    assert_true(cJSON_GetObjectItem(r, "head_yaw")->valuedouble == 10.0);
    assert_true(cJSON_GetObjectItem(r, "head_pitch")->valuedouble == -1.25);
    assert_true(cJSON_GetObjectItem(r, "openness")->valuedouble == 0.257);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(l, "valid")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(l, "yaw")) && cJSON_IsNull(cJSON_GetObjectItem(l, "head_pitch")));
    assert_true(cJSON_GetObjectItem(l, "openness")->valuedouble == 0.05);

    /* CSV: the valid record, then one without any gaze: same columns. */
    memset(&pf.gaze, 0, sizeof(pf.gaze));
    cJSON *recs[2] = { o, emo__record_frame(&res, &pf, &opt) };
    g = cJSON_GetObjectItem(recs[1], "gaze");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(g, "valid")) && cJSON_IsNull(cJSON_GetObjectItem(g, "yaw")));
    char c[4200];
    snprintf(c, sizeof(c), "%s/results.csv", emo_test_tmpdir("records-gaze"));
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, NULL, c, &quiet), 0);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(emo_results_write(w, recs[k]), 0);
        cJSON_Delete(recs[k]);
    }
    assert_int_equal(emo_results_close(&w), 0);
    size_t n;
    char *csv = emo_test_read_file(c, &n);
    assert_non_null(strstr(csv, ",gaze.valid,gaze.yaw,gaze.pitch,gaze.right.valid,gaze.right.yaw,gaze.right.pitch,"
                                "gaze.right.head_yaw,gaze.right.head_pitch,gaze.right.openness,gaze.left.valid,"));
    assert_non_null(strstr(csv, ",true,12.35,-4.5,true,12.35,-4.5,10,-1.25,0.257,false,,,,,0.05,"));
    assert_non_null(strstr(csv, ",false,,,false,,,,,0,false,,,,,0,"));
    free(csv);

    /* The face mesh's face: no gaze at all. */
    pf.face.n_landmarks = EMO_FACE_LANDMARKS;
    o = emo__record_frame(&res, &pf, &opt);
    assert_null(cJSON_GetObjectItem(o, "gaze"));
    cJSON_Delete(o);
}

static int csv_separators(const char *line)
{
    int n = 0, quoted = 0;
    for (; *line && *line != '\n'; line++) {
        quoted ^= *line == '"';
        n += !quoted && *line == ',';
    }
    return n;
}

/* A mixed run (face.landmarker_faces: one face on the landmarker with
 * facial actions, the other on the face mesh without): results.csv keeps
 * the first record's columns, every row has all of them, and the face
 * without actions has empty blendshape and AU cells. */
static void test_frame_csv_mixed_actions(void **state)
{
    (void)state;
    EmoPipelineResult res;
    memset(&res, 0, sizeof(res));
    res.index = 3;
    static EmoPipelineFace pf[2];
    for (int k = 0; k < 2; k++) {
        fill_face(&pf[k]);
        pf[k].face.id = k + 1;
        pf[k].face.n_landmarks = k ? EMO_FACE_LANDMARKS : EMO_FACE_LANDMARKS_MAX;
    }
    pf[0].has_actions = 1;
    for (int i = 0; i < EMO_BLENDSHAPES; i++)
        pf[0].blendshapes[i] = 0.25f;
    for (int i = 0; i < EMO_ACTION_UNITS; i++)
        pf[0].au[i] = 0.5f;
    char c[4200];
    snprintf(c, sizeof(c), "%s/results.csv", emo_test_tmpdir("records-mixed"));
    EmoResultsWriter *w;
    assert_int_equal(emo_results_open(&w, NULL, c, &quiet), 0);
    const EmoRecordOptions opt = { 1, 1 };
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < 2; k++) {
            cJSON *rec = emo__record_frame(&res, &pf[k], &opt);
            assert_non_null(rec);
            assert_true(!!cJSON_GetObjectItem(rec, "blendshapes") == !k);
            assert_int_equal(emo_results_write(w, rec), 0);
            cJSON_Delete(rec);
        }
    assert_int_equal(emo_results_close(&w), 0);
    size_t n;
    char *csv = emo_test_read_file(c, &n);
    assert_non_null(csv);
    /* The columns of the blendshapes and the AUs, by position in the header. */
    int col = 0, first_bs = -1, n_bs = 0, n_au = 0;
    const char *line = csv;
    for (const char *p = csv; *p && *p != '\n'; col++) {
        const char *end = p + strcspn(p, ",\n");
        if (!strncmp(p, "blendshapes.", 12)) {
            first_bs = first_bs < 0 ? col : first_bs;
            n_bs++;
        }
        n_au += !strncmp(p, "au.AU", 5);
        p = *end == ',' ? end + 1 : end;
    }
    assert_int_equal(n_bs, EMO_BLENDSHAPES);
    assert_int_equal(n_au, EMO_ACTION_UNITS);
    int rows = 0, header = csv_separators(csv);
    while ((line = strchr(line, '\n')) && line[1]) {
        line++;
        assert_int_equal(csv_separators(line), header);
        /* The cell of the first blendshape: a score, or empty. */
        const char *cell = line;
        for (int k = 0; k < first_bs; k++)
            cell = strchr(cell, ',') + 1;
        if (rows % 2 == 0)
            assert_true(!strncmp(cell, "0.25,", 5));
        else
            assert_true(cell[0] == ',');
        rows++;
    }
    assert_int_equal(rows, 4);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_record),
        cmocka_unit_test(test_motion_record),
        cmocka_unit_test(test_frame_record),
        cmocka_unit_test(test_frame_csv),
        cmocka_unit_test(test_frame_csv_mixed_actions),
        cmocka_unit_test(test_frame_gaze),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_events_jsonl_csv_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
