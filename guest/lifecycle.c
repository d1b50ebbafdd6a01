/*
 * The guest life cycle: each configured guest gets its own host memory
 * (one block, 2 MiB aligned so EPT can use large pages), its own EPT
 * mapping exactly that block at its guest-physical layout, its image, its
 * devices and its vCPUs. Nothing of another guest or of the hypervisor is
 * in its EPT. A stopped guest is re-created from its images with its
 * memory scrubbed and every device and vCPU back at power-on.
 */
#include <hv/lifecycle.h>
#include <hv/guest.h>
#include <hv/guest_image.h>
#include <hv/guest_layout.h>
#include <hv/vlapic_io.h>
#include <hv/linux_guest.h>
#include <hv/dm.h>
#include <hv/log.h>
#include <hv/layout.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <arch/percpu.h>
#include <arch/cpu.h>

static struct guest *guests[CONFIG_MAX_GUESTS];
static const struct boot_info *boot_files;     /* for restarts */
static const char *config_file;
static unsigned guest_count;
static struct guest *pinned_by[MAX_CPUS];     /* creation: one pinned guest per CPU */

unsigned guests_count(void)
{
    return guest_count;
}

struct guest *guest_get(unsigned i)
{
    return i < guest_count ? guests[i] : NULL;
}

bool guests_all_stopped(void)
{
    for (unsigned i = 0; i < guest_count; i++) {
        const struct guest *g = guests[i];
        if (g->state != GUEST_STOPPED || g->attached || g->start_requested)
            return false;
    }
    return true;
}

struct guest *guest_find(const char *name)
{
    for (unsigned i = 0; i < guest_count; i++)
        if (strcmp(guests[i]->name, name) == 0)
            return guests[i];
    return NULL;
}

static uint64_t ept_page(void *ctx)
{
    (void)ctx;
    void *p = page_alloc(1);
    return p ? kva_to_phys(p) : 0;
}

static void ept_free(void *ctx, uint64_t pa)
{
    (void)ctx;
    page_free(phys_to_ptr(pa), 1);
}

static void *ept_ptr(void *ctx, uint64_t pa)
{
    (void)ctx;
    return phys_to_ptr(pa);
}

static uint8_t *mem_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    return guest_ptr(ctx, gpa, len);
}

static const struct boot_module *find_file(const struct boot_info *bi, const char *path)
{
    for (uint32_t i = 0; i < bi->module_count; i++) {
        const char *n = bi->modules[i].name;
        while (*n == '/' || *n == '\\')
            n++;
        if (strcmp(n, path) == 0)
            return &bi->modules[i];
    }
    return NULL;
}

/* The flat GDT a multiboot guest starts with (include/hv/guest_layout.h):
 * the descriptors match the segments vcpu_vmcs_create loads. */
static bool write_boot_gdt(struct guest *g)
{
    static const uint64_t gdt[GUEST_BOOT_GDT_SIZE / 8] = {
        0,
        0x00cf9b000000ffffULL,      /* 0x08: code, base 0, 4 GiB, 32-bit, accessed */
        0x00cf93000000ffffULL,      /* 0x10: data, base 0, 4 GiB, writable, accessed */
    };
    void *p = guest_ptr(g, GUEST_BOOT_GDT, sizeof(gdt));
    if (!p) {
        kprintf("guest %s: no RAM at %#llx for its boot GDT\n", g->name, GUEST_BOOT_GDT);
        return false;
    }
    memcpy(p, gdt, sizeof(gdt));
    return true;
}

/* A Linux kernel (guest/linux_guest.c): a bzImage, or an ELF vmlinux that
 * is not multiboot and must then have the PVH note. */
