/* VMX capabilities against fake capability MSRs: a Skylake-server-like
 * CPU, a minimal early VT-x CPU, and single bits flipped around them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <arch/vmx_caps.h>

/* Revision 4, 1 KiB regions, WB, INS/OUTS info, TRUE controls. */
#define SKL_BASIC           0x00da040000000004ULL
#define SKL_PIN             0x000000ff00000016ULL
#define SKL_PROC            0xfff9fffe0401e172ULL
#define SKL_TRUE_PROC       0xfff9fffe04006172ULL
#define SKL_EXIT            0x01ffffff00036dffULL
#define SKL_TRUE_EXIT       0x01ffffff00036dfbULL
#define SKL_ENTRY           0x0003ffff000011ffULL
#define SKL_TRUE_ENTRY      0x0003ffff000011fbULL
/* Secondary: bits 0-17, 20 (XSAVES), 22, 25. */
#define SKL_PROC2           0x0253ffff00000000ULL
/* Exec-only, 4-level, UC, WB, 2M, 1G, INVEPT, A/D, single/all-context
 * INVEPT, INVVPID with all four types. */
#define SKL_EPT_VPID        0x00000f0106734141ULL
/* Preemption timer rate 5, store LMA, HLT/shutdown/wait-for-SIPI, 4 CR3
 * targets, 512-entry MSR lists, VMWRITE to any field. */
#define SKL_MISC            0x000000007004c1e5ULL

static struct vmx_msrs skylake(void)
{
    struct vmx_msrs m = {
        .cpuid1_ecx = 0x7ffefbff,
        .basic = SKL_BASIC,
        .pinbased = SKL_PIN, .procbased = SKL_PROC,
        .exit = SKL_EXIT, .entry = SKL_ENTRY,
        .true_valid = true,
        .true_pinbased = SKL_PIN, .true_procbased = SKL_TRUE_PROC,
        .true_exit = SKL_TRUE_EXIT, .true_entry = SKL_TRUE_ENTRY,
        .procbased2_valid = true, .procbased2 = SKL_PROC2,
        .ept_vpid_cap_valid = true, .ept_vpid_cap = SKL_EPT_VPID,
        .vmfunc_valid = true, .vmfunc = 1,
        .misc = SKL_MISC,
        .cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
        .cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x3767ff,
        .feature_control = 0x5,
    };
    return m;
}

/* An early VT-x CPU: 4 KiB regions, no TRUE MSRs, no secondary controls,
 * no preemption timer, no EFER/PAT switching, only the HLT activity state. */
static struct vmx_msrs minimal(void)
{
    struct vmx_msrs m = {
        .cpuid1_ecx = 0x0000e3bd,
        .basic = 0x001810000000000dULL,
        .pinbased = 0x0000001f00000016ULL,
        .procbased = 0x7ffef9fe0401e172ULL,
        .exit = 0x0003efff00036dffULL,
        .entry = 0x00003fff000011ffULL,
        .misc = 0x40,
        .cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
        .cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x27ff,
    };
    return m;
}

static struct vmx_caps caps_of(const struct vmx_msrs *m)
{
    struct vmx_caps c;
    memset(&c, 0xa5, sizeof(c));    /* every field must be written */
    vmx_caps_from_msrs(m, &c);
    return c;
}

static void test_basic_fields(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    assert_true(c.vmx);
    assert_int_equal(c.revision_id, 4);
    assert_int_equal(c.region_size, 1024);
    assert_int_equal(c.memtype, VMX_MEMTYPE_WB);
    assert_false(c.pa_32bit);
    assert_true(c.true_ctls);

    /* Bit 31 of BASIC is not part of the revision; bit 48 limits
     * addresses; bits 44:32 give the size. */
    m.basic = 0x0019100080000abcULL;
    c = caps_of(&m);
    assert_int_equal(c.revision_id, 0xabc);
    assert_int_equal(c.region_size, 4096);
    assert_true(c.pa_32bit);
    assert_int_equal(c.memtype, VMX_MEMTYPE_WB);
    assert_false(c.true_ctls);
}

