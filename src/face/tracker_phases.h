/* emo_face_tracker_process() in phases, for callers that run the face mesh
 * of several tracks at once on several threads (src/pipeline):
 *
 *   n = emo__face_tracker_begin(t, frame, out);     detection when due, new tracks
 *   emo__face_tracker_mesh(t, m_k, frame, i);       for i in [0, n), any order, concurrently
 *   emo__face_tracker_pass(t, frame);               concurrently with the meshes: the search
 *                                                   for new faces or a tile scan, when due
 *   emo__face_tracker_end(t, frame, out);           results applied in track order,
 *                                                   lost faces, re-acquisition, ids
 *
 * gives exactly what emo_face_tracker_process() gives. The mesh step touches
 * only track i and the mesher m (NULL: the tracker's own instance, for one
 * thread): concurrent calls need distinct i and distinct meshers. The pass
 * touches only the tracker's detector (its results wait for end, which
 * starts the new faces' tracks and meshes them on the tracker's own
 * instance). Decisions
 * (detection, ids, lost and re-acquired faces) stay in begin and end, on
 * the caller's thread. */
#ifndef EMOSCOPE_FACE_TRACKER_PHASES_H
#define EMOSCOPE_FACE_TRACKER_PHASES_H

#include <emoscope/face.h>

/* One more face-mesh network instance (XNNPACK runtimes are not shareable
 * between concurrent runs), opened with the tracker's settings. */
typedef struct EmoFaceMesher EmoFaceMesher;
int emo__face_mesher_open(EmoFaceMesher **out, const EmoFaceTracker *t);
void emo__face_mesher_close(EmoFaceMesher **m);

/* Returns the number of tracks to mesh this frame, or an error. */
int emo__face_tracker_begin(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *out);
/* Returns the mesh's result for track i (1 face, 0 lost, < 0 error); end applies it. */
int emo__face_tracker_mesh(EmoFaceTracker *t, EmoFaceMesher *m, const EmoFrame *frame, int i);
/* Points of track i's network (face.landmarker_faces: EMO_FACE_LANDMARKS_MAX
 * or EMO_FACE_LANDMARKS), between begin and end; the landmarker costs ~4x. */
int emo__face_tracker_track_points(const EmoFaceTracker *t, int i);
/* Whether a detector pass is due beside the meshes (between begin and end). */
int emo__face_tracker_pass_due(const EmoFaceTracker *t);
/* Runs that pass, if due (its detections or error are kept for end). */
void emo__face_tracker_pass(EmoFaceTracker *t, const EmoFrame *frame);
int emo__face_tracker_end(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *out);

#endif
