/* schema.c: being written. */
#include "buurt.h"
