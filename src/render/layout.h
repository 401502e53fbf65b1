/* Where the overlay's parts go, so that none of them covers another.
 *
 * The parts are placed one after the other in a fixed order of priority;
 * each takes the first of its candidate spots that lies inside the frame and
 * meets none of the parts placed before it, and a part with no such spot is
 * shrunk where it can be, otherwise left out of the frame:
 *   1. the fps / time panel (HUD), top-left: always drawn;
 *   2. the history graph with its legend, bottom-left (left out when it
 *      would meet the HUD: frames far flatter than 320x240);
 *   3. each face's tag (above its box, inside its top, below it);
 *   4. each face's probability panel (beside its box, else at a frame edge;
 *      shrunk by dropping the per-model bars, then left out);
 *   5. each face's micro-expression badge (on the tag's row, under it, ...)
 *      and then its caption (beside the region, under it, above it, ...);
 *   6. the branding line (bottom-right, else top-right);
 *   7. the action panel of the graphed face (under its probability panel,
 *      above it, beside or above the graph, else where a probability panel
 *      would go; shrunk by dropping its weakest rows down to three, then
 *      left out). It is placed after the movements are drawn and keeps off
 *      them too, so that it never hides one.
 * The face boxes, the mesh and the micro-expression highlight are drawn
 * on the face itself and are not parts in this sense. */
#ifndef EMOSCOPE_RENDER_LAYOUT_H
#define EMOSCOPE_RENDER_LAYOUT_H

#include <emoscope/render.h>

/* HUD, graph, branding, action panel and per face: panel, tag, badge,
 * caption, and the movement the action panel keeps off. */
#define EMO__LAYOUT_MAX (4 + 5 * EMO_RENDER_MAX_FACES)

typedef struct EmoLayoutSet {
    EmoRect part[EMO__LAYOUT_MAX];
    int n;
    int W, H;
} EmoLayoutSet;

void emo__layout_init(EmoLayoutSet *ls, int W, int H);

/* Area two rectangles share (0 when they only touch). */
double emo__rect_overlap(const EmoRect *a, const EmoRect *b);

/* Whether r lies inside the frame (half a pixel of slack for rounding) and
 * meets none of the parts placed so far. */
int emo__layout_free(const EmoLayoutSet *ls, const EmoRect *r);

/* Records r as placed (a rectangle with w <= 0 is ignored). */
void emo__layout_add(EmoLayoutSet *ls, const EmoRect *r);

/* Places the first free one of n candidates: *out is it, and it is recorded.
 * @return its index, or -1 (*out is zeroed) when none is free. */
int emo__layout_place(EmoLayoutSet *ls, const EmoRect *cand, int n, EmoRect *out);

/* The history graph panel's rectangle for a frame (margin m, scale s). */
EmoRect emo__layout_graph(int W, int H, double s, double m);

/* Where a pw x ph probability panel of face f goes: beside its box (right,
 * then left), else at a frame edge; among the free spots, the one covering
 * the least of the faces wins (the first on ties). The spot is not recorded.
 * @return 0, or -1 when no spot is free. */
int emo__layout_panel(const EmoLayoutSet *ls, const EmoOverlayFace *faces, int nf, const EmoOverlayFace *f,
                      double m, double pw, double ph, EmoRect *out);

/* Places face fi's probability panel with its per-model bars (when
 * show_models), else without them (the smaller panel may fit where the
 * larger did not), else not at all (*out zeroed).
 * @return the number of per-model bars the panel holds. */
int emo__layout_bars(EmoLayoutSet *ls, const EmoOverlayFace *faces, int nf, int fi, int show_models, double s,
                     double m, EmoRect *out);

/* Where the pw x ph action panel of face fi goes: under its probability
 * panel bars (w == 0: none), from its left edge or ending at its right
 * edge, above it (the same two ways), right of the graph (w == 0: none),
 * above it, each a gap apart and only where it covers no face; else the
 * spot emo__layout_panel() finds. The spot is not recorded.
 * @return 0, or -1 when no spot is free. */
int emo__layout_actions(const EmoLayoutSet *ls, const EmoOverlayFace *faces, int nf, int fi, const EmoRect *bars,
                        const EmoRect *graph, double gap, double m, double pw, double ph, EmoRect *out);

/* Places the tag (tw x th) of a face box drawn with lines lw wide: above
 * the box (inside its top when there is no room above), else inside its
 * top, else below it; from the box's left edge, else ending at its right
 * edge. *out is the tag, zeroed when left out.
 * @return the first spot, where a tag left out still anchors the badge, or
 * the tag's place. */
EmoRect emo__layout_tag(EmoLayoutSet *ls, const EmoRect *box, double lw, double tw, double th, EmoRect *out);

/* Places a bw x bh micro-expression badge by its face's tag: on the tag's
 * row right of it, under it, left of it, above it, two rows under.
 * @return 0, or -1 (*out zeroed) when every spot is taken. */
int emo__layout_badge(EmoLayoutSet *ls, const EmoRect *tag, double s, double bw, double bh, EmoRect *out);

/* A line of text on the video: advance width, font ascent, descent and
 * line height, shadow offset. */
typedef struct EmoLayoutText {
    double w, ascent, descent, height, shadow;
} EmoLayoutText;

/* Places a micro-movement caption by its highlight (centre cx, cy, radius
 * r): beside it (right, else left), on its other side, under it, above
 * it, then rows further down and up (up to 11 lines away); kept inside the margins m. *out is
 * the text's box with its shadow; at receives the start of its baseline.
 * @return 0, or -1 (*out zeroed) when every spot is taken. */
int emo__layout_caption(EmoLayoutSet *ls, double cx, double cy, double r, const EmoLayoutText *t, double s,
                        double m, EmoRect *out, double at[2]);

#endif
