/* node.c: being written. */
