/*
 * model_test.h: helpers shared by the model unit tests: the support
 * library's counting allocator as pdi_alloc hooks (it can fail the k-th
 * allocation, for OOM loops) and asserts on the error slot.
 */
#ifndef MODEL_TEST_H
#define MODEL_TEST_H

#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "pedia_test_unit.h"

#endif
