#include <emoscope/motion.h>
