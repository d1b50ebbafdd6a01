/*
 * Partitions: each configured guest gets its own host memory (one block,
 * 2 MiB aligned so EPT can use large pages), its own EPT mapping exactly
 * that block at guest-physical 0, its own devices, its passthrough ports
 * and its vCPUs: pinned one per listed CPU, or time-shared on the CPUs
 * nobody pinned (core/schedule.c). Nothing of another guest or of the
 * hypervisor is in its EPT.
 */
#include <hv/partition.h>
#include <hv/guest.h>
#include <hv/guest_image.h>
#include <hv/guest_layout.h>
#include <hv/vdev.h>
#include <hv/console.h>
#include <hv/layout.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/fmt.h>
#include <arch/percpu.h>
#include <arch/vmcs.h>
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/tsc.h>
#include <arch/vmexit.h>
#include <hv/sched.h>

static struct guest *guests[CONFIG_MAX_GUESTS];
static const struct boot_info *boot_files;     /* for restarts */
static const char *config_file;
char partition_break_state[GUEST_NAME_MAX];
static unsigned guest_count;

unsigned partitions_count(void)
{
    return guest_count;
}

struct guest *partition_guest(unsigned i)
{
    return i < guest_count ? guests[i] : NULL;
}

struct guest *partition_find(const char *name)
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
    if (f != IMAGE_MULTIBOOT1) {
        kprintf("%s:%u: [guest %s]: %s: not a multiboot kernel (%s)\n", cfg_name, gc->line,
                gc->name, gc->kernel, err[0] ? err : image_format_name(f));
        return false;
    }
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
    return true;
}

/* Power-on state of the vCPU's MSRs and local APIC. */
static void vcpu_reset_devices(struct vcpu *v)
{
    vmsr_reset(&v->msr, true);
    /* The virtual APIC timer runs at the bus clock the guest is told
     * about (CPUID 0x40000010 EBX): the host LAPIC timer's input clock. */
    uint64_t bus_hz = lapic_timer_hz() * 16;
    vlapic_reset(&v->lapic, v->id, bus_hz ? MAX(tsc_hz() / bus_hz, 1) : 1);
    if (v->id != 0)
        v->msr.apic_base &= ~(uint64_t)BIT(8);      /* BSP flag: vCPU 0 only */
    apic_base_changed(v, v->msr.apic_base);
}

/* Power-on state of a whole vCPU: vCPU 0 starts at the image's entry,
 * the others wait for SIPI (SDM Vol. 3A 9.4). */
static void vcpu_reset(struct vcpu *v)
{
    memset(&v->regs, 0, sizeof(v->regs));
    vcpu_reset_devices(v);
    v->needs_setup = true;
    v->wait_sipi = v->id != 0;
    v->init_req = v->sipi_req = 0;
    v->posted_any = v->posted_nmi = 0;
    for (int i = 0; i < 8; i++)
        v->posted[i] = 0;
}

/* Ports of the machine's own power management (the FADT's PM1 event and
 * control blocks, the PM timer): no passthrough_io may include them. */
#define RESERVED_MAX 8
static struct { uint16_t first, last; const char *what; } reserved[RESERVED_MAX];
static unsigned reserved_count;

void partition_reserve_ports(uint16_t first, unsigned len, const char *what)
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

/* The CPUs a shared guest may use, as a mask (CPU indices below 64). */
static uint64_t shared_mask(const struct guest_config *gc)
{
    uint64_t m = 0;
    if (!gc->cpu_count)
        return ~0ULL;
    for (unsigned i = 0; i < gc->cpu_count; i++)
        if (gc->cpus[i] < 64)
            m |= 1ULL << gc->cpus[i];
    return m;
}

static bool create_vcpus(struct guest *g, const struct guest_config *gc, unsigned index)
{
    unsigned n = gc->cpus_mode == CPUS_PINNED ? gc->cpu_count : MAX(gc->vcpus, 1u);
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = kzalloc(sizeof(*v));
        if (!v)
            return false;
        v->guest = g;
        v->id = i;
        /* VPIDs are unique machine-wide: one per vCPU, never 0 (the host's). */
        v->vpid = (uint16_t)(index * CONFIG_MAX_VCPUS + i + 1);
        int pinned = gc->cpus_mode == CPUS_PINNED ? gc->cpus[i] : -1;
        sched_vcpu_init(&v->sv, (int)(index * CONFIG_MAX_VCPUS + i), gc->weight ? gc->weight : 1,
                        pinned);
        v->allowed = pinned >= 0 ? 1ULL << (pinned & 63) : shared_mask(gc);
        g->vcpus[g->vcpu_count++] = v;
        vcpu_reset(v);
    }
    return true;
}

static void free_guest(struct guest *g, void *ram, uint64_t pages)
{
    for (unsigned i = 0; i < g->vcpu_count; i++)
        kfree(g->vcpus[i]);
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
        if (cpu >= cpu_count || !cpus[cpu]) {
            kprintf("%s:%u: [guest %s]: cpus: CPU %u does not exist (%u CPUs)\n", cfg_name,
                    gc->line, gc->name, cpu, cpu_count);
            return NULL;
        }
        if (cpus[cpu]->pinned) {
            kprintf("%s:%u: [guest %s]: CPU %u already runs guest %s\n", cfg_name, gc->line,
                    gc->name, cpu, cpus[cpu]->pinned->name);
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
    const struct vmx_caps *c = &cpus[0]->vmx.caps;
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
    if ((gc->has_serial && !vuart_attach(g, gc->serial_port)) ||
        (gc->has_debug_exit && !debug_exit_attach(g, gc->debug_exit_port)) || !vpic_attach(g)) {
        kprintf("%s:%u: [guest %s]: overlapping device ports\n", cfg_name, gc->line, gc->name);
        goto fail;
    }
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
            g->entry_real ? "real-mode" : "multiboot",
            g->entry_real ? ((uint64_t)g->entry_cs << 4) + g->entry_ip : g->entry);
    if (nregions == 2)
        kprintf("guest %s: RAM at [0, %#lx) and [%#lx, %#lx); the PC hole in between\n", g->name,
                regions[0].size, regions[1].gpa, regions[1].gpa + regions[1].size);
    return g;
fail:
    free_guest(g, ram, alloc_pages);
    return NULL;
}