static void test_no_vmx(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    m.cpuid1_ecx &= ~(uint32_t)CPUID1_ECX_VMX;
    struct vmx_caps c = caps_of(&m);

    assert_false(c.vmx);
    assert_int_equal(c.revision_id, 0);
    assert_false(c.ept);
    assert_false(c.vpid);
    assert_false(c.msr_bitmaps);
    assert_int_equal(c.proc.allowed1, 0);
}

static void test_true_selection(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    /* Bit 55 set and readable: the TRUE_ values, which let CR3-load/store
     * exiting and save/load debug controls be 0. */
    assert_int_equal(c.proc.msr, SKL_TRUE_PROC);
    assert_int_equal(c.proc.allowed0, 0x04006172);
    assert_int_equal(c.proc.allowed1, 0xfff9fffe);
    assert_int_equal(c.exit.allowed0, 0x00036dfb);
    assert_int_equal(c.entry.allowed0, 0x000011fb);
    assert_int_equal(c.pin.allowed0, 0x16);

    /* Bit 55 clear: the plain MSRs even if TRUE_ ones were read. */
    m.basic &= ~VMX_BASIC_TRUE_CTLS;
    c = caps_of(&m);
    assert_false(c.true_ctls);
    assert_int_equal(c.proc.msr, SKL_PROC);
    assert_int_equal(c.proc.allowed0, 0x0401e172);
    assert_int_equal(c.exit.allowed0, 0x00036dff);
    assert_int_equal(c.entry.allowed0, 0x000011ff);

    /* Bit 55 set but the TRUE_ MSRs unreadable: fall back to the plain
     * ones, which are stricter but still correct. */
    m = skylake();
    m.true_valid = false;
    m.true_procbased = 0xdeadbeef;
    c = caps_of(&m);
    assert_false(c.true_ctls);
    assert_int_equal(c.proc.msr, SKL_PROC);
}

static void test_no_secondary(void **state)
{
    (void)state;
    /* Bit 63 of IA32_VMX_PROCBASED_CTLS clear: whatever was "read" for the
     * secondary controls and EPT/VPID caps is ignored. */
    struct vmx_msrs m = skylake();
    m.procbased &= ~(1ULL << 63);
    struct vmx_caps c = caps_of(&m);

    assert_false(c.secondary);
    assert_int_equal(c.proc2.msr, 0);
    assert_int_equal(c.proc2.allowed1, 0);
    assert_int_equal(c.ept_vpid_cap, 0);
    assert_int_equal(c.vmfunc, 0);
    assert_false(c.ept);
    assert_false(c.ept_2m);
    assert_false(c.invept);
    assert_false(c.vpid);
    assert_false(c.invvpid);
    assert_false(c.unrestricted_guest);
    assert_false(c.apic_access);
    assert_false(c.virt_intr_delivery);
    assert_false(c.posted_interrupts);
    assert_false(c.rdtscp);
    assert_false(c.invpcid);
    assert_false(c.xsaves);
    /* Primary-control features are unaffected. */
    assert_true(c.msr_bitmaps);
    assert_true(c.io_bitmaps);
    assert_true(c.preemption_timer);

    /* Bit 63 set but IA32_VMX_PROCBASED_CTLS2 unreadable. */
    m = skylake();
    m.procbased2_valid = false;
    c = caps_of(&m);
    assert_false(c.secondary);
    assert_false(c.ept);
}

