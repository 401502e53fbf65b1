/* Private: names the calling thread after its role ("emo-draw", ...), so that
 * top -H, perf (--sort comm), gdb and /proc/PID/task/TID/comm tell the
 * library's threads apart. Linux keeps at most 15 characters (longer names
 * are cut); elsewhere it does nothing. Never fails the caller. */
#ifndef EMOSCOPE_CORE_THREAD_H
#define EMOSCOPE_CORE_THREAD_H

void emo__thread_name(const char *name);

#endif
