/* mp.c: being written. */
#include "buurt.h"