static void test_ept_caps(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    assert_true(c.secondary);
    assert_true(c.ept);
    assert_true(c.ept_walk4);
    assert_true(c.ept_wb);
    assert_true(c.ept_2m);
    assert_true(c.ept_1g);
    assert_true(c.ept_ad);
    assert_true(c.invept);
    assert_true(c.invept_single);
    assert_true(c.invept_all);
    assert_true(c.vpid);
    assert_true(c.invvpid);
    assert_true(c.invvpid_addr);
    assert_true(c.invvpid_single);
    assert_true(c.invvpid_all);
    assert_true(c.invvpid_single_globals);
    assert_true(c.unrestricted_guest);
    assert_int_equal(c.ept_vpid_cap, SKL_EPT_VPID);
    assert_int_equal(c.vmfunc, 1);

    /* One capability bit at a time. */
    static const struct { uint64_t bit; size_t off; } bits[] = {
        { VMX_EPT_WALK_4, offsetof(struct vmx_caps, ept_walk4) },
        { VMX_EPT_MEMTYPE_WB, offsetof(struct vmx_caps, ept_wb) },
        { VMX_EPT_2M_PAGES, offsetof(struct vmx_caps, ept_2m) },
        { VMX_EPT_1G_PAGES, offsetof(struct vmx_caps, ept_1g) },
        { VMX_EPT_AD_FLAGS, offsetof(struct vmx_caps, ept_ad) },
        { VMX_EPT_INVEPT_SINGLE, offsetof(struct vmx_caps, invept_single) },
        { VMX_EPT_INVEPT_ALL, offsetof(struct vmx_caps, invept_all) },
        { VMX_VPID_INVVPID_ADDR, offsetof(struct vmx_caps, invvpid_addr) },
        { VMX_VPID_INVVPID_SINGLE, offsetof(struct vmx_caps, invvpid_single) },
        { VMX_VPID_INVVPID_ALL, offsetof(struct vmx_caps, invvpid_all) },
        { VMX_VPID_INVVPID_SINGLE_GLOBALS, offsetof(struct vmx_caps, invvpid_single_globals) },
    };
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        m = skylake();
        m.ept_vpid_cap &= ~bits[i].bit;
        c = caps_of(&m);
        assert_false(*(bool *)((char *)&c + bits[i].off));
        assert_true(c.ept);
    }

    /* No INVEPT (bit 20): the single/all-context types do not count. */
    m = skylake();
    m.ept_vpid_cap &= ~VMX_EPT_INVEPT;
    c = caps_of(&m);
    assert_false(c.invept);
    assert_false(c.invept_single);
    assert_false(c.invept_all);

    /* No INVVPID (bit 32): neither do bits 41-43. */
    m = skylake();
    m.ept_vpid_cap &= ~VMX_VPID_INVVPID;
    c = caps_of(&m);
    assert_true(c.vpid);
    assert_false(c.invvpid);
    assert_false(c.invvpid_single);
    assert_false(c.invvpid_all);

    /* VPID without EPT: the EPT bits of the cap MSR mean nothing, and
     * unrestricted guest needs EPT. */
    m = skylake();
    m.procbased2 &= ~((uint64_t)VMX_PROC2_ENABLE_EPT << 32);
    c = caps_of(&m);
    assert_false(c.ept);
    assert_false(c.ept_2m);
    assert_false(c.invept);
    assert_false(c.unrestricted_guest);
    assert_true(c.vpid);
    assert_true(c.invvpid_single);

    /* Neither EPT nor VPID: the cap MSR does not exist. */
    m.procbased2 &= ~((uint64_t)VMX_PROC2_ENABLE_VPID << 32);
    c = caps_of(&m);
    assert_int_equal(c.ept_vpid_cap, 0);
    assert_false(c.vpid);
    assert_false(c.invvpid);

    /* EPT allowed but its cap MSR unreadable: EPT unusable, VPID usable
     * without INVVPID. */
    m = skylake();
    m.ept_vpid_cap_valid = false;
    c = caps_of(&m);
    assert_false(c.ept);
    assert_false(c.unrestricted_guest);
    assert_true(c.vpid);
    assert_false(c.invvpid);
}

