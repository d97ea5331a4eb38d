/* wt-qr.c: placeholder, being written. */
#include "config.h"
