/* placeholder replaced below */
#include "motion/flow.h"
int emo__flow_dsp_init_avx2(EmoFlowDsp *dsp)
{
    (void)dsp;
    return -1;
}