static void test_apic_and_interrupt_features(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    assert_true(c.tpr_shadow);
    assert_true(c.apic_access);
    assert_true(c.virt_x2apic);
    assert_true(c.apic_reg_virt);
    assert_true(c.virt_intr_delivery);
    assert_true(c.exit_ack_intr);
    assert_true(c.posted_interrupts);
    assert_true(c.rdtscp);
    assert_true(c.invpcid);
    assert_true(c.xsaves);

    /* No "use TPR shadow": the x2APIC/register/interrupt virtualization
     * controls cannot be 1; APIC-access virtualization still can. */
    m.procbased &= ~((uint64_t)VMX_PROC_TPR_SHADOW << 32);
    m.true_procbased &= ~((uint64_t)VMX_PROC_TPR_SHADOW << 32);
    c = caps_of(&m);
    assert_true(c.apic_access);
    assert_false(c.virt_x2apic);
    assert_false(c.apic_reg_virt);
    assert_false(c.virt_intr_delivery);
    assert_false(c.posted_interrupts);

    /* Posted interrupts need "acknowledge interrupt on exit". */
    m = skylake();
    m.true_exit &= ~((uint64_t)VMX_EXIT_ACK_INTR_ON_EXIT << 32);
    c = caps_of(&m);
    assert_true(c.virt_intr_delivery);
    assert_false(c.exit_ack_intr);
    assert_false(c.posted_interrupts);

    /* ... and the pin-based control itself. */
    m = skylake();
    m.true_pinbased &= ~((uint64_t)VMX_PIN_POSTED_INTR << 32);
    c = caps_of(&m);
    assert_false(c.posted_interrupts);
}

static void test_entry_exit_and_misc(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    assert_true(c.entry_load_efer);
    assert_true(c.exit_save_efer);
    assert_true(c.exit_load_efer);
    assert_true(c.entry_load_pat);
    assert_true(c.exit_save_pat);
    assert_true(c.exit_load_pat);
    assert_true(c.exit_host_addr_space);
    assert_true(c.entry_ia32e_guest);
    assert_true(c.preemption_timer);
    assert_int_equal(c.preemption_timer_rate, 5);
    assert_true(c.act_hlt);
    assert_true(c.act_shutdown);
    assert_true(c.act_wait_sipi);
    assert_int_equal(c.cr3_targets, 4);
    assert_int_equal(c.msr_list_max, 512);
    assert_int_equal(c.cr4_fixed1, 0x3767ff);

    /* MSR list size is 512 * (N + 1), N in bits 27:25. */
    m.misc |= 7ULL << 25;
    m.misc &= ~VMX_MISC_ACT_WAIT_SIPI;
    c = caps_of(&m);
    assert_int_equal(c.msr_list_max, 4096);
    assert_false(c.act_wait_sipi);

    m = minimal();
    c = caps_of(&m);
    assert_false(c.true_ctls);
    assert_false(c.preemption_timer);
    assert_false(c.entry_load_efer);
    assert_false(c.exit_load_pat);
    assert_true(c.act_hlt);
    assert_false(c.act_wait_sipi);
    assert_true(c.exit_host_addr_space);
    assert_true(c.entry_ia32e_guest);
}

