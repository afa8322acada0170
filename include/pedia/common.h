/**
 * @file pedia/common.h
 * @brief Export and declaration macros and basic types shared by all headers.
 */
#ifndef PEDIA_COMMON_H
#define PEDIA_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define PEDIA_BEGIN_DECLS extern "C" {
#define PEDIA_END_DECLS }
#else
#define PEDIA_BEGIN_DECLS
#define PEDIA_END_DECLS
#endif

#if defined(_WIN32)
#if defined(PEDIA_BUILDING)
#define PEDIA_API __declspec(dllexport)
#else
#define PEDIA_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define PEDIA_API __attribute__((visibility("default")))
#else
#define PEDIA_API
#endif

#if defined(__GNUC__)
#define PEDIA_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define PEDIA_DEPRECATED(msg)
#endif

#endif
