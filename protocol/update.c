/* update.c: being written. */
#include "buurt.h"