static void test_adjust_controls(void **state)
{
    (void)state;
    uint32_t out, missing;

    /* Everything allowed: forced bits (allowed0) are added. */
    assert_int_equal(vmx_adjust_controls(VMX_PROC_HLT_EXITING | VMX_PROC_SECONDARY_CTLS,
                                         VMX_PROC_MSR_BITMAPS, SKL_TRUE_PROC,
                                         &out, &missing), 0);
    assert_int_equal(missing, 0);
    assert_int_equal(out, 0x04006172u | VMX_PROC_HLT_EXITING |
                          VMX_PROC_SECONDARY_CTLS | VMX_PROC_MSR_BITMAPS);

    /* The plain MSR forces CR3-load/store exiting too. */
    assert_int_equal(vmx_adjust_controls(0, 0, SKL_PROC, &out, NULL), 0);
    assert_int_equal(out, 0x0401e172);
    assert_true(out & VMX_PROC_CR3_LOAD_EXITING);

    /* An optional bit the CPU lacks is dropped silently: bit 17
     * (tertiary controls) is 0 in the Skylake allowed-1 half. */
    assert_int_equal(vmx_adjust_controls(0, VMX_PROC_TERTIARY_CTLS | VMX_PROC_IO_BITMAPS,
                                         SKL_TRUE_PROC, &out, &missing), 0);
    assert_int_equal(missing, 0);
    assert_false(out & VMX_PROC_TERTIARY_CTLS);
    assert_true(out & VMX_PROC_IO_BITMAPS);

    /* A required bit the CPU lacks: failure, named, and the output keeps
     * the legal rest. */
    assert_int_equal(vmx_adjust_controls(VMX_PROC_SECONDARY_CTLS | VMX_PROC_TERTIARY_CTLS,
                                         0, SKL_TRUE_PROC, &out, &missing), -1);
    assert_int_equal(missing, VMX_PROC_TERTIARY_CTLS);
    assert_true(out & VMX_PROC_SECONDARY_CTLS);
    assert_false(out & VMX_PROC_TERTIARY_CTLS);

    /* No secondary controls at all: EPT required -> missing. */
    assert_int_equal(vmx_adjust_controls(VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST,
                                         VMX_PROC2_ENABLE_VPID, 0, &out, &missing), -1);
    assert_int_equal(missing, VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST);
    assert_int_equal(out, 0);

    /* Pin-based: bits 1, 2, 4 forced; preemption timer allowed. */
    assert_int_equal(vmx_adjust_controls(VMX_PIN_EXT_INTR_EXITING | VMX_PIN_NMI_EXITING,
                                         VMX_PIN_PREEMPTION_TIMER, SKL_PIN, &out, NULL), 0);
    assert_int_equal(out, 0x16u | 0x1 | 0x8 | 0x40);

    /* Exit controls from the minimal CPU: no EFER load, required. */
    assert_int_equal(vmx_adjust_controls(VMX_EXIT_HOST_ADDR_SPACE_SIZE | VMX_EXIT_LOAD_EFER,
                                         VMX_EXIT_SAVE_EFER, 0x0003efff00036dffULL,
                                         &out, &missing), -1);
    assert_int_equal(missing, VMX_EXIT_LOAD_EFER);
    assert_int_equal(out, 0x00036dffu | VMX_EXIT_HOST_ADDR_SPACE_SIZE);
}

static void test_fixed_bits(void **state)
{
    (void)state;
    /* CR0 in long mode without NE: FIXED0 adds NE, nothing is cleared. */
    uint64_t cr0 = 0x80010011;  /* PG WP ET PE */
    assert_int_equal(vmx_fixed_violations(cr0, 0x80000021, 0xffffffff), 0x20);
    assert_int_equal(vmx_fixed_apply(cr0, 0x80000021, 0xffffffff), 0x80010031);
    assert_int_equal(vmx_fixed_violations(0x80010031, 0x80000021, 0xffffffff), 0);

    /* CR0 with paging off violates PG (unrestricted guest aside). */
    assert_int_equal(vmx_fixed_violations(0x21, 0x80000021, 0xffffffff), 0x80000000);
    /* Bits above 31 are not allowed by FIXED1. */
    assert_int_equal(vmx_fixed_violations(0x180000021ULL, 0x80000021, 0xffffffff),
                     0x100000000ULL);
    assert_int_equal(vmx_fixed_apply(0x180000021ULL, 0x80000021, 0xffffffff), 0x80000021);

    /* CR4: PAE PGE OSFXSR OSXMMEXCPT; VMXE required. */
    uint64_t cr4 = 0x6a0;
    assert_int_equal(vmx_fixed_violations(cr4, 0x2000, 0x3767ff), 0x2000);
    assert_int_equal(vmx_fixed_apply(cr4, 0x2000, 0x3767ff), 0x26a0);
    /* A bit FIXED1 forbids (bit 23, CET here) is reported and cleared. */
    cr4 = 0x26a0 | (1ULL << 23);
    assert_int_equal(vmx_fixed_violations(cr4, 0x2000, 0x3767ff), 1ULL << 23);
    assert_int_equal(vmx_fixed_apply(cr4, 0x2000, 0x3767ff), 0x26a0);
    /* SMXE (bit 14) is allowed by 0x3767ff; bit 15 is not. */
    assert_int_equal(vmx_fixed_violations(0x66a0, 0x2000, 0x3767ff), 0);
    assert_int_equal(vmx_fixed_violations(0xa6a0, 0x2000, 0x3767ff), 0x8000);
}

