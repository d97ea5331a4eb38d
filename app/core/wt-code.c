/* wt-code.c: placeholder, being written. */
#include "config.h"
