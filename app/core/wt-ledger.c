/* wt-ledger.c: placeholder, being written. */
#include "config.h"
