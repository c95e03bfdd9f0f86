/*
 * buurt.h: everything libbuurt offers, in one include.
 */
#ifndef BUURT_H
#define BUURT_H

#include "buurt/version.h"
#include "buurt/error.h"
#include "buurt/limits.h"
#include "buurt/mp.h"
#include "buurt/key.h"
#include "buurt/update.h"
#include "buurt/body.h"
#include "buurt/schema.h"
#include "buurt/api.h"
#include "buurt/client.h"
#include "buurt/wire.h"

#endif /* BUURT_H */
