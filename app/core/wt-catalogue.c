/* wt-catalogue.c: placeholder, being written. */
#include "config.h"
