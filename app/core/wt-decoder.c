/* wt-decoder.c: placeholder, being written. */
#include "config.h"
