/* Guest MSR policy: what a guest reads and may write, and what faults.
 * One check per row of the MSR table in docs/cpu-policy.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arch/vmsr.h>
#include <arch/vmcs.h>

static struct vmsr fresh(void)
{
    struct vmsr s;
    vmsr_reset(&s, true);
    return s;
}

static uint64_t read_ok(const struct vmsr *s, uint32_t msr)
{
    uint64_t v = 0xdeadbeef;
    uint32_t f = 0;
    assert_int_equal(vmsr_read(s, msr, &v, &f), VMSR_OK);
    return v;
}

static void assert_gp(uint32_t msr)
{
    struct vmsr s = fresh();
    uint64_t v;
    uint32_t f;
    assert_int_equal(vmsr_read(&s, msr, &v, &f), VMSR_GP);
    assert_int_equal(vmsr_write(&s, msr, 0, &f), VMSR_GP);
}

static void test_reset_values(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    assert_int_equal(read_ok(&s, 0x1b), 0xfee00900);                 /* enabled, BSP */
    vmsr_reset(&s, false);
    assert_int_equal(read_ok(&s, 0x1b), 0xfee00800);
    assert_int_equal(read_ok(&s, 0x3a), 1);                          /* locked, VMX off */
    assert_int_equal(read_ok(&s, 0x2ff), 0);                         /* MTRRs off at reset */
    assert_int_equal(read_ok(&s, 0x1a0), (1 << 0) | (1 << 11) | (1 << 12));
    assert_int_equal(read_ok(&s, 0x3b), 0);                          /* TSC_ADJUST */
    for (uint32_t m = 0x200; m < 0x210; m++)
        assert_int_equal(read_ok(&s, m), 0);
}

static void test_vmcs_backed(void **state)
{
    (void)state;
    static const struct { uint32_t msr, field; } rows[] = {
        { 0xc0000080, VMCS_GUEST_EFER }, { 0x277, VMCS_GUEST_PAT },
        { 0x174, VMCS_GUEST_SYSENTER_CS }, { 0x175, VMCS_GUEST_SYSENTER_ESP },
        { 0x176, VMCS_GUEST_SYSENTER_EIP }, { 0xc0000100, VMCS_GUEST_FS_BASE },
        { 0xc0000101, VMCS_GUEST_GS_BASE }, { 0x1d9, VMCS_GUEST_DEBUGCTL },
    };
    struct vmsr s = fresh();
    uint64_t v;
    uint32_t f;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        f = 0;
        assert_int_equal(vmsr_read(&s, rows[i].msr, &v, &f), VMSR_VMCS);
        assert_int_equal(f, rows[i].field);
        f = 0;
        assert_int_equal(vmsr_write(&s, rows[i].msr, 0, &f), VMSR_VMCS);
        assert_int_equal(f, rows[i].field);
    }
    assert_int_equal(vmsr_write(&s, 0x174, 8, &f), VMSR_VMCS);
    assert_int_equal(vmsr_write(&s, 0xc0000100, 0x1000, &f), VMSR_VMCS);
    assert_int_equal(vmsr_write(&s, 0x277, 0x0007040600070406ULL, &f), VMSR_VMCS);
    assert_int_equal(vmsr_write(&s, 0xc0000080, 0xd01, &f), VMSR_VMCS);   /* SCE LME LMA NXE */
    assert_int_equal(vmsr_write(&s, 0x1d9, 2, &f), VMSR_VMCS);           /* DEBUGCTL.BTF */
    assert_int_equal(vmsr_read(&s, 0x10, &v, &f), VMSR_TSC);
    assert_int_equal(vmsr_write(&s, 0x10, 5, &f), VMSR_TSC);
}

