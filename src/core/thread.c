/* Thread names (core/thread.h). */
#include "core/thread.h"

#include <string.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

void emo__thread_name(const char *name)
{
#ifdef __linux__
    char buf[16]; /* the kernel's TASK_COMM_LEN, terminator included */
    size_t n = strlen(name);
    if (n > sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
    (void)prctl(PR_SET_NAME, buf, 0, 0, 0);
#else
    (void)name;
#endif
}
