/* emo_face_tracker_process() in phases, for callers that run the face mesh
 * of several tracks at once on several threads (src/pipeline):
 *
 *   n = emo__face_tracker_begin(t, frame, out);     detection when due, new tracks
 *   emo__face_tracker_mesh(t, m_k, frame, i);       for i in [0, n), any order, concurrently
 *   emo__face_tracker_end(t, frame, out);           results applied in track order,
 *                                                   lost faces, re-acquisition, ids
 *
 * gives exactly what emo_face_tracker_process() gives. The mesh step touches
 * only track i and the mesher m (NULL: the tracker's own instance, for one
 * thread): concurrent calls need distinct i and distinct meshers. Decisions
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
int emo__face_tracker_end(EmoFaceTracker *t, const EmoFrame *frame, EmoFaceList *out);

#endif