static void test_vmcs_backed_checks(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    uint32_t f;
    assert_int_equal(vmsr_write(&s, 0xc0000080, 1ULL << 12, &f), VMSR_GP); /* EFER reserved */
    assert_int_equal(vmsr_write(&s, 0x277, 0x0202020202020202ULL, &f), VMSR_GP); /* PAT type 2 */
    assert_int_equal(vmsr_write(&s, 0x277, 0x0800000000000000ULL, &f), VMSR_GP); /* PAT type 8 */
    assert_int_equal(vmsr_write(&s, 0xc0000100, 0x0000800000000000ULL, &f), VMSR_GP); /* non-canonical */
    assert_int_equal(vmsr_write(&s, 0xc0000101, 0x0000800000000000ULL, &f), VMSR_GP);
    assert_int_equal(vmsr_write(&s, 0x175, 0x0000800000000000ULL, &f), VMSR_GP);
    assert_int_equal(vmsr_write(&s, 0x176, 0x0000800000000000ULL, &f), VMSR_GP);
    assert_int_equal(vmsr_write(&s, 0x1d9, 1, &f), VMSR_GP);            /* DEBUGCTL.LBR: no PMU */
    assert_int_equal(vmsr_write(&s, 0x1d9, 1 << 6, &f), VMSR_GP);       /* BTS */
}

static void test_apic_base(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    uint32_t f;
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfee00c00, &f), VMSR_OK);   /* x2APIC on */
    assert_int_equal(read_ok(&s, 0x1b), 0xfee00d00);                    /* BSP kept */
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfee00000, &f), VMSR_OK);   /* APIC off */
    assert_int_equal(read_ok(&s, 0x1b), 0xfee00100);
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfee00800, &f), VMSR_OK);   /* on again */
    assert_int_equal(read_ok(&s, 0x1b), 0xfee00900);
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfec00800, &f), VMSR_GP);   /* moving the APIC */
    assert_int_equal(vmsr_write(&s, 0x1b, 0xfee00400, &f), VMSR_GP);   /* x2APIC without enable */
}

static void test_misc_enable(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    uint32_t f;
    /* Only fast strings is the guest's; BTS/PEBS unavailable stay set;
     * MONITOR (18), limit CPUID (22), XD disable (34) and the rest stay
     * clear, writes to them are ignored. */
    assert_int_equal(vmsr_write(&s, 0x1a0, ~0ULL, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x1a0), (1 << 0) | (1 << 11) | (1 << 12));
    assert_int_equal(vmsr_write(&s, 0x1a0, 0, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x1a0), (1 << 11) | (1 << 12));
    assert_int_equal(vmsr_write(&s, 0x1a0, 1ULL << 18, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x1a0) & (1 << 18), 0);
}

static void test_fixed_values(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    uint32_t f;
    assert_int_equal(read_ok(&s, 0x8b), 0x100000000ULL);  /* UCODE_REV: revision 1 */
    assert_int_equal(vmsr_write(&s, 0x8b, 0, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x8b), 0x100000000ULL);
    assert_int_equal(vmsr_write(&s, 0x79, 0x1000, &f), VMSR_OK);    /* BIOS_UPDT_TRIG: ignored */
    uint64_t v;
    assert_int_equal(vmsr_read(&s, 0x79, &v, &f), VMSR_GP);
    assert_int_equal(read_ok(&s, 0x17), 0);                         /* PLATFORM_ID */
    assert_int_equal(vmsr_write(&s, 0x17, 0, &f), VMSR_GP);
    assert_int_equal(read_ok(&s, 0xce), 0);                         /* PLATFORM_INFO */
    assert_int_equal(vmsr_write(&s, 0xce, 0, &f), VMSR_GP);
    assert_int_equal(vmsr_write(&s, 0x3a, 5, &f), VMSR_GP);         /* FEATURE_CONTROL locked */
    assert_int_equal(vmsr_write(&s, 0x3a, 1, &f), VMSR_GP);
}

