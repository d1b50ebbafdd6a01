/* Small compiler helpers shared by the core and the host-built tests. */
#ifndef HV_COMPILER_H
#define HV_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a)      (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)     (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)   ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)   (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define MIN(a, b)          ((a) < (b) ? (a) : (b))
#define MAX(a, b)          ((a) > (b) ? (a) : (b))
#define BIT(n)             (1ULL << (n))

#define __packed           __attribute__((packed))
#define __noreturn         __attribute__((noreturn))
#define __unused           __attribute__((unused))
#define __printf(a, b)     __attribute__((format(printf, a, b)))
#define __aligned(n)       __attribute__((aligned(n)))
#define __section(s)       __attribute__((section(s)))

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define PAGE_SIZE  4096ULL
#define PAGE_SHIFT 12

#define STATIC_ASSERT(c, m) _Static_assert(c, m)

#endif
