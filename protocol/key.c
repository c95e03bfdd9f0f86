/* key.c: being written. */
#include "buurt.h"
