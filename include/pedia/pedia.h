/**
 * @file pedia/pedia.h
 * @brief Umbrella header: everything a libpedia user needs.
 */
#ifndef PEDIA_PEDIA_H
#define PEDIA_PEDIA_H

#include <pedia/version.h>

#include "apiserver.h"
#include "common.h"
#include "ctx.h"
#include "errors.h"
#include "log.h"
#include "object.h"
#include "query.h"
#include "store.h"
#include "sync.h"

#endif
