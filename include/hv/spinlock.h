/* Ticket spinlock: fair between CPUs, so no CPU starves behind a busy one. */
#ifndef HV_SPINLOCK_H
#define HV_SPINLOCK_H

#include <hv/compiler.h>

typedef struct {
    volatile uint32_t next;
    volatile uint32_t owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        __asm__ volatile("pause");
}

/* Take the lock only if nobody holds or waits for it. */
static inline bool spin_trylock(spinlock_t *l)
{
    uint32_t me = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
    uint32_t expect = me;
    return __atomic_compare_exchange_n(&l->next, &expect, me + 1, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* Interrupt-safe variants: save RFLAGS.IF, disable, lock. */
static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) :: "memory");
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    spin_unlock(l);
    if (flags & (1 << 9))
        __asm__ volatile("sti" ::: "memory");
}

#endif
