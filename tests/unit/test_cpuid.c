/* Guest CPUID policy against fake hosts: what is hidden, what follows
 * the vCPU's state (APIC_BASE.EN, CR4.OSXSAVE, XCR0, VM-execution
 * controls), the topology, the XSAVE sizes and the hypervisor's leaves.
 * The table the tests check is docs/cpu-policy.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arch/cpuid_policy.h>
#include <arch/vmx_caps.h>

/* The fake host. Feature words are all ones unless `bare` (all zero),
 * so every bit the policy lets through or forces shows. */
static uint32_t host_max_basic = 0x1f;
static bool bare;
static unsigned host_calls;

/* XSAVE components of a Skylake-SP-like CPU with PKRU and AMX added:
 * size, offset, ECX flags (bit 0 supervisor, bit 1 aligned, bit 2 XFD). */
static struct cpuid_leaf xcomp[19] = {
    [2] = { 256, 576, 0, 0 },
    [3] = { 64, 960, 0, 0 },
    [4] = { 64, 1024, 0, 0 },
    [5] = { 64, 1088, 0, 0 },
    [6] = { 512, 1152, 0, 0 },
    [7] = { 1024, 1664, 0, 0 },
    [8] = { 128, 0, 1, 0 },             /* PT: supervisor */
    [9] = { 8, 2688, 0, 0 },            /* PKRU */
    [17] = { 64, 2752, 6, 0 },          /* TILECFG: aligned, XFD */
    [18] = { 8192, 2816, 6, 0 },        /* TILEDATA */
};

static struct cpuid_leaf fake_host(uint32_t leaf, uint32_t sub)
{
    const uint32_t ones = bare ? 0 : 0xffffffffu;
    host_calls++;
    if (leaf > host_max_basic && leaf < 0x80000000u)
        leaf = host_max_basic;
    switch (leaf) {
    case 0x0:
        return (struct cpuid_leaf){ host_max_basic, 0x756e6547, 0x6c65746e, 0x49656e69 };
    case 0x1:
        return (struct cpuid_leaf){ 0x00050654, 0x12340842, ones, ones };
    case 0x2:
        return (struct cpuid_leaf){ 0x00feff01, 0, 0, 0x00c30000 };
    case 0x4:
        if (sub == 0)       /* L1d: type 1, level 1, 2 threads, 28 cores */
            return (struct cpuid_leaf){ 0x6c004121, 0x01c0003f, 0x3f, 0 };
        return (struct cpuid_leaf){ 0, 0, 0, 0 };
    case 0x7:
        if (sub == 0)
            return (struct cpuid_leaf){ 2, ones, ones, ones };
        if (sub <= 2)
            return (struct cpuid_leaf){ ones, ones, ones, ones };
        return (struct cpuid_leaf){ 0, 0, 0, 0 };
    case 0xd:
        if (bare)
            return (struct cpuid_leaf){ 0, 0, 0, 0 };
        if (sub == 0)
            return (struct cpuid_leaf){ 0x000602ff, 1234, 11008, 0 };
        if (sub == 1)
            return (struct cpuid_leaf){ 0x1f, 4321, 0x100, 0 };
        return sub < 19 ? xcomp[sub] : (struct cpuid_leaf){ 0, 0, 0, 0 };
    case 0x16:
        return (struct cpuid_leaf){ 2100, 3700, 100, 0 };
    case 0x18:
        return (struct cpuid_leaf){ 7, 0x123, 0x456, 0x789 };
    case 0x80000000u:
        return (struct cpuid_leaf){ 0x80000008u, 0, 0, 0 };
    case 0x80000002u:
        return (struct cpuid_leaf){ 0x65746e49, 0x2952286c, 0x6f655820, 0x2952286e };
    }
    if (leaf > 0x80000008u)
        return fake_host(host_max_basic, sub);
    return (struct cpuid_leaf){ ones, ones, ones, ones };
}

static struct cpuid_ctx ctx(void)
{
    host_max_basic = 0x1f;
    bare = false;
    host_calls = 0;
    return (struct cpuid_ctx){
        .host = fake_host, .vcpus = 1, .apic_id = 0, .apic_enabled = true,
        .cr4 = 0, .xcr0 = 1, .xsavec = true,
        .proc2 = VMX_PROC2_ENABLE_RDTSCP | VMX_PROC2_ENABLE_INVPCID | VMX_PROC2_ENABLE_XSAVES,
        .tsc_khz = 2100000, .bus_khz = 100000,
    };
}