static void test_machine_check(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    uint32_t f;
    assert_int_equal(read_ok(&s, 0x179), 0);            /* MCG_CAP: no banks, no MCG_CTL */
    assert_int_equal(vmsr_write(&s, 0x179, 0, &f), VMSR_GP);
    assert_int_equal(read_ok(&s, 0x17a), 0);            /* MCG_STATUS */
    assert_int_equal(vmsr_write(&s, 0x17a, 0, &f), VMSR_OK);
    assert_int_equal(vmsr_write(&s, 0x17a, 1, &f), VMSR_GP);
    assert_gp(0x17b);                                   /* MCG_CTL: MCG_CAP.MCG_CTL_P = 0 */
    for (uint32_t m = 0x400; m < 0x480; m++)            /* MCi_CTL/STATUS/ADDR/MISC */
        assert_gp(m);
    for (uint32_t m = 0x280; m < 0x2a0; m++)            /* MCi_CTL2 (CMCI) */
        assert_gp(m);
}

static void test_mtrr(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    uint32_t f;
    /* MTRRCAP: 8 variable, fixed, WC, no SMRR. */
    assert_int_equal(read_ok(&s, 0xfe), 8 | (1 << 8) | (1 << 10));
    assert_int_equal(vmsr_write(&s, 0xfe, 0, &f), VMSR_GP);
    assert_gp(0x1f2);                                   /* SMRR_PHYSBASE */
    assert_gp(0x1f3);
    assert_int_equal(vmsr_write(&s, 0x2ff, 0xc06, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x2ff), 0xc06);
    assert_int_equal(vmsr_write(&s, 0x2ff, 0x2, &f), VMSR_GP);         /* type 2 */
    assert_int_equal(vmsr_write(&s, 0x2ff, 0x1006, &f), VMSR_GP);      /* reserved bit 12 */
    /* Variable ranges: 0x200-0x20f, base/mask pairs. */
    assert_int_equal(vmsr_write(&s, 0x200, 0x6, &f), VMSR_OK);
    assert_int_equal(vmsr_write(&s, 0x201, 0xfffff0000800ULL, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x201), 0xfffff0000800ULL);
    assert_int_equal(vmsr_write(&s, 0x20e, 0x80000001ULL, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x20e), 0x80000001ULL);
    assert_int_equal(vmsr_write(&s, 0x200, 0x103, &f), VMSR_GP);       /* reserved base bits */
    assert_int_equal(vmsr_write(&s, 0x200, 0x2, &f), VMSR_GP);         /* type 2 */
    assert_int_equal(vmsr_write(&s, 0x201, 0x400, &f), VMSR_GP);       /* reserved mask bits */
    assert_int_equal(vmsr_write(&s, 0x201, 1ULL << 52, &f), VMSR_GP);  /* above MAXPHYADDR */
    assert_int_equal(vmsr_write(&s, 0x200, 1ULL << 63 | 6, &f), VMSR_GP);
    assert_gp(0x210);                                   /* a ninth range */
    /* Fixed ranges: 0x250, 0x258-0x259, 0x268-0x26f. */
    static const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
                                      0x26c, 0x26d, 0x26e, 0x26f };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        assert_int_equal(vmsr_write(&s, fixed[i], 0x0606060606060606ULL + i, &f),
                         i ? VMSR_GP : VMSR_OK);        /* type 6 + i: only i = 0 valid */
        assert_int_equal(vmsr_write(&s, fixed[i], 0x0605040100050406ULL, &f), VMSR_OK);
        assert_int_equal(read_ok(&s, fixed[i]), 0x0605040100050406ULL);
    }
    assert_int_equal(vmsr_write(&s, 0x268, 0x0606060606060602ULL, &f), VMSR_GP);
    assert_gp(0x251);
    assert_gp(0x25a);
    assert_gp(0x267);
    assert_gp(0x270);
}

static void test_tsc_adjust(void **state)
{
    (void)state;
    struct vmsr s = fresh();
    uint32_t f;
    assert_int_equal(vmsr_write(&s, 0x3b, 12345, &f), VMSR_OK);
    assert_int_equal(read_ok(&s, 0x3b), 12345);
    assert_int_equal(s.tsc_adjust, 12345);              /* exit/msr.c moves the TSC by it */
}

