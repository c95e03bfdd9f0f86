/* api.c: being written. */
#include "buurt.h"