/* The three steps of exit/cpuid.c, with the context fields the leaf does
 * not name spoiled, to show they do not matter. */
static struct cpuid_leaf answer(const struct cpuid_ctx *c, uint32_t leaf, uint32_t sub)
{
    struct cpuid_ctx k = *c;
    uint32_t l = cpuid_policy_leaf(&k, leaf);
    unsigned need = cpuid_policy_inputs(l);
    if (!(need & CPUID_IN_VCPU)) {
        k.vcpus = 77;
        k.apic_id = 99;
        k.apic_enabled = false;
    }
    if (!(need & CPUID_IN_CR4))
        k.cr4 = ~0ULL;
    if (!(need & CPUID_IN_XCR0)) {
        k.xcr0 = ~0ULL;
        k.xsavec = !k.xsavec;
    }
    if (!(need & CPUID_IN_PROC2))
        k.proc2 = ~0u;
    if (!(need & CPUID_IN_CLOCKS))
        k.tsc_khz = k.bus_khz = 12345;
    struct cpuid_leaf r = fake_host(l, sub);
    cpuid_policy(&k, l, sub, &r);
    return r;
}

static void assert_leaf(struct cpuid_leaf r, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    assert_int_equal(r.eax, a);
    assert_int_equal(r.ebx, b);
    assert_int_equal(r.ecx, c);
    assert_int_equal(r.edx, d);
}

#define B(n) (1u << (n))

static void test_max_leaves(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    host_max_basic = 0x23;                      /* newer leaves (0x20-0x23) stay hidden */
    assert_leaf(answer(&c, 0, 0), 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);
    host_max_basic = 0x16;
    assert_int_equal(answer(&c, 0, 0).eax, 0x16);
    assert_int_equal(answer(&c, 0x80000000u, 0).eax, 0x80000008u);
    /* The common leaves need no CPUID beyond the caller's own: the exit
     * stays cheap. */
    static const uint32_t common[] = { 0, 1, 4, 7, 0xb, 0x80000000u, 0x80000001u };
    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
        struct cpuid_leaf r = fake_host(common[i], 0);
        host_calls = 0;
        assert_int_equal(cpuid_policy_leaf(&c, common[i]), common[i]);
        cpuid_policy(&c, common[i], 0, &r);
        assert_int_equal(host_calls, 0);
    }
}

static void test_out_of_range_leaves(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    host_max_basic = 0x16;
    /* Above the highest leaf: the highest basic leaf, as the CPU does. */
    struct cpuid_leaf top = answer(&c, 0x16, 0);
    assert_leaf(top, 2100, 3700, 100, 0);
    struct cpuid_leaf r = answer(&c, 0x17, 0);
    assert_memory_equal(&r, &top, sizeof(r));
    r = answer(&c, 0x1f, 0);
    assert_memory_equal(&r, &top, sizeof(r));
    r = answer(&c, 0x80000009u, 0);
    assert_memory_equal(&r, &top, sizeof(r));
    r = answer(&c, 0x20000000u, 0);
    assert_memory_equal(&r, &top, sizeof(r));
    r = answer(&c, 0xffffffffu, 0);
    assert_memory_equal(&r, &top, sizeof(r));
    /* With a newer host, 0x20 and above are answered as 0x1f. */
    host_max_basic = 0x23;
    c.vcpus = 2;
    c.apic_id = 1;
    assert_leaf(answer(&c, 0x20, 1), 1, 2, 0x201, 1);
}

static void test_leaf1_features(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    struct cpuid_leaf r = answer(&c, 1, 0);
    assert_int_equal(r.eax, 0x00050654);
    /* Hidden: DTES64, MONITOR, DS-CPL, VMX, SMX, EST, TM2, CNXT-ID, SDBG,
     * xTPR, PDCM, bit 16, DCA; OSXSAVE with CR4.OSXSAVE clear. */
    uint32_t hidden_ecx = B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(10) | B(11) |
                          B(14) | B(15) | B(16) | B(18) | B(27);
    assert_int_equal(r.ecx, ~hidden_ecx);
    assert_int_equal(r.ecx & B(15), 0);         /* PDCM: no IA32_PERF_CAPABILITIES */
    assert_int_equal(r.ecx & B(5), 0);          /* VMX */
    /* Hidden: PSN, DS, ACPI, TM, PBE; HTT clear with one vCPU; bits 10,
     * 20 and 30 are reserved. */
    uint32_t hidden_edx = B(10) | B(18) | B(20) | B(21) | B(22) | B(28) | B(29) | B(30) | B(31);
    assert_int_equal(r.edx, ~hidden_edx);

    /* A host without the optional bits: x2APIC, TSC deadline and the
     * hypervisor bit are the virtual APIC's and ours, always set. */
    bare = true;
    r = answer(&c, 1, 0);
    assert_int_equal(r.ecx, B(21) | B(24) | B(31));
    assert_int_equal(r.edx, B(9));
}