static bool load_linux(struct guest *g, const struct guest_config *gc, const uint8_t *img,
                       size_t len, const struct boot_info *bi, const char *cfg_name)
{
    char err[256];
    struct linux_guest_files f = { img, len, NULL, 0, gc->cmdline };
    if (gc->initrd[0]) {
        const struct boot_module *m = find_file(bi, gc->initrd);
        if (!m) {
            kprintf("%s:%u: [guest %s]: initrd %s: file not found on the boot medium\n",
                    cfg_name, gc->initrd_line, gc->name, gc->initrd);
            return false;
        }
        f.initrd = phys_to_ptr(m->base);
        f.initrd_len = m->size;
    }
    if (gc->module_count)
        kprintf("%s:%u: [guest %s]: module: a Linux kernel takes no modules (initrd = "
                "takes its initramfs); ignored\n", cfg_name, gc->line, gc->name);
    if (!linux_guest_load(g, &f, err, sizeof(err))) {
        kprintf("%s:%u: [guest %s]: %s: %s\n", cfg_name, gc->line, gc->name, gc->kernel, err);
        return false;
    }
    return true;
}

static bool load_image(struct guest *g, const struct guest_config *gc,
                       const struct boot_info *bi, const char *cfg_name)
{
    char err[256];
    const struct boot_module *k = find_file(bi, gc->kernel);
    if (!k) {
        kprintf("%s:%u: [guest %s]: kernel %s: file not found on the boot medium\n",
                cfg_name, gc->line, gc->name, gc->kernel);
        return false;
    }
    const uint8_t *img = phys_to_ptr(k->base);
    struct guest_mem mem = { mem_ptr, guest_ram_end(g->ram_size), g };

    if (gc->format == GUEST_FORMAT_RAW) {
        if (raw_load(img, k->size, &mem, gc->load_address, err, sizeof(err))) {
            kprintf("%s:%u: [guest %s]: %s: %s\n", cfg_name, gc->line, gc->name, gc->kernel, err);
            return false;
        }
        g->entry_real = true;
        g->entry_cs = gc->entry_cs;
        g->entry_ip = gc->entry_ip;
        return true;
    }
    enum image_format f = image_detect(img, k->size, false, err, sizeof(err));
    if (f != IMAGE_MULTIBOOT1 && (f == IMAGE_ELF || linux_image_is_bzimage(img, k->size)))
        return load_linux(g, gc, img, k->size, bi, cfg_name);
    if (f != IMAGE_MULTIBOOT1) {
        kprintf("%s:%u: [guest %s]: %s: not a multiboot or Linux kernel (%s)\n", cfg_name,
                gc->line, gc->name, gc->kernel, err[0] ? err : image_format_name(f));
        return false;
    }
    if (gc->initrd[0]) {
        kprintf("%s:%u: [guest %s]: initrd: %s is a multiboot kernel; give the file as a "
                "module instead\n", cfg_name, gc->initrd_line, gc->name, gc->kernel);
        return false;
    }
    g->entry_kind = GUEST_ENTRY_MULTIBOOT;
    g->entry_name = "multiboot";
    struct mb1_module mods[CONFIG_MAX_MODULES];
    for (unsigned i = 0; i < gc->module_count; i++) {
        const struct boot_module *m = find_file(bi, gc->modules[i].path);
        if (!m) {
            kprintf("%s:%u: [guest %s]: module %s: file not found on the boot medium\n",
                    cfg_name, gc->line, gc->name, gc->modules[i].path);
            return false;
        }
        mods[i] = (struct mb1_module){ phys_to_ptr(m->base), m->size, gc->modules[i].string };
    }
    /* A PC-like map (include/hv/guest_layout.h): conventional memory,
     * the legacy hole, RAM up to 3 GiB, the hole below 4 GiB, the rest. */
    struct guest_ram_region r[2];
    unsigned nr = guest_ram_layout(g->ram_size, r);
    uint64_t low_end = r[0].size;
    struct mb1_mmap_entry map[5] = {
        { 0, 0x9fc00, MB1_MEM_AVAILABLE },
        { 0x9fc00, 0x100000 - 0x9fc00, MB1_MEM_RESERVED },
        { 0x100000, low_end > 0x100000 ? low_end - 0x100000 : 0, MB1_MEM_AVAILABLE },
    };
    size_t nmap = 3;
    if (nr == 2) {
        map[nmap++] = (struct mb1_mmap_entry){ GUEST_LOW_RAM_END,
                                               GUEST_HIGH_RAM_BASE - GUEST_LOW_RAM_END,
                                               MB1_MEM_RESERVED };
        map[nmap++] = (struct mb1_mmap_entry){ r[1].gpa, r[1].size, MB1_MEM_AVAILABLE };
    }
    struct mb1_load_args args = {
        .kernel_name = gc->kernel, .cmdline = gc->cmdline,
        .modules = mods, .nr_modules = gc->module_count,
        .mmap = map, .nr_mmap = nmap, .mem_lower_kb = 639,
    };
    struct mb1_boot_state st;
    if (mb1_load(img, k->size, &mem, &args, &st, err, sizeof(err))) {
        kprintf("%s:%u: [guest %s]: %s: %s\n", cfg_name, gc->line, gc->name, gc->kernel, err);
        return false;
    }
    g->vcpus[0]->regs.rax = st.eax;
    g->vcpus[0]->regs.rbx = st.ebx;
    g->entry = st.eip;
    return write_boot_gdt(g);
}

