/* Fuzz the Linux image loaders: any bytes, as a bzImage and as a PVH
 * vmlinux, must load or be refused with a message, never crash, read
 * outside the image or write outside guest RAM. Guest RAM (8 MiB, the
 * legacy 0xa0000-0xfffff window refused by the callback) is allocated a
 * page at a time, each page its own 4 KiB block, so ASan sees any write
 * past the page the callback returned.
 *
 * Input: byte 0 selects how the rest is dressed up, so the fuzzer gets
 * past the magic checks often enough to reach the placement code:
 *   bit 0: stamp a bzImage header (HdrS, 0xaa55, the jump, LOADED_HIGH,
 *          protocol 2.06-2.15, syssize fitting the file)
 *   bit 1: with it, pref_address and init_size that fit in the guest
 *   bit 2: stamp an ELF64 x86-64 executable header (program headers at 64)
 *   bit 3: with it, a Xen PHYS32_ENTRY note in a PT_NOTE at the end
 *   bit 4: an initramfs; bit 5: extra e820 ranges from bytes 2-9
 *   bit 6: pad the image with zeros to at least 3 KiB, so that short
 *          inputs (libFuzzer starts small) reach the setup header
 * byte 1 is spare entropy for the dressing; the image is the rest. */
#include <hv/linux_boot.h>
#include <hv/guest_layout.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE (8u << 20)
#define NPAGES   (RAM_SIZE >> 12)

static uint8_t *page[NPAGES];

static uint8_t *ram_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    /* the loaders promise ranges inside one page */
    if (len == 0 || (gpa >> 12) != ((gpa + len - 1) >> 12))
        __builtin_trap();
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return NULL;
    if (gpa >= 0xa0000 && gpa < 0x100000)
        return NULL;
    uint8_t **p = &page[gpa >> 12];
    if (!*p)
        *p = malloc(4096);
    return *p + (gpa & 4095);
}