static void test_leaf1_apic_follows_apic_base(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    assert_true(answer(&c, 1, 0).edx & B(9));
    c.apic_enabled = false;                     /* IA32_APIC_BASE.EN = 0 */
    assert_false(answer(&c, 1, 0).edx & B(9));
    assert_true(answer(&c, 1, 0).ecx & B(21));   /* x2APIC stays: a static flag */
}

static void test_leaf1_osxsave_follows_cr4(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    assert_false(answer(&c, 1, 0).ecx & B(27));
    c.cr4 = 1u << 18;
    assert_true(answer(&c, 1, 0).ecx & B(27));
    c.cr4 = ~(1ULL << 18);
    assert_false(answer(&c, 1, 0).ecx & B(27));
    c.cr4 = 1u << 18;
    bare = true;                                /* no XSAVE: never OSXSAVE */
    assert_false(answer(&c, 1, 0).ecx & B(27));
}

static void test_topology(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    struct cpuid_leaf r = answer(&c, 1, 0);
    assert_int_equal(r.ebx, 0x00010842);        /* 1 logical processor, APIC ID 0 */
    assert_false(r.edx & B(28));
    c.vcpus = 3;
    c.apic_id = 2;
    r = answer(&c, 1, 0);
    assert_int_equal(r.ebx, 0x02040842);        /* IDs for 4, APIC ID 2 */
    assert_true(r.edx & B(28));                 /* HTT */
    /* Leaf 4: one thread per cache, 3 cores per package. */
    r = answer(&c, 4, 0);
    assert_leaf(r, (2u << 26) | 0x0121, 0x01c0003f, 0x3f, 0);
    assert_leaf(answer(&c, 4, 1), 0, 0, 0, 0);
    /* Leaf 0xb and 0x1f: SMT level 1 thread, core level 3 cores. */
    for (uint32_t leaf = 0xb; leaf <= 0x1f; leaf += 0x14) {
        assert_leaf(answer(&c, leaf, 0), 0, 1, 0x100, 2);
        assert_leaf(answer(&c, leaf, 1), 2, 3, 0x201, 2);
        assert_leaf(answer(&c, leaf, 2), 0, 0, 2, 2);
    }
    c.vcpus = 16;
    assert_int_equal(answer(&c, 0xb, 1).eax, 4);
    assert_int_equal(answer(&c, 1, 0).ebx >> 16 & 0xff, 16);
}

static void test_hidden_leaves(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    /* PSN, MONITOR, 8, DCA, PMU (0xa), 0xc, 0xe, RDT, SGX, PT, 0x17,
     * Key Locker, hybrid, PCONFIG, LBR, AMX: all zero whatever the host. */
    static const uint32_t leaves[] = { 3, 5, 8, 9, 0xa, 0xc, 0xe, 0xf, 0x10, 0x11, 0x12,
                                       0x13, 0x14, 0x17, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e };
    for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
        for (uint32_t sub = 0; sub < 3; sub++)
            assert_leaf(answer(&c, leaves[i], sub), 0, 0, 0, 0);
}

static void test_passed_leaves(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    assert_leaf(answer(&c, 2, 0), 0x00feff01, 0, 0, 0x00c30000);
    assert_leaf(answer(&c, 0x18, 0), 7, 0x123, 0x456, 0x789);
    assert_leaf(answer(&c, 0x80000002u, 0), 0x65746e49, 0x2952286c, 0x6f655820,
                0x2952286e);
}

static void test_leaf6_thermal_power(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    /* ARAT only: no thermal sensor, HWP, EPB, APERF/MPERF. */
    assert_leaf(answer(&c, 6, 0), B(2), 0, 0, 0);
    bare = true;
    assert_leaf(answer(&c, 6, 0), B(2), 0, 0, 0);
}