static void test_feature_control(void **state)
{
    (void)state;
    uint64_t w = 0;

    /* Unlocked: lock it with VMX outside SMX. */
    assert_int_equal(vmx_feature_control_decide(0, false, &w), VMX_FC_LOCK_AND_ENABLE);
    assert_int_equal(w, 0x5);
    /* Unlocked with other bits (LMCE, bit 20): kept. */
    assert_int_equal(vmx_feature_control_decide(1ULL << 20, false, &w), VMX_FC_LOCK_AND_ENABLE);
    assert_int_equal(w, (1ULL << 20) | 0x5);
    /* Unlocked, inside SMX: bit 1 instead. */
    assert_int_equal(vmx_feature_control_decide(0, true, &w), VMX_FC_LOCK_AND_ENABLE);
    assert_int_equal(w, 0x3);
    /* NULL write_value is fine. */
    assert_int_equal(vmx_feature_control_decide(0, false, NULL), VMX_FC_LOCK_AND_ENABLE);

    /* Locked and enabled: nothing to do, nothing written. */
    w = 0x1234;
    assert_int_equal(vmx_feature_control_decide(0x5, false, &w), VMX_FC_ALREADY_ENABLED);
    assert_int_equal(w, 0x1234);
    assert_int_equal(vmx_feature_control_decide(0x7, false, &w), VMX_FC_ALREADY_ENABLED);
    assert_int_equal(vmx_feature_control_decide(0xff07, true, &w), VMX_FC_ALREADY_ENABLED);

    /* Locked without the needed bit: the firmware disabled VT-x. */
    assert_int_equal(vmx_feature_control_decide(0x1, false, &w), VMX_FC_DISABLED_BY_FIRMWARE);
    assert_int_equal(vmx_feature_control_decide(0x3, false, &w), VMX_FC_DISABLED_BY_FIRMWARE);
    assert_int_equal(vmx_feature_control_decide(0x3, true, &w), VMX_FC_ALREADY_ENABLED);
    assert_int_equal(vmx_feature_control_decide(0x5, true, &w), VMX_FC_DISABLED_BY_FIRMWARE);
    assert_int_equal(w, 0x1234);
}

static void test_check_root(void **state)
{
    (void)state;
    const char *msgs[8];
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    assert_int_equal(vmx_caps_check_root(&c, msgs, 8), 0);
    m = minimal();
    c = caps_of(&m);
    assert_int_equal(vmx_caps_check_root(&c, msgs, 8), 0);

    /* No VMX: that one message and nothing else. */
    m = skylake();
    m.cpuid1_ecx = 0;
    c = caps_of(&m);
    assert_int_equal(vmx_caps_check_root(&c, msgs, 8), 1);
    assert_string_equal(msgs[0], "this CPU has no VT-x (CPUID.1:ECX.VMX = 0)");

    /* UC memory type and an oversized region: two messages. */
    m = skylake();
    m.basic = (m.basic & ~(0xfULL << 50) & ~(0x1fffULL << 32)) | (0x2000ULL << 32);
    c = caps_of(&m);
    assert_int_equal(c.memtype, VMX_MEMTYPE_UC);
    assert_int_equal(c.region_size, 0);         /* bit 45 is not part of it */
    m.basic = (m.basic & ~(0x1fffULL << 32)) | (0x1001ULL << 32);
    c = caps_of(&m);
    assert_int_equal(vmx_caps_check_root(&c, msgs, 8), 2);
    assert_non_null(strstr(msgs[0], "not write-back"));
    assert_non_null(strstr(msgs[1], "larger than 4096"));

    /* Only `max` stored, all counted. */
    msgs[1] = NULL;
    assert_int_equal(vmx_caps_check_root(&c, msgs, 1), 2);
    assert_null(msgs[1]);
    assert_int_equal(vmx_caps_check_root(&c, NULL, 0), 2);

    /* Size 0 and contradictory fixed-bit MSRs. */
    m = skylake();
    m.basic &= ~(0x1fffULL << 32);
    m.cr4_fixed1 &= ~0x2000ULL;
    c = caps_of(&m);
    assert_int_equal(vmx_caps_check_root(&c, msgs, 8), 2);
    assert_non_null(strstr(msgs[0], "size of 0"));
    assert_non_null(strstr(msgs[1], "CR4_FIXED0/1"));
}

