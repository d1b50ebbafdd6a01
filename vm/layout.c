/* A guest's RAM in its guest-physical space (include/hv/guest_layout.h). */
#include <hv/guest_layout.h>

unsigned guest_ram_layout(uint64_t ram_size, struct guest_ram_region out[2])
{
    if (!ram_size)
        return 0;
    uint64_t low = ram_size < GUEST_LOW_RAM_END ? ram_size : GUEST_LOW_RAM_END;
    out[0] = (struct guest_ram_region){ 0, low, 0 };
    if (ram_size == low)
        return 1;
    out[1] = (struct guest_ram_region){ GUEST_HIGH_RAM_BASE, ram_size - low, low };
    return 2;
}

uint64_t guest_ram_end(uint64_t ram_size)
{
    struct guest_ram_region r[2];
    unsigned n = guest_ram_layout(ram_size, r);
    return n ? r[n - 1].gpa + r[n - 1].size : 0;
}

bool guest_ram_offset(uint64_t ram_size, uint64_t gpa, uint64_t len, uint64_t *offset)
{
    struct guest_ram_region r[2];
    unsigned n = guest_ram_layout(ram_size, r);
    if (!len)
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (gpa >= r[i].gpa && gpa - r[i].gpa < r[i].size && len <= r[i].size - (gpa - r[i].gpa)) {
            *offset = r[i].offset + (gpa - r[i].gpa);
            return true;
        }
    }
    return false;
}