static void test_leaf7(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    struct cpuid_leaf r = answer(&c, 7, 0);
    assert_int_equal(r.eax, 1);                 /* subleaves 0 and 1 */
    /* EBX hidden: SGX, HLE, RTM, RDT-M, MPX, RDT-A, bit 22, PT. */
    assert_int_equal(r.ebx, ~(B(2) | B(4) | B(11) | B(12) | B(14) | B(15) | B(22) | B(25)));
    /* ECX hidden: PKU, OSPKE, WAITPKG, CET_SS, TME, MAWAU, KL,
     * BUS_LOCK_DETECT, ENQCMD, SGX_LC, PKS and the reserved bits. */
    assert_int_equal(r.ecx, B(0) | B(1) | B(2) | B(6) | B(8) | B(9) | B(10) | B(11) | B(12) |
                            B(14) | B(16) | B(22) | B(25) | B(27) | B(28));
    /* EDX: no speculation control (IBRS/IBPB 26, STIBP 27, L1D_FLUSH 28,
     * ARCH_CAPABILITIES 29, CORE_CAPABILITIES 30, SSBD 31), no TSX, AMX,
     * CET, hybrid, PCONFIG, LBR, UINTR. */
    assert_int_equal(r.edx, B(2) | B(3) | B(4) | B(8) | B(10) | B(14) | B(23));
    assert_int_equal(r.edx & (B(26) | B(27) | B(29) | B(31)), 0);

    /* INVPCID and RDPID follow their VM-execution controls. */
    c.proc2 = VMX_PROC2_ENABLE_XSAVES;
    r = answer(&c, 7, 0);
    assert_false(r.ebx & B(10));
    assert_false(r.ecx & B(22));
    c.proc2 = VMX_PROC2_ENABLE_INVPCID;
    assert_true(answer(&c, 7, 0).ebx & B(10));
    c.proc2 = VMX_PROC2_ENABLE_RDTSCP;
    assert_true(answer(&c, 7, 0).ecx & B(22));

    /* Subleaf 1: instruction bits only; subleaf 2 (speculation controls)
     * and above: nothing. */
    assert_leaf(answer(&c, 7, 1), B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(7) |
                B(10) | B(11) | B(12) | B(23), 0, 0, B(4) | B(5) | B(10) | B(14));
    assert_leaf(answer(&c, 7, 2), 0, 0, 0, 0);
    assert_leaf(answer(&c, 7, 3), 0, 0, 0, 0);

    /* TSC_ADJUST is virtualized whatever the host has; nothing else. */
    bare = true;
    assert_leaf(answer(&c, 7, 0), 1, B(1), 0, 0);
}

static void test_leafd_xsave(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    /* Components: x87, SSE, AVX, AVX-512 only (not MPX 3-4, PKRU 9, AMX). */
    struct cpuid_leaf r = answer(&c, 0xd, 0);
    assert_int_equal(r.eax, 0xe7);
    assert_int_equal(r.edx, 0);
    assert_int_equal(r.ebx, 576);               /* XCR0 = x87 */
    assert_int_equal(r.ecx, 2688);              /* everything allowed: ends with Hi16_ZMM */
    c.xcr0 = 0x7;
    assert_int_equal(answer(&c, 0xd, 0).ebx, 832);
    c.xcr0 = 0xe7;
    assert_int_equal(answer(&c, 0xd, 0).ebx, 2688);

    /* Subleaf 1: XSAVEOPT, XSAVEC, XGETBV1; no XSAVES, no XFD, no XSS
     * bits; EBX the compacted size of XCR0. */
    c.xcr0 = 0x3;
    assert_leaf(answer(&c, 0xd, 1), 0x7, 576, 0, 0);
    c.xcr0 = 0xe7;
    assert_leaf(answer(&c, 0xd, 1), 0x7, 576 + 256 + 64 + 512 + 1024, 0, 0);

    /* An XSAVEC that writes another layout than the SDM's (Bochs 2.7):
     * hidden, XSAVEOPT and XGETBV1 kept, the compacted size still given. */
    c.xsavec = false;
    assert_leaf(answer(&c, 0xd, 1), 0x5, 576 + 256 + 64 + 512 + 1024, 0, 0);
    c.xsavec = true;

    /* Compacted: a component with the alignment flag starts on 64 bytes. */
    xcomp[5].eax = 8;
    xcomp[6].ecx = 2;
    assert_int_equal(answer(&c, 0xd, 1).ebx, 576 + 256 + 8 + 56 + 512 + 1024);
    assert_leaf(answer(&c, 0xd, 6), 512, 1152, 2, 0);
    xcomp[5].eax = 64;
    xcomp[6].ecx = 0;

    /* Allowed components as the host has them, XFD flag dropped. */
    assert_leaf(answer(&c, 0xd, 2), 256, 576, 0, 0);
    assert_leaf(answer(&c, 0xd, 7), 1024, 1664, 0, 0);
    /* MPX, PT (supervisor), PKRU, AMX and beyond: nothing. */
    static const uint32_t hidden[] = { 3, 4, 8, 9, 17, 18, 19, 62, 63, 64, 1000 };
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        assert_leaf(answer(&c, 0xd, hidden[i]), 0, 0, 0, 0);

    /* No XSAVE on the host: no leaf 0xd. */
    bare = true;
    assert_leaf(answer(&c, 0xd, 0), 0, 0, 0, 0);
    assert_leaf(answer(&c, 0xd, 2), 0, 0, 0, 0);
}