unsigned partitions_create(const struct hv_config *cfg, const struct boot_info *bi,
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
                cpus[gc->cpus[c]]->pinned = g;
    }
    return guest_count;
}

void partitions_start(uint32_t slice_us)
{
    schedule_init(slice_us);
    for (unsigned i = 0; i < guest_count; i++)
        schedule_start_guest(guests[i]);
}

/* Ports handed to the guest reach the hardware without an exit: their
 * bits are clear in its I/O bitmaps (SDM Vol. 3C 25.6.4). Every other
 * port exits, so no other guest ever reaches them. */
static void open_passthrough(struct vcpu *v, const struct guest_config *gc)
{
    for (unsigned r = 0; r < gc->passthrough_count; r++)
        for (uint32_t p = gc->passthrough[r].first; p <= gc->passthrough[r].last; p++)
            v->io_bitmaps[p / 8] &= (uint8_t)~(1u << (p % 8));
}

bool partition_setup_vcpu(struct vcpu *v, struct percpu *pc)
{
    struct guest *g = v->guest;
    if (vcpu_vmcs_create(v, pc) != 0) {
        guest_stop(g, 255, "could not set up the VMCS of vCPU %u", v->id);
        return false;
    }
    open_passthrough(v, g->cfg);
    vcpu_set_entry(v);
    if (v->id == 0 && partition_break_state[0] && strcmp(partition_break_state, g->name) == 0) {
        /* Diagnostics (command line break_guest_state=NAME): paging
         * without protection, which VM entry must refuse (SDM Vol. 3C
         * 26.3.1.1), to show how a failed entry is reported. */
        kprintf("guest %s: break_guest_state: setting CR0.PG with CR0.PE clear\n", g->name);
        vmcs_writenat(VMCS_GUEST_CR0, (vmcs_readnat(VMCS_GUEST_CR0) | CR0_PG) & ~CR0_PE);
    }
    return true;
}

/* The same guest again from its images. Its memory is scrubbed first, so
 * nothing of the old instance is readable by the new one (and nothing of
 * anyone else ever was: the EPT maps only this block). */
static bool reload(struct guest *g, const char *why)
{
    memset(phys_to_ptr(g->ram_hpa), 0, g->alloc_size);
    memset(&g->uart, 0, sizeof(g->uart));
    for (unsigned i = 0; i < g->vcpu_count; i++)
        vcpu_reset(g->vcpus[i]);
    if (!load_image(g, g->cfg, boot_files, config_file)) {
        g->state = GUEST_STOPPED;
        return false;
    }
    g->instance++;
    kprintf("guest %s: %s (instance %u) with its memory scrubbed\n", g->name, why, g->instance);
    return schedule_start_guest(g);
}

void partition_finished(struct guest *g)
{
    if (g->state == GUEST_RUNNING || g->attached)
        return;
    /* The CPU that let go of its last vCPU and an operator's start can
     * arrive together: only one of them re-creates it. */
    if (__atomic_exchange_n(&g->reloading, true, __ATOMIC_ACQ_REL))
        return;
    if (g->state == GUEST_RUNNING || g->attached) {     /* the other one finished first */
        __atomic_store_n(&g->reloading, false, __ATOMIC_RELEASE);
        return;
    }
    bool again = __atomic_exchange_n(&g->start_requested, false, __ATOMIC_ACQ_REL);
    if (again || g->state == GUEST_RESTARTING) {
        reload(g, again ? (g->start_why ? g->start_why : "started") : "restarting");
        __atomic_store_n(&g->reloading, false, __ATOMIC_RELEASE);
        return;
    }
    __atomic_store_n(&g->reloading, false, __ATOMIC_RELEASE);
    /* on_stop = restart and a bad end, but over the limit. */
    if (g->cfg->on_stop == ON_STOP_RESTART && g->stop_status != 0)
        kprintf("guest %s: stopped %u times; not restarting it again\n", g->name, g->instance);
}

int partition_request_start(struct guest *g, const char *why)
{
    if (g->state == GUEST_RUNNING)
        return -1;
    g->start_why = why;
    g->start_requested = true;
    partition_finished(g);
    return 0;
}

int partition_stop(struct guest *g, const char *why)
{
    if (g->state != GUEST_RUNNING)
        return -1;
    guest_stop(g, 0, "%s", why);
    return 0;
}

void partition_restart(struct guest *g, const char *why)
{
    g->start_why = why;
    g->start_requested = true;
    if (partition_stop(g, why) != 0)
        partition_finished(g);      /* it was not running: start it now */
}

void partitions_wait(void)
{
    for (;;) {
        bool running = false;
        for (unsigned i = 0; i < guest_count; i++)
            if (guests[i]->state != GUEST_STOPPED || guests[i]->attached)
                running = true;
        if (!running)
            return;
        irq_enable();
        cpu_halt();
    }
}
