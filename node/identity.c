/* identity.c: being written. */