static void test_extended(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    /* LAHF, LZCNT, PREFETCHW; SYSCALL, NX, 1G pages, RDTSCP, LM. */
    assert_leaf(answer(&c, 0x80000001u, 0), 0xffffffffu, 0, B(0) | B(5) | B(8),
                B(11) | B(20) | B(26) | B(27) | B(29));
    c.proc2 = 0;                                /* RDTSCP would #UD: hidden */
    assert_false(answer(&c, 0x80000001u, 0).edx & B(27));
    assert_leaf(answer(&c, 0x80000005u, 0), 0, 0, 0, 0);
    assert_leaf(answer(&c, 0x80000006u, 0), 0xffffffffu, 0xffffffffu, 0xffffffffu,
                0xffffffffu);
    assert_leaf(answer(&c, 0x80000007u, 0), 0, 0, 0, B(8));   /* invariant TSC */
    /* Address sizes; EBX: WBNOINVD only (not the IBPB/IBRS/STIBP/SSBD bits). */
    assert_leaf(answer(&c, 0x80000008u, 0), 0xffff, B(9), 0, 0);
}

static void test_hypervisor_leaves(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    struct cpuid_leaf r = answer(&c, 0x40000000u, 0);
    char sig[13] = { 0 };
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    assert_int_equal(r.eax, 0x40000010u);
    assert_string_equal(sig, "hvhvhypervsr");
    assert_leaf(answer(&c, 0x40000010u, 0), 2100000, 100000, 0, 0);
    assert_leaf(answer(&c, 0x40000001u, 0), 0, 0, 0, 0);
    assert_leaf(answer(&c, 0x400000ffu, 0), 0, 0, 0, 0);
    /* 0x40000100 is past our range: the highest basic leaf. */
    assert_leaf(answer(&c, 0x40000100u, 0), 0, 1, 0x100, 0);
}

static void test_frequency_leaves(void **state)
{
    (void)state;
    struct cpuid_ctx c = ctx();
    /* 0x15: crystal = the APIC bus (100 MHz), TSC = 100 MHz * 2100000 / 100000. */
    assert_leaf(answer(&c, 0x15, 0), 100000, 2100000, 100000000, 0);
    /* 0x16: base frequency = the TSC's; maximum and bus from the host. */
    assert_leaf(answer(&c, 0x16, 0), 2100, 3700, 100, 0);
    /* A bus clock whose Hz do not fit ECX, or an unknown clock: not enumerated. */
    c.bus_khz = 5000000;
    assert_leaf(answer(&c, 0x15, 0), 0, 0, 0, 0);
    c.bus_khz = 100000;
    c.tsc_khz = 0;
    assert_leaf(answer(&c, 0x15, 0), 0, 0, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_leaves),
        cmocka_unit_test(test_out_of_range_leaves),
        cmocka_unit_test(test_leaf1_features),
        cmocka_unit_test(test_leaf1_apic_follows_apic_base),
        cmocka_unit_test(test_leaf1_osxsave_follows_cr4),
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_hidden_leaves),
        cmocka_unit_test(test_passed_leaves),
        cmocka_unit_test(test_leaf6_thermal_power),
        cmocka_unit_test(test_leaf7),
        cmocka_unit_test(test_leafd_xsave),
        cmocka_unit_test(test_extended),
        cmocka_unit_test(test_hypervisor_leaves),
        cmocka_unit_test(test_frequency_leaves),
    };
    return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
