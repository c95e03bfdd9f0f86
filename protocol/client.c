/* client.c: being written. */
#include "buurt.h"
