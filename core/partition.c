/*
 * Partitions: each configured guest gets its own host memory (one block,
 * 2 MiB aligned so EPT can use large pages), its own EPT mapping exactly
 * that block at guest-physical 0, its own devices and one vCPU pinned to
 * its physical CPU. Nothing of another guest or of the hypervisor is in
 * its EPT.
 */
#include <hv/partition.h>
#include <hv/guest.h>
#include <hv/guest_image.h>
#include <hv/vdev.h>
#include <hv/console.h>
#include <hv/layout.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <arch/percpu.h>
#include <arch/vmcs.h>
#include <arch/cpu.h>
#include <arch/lapic.h>
#include <arch/tsc.h>
#include <arch/vmexit.h>

static struct guest *guests[CONFIG_MAX_GUESTS];
static const struct boot_info *boot_files;     /* for restarts */
static const char *config_file;
char partition_break_state[GUEST_NAME_MAX];
static unsigned guest_count;

unsigned partitions_count(void)
{
    return guest_count;
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
    struct guest_mem mem = { mem_ptr, g->ram_size, g };

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
    /* A PC-like map: conventional memory, the legacy hole, the rest. */
    struct mb1_mmap_entry map[] = {
        { 0, 0x9fc00, MB1_MEM_AVAILABLE },
        { 0x9fc00, 0x100000 - 0x9fc00, MB1_MEM_RESERVED },
        { 0x100000, g->ram_size > 0x100000 ? g->ram_size - 0x100000 : 0, MB1_MEM_AVAILABLE },
    };
    struct mb1_load_args args = {
        .kernel_name = gc->kernel, .cmdline = gc->cmdline,
        .modules = mods, .nr_modules = gc->module_count,
        .mmap = map, .nr_mmap = ARRAY_SIZE(map), .mem_lower_kb = 639,
    };
    struct mb1_boot_state st;
    if (mb1_load(img, k->size, &mem, &args, &st, err, sizeof(err))) {
        kprintf("%s:%u: [guest %s]: %s: %s\n", cfg_name, gc->line, gc->name, gc->kernel, err);
        return false;
    }
    g->vcpu.regs.rax = st.eax;
    g->vcpu.regs.rbx = st.ebx;
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
    vlapic_reset(&v->lapic, 0, bus_hz ? MAX(tsc_hz() / bus_hz, 1) : 1);
    apic_base_changed(v, v->msr.apic_base);
}

static struct guest *create(const struct guest_config *gc, const struct boot_info *bi,
                            const char *cfg_name, unsigned index)
{
    int cpu = gc->cpu_count ? gc->cpus[0] : 0;
    if ((unsigned)cpu >= cpu_count || !cpus[cpu]) {
        kprintf("%s:%u: [guest %s]: cpus: CPU %d does not exist (%u CPUs)\n",
                cfg_name, gc->line, gc->name, cpu, cpu_count);
        return NULL;
    }
    if (cpus[cpu]->guest) {
        kprintf("%s:%u: [guest %s]: CPU %d already runs guest %s\n", cfg_name, gc->line,
                gc->name, cpu, cpus[cpu]->guest->name);
        return NULL;
    }
    struct guest *g = kzalloc(sizeof(*g));
    if (!g) {
        kprintf("%s:%u: [guest %s]: out of memory\n", cfg_name, gc->line, gc->name);
        return NULL;
    }
    hv_strlcpy(g->name, gc->name, sizeof(g->name));
    g->index = (int)index;
    g->cpu = cpu;
    /* The guest sees exactly what it was given; the host block is rounded
     * to 2 MiB so its EPT can use large pages. */
    g->ram_size = gc->memory;
    uint64_t alloc_pages = ALIGN_UP(gc->memory, MiB(2)) / PAGE_SIZE;
    void *ram = page_alloc_aligned(alloc_pages, MiB(2));
    if (!ram) {
        kprintf("%s:%u: [guest %s]: not enough memory for %lu MiB (%lu MiB free)\n",
                cfg_name, gc->line, gc->name, g->ram_size >> 20, mm_free_pages() >> 8);
        kfree(g);
        return NULL;
    }
    g->ram_hpa = kva_to_phys(ram);
    g->alloc_size = alloc_pages * PAGE_SIZE;
    g->cfg = gc;
    g->instance = 1;
    const struct vmx_caps *c = &cpus[cpu]->vmx.caps;
    struct ept_ops ops = { ept_page, ept_free, ept_ptr, NULL };
    int rc = ept_init(&g->ept, &ops, c->ept_2m, c->ept_1g);
    if (rc == 0)
        rc = ept_map(&g->ept, 0, g->ram_hpa, g->ram_size, EPT_FLAGS_RAM);
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
    g->vcpu.guest = g;
    g->vcpu.vpid = (uint16_t)(index + 1);
    vcpu_reset_devices(&g->vcpu);
    cpus[cpu]->guest = g;
    kprintf("guest %s: %lu MiB at host %#lx, cpu%d, %s entry %#lx\n", g->name,
            g->ram_size >> 20, g->ram_hpa, cpu, g->entry_real ? "real-mode" : "multiboot",
            g->entry_real ? ((uint64_t)g->entry_cs << 4) + g->entry_ip : g->entry);
    return g;
fail:
    ept_destroy(&g->ept);
    page_free(ram, alloc_pages);
    kfree(g);
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
        if (g)
            guests[guest_count++] = g;
    }
    return guest_count;
}