/* Ports of the machine's own power management (the FADT's PM1 event and
 * control blocks, the PM timer): no passthrough_io may include them. */
#define RESERVED_MAX 8
static struct { uint16_t first, last; const char *what; } reserved[RESERVED_MAX];
static unsigned reserved_count;

void guest_reserve_ports(uint16_t first, unsigned len, const char *what)
{
    if (!first || !len || reserved_count == RESERVED_MAX)
        return;
    reserved[reserved_count++] = (typeof(reserved[0])){ first, (uint16_t)(first + len - 1), what };
}

static bool passthrough_allowed(const struct guest_config *gc, const char *cfg_name)
{
    for (unsigned r = 0; r < gc->passthrough_count; r++) {
        const struct io_range *p = &gc->passthrough[r];
        for (unsigned i = 0; i < reserved_count; i++) {
            if (p->first <= reserved[i].last && reserved[i].first <= p->last) {
                kprintf("%s:%u: [guest %s]: passthrough_io: ports %#x-%#x include %#x-%#x "
                        "(%s), which the hypervisor keeps\n", cfg_name, p->line, gc->name,
                        p->first, p->last, reserved[i].first, reserved[i].last, reserved[i].what);
                return false;
            }
        }
    }
    return true;
}

static bool create_vcpus(struct guest *g, const struct guest_config *gc, unsigned index)
{
    unsigned n = gc->cpus_mode == CPUS_PINNED ? gc->cpu_count : MAX(gc->vcpus, 1u);
    for (unsigned i = 0; i < n; i++) {
        /* VPIDs are unique machine-wide: one per vCPU, never 0 (the host's). */
        struct vcpu *v = vcpu_create(g, i, (uint16_t)(index * CONFIG_MAX_VCPUS + i + 1));
        if (!v)
            return false;
        g->vcpus[g->vcpu_count++] = v;
    }
    return true;
}

/* Its device models (dm/models.c) and the local APIC page. */
static bool create_devices(struct guest *g, const struct guest_config *gc, const char *cfg_name)
{
    for (unsigned i = 0; i < dm_model_count; i++) {
        if (!dm_models[i].create(g, gc)) {
            kprintf("%s:%u: [guest %s]: overlapping device ports (%s)\n", cfg_name, gc->line,
                    gc->name, dm_models[i].name);
            return false;
        }
    }
    if (!vlapic_mmio_attach(g)) {
        kprintf("%s:%u: [guest %s]: out of memory for its local APIC\n", cfg_name, gc->line,
                gc->name);
        return false;
    }
    return true;
}

static void free_guest(struct guest *g, void *ram, uint64_t pages)
{
    for (unsigned i = 0; i < g->vcpu_count; i++)
        vcpu_destroy(g->vcpus[i]);
    bus_destroy(g);
    ept_destroy(&g->ept);
    if (ram)
        page_free(ram, pages);
    kfree(g);
}

