/* The record of a guest's accesses to unbacked guest-physical memory
 * (include/hv/unbacked.h). Pure. */
#include <hv/unbacked.h>

uint64_t unbacked_range(uint64_t gpa)
{
    return ALIGN_DOWN(gpa, UNBACKED_RANGE_SIZE);
}

enum unbacked_note unbacked_note(struct unbacked *u, uint64_t gpa)
{
    uint64_t base = unbacked_range(gpa);

    u->accesses++;
    for (unsigned i = 0; i < u->range_count && i < UNBACKED_MAX_RANGES; i++)
        if (u->ranges[i] == base)
            return UNBACKED_SEEN;
    if (u->range_count < UNBACKED_MAX_RANGES) {
        u->ranges[u->range_count++] = base;
        return UNBACKED_NEW_RANGE;
    }
    if (!u->more_said) {
        u->more_said = true;
        return UNBACKED_TABLE_FULL;
    }
    return UNBACKED_QUIET;
}

void unbacked_clear(struct unbacked *u)
{
    *u = (struct unbacked){ 0 };
}