static void test_region_problem(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    assert_null(vmx_region_problem(&c, 0x7fe000));
    assert_null(vmx_region_problem(&c, 0x1234567000ULL));
    assert_non_null(strstr(vmx_region_problem(&c, 0x7fe010), "4 KiB aligned"));

    m.basic |= VMX_BASIC_PA_32BIT;
    c = caps_of(&m);
    assert_null(vmx_region_problem(&c, 0xfffff000ULL));     /* last page < 4 GiB */
    assert_non_null(strstr(vmx_region_problem(&c, 0x100000000ULL), "32-bit"));
}

#define SKL_SUMMARY "EPT(2M,1G) VPID unrestricted-guest preemption-timer(TSC/32) " \
    "msr-bitmaps io-bitmaps apic-virt x2apic-virt apic-reg-virt virt-intr-delivery " \
    "posted-interrupts rdtscp invpcid xsaves efer-load-save pat-load-save wait-for-sipi"

#define MIN_SUMMARY "EPT:no VPID:no unrestricted-guest:no preemption-timer:no " \
    "msr-bitmaps io-bitmaps apic-virt:no x2apic-virt:no apic-reg-virt:no " \
    "virt-intr-delivery:no posted-interrupts:no rdtscp:no invpcid:no xsaves:no " \
    "efer-load-save:no pat-load-save:no wait-for-sipi:no"

#define ASSERT_PREFIX(s, lit) assert_memory_equal((s), (lit), strlen(lit))