static struct guest *create(const struct guest_config *gc, const struct boot_info *bi,
                            const char *cfg_name, unsigned index)
{
    for (unsigned c = 0; gc->cpus_mode == CPUS_PINNED && c < gc->cpu_count; c++) {
        unsigned cpu = gc->cpus[c];
        if (cpu >= percpu_count() || !percpu_get(cpu)) {
            kprintf("%s:%u: [guest %s]: cpus: CPU %u does not exist (%u CPUs)\n", cfg_name,
                    gc->line, gc->name, cpu, percpu_count());
            return NULL;
        }
        if (pinned_by[cpu]) {
            kprintf("%s:%u: [guest %s]: CPU %u already runs guest %s\n", cfg_name, gc->line,
                    gc->name, cpu, pinned_by[cpu]->name);
            return NULL;
        }
    }
    if (!passthrough_allowed(gc, cfg_name))
        return NULL;
    struct guest *g = kzalloc(sizeof(*g));
    if (!g) {
        kprintf("%s:%u: [guest %s]: out of memory\n", cfg_name, gc->line, gc->name);
        return NULL;
    }
    hv_strlcpy(g->name, gc->name, sizeof(g->name));
    g->index = (int)index;
    g->cfg = gc;
    g->instance = 1;
    if (!create_vcpus(g, gc, index)) {
        kprintf("%s:%u: [guest %s]: out of memory for its vCPUs\n", cfg_name, gc->line, gc->name);
        free_guest(g, NULL, 0);
        return NULL;
    }
    /* The guest sees exactly what it was given; the host block is rounded
     * to 2 MiB so its EPT can use large pages. */
    g->ram_size = gc->memory;
    uint64_t alloc_pages = ALIGN_UP(gc->memory, MiB(2)) / PAGE_SIZE;
    void *ram = page_alloc_aligned(alloc_pages, MiB(2));
    if (!ram) {
        kprintf("%s:%u: [guest %s]: not enough memory for %lu MiB (%lu MiB free)\n",
                cfg_name, gc->line, gc->name, g->ram_size >> 20, mm_free_pages() >> 8);
        free_guest(g, NULL, 0);
        return NULL;
    }
    g->ram_hpa = kva_to_phys(ram);
    g->alloc_size = alloc_pages * PAGE_SIZE;
    const struct vmx_caps *c = &percpu_get(0)->vmx.caps;
    struct ept_ops ops = { ept_page, ept_free, ept_ptr, NULL };
    int rc = ept_init(&g->ept, &ops, c->ept_2m, c->ept_1g);
    struct guest_ram_region regions[2];
    unsigned nregions = guest_ram_layout(g->ram_size, regions);
    for (unsigned i = 0; rc == 0 && i < nregions; i++)
        rc = ept_map(&g->ept, regions[i].gpa, g->ram_hpa + regions[i].offset, regions[i].size,
                     EPT_FLAGS_RAM);
    if (rc != 0) {
        kprintf("%s:%u: [guest %s]: EPT: %s\n", cfg_name, gc->line, gc->name, ept_error_name(rc));
        goto fail;
    }
    if (!load_image(g, gc, bi, cfg_name))
        goto fail;
    if (!create_devices(g, gc, cfg_name))
        goto fail;
    char where[96];
    if (gc->cpus_mode == CPUS_PINNED) {
        int n = hv_snprintf(where, sizeof(where), "pinned to cpu");
        for (unsigned i = 0; i < gc->cpu_count && n > 0 && (size_t)n < sizeof(where); i++)
            n += hv_snprintf(where + n, sizeof(where) - (size_t)n, "%s%u", i ? "," : "",
                             gc->cpus[i]);
    } else {
        hv_snprintf(where, sizeof(where), "shared, weight %u", gc->weight);
    }
    kprintf("guest %s: %lu MiB at host %#lx, %u vCPU%s %s, %s entry %#lx\n", g->name,
            g->ram_size >> 20, g->ram_hpa, g->vcpu_count, g->vcpu_count == 1 ? "" : "s", where,
            g->entry_real ? "real-mode" : g->entry_name,
            g->entry_real ? ((uint64_t)g->entry_cs << 4) + g->entry_ip : g->entry);
    if (nregions == 2)
        kprintf("guest %s: RAM at [0, %#lx) and [%#lx, %#lx); the PC hole in between\n", g->name,
                regions[0].size, regions[1].gpa, regions[1].gpa + regions[1].size);
    return g;
fail:
    free_guest(g, ram, alloc_pages);
    return NULL;
}