static void ram_reset(void)
{
    for (unsigned i = 0; i < NPAGES; i++) {
        free(page[i]);
        page[i] = NULL;
    }
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void dress_bz(uint8_t *img, size_t len, uint8_t mode, uint8_t r)
{
    if (len < 0x270)
        return;
    memcpy(img + 0x202, "HdrS", 4);
    put16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x3a + (r & 0x3f);
    put16(img + 0x206, 0x0206 + (r >> 4));
    img[0x211] |= 1;
    unsigned sects = img[0x1f1] & 7;
    size_t setup = ((sects ? sects : 4) + 1) * 512;
    if (setup < len)
        put32(img + 0x1f4, (uint32_t)((len - setup) / 16));
    if (mode & 2) {
        put64(img + 0x258, MiB(1) + (uint64_t)(r & 7) * MiB(1));
        put32(img + 0x260, (uint32_t)(len + (img[0x260] & 0xf) * PAGE_SIZE * 16));
        put32(img + 0x230, 0x1000u << (r & 7));
        put32(img + 0x238, 64u + img[0x238]);             /* cmdline_size */
        put32(img + 0x22c, 0x7fffffffu >> (img[0x22c] & 7)); /* initrd_addr_max */
    }
}

static void dress_elf(uint8_t *img, size_t len, uint8_t mode, uint8_t r)
{
    if (len < 64)
        return;
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = 2;
    img[5] = 1;
    put16(img + 16, 2);
    put16(img + 18, 62);
    put64(img + 32, 64);
    put16(img + 54, 56);
    size_t room = (len - 64) / 56;
    unsigned nph = (unsigned)(room < (size_t)(r & 7) + 1 ? room : (size_t)(r & 7) + 1);
    put16(img + 56, (uint16_t)nph);
    /* Keep PT_LOADs' paddrs in the guest most of the time. */
    for (unsigned i = 0; i < nph; i++) {
        uint8_t *ph = img + 64 + 56 * i;
        if (ph[0] & 0x80)
            continue;
        uint64_t memsz = (ph[40] | 1) * 64ull, filesz = (ph[32] | 1) * 16ull;
        put32(ph, 1);                                       /* PT_LOAD */
        put64(ph + 24, MiB(1) + (uint64_t)(ph[25] & 0x3f) * 0x10000);
        put64(ph + 40, memsz);
        put64(ph + 32, filesz < memsz ? filesz : memsz);
        put64(ph + 8, ph[8] % len);
    }
    /* A note in the last 20 bytes and, when there is room, a PT_NOTE over it. */
    if ((mode & 8) && len >= 64 + 56 * (nph + 1) + 20) {
        uint8_t *n = img + len - 20;
        put32(n, 4);
        put32(n + 4, 4);
        put32(n + 8, PVH_NOTE_PHYS32_ENTRY);
        memcpy(n + 12, "Xen", 4);
        uint8_t *ph = img + 64 + 56 * nph;
        put32(ph, 4);
        put64(ph + 8, len - 20);
        put64(ph + 32, 20);
        put16(img + 56, (uint16_t)(nph + 1));
        uint64_t paddr;         /* the entry: near segment 0's start */
        memcpy(&paddr, img + 64 + 24, 8);
        put32(n + 16, (uint32_t)paddr + (r >> 5));
    }
}

/* What a successful load promises the caller. */
static void check_state(const struct linux_boot_state *st, const struct linux_load_args *a)
{
    if (st->boot_info != LINUX_BOOT_INFO_GPA || st->cmdline != LINUX_CMDLINE_GPA)
        __builtin_trap();
    if (st->kernel_start >= st->kernel_end || st->kernel_end > RAM_SIZE)
        __builtin_trap();
    if (st->mode != LINUX_ENTRY_PVH &&
        (st->entry < st->kernel_start || st->entry >= st->kernel_end))
        __builtin_trap();
    if (a->initrd_len) {
        if (st->initrd_len != a->initrd_len || (st->initrd & 0xfff) ||
            st->initrd < st->kernel_end || st->initrd + st->initrd_len > RAM_SIZE)
            __builtin_trap();
    }
    if (!e820_is_ram(st->e820, st->nr_e820, st->boot_info, 4096))
        __builtin_trap();
    for (size_t i = 1; i < st->nr_e820; i++)
        if (st->e820[i].addr < st->e820[i - 1].addr + st->e820[i - 1].size)
            __builtin_trap();
    uint8_t *bp = page[st->boot_info >> 12];
    if (!bp)
        __builtin_trap();
    if (st->mode == LINUX_ENTRY_PVH ? *(uint32_t *)bp != PVH_START_MAGIC : bp[0x210] != 0xff)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 10)
        return 0;
    uint8_t mode = data[0], r = data[1];
    size_t len = size - 10, pad = (mode & 64) && len < 3072 + 16 * (size_t)r ?
                                  3072 + 16 * (size_t)r : len;
    uint8_t *img = calloc(1, pad ? pad : 1);    /* exact size for ASan */
    memcpy(img, data + 10, len);
    len = pad;

    struct e820_entry extra[2] = {
        { (uint64_t)data[2] << 16, ((uint64_t)data[3] + 1) << 12, 2 + (data[4] & 3) },
        { (uint64_t)data[5] << 24 | (uint64_t)data[6] << 16, ((uint64_t)data[7] + 1) << 8,
          data[8] & 7 },
    };
    static const uint8_t initrd[] = "070701fuzz";
    struct guest_mem m = { ram_ptr, RAM_SIZE, NULL };
    struct linux_load_args a = {
        .ram_size = RAM_SIZE,
        .cmdline = "console=ttyS0",
        .initrd = (mode & 16) ? initrd : NULL,
        .initrd_len = (mode & 16) ? sizeof(initrd) : 0,
        .reserved = extra,
        .nr_reserved = (mode & 32) ? 1 + (data[9] & 1) : 0,
        .rsdp = 0xe0000,
    };
    static struct linux_boot_state st;
    char err[200];

    uint8_t *bzi = malloc(len ? len : 1);
    memcpy(bzi, img, len);
    if (mode & 1)
        dress_bz(bzi, len, mode, r);
    err[0] = 'X';
    if (linux_bzimage_load(bzi, len, &m, &a, &st, err, sizeof(err)) == 0)
        check_state(&st, &a);
    else if (err[0] == '\0' || err[0] == 'X')
        __builtin_trap();       /* every refusal says why */
    free(bzi);
    ram_reset();

    if (mode & 4)
        dress_elf(img, len, mode, r);
    err[0] = 'X';
    if (linux_pvh_load(img, len, &m, &a, &st, err, sizeof(err)) == 0)
        check_state(&st, &a);
    else if (err[0] == '\0' || err[0] == 'X')
        __builtin_trap();
    ram_reset();

    /* The map and placement on their own, over the extra ranges as given. */
    struct e820_entry map[E820_MAX_ENTRIES];
    size_t n;
    uint64_t at;
    if (e820_build((uint64_t)(data[2] | data[3] << 8) << 20, extra, 2, map, 1 + (r & 63), &n,
                   err, sizeof(err)) == 0 &&
        linux_place_initrd(map, n, (uint64_t)data[4] << 12 | data[5], (uint64_t)data[6] << 20,
                           (uint64_t)data[7] << 24, &at, err, sizeof(err)) == 0) {
        if ((at & 0xfff) || !e820_is_ram(map, n, at, (uint64_t)data[4] << 12 | data[5]))
            __builtin_trap();
    }
    free(img);
    return 0;
}