/* on_stop = restart: the same guest again from its images. Its memory is
 * scrubbed first, so nothing of the old instance is readable by the new
 * one (and nothing of anyone else ever was: the EPT maps only this
 * block). A guest that keeps stopping is given up after a few restarts. */
static bool restart(struct guest *g)
{
    if (g->state != GUEST_RESTARTING) {
        if (g->cfg->on_stop == ON_STOP_RESTART && g->stop_status != 0)
            kprintf("guest %s: stopped %u times; not restarting it again\n", g->name,
                    g->instance);
        return false;
    }
    memset(phys_to_ptr(g->ram_hpa), 0, g->alloc_size);
    memset(&g->vcpu.regs, 0, sizeof(g->vcpu.regs));
    memset(&g->uart, 0, sizeof(g->uart));
    if (!load_image(g, g->cfg, boot_files, config_file)) {
        g->state = GUEST_STOPPED;
        return false;
    }
    vcpu_reset_devices(&g->vcpu);
    g->instance++;
    g->state = GUEST_CREATED;
    kprintf("guest %s: restarting (instance %u) with its memory scrubbed\n", g->name,
            g->instance);
    return true;
}

void partition_run_here(struct percpu *pc)
{
    struct guest *g = pc->guest;
    if (!g)
        return;
    /* APs reach VMX root after the guests were placed: check here. */
    if (!pc->vmx.on) {
        guest_stop(g, 255, "cpu%u is not in VMX root operation: %s", pc->index,
                   pc->vmx.reason);
        return;
    }
    for (;;) {
        if (vcpu_vmcs_create(&g->vcpu, pc) != 0) {
            guest_stop(g, 255, "could not set up its VMCS");
            return;
        }
        vcpu_set_entry(&g->vcpu);
        if (partition_break_state[0] && strcmp(partition_break_state, g->name) == 0) {
            /* Diagnostics (command line break_guest_state=NAME): paging
             * without protection, which VM entry must refuse (SDM Vol. 3C
             * 26.3.1.1), to show how a failed entry is reported. */
            kprintf("guest %s: break_guest_state: setting CR0.PG with CR0.PE clear\n", g->name);
            vmcs_writenat(VMCS_GUEST_CR0, (vmcs_readnat(VMCS_GUEST_CR0) | CR0_PG) & ~CR0_PE);
        }
        vcpu_run(&g->vcpu);
        if (!restart(g))
            return;
    }
}

void partitions_wait(void)
{
    for (;;) {
        bool running = false;
        for (unsigned i = 0; i < guest_count; i++)
            if (guests[i]->state != GUEST_STOPPED)
                running = true;
        if (!running)
            return;
        irq_enable();
        cpu_halt();
    }
}
