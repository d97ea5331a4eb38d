/* wt-uscc.c: placeholder, being written. */
#include "config.h"
