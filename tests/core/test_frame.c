/* Frame pool: reference counting, recycling, capacity, close with frames out. */
#include "testutil.h"

#include <emoscope/frame.h>

static void test_pool_recycles(void **state)
{
    (void)state;
    EmoFramePool *p;
    assert_int_equal(emo_frame_pool_open(&p, EMO_PIX_BGRA, 641, 480, 2), 0);
    EmoFrame *a, *b, *c;
    assert_int_equal(emo_frame_pool_get(p, &a), 0);
    assert_int_equal(a->stride[0] % 64, 0);
    assert_true(a->stride[0] >= 641 * 4);
    assert_int_equal((uintptr_t)a->data[0] % 64, 0);
    assert_int_equal(emo_frame_pool_get(p, &b), 0);
    assert_int_equal(emo_frame_pool_get(p, &c), EMO_EAGAIN);
    assert_null(c);
    assert_int_equal(emo_frame_pool_in_use(p), 2);
    EmoFrame *a2 = emo_frame_ref(a);
    assert_int_equal(emo_frame_refcount(a), 2);
    emo_frame_unref(&a);
    assert_null(a);
    assert_int_equal(emo_frame_pool_in_use(p), 2);
    uint8_t *mem = a2->data[0];
    emo_frame_unref(&a2);
    assert_int_equal(emo_frame_pool_in_use(p), 1);
    assert_int_equal(emo_frame_pool_get(p, &c), 0);
    assert_ptr_equal(c->data[0], mem); /* recycled, not reallocated */
    assert_int_equal(emo_frame_pool_allocated(p), 2);
    emo_frame_pool_close(&p);
    assert_null(p);
    /* Frames outlive their closed pool. */
    c->data[0][0] = 7;
    emo_frame_unref(&c);
    emo_frame_unref(&b);
}

static void test_yuv_and_bad_sizes(void **state)
{
    (void)state;
    EmoFrame *f;
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_YUV420P, 33, 17), 0);
    assert_non_null(f->data[1]);
    assert_non_null(f->data[2]);
    assert_true(f->stride[1] >= 17);
    EmoFrame *g;
    assert_int_equal(emo_frame_alloc(&g, EMO_PIX_YUV420P, 33, 17), 0);
    f->data[0][5] = 1;
    f->data[2][3] = 9;
    f->pts = 1.5;
    assert_int_equal(emo_frame_copy(g, f), 0);
    assert_int_equal(g->data[0][5], 1);
    assert_int_equal(g->data[2][3], 9);
    assert_true(g->pts == 1.5);
    emo_frame_unref(&f);
    emo_frame_unref(&g);
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, 0, 10), EMO_EINVAL);
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_BGRA, 100000, 10), EMO_EINVAL);
    assert_int_equal(emo_frame_alloc(&f, EMO_PIX_NONE, 10, 10), EMO_EINVAL);
    emo_frame_unref(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_recycles),
        cmocka_unit_test(test_yuv_and_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
