/* wt-label.c: placeholder, being written. */
#include "config.h"
