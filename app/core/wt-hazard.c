/* wt-hazard.c: placeholder, being written. */
#include "config.h"
