/* Fuzz the guest image loaders: any image bytes must load or be refused
 * with a message, never crash, read outside the image or write outside
 * guest RAM (2 MiB here, exactly sized so ASan sees any overrun).
 *
 * Input: byte 0 selects how the rest is dressed up, so the fuzzer gets
 * past the header checks often enough to reach the segment code:
 *   bit 0: stamp a valid multiboot header at offset 4 * byte 1
 *   bit 1: with it, set flag 16 (address fields) instead of ELF loading
 *   bit 2: stamp the ELF magic at offset 0
 *   bit 3: hand the image to raw_load at 0x7c00 as well
 * bytes 2-3 are the header's low flag bits; the image is the rest. */
#include <hv/guest_image.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE (2u << 20)

static uint8_t *ram;

static uint8_t *ram_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    /* the loader promises ranges inside one page */
    if (len == 0 || (gpa >> 12) != ((gpa + len - 1) >> 12))
        __builtin_trap();
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return NULL;
    /* a hole, as a VMM may leave for device memory */
    if (gpa >= 0xa0000 && gpa < 0x100000)
        return NULL;
    return ram + gpa;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (!ram)
        ram = malloc(RAM_SIZE);
    if (size < 4)
        return 0;

    uint8_t mode = data[0];
    size_t hdr = (size_t)data[1] * 4;
    uint32_t flags = data[2] | (uint32_t)data[3] << 8;
    size_t len = size - 4;
    uint8_t *img = malloc(len ? len : 1);       /* exact size for ASan */
    memcpy(img, data + 4, len);

    if ((mode & 1) && hdr + 12 <= len) {
        if (mode & 2)
            flags |= MB1_HF_AOUT_KLUDGE;
        put32(img + hdr, MB1_HEADER_MAGIC);
        put32(img + hdr + 4, flags);
        put32(img + hdr + 8, -(MB1_HEADER_MAGIC + flags));
    }
    if ((mode & 4) && len >= 4)
        memcpy(img, "\x7f" "ELF", 4);

    struct guest_mem m = { ram_ptr, RAM_SIZE, NULL };
    static const uint8_t mod_data[] = "module";
    const struct mb1_module mods[] = {
        { mod_data, sizeof(mod_data), "mod a" },
        { mod_data, 0, NULL },
    };
    const struct mb1_mmap_entry mmap[] = {
        { 0, 0x9fc00, MB1_MEM_AVAILABLE },
        { 0x9fc00, 0x400, MB1_MEM_RESERVED },
        { 0x100000, RAM_SIZE - 0x100000, MB1_MEM_AVAILABLE },
    };
    const struct mb1_load_args args = {
        .kernel_name = "k", .cmdline = "c",
        .modules = mods, .nr_modules = 2,
        .mmap = mmap, .nr_mmap = 3, .mem_lower_kb = 639,
    };
    struct mb1_boot_state st;
    char err[200], note[200];

    image_detect(img, len, mode & 8, note, sizeof(note));
    err[0] = 'X';
    if (mb1_load(img, len, &m, &args, &st, err, sizeof(err)) == 0) {
        /* success: what the vCPU gets is inside guest RAM */
        if (st.eax != MB1_BOOTLOADER_MAGIC || st.end > RAM_SIZE || st.ebx < 0x100000 ||
            st.eip < st.kernel_start || st.eip >= st.kernel_end)
            __builtin_trap();
    } else if (err[0] == '\0' || err[0] == 'X') {
        __builtin_trap();       /* every refusal says why */
    }
    if (mode & 8)
        raw_load(img, len, &m, 0x7c00, err, sizeof(err));
    free(img);
    return 0;
}