unsigned guests_create(const struct hv_config *cfg, const struct boot_info *bi,
                           const char *cfg_name)
{
    boot_files = bi;
    config_file = cfg_name;
    for (unsigned i = 0; i < cfg->guest_count; i++) {
        const struct guest_config *gc = &cfg->guests[i];
        if (!gc->valid) {
            kprintf("%s:%u: [guest %s]: refused: its section has errors\n", cfg_name, gc->line,
                    gc->name);
            continue;
        }
        struct guest *g = create(gc, bi, cfg_name, guest_count);
        if (!g)
            continue;
        guests[guest_count++] = g;
        /* Nothing else ever runs on a pinned guest's CPUs. */
        if (gc->cpus_mode == CPUS_PINNED)
            for (unsigned c = 0; c < gc->cpu_count; c++)
                pinned_by[gc->cpus[c]] = g;
    }
    return guest_count;
}

/* The same guest again from its images. Its memory is scrubbed first, so
 * nothing of the old instance is readable by the new one (and nothing of
 * anyone else ever was: the EPT maps only this block). The work is done
 * by its own boot vCPU in its own slices (sched/run.c), a chunk at a time,
 * so a big guest's restart never takes a neighbour's CPU time. */
#define SCRUB_CHUNK KiB(256)

enum reload_step guest_reload_step(struct guest *g, uint64_t until)
{
    uint8_t *ram = phys_to_ptr(g->ram_hpa);
    do {
        if (g->reload_done >= g->alloc_size)
            break;
        uint64_t n = MIN(SCRUB_CHUNK, g->alloc_size - g->reload_done);
        memset(ram + g->reload_done, 0, n);
        g->reload_done += n;
    } while (rdtsc() < until);
    if (g->reload_done < g->alloc_size)
        return RELOAD_MORE;
    guest_log_reset(g);
    bus_reset(g);
    for (unsigned i = 0; i < g->vcpu_count; i++)
        vcpu_reset(g->vcpus[i]);
    if (!load_image(g, g->cfg, boot_files, config_file)) {
        g->state = GUEST_STOPPED;
        return RELOAD_FAILED;
    }
    g->instance++;
    kprintf("guest %s: %s (instance %u) with its memory scrubbed\n", g->name, g->reload_why,
            g->instance);
    g->start_requested = false;     /* a start asked for meanwhile is this one */
    g->state = GUEST_RUNNING;
    return RELOAD_DONE;
}

bool guest_finished(struct guest *g)
{
    if (g->state == GUEST_RUNNING || g->attached)
        return false;
    /* The CPU that let go of its last vCPU and an operator's start can
     * arrive together: only one of them re-creates it. */
    if (__atomic_exchange_n(&g->reloading, true, __ATOMIC_ACQ_REL))
        return false;
    if (g->state == GUEST_RUNNING || g->attached) {     /* the other one finished first */
        __atomic_store_n(&g->reloading, false, __ATOMIC_RELEASE);
        return false;
    }
    bool again = __atomic_exchange_n(&g->start_requested, false, __ATOMIC_ACQ_REL);
    if (again || g->state == GUEST_RESTARTING) {
        g->reload_why = again ? (g->start_why ? g->start_why : "started") : "restarting";
        g->reload_done = 0;
        g->state = GUEST_RELOADING;
        __atomic_store_n(&g->reloading, false, __ATOMIC_RELEASE);
        return true;
    }
    __atomic_store_n(&g->reloading, false, __ATOMIC_RELEASE);
    /* on_stop = restart and a bad end, but over the limit. */
    if (g->cfg->on_stop == ON_STOP_RESTART && g->stop_status != 0)
        kprintf("guest %s: stopped %u times; not restarting it again\n", g->name, g->instance);
    return false;
}