static void test_summary(void **state)
{
    (void)state;
    char buf[VMX_SUMMARY_MAX];
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);

    int n = vmx_caps_summary(&c, buf, sizeof(buf));
    assert_string_equal(buf, SKL_SUMMARY);
    assert_int_equal(n, strlen(SKL_SUMMARY));

    m = minimal();
    c = caps_of(&m);
    n = vmx_caps_summary(&c, buf, sizeof(buf));
    assert_string_equal(buf, MIN_SUMMARY);
    assert_int_equal(n, strlen(MIN_SUMMARY));

    /* A client part without APICv and with a slow timer. */
    m = skylake();
    m.true_pinbased &= ~((uint64_t)VMX_PIN_POSTED_INTR << 32);
    m.procbased2 &= ~((uint64_t)(VMX_PROC2_APIC_REG_VIRT | VMX_PROC2_VIRT_INTR_DELIVERY) << 32);
    m.misc = (m.misc & ~0x1fULL) | 7;
    c = caps_of(&m);
    vmx_caps_summary(&c, buf, sizeof(buf));
    assert_non_null(strstr(buf, "preemption-timer(TSC/128) "));
    assert_non_null(strstr(buf, " x2apic-virt apic-reg-virt:no virt-intr-delivery:no "
                                "posted-interrupts:no rdtscp "));

    /* EPT lacking what a plain 4-level WB EPT needs; VPID without INVVPID. */
    m = skylake();
    m.ept_vpid_cap &= ~(VMX_EPT_1G_PAGES | VMX_EPT_MEMTYPE_WB | VMX_EPT_INVEPT |
                        VMX_VPID_INVVPID);
    c = caps_of(&m);
    vmx_caps_summary(&c, buf, sizeof(buf));
    ASSERT_PREFIX(buf, "EPT(2M,no-WB,no-INVEPT) VPID(no-INVVPID) unrestricted-guest ");

    m.ept_vpid_cap &= ~(VMX_EPT_2M_PAGES | VMX_EPT_WALK_4);
    m.ept_vpid_cap |= VMX_EPT_MEMTYPE_WB | VMX_EPT_INVEPT | VMX_VPID_INVVPID;
    c = caps_of(&m);
    vmx_caps_summary(&c, buf, sizeof(buf));
    ASSERT_PREFIX(buf, "EPT(no-4-level) VPID unrestricted-guest ");

    m.ept_vpid_cap |= VMX_EPT_WALK_4;
    c = caps_of(&m);
    vmx_caps_summary(&c, buf, sizeof(buf));
    ASSERT_PREFIX(buf, "EPT VPID unrestricted-guest ");

    /* The 64-bit host/guest controls show up only when missing. */
    m = skylake();
    m.true_exit &= ~((uint64_t)VMX_EXIT_HOST_ADDR_SPACE_SIZE << 32);
    m.true_entry &= ~((uint64_t)VMX_ENTRY_IA32E_MODE_GUEST << 32);
    c = caps_of(&m);
    vmx_caps_summary(&c, buf, sizeof(buf));
    assert_non_null(strstr(buf, " wait-for-sipi 64-bit-host:no 64-bit-guest:no"));

    m.cpuid1_ecx = 0;
    c = caps_of(&m);
    vmx_caps_summary(&c, buf, sizeof(buf));
    assert_string_equal(buf, "none (no VT-x)");
}

static void test_summary_truncation(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake();
    struct vmx_caps c = caps_of(&m);
    char buf[40];

    /* Every size from 0 up: like snprintf, full length returned, output
     * always terminated and a prefix of the whole line. */
    for (size_t size = 0; size <= sizeof(buf); size++) {
        memset(buf, 'X', sizeof(buf));
        int n = vmx_caps_summary(&c, buf, size);
        assert_int_equal(n, strlen(SKL_SUMMARY));
        if (size == 0) {
            assert_int_equal(buf[0], 'X');
            continue;
        }
        assert_int_equal(strlen(buf), size - 1);
        assert_memory_equal(buf, SKL_SUMMARY, size - 1);
        if (size < sizeof(buf))
            assert_int_equal(buf[size], 'X');
    }
}

static void test_insn_error_name(void **state)
{
    (void)state;
    assert_string_equal(vmx_insn_error_name(15), "VMXON executed in VMX root operation");
    assert_string_equal(vmx_insn_error_name(7), "VM entry with invalid control field(s)");
    assert_string_equal(vmx_insn_error_name(28), "invalid operand to INVEPT/INVVPID");
    assert_string_equal(vmx_insn_error_name(0), "unknown error");
    assert_string_equal(vmx_insn_error_name(14), "unknown error");
    assert_string_equal(vmx_insn_error_name(29), "unknown error");
    assert_string_equal(vmx_insn_error_name(0xffffffffu), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_fields),
        cmocka_unit_test(test_no_vmx),
        cmocka_unit_test(test_true_selection),
        cmocka_unit_test(test_no_secondary),
        cmocka_unit_test(test_ept_caps),
        cmocka_unit_test(test_apic_and_interrupt_features),
        cmocka_unit_test(test_entry_exit_and_misc),
        cmocka_unit_test(test_adjust_controls),
        cmocka_unit_test(test_fixed_bits),
        cmocka_unit_test(test_feature_control),
        cmocka_unit_test(test_check_root),
        cmocka_unit_test(test_region_problem),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_summary_truncation),
        cmocka_unit_test(test_insn_error_name),
    };
    return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
