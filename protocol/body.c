/* body.c: being written. */
#include "buurt.h"
