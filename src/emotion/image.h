/* Face crop to model input: gray conversion, bilinear resize, scaling. */
#ifndef EMOSCOPE_EMOTION_IMAGE_H
#define EMOSCOPE_EMOTION_IMAGE_H

#include <emoscope/emotion.h>

/* 0 when img is a usable view (format, size, stride), else EMO_EINVAL. */
int emo__image_check(const EmoImage *img);

/* Resizes img to dw x dh with OpenCV's 8-bit INTER_LINEAR arithmetic
 * (11-bit fixed-point weights), into dst (packed rows, 1 channel when gray,
 * else 3 in RGB order). Gray conversion happens before interpolation, as
 * cv2.cvtColor then cv2.resize would do it. */
void emo__resize_u8(const EmoImage *img, int dw, int dh, int gray, uint8_t *dst);

/* The same, written as a model input tensor (NHWC floats) with the model's
 * scaling, mirrored horizontally when flip is set. */
void emo__face_to_tensor(const EmoImage *img, int dw, int dh, int gray, EmoEmotionScale scale, int flip,
                         float *dst);

#endif