static void test_not_virtualized(void **state)
{
    (void)state;
    /* #GP, with CPUID hiding what would advertise them (docs/cpu-policy.md). */
    static const uint32_t gp[] = {
        0x48, 0x49, 0x10a, 0x10b,           /* SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES, FLUSH_CMD */
        0x122, 0x123, 0xcf, 0x33,           /* TSX_CTRL, MCU_OPT_CTRL, CORE_CAPABILITIES, TEST_CTRL */
        0x345,                              /* PERF_CAPABILITIES (PDCM hidden) */
        0xc1, 0xc2, 0x186, 0x187,           /* PMCs and event selects (leaf 0xa zero) */
        0x309, 0x30a, 0x30b, 0x38d, 0x38e, 0x38f, 0x390, 0x3f1, 0x600,   /* fixed, global, PEBS, DS */
        0xe7, 0xe8,                         /* MPERF, APERF (6:ECX.0 hidden) */
        0x198, 0x199,                       /* PERF_STATUS/CTL (EST hidden) */
        0x19a, 0x19b, 0x19c, 0x1a2, 0x1b0, 0x1b1, 0x1b2,   /* thermal, ENERGY_PERF_BIAS */
        0x770, 0x771, 0x774,                /* HWP */
        0xda0,                              /* XSS (XSAVES hidden) */
        0xd90,                              /* BNDCFGS (MPX hidden) */
        0x1c4, 0x1c5,                       /* XFD */
        0x6a0, 0x6a2, 0x6a4,                /* CET */
        0x6e1,                              /* PKRS */
        0xe1,                               /* UMWAIT_CONTROL (WAITPKG hidden) */
        0x570,                              /* RTIT_CTL (PT hidden) */
        0x8c, 0x8d, 0x8e, 0x8f,             /* SGXLEPUBKEYHASH */
        0x981, 0x982,                       /* TME */
        0xc80,                              /* DEBUG_INTERFACE (SDBG hidden) */
        0x4e, 0x4f, 0x34, 0x35, 0x140,      /* PPIN, SMI count, core count, MISC_FEATURES_ENABLES */
        0xc8f, 0xd93,                       /* PQR_ASSOC (RDT), PASID */
        0x6e0,                              /* TSC_DEADLINE: the local APIC's, never here */
        0x480, 0x48b, 0x491, 0x492,         /* VMX capabilities */
        0x12345, 0x40000000, 0xc0010000,    /* unknown, Hyper-V's, AMD's */
    };
    for (size_t i = 0; i < sizeof(gp) / sizeof(gp[0]); i++)
        assert_gp(gp[i]);
    for (uint32_t m = 0x480; m <= 0x492; m++)
        assert_gp(m);
}

static void test_switched_msrs_are_not_here(void **state)
{
    (void)state;
    /* KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK, TSC_AUX: passed through
     * and switched per vCPU (vm/vcpu_state.c); should one exit: #GP. */
    static const uint32_t passed[] = { 0xc0000102, 0xc0000081, 0xc0000082, 0xc0000083,
                                       0xc0000084, 0xc0000103 };
    for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
        assert_gp(passed[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_vmcs_backed),
        cmocka_unit_test(test_vmcs_backed_checks),
        cmocka_unit_test(test_apic_base),
        cmocka_unit_test(test_misc_enable),
        cmocka_unit_test(test_fixed_values),
        cmocka_unit_test(test_machine_check),
        cmocka_unit_test(test_mtrr),
        cmocka_unit_test(test_tsc_adjust),
        cmocka_unit_test(test_not_virtualized),
        cmocka_unit_test(test_switched_msrs_are_not_here),
    };
    return cmocka_run_group_tests_name("vmsr", tests, NULL, NULL);
}
