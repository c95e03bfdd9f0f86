/* repl.c: being written; see repl.h. */
#include "repl.h"
