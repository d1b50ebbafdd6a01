/* Guest page-table walks in every paging mode against hand-built tables
 * in a fake guest memory; the access-checked walk's rights (SDM Vol. 3A
 * 4.6), its #PF error codes (4.7) and its accessed/dirty flags (4.8). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arch/gpt.h>
#include <arch/cpu.h>
#include <arch/msr.h>

#define MEM (4u << 20)
static uint8_t mem[MEM] __attribute__((aligned(4096)));

static const void *rd(void *ctx, uint64_t gpa, size_t len)
{
    (void)ctx;
    return (gpa < MEM && len <= MEM - gpa) ? mem + gpa : NULL;
}

static void *rw(void *ctx, uint64_t gpa, size_t len)
{
    (void)ctx;
    return (gpa < MEM && len <= MEM - gpa) ? mem + gpa : NULL;
}

static void put32(uint64_t a, uint32_t v) { memcpy(mem + a, &v, 4); }
static void put64(uint64_t a, uint64_t v) { memcpy(mem + a, &v, 8); }
static uint32_t get32(uint64_t a) { uint32_t v; memcpy(&v, mem + a, 4); return v; }
static uint64_t get64(uint64_t a) { uint64_t v; memcpy(&v, mem + a, 8); return v; }

static void test_paging_off(void **state)
{
    (void)state;
    struct gpt_ctx c = { rd, NULL, CR0_PE, 0, 0, 0 };
    uint64_t gpa;
    assert_int_equal(gpt_translate(&c, 0x12345678, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x12345678);
    assert_int_equal(gpt_translate(&c, 0x100000000ULL + 5, &gpa), GPT_OK);
    assert_int_equal(gpa, 5);                  /* 32-bit wrap outside long mode */
}

static void test_32bit(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    /* CR3 = 0x1000; PDE[1] -> PT at 0x2000; PTE[2] -> 0x300000.
     * PDE[3]: a 4 MiB page at 0x00c00000 (PSE). */
    put32(0x1000 + 1 * 4, 0x2000 | 1);
    put32(0x2000 + 2 * 4, 0x300000 | 1);
    put32(0x1000 + 3 * 4, 0x00c00000 | 0x81);
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG, 0x1000, CR4_PSE, 0 };
    uint64_t gpa;
    assert_int_equal(gpt_translate(&c, 0x00402abc, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x300abc);
    assert_int_equal(gpt_translate(&c, 0x00c12345, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x00c12345);
    assert_int_equal(gpt_translate(&c, 0x00403000, &gpa), GPT_NOT_PRESENT);
    assert_int_equal(gpt_translate(&c, 0x08000000, &gpa), GPT_NOT_PRESENT);
    /* A PDE pointing outside guest RAM */
    put32(0x1000 + 5 * 4, 0x7ff00000 | 1);
    assert_int_equal(gpt_translate(&c, 0x01400000, &gpa), GPT_BAD_TABLE);
}

static void test_pae(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    /* CR3 = 0x1020 (32-byte aligned PDPT); PDPTE[0] -> PD 0x2000;
     * PDE[1] 2 MiB page at 0x200000; PDE[2] -> PT 0x3000; PTE[3] -> 0x5000. */
    put64(0x1020, 0x2000 | 1);
    put64(0x2000 + 8, 0x200000 | 0x81);
    put64(0x2000 + 16, 0x3000 | 1);
    put64(0x3000 + 24, 0x5000 | 1);
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG, 0x1020, CR4_PAE, 0 };
    uint64_t gpa;
    assert_int_equal(gpt_translate(&c, 0x00212345, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x212345);
    assert_int_equal(gpt_translate(&c, 0x00403abc, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x5abc);
    assert_int_equal(gpt_translate(&c, 0x40000000, &gpa), GPT_NOT_PRESENT);
    put64(0x1028, 0x2000 | 1 | 0x2);            /* RW is reserved in a PDPTE */
    assert_int_equal(gpt_translate(&c, 0x40000000, &gpa), GPT_RESERVED);
}

static void test_4level(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    /* linear 0xffff800000201000: PML4[256] -> 0x2000, PDPT[0] -> 0x3000,
     * PD[1] -> 0x4000, PT[1] -> 0x9000. PML4[0] -> PDPT 0x6000 whose [1]
     * is a 1 GiB page at 0x40000000. */
    put64(0x1000 + 256 * 8, 0x2000 | 1);
    put64(0x2000, 0x3000 | 1);
    put64(0x3000 + 8, 0x4000 | 1);
    put64(0x4000 + 8, 0x9000 | 1);
    put64(0x1000, 0x6000 | 1);
    put64(0x6000 + 8, 0x40000000 | 0x81);
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA };
    uint64_t gpa;
    assert_int_equal(gpt_translate(&c, 0xffff800000201234ULL, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x9234);
    assert_int_equal(gpt_translate(&c, 0x7654321ULL + 0x40000000ULL, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x47654321ULL);
    assert_int_equal(gpt_translate(&c, 0x0000800000000000ULL, &gpa), GPT_NOT_PRESENT); /* non-canonical */
    put64(0x1000 + 8, 0x7000 | 0x81);           /* PS in a PML4E is reserved */
    assert_int_equal(gpt_translate(&c, 0x0000008000000000ULL, &gpa), GPT_RESERVED);
}

/* ---- access-checked walks ---- */

#define R   GPT_ACC_READ
#define W   GPT_ACC_WRITE
#define X   GPT_ACC_FETCH
#define U   GPT_ACC_USER
#define CR4_SMEP_ BIT(20)
#define CR4_SMAP_ BIT(21)
#define CR4_LA57_ BIT(12)
#define AC_      BIT(18)

/* Translate for access `a`: the result, and in *out the gpa (GPT_OK) or
 * the #PF error code (a fault). */
static struct gpt_access acc;     /* each test sets rflags, maxphyaddr, map_rw */

static int tr(const struct gpt_ctx *c, uint64_t lin, unsigned kind, uint64_t *out)
{
    uint64_t gpa = 0xdeadbeef;
    uint32_t pfec = 0xdeadbeef;
    acc.kind = kind;
    int r = gpt_translate_access(c, &acc, lin, &gpa, &pfec);
    *out = r == GPT_OK ? gpa : pfec;
    return r;
}

#define OK(c, lin, a, gpa) do { uint64_t o_; \
        assert_int_equal(tr(c, lin, a, &o_), GPT_OK); assert_int_equal(o_, gpa); } while (0)
#define PF(c, lin, a, res, code) do { uint64_t o_; \
        assert_int_equal(tr(c, lin, a, &o_), res); assert_int_equal(o_, code); } while (0)

static void test_access_paging_off(void **state)
{
    (void)state;
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_WP, 0, CR4_SMEP_ | CR4_SMAP_, EFER_NXE };
    acc = (struct gpt_access){ .map_rw = rw };
    OK(&c, 0x12345678, U | W, 0x12345678);      /* no paging: no rights */
    OK(&c, 0x100000005ULL, X, 5);
}

/* 32-bit paging (4.3): U/S and R/W at both levels, CR0.WP, 4 MiB pages,
 * no XD (so no I/D bit without SMEP). */
static void test_access_32bit(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    put32(0x1000 + 0 * 4, 0x2000 | 7);          /* PDE[0]: user, writable */
    put32(0x2000 + 1 * 4, 0x10000 | 7);         /* 0x1000: user RW */
    put32(0x2000 + 2 * 4, 0x11000 | 3);         /* 0x2000: supervisor RW */
    put32(0x2000 + 3 * 4, 0x12000 | 5);         /* 0x3000: user RO */
    put32(0x2000 + 4 * 4, 0x13000 | 1);         /* 0x4000: supervisor RO */
    put32(0x1000 + 1 * 4, 0x3000 | 5);          /* PDE[1]: read-only */
    put32(0x3000, 0x14000 | 7);                 /* 0x400000: user RW PTE under it */
    put32(0x1000 + 2 * 4, 0x5000 | 3);          /* PDE[2]: supervisor */
    put32(0x5000, 0x15000 | 7);                 /* 0x800000: user PTE under it */
    put32(0x1000 + 3 * 4, 0x00c00000 | 0x87);   /* 4 MiB user page */
    put32(0x1000 + 4 * 4, 0x01000000 | BIT(21) | 0x87); /* 4 MiB, reserved bit 21 */
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG | CR0_WP, 0x1000, CR4_PSE, 0 };
    acc = (struct gpt_access){ 0 };

    OK(&c, 0x1abc, U | R, 0x10abc);
    OK(&c, 0x1abc, U | W, 0x10abc);
    OK(&c, 0x1abc, U | X, 0x10abc);
    PF(&c, 0x2010, U | R, GPT_PROTECTION, PFEC_P | PFEC_U);
    PF(&c, 0x2010, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);
    PF(&c, 0x2010, U | X, GPT_PROTECTION, PFEC_P | PFEC_U);     /* no I/D: no NX, no SMEP */
    OK(&c, 0x2010, R, 0x11010);
    OK(&c, 0x2010, W, 0x11010);
    OK(&c, 0x3010, U | R, 0x12010);
    PF(&c, 0x3010, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);
    PF(&c, 0x3010, W, GPT_PROTECTION, PFEC_P | PFEC_W);         /* CR0.WP = 1 */
    PF(&c, 0x4010, W, GPT_PROTECTION, PFEC_P | PFEC_W);
    PF(&c, 0x5000, U | W, GPT_NOT_PRESENT, PFEC_W | PFEC_U);
    PF(&c, 0x5000, R, GPT_NOT_PRESENT, 0);
    PF(&c, 0x5000, U | X, GPT_NOT_PRESENT, PFEC_U);
    OK(&c, 0x400010, U | R, 0x14010);
    PF(&c, 0x400010, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);   /* R/W = 0 in the PDE */
    PF(&c, 0x800010, U | R, GPT_PROTECTION, PFEC_P | PFEC_U);            /* U/S = 0 in the PDE */
    OK(&c, 0x800010, R, 0x15010);
    OK(&c, 0x00c12345, U | W, 0x00c12345);
    PF(&c, 0x01000000, U | R, GPT_RESERVED, PFEC_P | PFEC_RSVD | PFEC_U);
    PF(&c, 0x08000000, W, GPT_NOT_PRESENT, PFEC_W);

    c.cr0 &= ~CR0_WP;                           /* supervisor writes ignore R/W */
    OK(&c, 0x3010, W, 0x12010);
    OK(&c, 0x4010, W, 0x13010);
    OK(&c, 0x400010, W, 0x14010);
    PF(&c, 0x3010, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);   /* not user ones */

    c.cr4 |= CR4_SMEP_;                         /* SMEP: fetches report I/D */
    PF(&c, 0x5000, U | X, GPT_NOT_PRESENT, PFEC_U | PFEC_I);
    PF(&c, 0x1000, X, GPT_PROTECTION, PFEC_P | PFEC_I);
    OK(&c, 0x2000, X, 0x11000);
}

/* Accessed and dirty flags in 32-bit paging: set on success only, D only
 * in the final entry and only for writes; gpt_translate sets none. */
static void test_ad_32bit(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    put32(0x1000, 0x2000 | 7);
    put32(0x2000 + 1 * 4, 0x10000 | 7);
    put32(0x2000 + 2 * 4, 0x11000 | 3);
    put32(0x2000 + 3 * 4, 0x12000 | 5);
    put32(0x1000 + 3 * 4, 0x00c00000 | 0x87);
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG | CR0_WP, 0x1000, CR4_PSE, 0 };
    acc = (struct gpt_access){ .map_rw = rw };
    uint64_t gpa;
    assert_int_equal(gpt_translate(&c, 0x1000, &gpa), GPT_OK);
    assert_int_equal(get32(0x1000), 0x2000 | 7);
    assert_int_equal(get32(0x2004), 0x10000 | 7);

    OK(&c, 0x3000, U | R, 0x12000);
    assert_int_equal(get32(0x1000), 0x2000 | 7 | 0x20);         /* A */
    assert_int_equal(get32(0x200c), 0x12000 | 5 | 0x20);        /* A, no D */
    PF(&c, 0x2000, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);
    assert_int_equal(get32(0x2008), 0x11000 | 3);                /* untouched */
    OK(&c, 0x1000, U | W, 0x10000);
    assert_int_equal(get32(0x2004), 0x10000 | 7 | 0x60);         /* A and D */
    assert_int_equal(get32(0x1000), 0x2000 | 7 | 0x20);         /* no D above */
    OK(&c, 0x00c00010, W, 0x00c00010);
    assert_int_equal(get32(0x100c), 0x00c00000 | 0x87 | 0x60);  /* 4 MiB leaf: A and D */
}

/* PAE (4.4): XD with IA32_EFER.NXE, reserved XD without it, reserved
 * PDPTE bits, MAXPHYADDR, no accessed flag in a PDPTE. */
static void test_access_pae(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    put64(0x1020, 0x2000 | 1);                                   /* PDPTE[0] */
    put64(0x2000, 0x3000 | 7);                                   /* PD[0] */
    put64(0x3000 + 1 * 8, 0x10000 | 7 | BIT(63));                /* 0x1000: XD */
    put64(0x3000 + 2 * 8, 0x11000 | 7);                          /* 0x2000 */
    put64(0x3000 + 4 * 8, 0x10000000000ULL | 0x13000 | 7);       /* 0x4000: PA bit 40 */
    put64(0x2000 + 1 * 8, 0x200000 | 0x87 | BIT(63));            /* 2 MiB, XD */
    put64(0x2000 + 2 * 8, 0x400000 | 0x87 | BIT(13));            /* 2 MiB, reserved bit 13 */
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG | CR0_WP, 0x1020, CR4_PAE, EFER_NXE };
    acc = (struct gpt_access){ .map_rw = rw };

    OK(&c, 0x1010, U | R, 0x10010);
    PF(&c, 0x1010, U | X, GPT_PROTECTION, PFEC_P | PFEC_U | PFEC_I);
    PF(&c, 0x1010, X, GPT_PROTECTION, PFEC_P | PFEC_I);
    OK(&c, 0x2010, U | X, 0x11010);
    PF(&c, 0x200010, U | X, GPT_PROTECTION, PFEC_P | PFEC_U | PFEC_I);
    OK(&c, 0x200010, U | W, 0x200010);
    PF(&c, 0x3000, U | X, GPT_NOT_PRESENT, PFEC_U | PFEC_I);   /* I/D: PAE with NXE */
    PF(&c, 0x400010, R, GPT_RESERVED, PFEC_P | PFEC_RSVD);
    OK(&c, 0x4010, R, 0x10000013010ULL);                          /* MAXPHYADDR 52 */
    acc.maxphyaddr = 36;
    PF(&c, 0x4010, U | R, GPT_RESERVED, PFEC_P | PFEC_RSVD | PFEC_U);
    acc.maxphyaddr = 0;

    c.efer = 0;                                 /* without NXE, XD is a reserved bit */
    PF(&c, 0x1010, U | R, GPT_RESERVED, PFEC_P | PFEC_RSVD | PFEC_U);
    PF(&c, 0x3000, U | X, GPT_NOT_PRESENT, PFEC_U);             /* and no I/D */
    OK(&c, 0x2010, X, 0x11010);

    assert_int_equal(get64(0x1020), 0x2000 | 1);                 /* PDPTE: no A (reserved) */
    assert_int_equal(get64(0x2000), 0x3000 | 7 | 0x20);
    assert_int_equal(get64(0x3010), 0x11000 | 7 | 0x20);
    c.efer = EFER_NXE;
    OK(&c, 0x2010, W, 0x11010);
    assert_int_equal(get64(0x3010), 0x11000 | 7 | 0x60);

    put64(0x3000 + 5 * 8, 0x14000 | 7 | BIT(55)); /* bits 62:52 reserved in PAE entries */
    PF(&c, 0x5010, U | R, GPT_RESERVED, PFEC_P | PFEC_RSVD | PFEC_U);

    put64(0x1028, 0x2000 | 1 | BIT(63));        /* bit 63 reserved in a PDPTE, even with NXE */
    PF(&c, 0x40000000, R, GPT_RESERVED, PFEC_P | PFEC_RSVD);
}

/* 4-level (4.5): rights combined over four levels, 1 GiB and 2 MiB pages,
 * SMEP, SMAP with RFLAGS.AC, reserved bits, A/D at every level. */
static void test_access_4level(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    put64(0x1000, 0x2000 | 7);                  /* PML4[0] */
    put64(0x2000, 0x3000 | 7);                  /* PDPT[0] */
    put64(0x3000, 0x4000 | 7);                  /* PD[0] */
    put64(0x4000 + 1 * 8, 0x10000 | 7);         /* 0x1000: user RW */
    put64(0x4000 + 2 * 8, 0x11000 | 3);         /* 0x2000: supervisor RW */
    put64(0x4000 + 3 * 8, 0x12000 | 5);         /* 0x3000: user RO */
    put64(0x3000 + 8, 0x8000 | 7 | BIT(63));    /* PD[1] -> PT with XD at the PD level */
    put64(0x8000, 0x13000 | 7);                 /* 0x200000 */
    put64(0x1000 + 1 * 8, 0x5000 | 3);          /* PML4[1]: supervisor */
    put64(0x5000, 0x40000000 | 0x87);           /* 1 GiB user page under it */
    put64(0x1000 + 2 * 8, 0x6000 | 5);          /* PML4[2]: read-only */
    put64(0x6000, 0x7000 | 7);
    put64(0x7000, 0x200000 | 0x87);             /* 2 MiB user RW page under it */
    put64(0x2000 + 1 * 8, 0x40000000 | 0x87 | BIT(13));  /* 1 GiB, reserved bit 13 */
    put64(0x1000 + 3 * 8, 0x9000 | 0x87);       /* PS in a PML4E */
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG | CR0_WP, 0x1000, CR4_PAE,
                         EFER_LME | EFER_LMA | EFER_NXE };
    acc = (struct gpt_access){ .map_rw = rw };

    OK(&c, 0x1008, U | W, 0x10008);
    PF(&c, 0x2008, U | R, GPT_PROTECTION, PFEC_P | PFEC_U);
    OK(&c, 0x2008, W, 0x11008);
    PF(&c, 0x3008, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);
    PF(&c, 0x3008, W, GPT_PROTECTION, PFEC_P | PFEC_W);
    PF(&c, 0x200008, U | X, GPT_PROTECTION, PFEC_P | PFEC_U | PFEC_I);
    OK(&c, 0x200008, U | W, 0x13008);
    PF(&c, 0x8000000008ULL, U | R, GPT_PROTECTION, PFEC_P | PFEC_U);     /* PML4E U/S = 0 */
    OK(&c, 0x8000000008ULL, W, 0x40000008);
    PF(&c, 0x10000000008ULL, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U); /* PML4E R/W = 0 */
    PF(&c, 0x10000000008ULL, W, GPT_PROTECTION, PFEC_P | PFEC_W);
    OK(&c, 0x10000000008ULL, U | R, 0x200008);
    PF(&c, 0x40000008, R, GPT_RESERVED, PFEC_P | PFEC_RSVD);
    PF(&c, 0x18000000000ULL, U | W, GPT_RESERVED, PFEC_P | PFEC_RSVD | PFEC_W | PFEC_U);
    PF(&c, 0x4000, U | R, GPT_NOT_PRESENT, PFEC_U);
    PF(&c, 0x0000800000000000ULL, R, GPT_NON_CANONICAL, 0xdeadbeef);
    put64(0x4000 + 5 * 8, 0x15000 | 7 | BIT(55)); /* bits 62:52 are ignored in 4-level */
    OK(&c, 0x5010, U | R, 0x15010);
    put64(0x4000 + 6 * 8, 0x16000 | 7 | BIT(45)); /* above MAXPHYADDR 40: reserved */
    acc.maxphyaddr = 40;
    PF(&c, 0x6010, U | R, GPT_RESERVED, PFEC_P | PFEC_RSVD | PFEC_U);
    acc.maxphyaddr = 0;
    c.cr0 &= ~CR0_WP;
    OK(&c, 0x3008, W, 0x12008);
    OK(&c, 0x10000000008ULL, W, 0x200008);
    c.cr0 |= CR0_WP;

    /* SMEP: no supervisor fetch from a user-mode address. */
    c.cr4 |= CR4_SMEP_;
    PF(&c, 0x1008, X, GPT_PROTECTION, PFEC_P | PFEC_I);
    OK(&c, 0x2008, X, 0x11008);
    OK(&c, 0x1008, U | X, 0x10008);
    OK(&c, 0x1008, W, 0x10008);                 /* SMEP leaves data alone */
    c.efer &= ~EFER_NXE;
    PF(&c, 0x4000, X, GPT_NOT_PRESENT, PFEC_I); /* SMEP alone gives I/D */
    c.efer |= EFER_NXE;
    c.cr4 &= ~CR4_SMEP_;

    /* SMAP: supervisor data accesses to user-mode addresses need AC. */
    c.cr4 |= CR4_SMAP_;
    PF(&c, 0x1008, R, GPT_PROTECTION, PFEC_P);
    PF(&c, 0x1008, W, GPT_PROTECTION, PFEC_P | PFEC_W);
    OK(&c, 0x1008, X, 0x10008);                 /* fetches are SMEP's */
    OK(&c, 0x1008, U | W, 0x10008);             /* user accesses unaffected */
    OK(&c, 0x2008, W, 0x11008);                 /* supervisor pages unaffected */
    acc.rflags = AC_;
    OK(&c, 0x1008, R, 0x10008);
    OK(&c, 0x1008, W, 0x10008);
    PF(&c, 0x3008, W, GPT_PROTECTION, PFEC_P | PFEC_W);   /* AC does not lift WP */
    acc.rflags = 0;
    c.cr4 &= ~CR4_SMAP_;

    /* Accessed at every level, dirty only in the leaf. */
    assert_int_equal(get64(0x1000), 0x2000 | 7 | 0x20);
    assert_int_equal(get64(0x2000), 0x3000 | 7 | 0x20);
    assert_int_equal(get64(0x3000), 0x4000 | 7 | 0x20);
    assert_int_equal(get64(0x4008), 0x10000 | 7 | 0x60);
    assert_int_equal(get64(0x4018), 0x12000 | 5 | 0x60);   /* written with WP = 0 */
    assert_int_equal(get64(0x5000), 0x40000000 | 0x87 | 0x60);  /* 1 GiB leaf */
    assert_int_equal(get64(0x1008), 0x5000 | 3 | 0x20);
    /* A faulting access sets nothing. */
    put64(0x4000 + 4 * 8, 0x14000 | 5);         /* 0x4000 now user RO, A clear */
    PF(&c, 0x4008, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);
    assert_int_equal(get64(0x4020), 0x14000 | 5);
}

/* Another vCPU changes an entry between the walk and the flag update:
 * the walk is done again on the new value, and gives up after a few
 * tries without looping forever. */
static int meddle;

static void *rw_meddling(void *ctx, uint64_t gpa, size_t len)
{
    (void)ctx;
    if (meddle) {
        meddle--;
        put64(gpa, get64(gpa) ^ BIT(9));        /* an ignored bit */
    }
    return mem + gpa;
    (void)len;
}

static void test_ad_race(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    put64(0x1000, 0x2000 | 7);
    put64(0x2000, 0x3000 | 7);
    put64(0x3000, 0x4000 | 7);
    put64(0x4000, 0x10000 | 7);
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA };
    acc = (struct gpt_access){ .map_rw = rw_meddling };
    meddle = 1;
    OK(&c, 0x10, W, 0x10010);
    assert_int_equal(get64(0x1000), 0x2000 | 7 | 0x20 | BIT(9));
    assert_int_equal(get64(0x4000), 0x10000 | 7 | 0x60);
    meddle = 1000;                              /* never settles */
    OK(&c, 0x10, W, 0x10010);
    assert_true(meddle > 900);
}

/* 5-level paging (4.5): 57-bit canonical addresses, a fifth level. */
static void test_5level(void **state)
{
    (void)state;
    memset(mem, 0, MEM);
    put64(0x1000 + 1 * 8, 0x2000 | 7);          /* PML5[1]: bit 48 */
    put64(0x2000, 0x3000 | 7);
    put64(0x3000, 0x4000 | 7);
    put64(0x4000, 0x5000 | 7);
    put64(0x5000, 0x9000 | 5);                  /* read-only */
    put64(0x1000 + 2 * 8, 0x6000 | 0x87);       /* PS in a PML5E */
    struct gpt_ctx c = { rd, NULL, CR0_PE | CR0_PG | CR0_WP, 0x1000, CR4_PAE | CR4_LA57_,
                         EFER_LME | EFER_LMA };
    acc = (struct gpt_access){ .map_rw = rw };
    uint64_t gpa;
    assert_int_equal(gpt_translate(&c, 0x0001000000000123ULL, &gpa), GPT_OK);
    assert_int_equal(gpa, 0x9123);
    OK(&c, 0x0001000000000123ULL, U | R, 0x9123);
    PF(&c, 0x0001000000000123ULL, U | W, GPT_PROTECTION, PFEC_P | PFEC_W | PFEC_U);
    PF(&c, 0x0002000000000000ULL, R, GPT_RESERVED, PFEC_P | PFEC_RSVD);
    PF(&c, 0x0100000000000000ULL, R, GPT_NON_CANONICAL, 0xdeadbeef);
    assert_int_equal(gpt_translate(&c, 0x0100000000000000ULL, &gpa), GPT_NOT_PRESENT);
    assert_int_equal(get64(0x1008), 0x2000 | 7 | 0x20);
    c.cr4 &= ~CR4_LA57_;                        /* the same address is not canonical in 4-level */
    PF(&c, 0x0001000000000123ULL, R, GPT_NON_CANONICAL, 0xdeadbeef);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_off),
        cmocka_unit_test(test_32bit),
        cmocka_unit_test(test_pae),
        cmocka_unit_test(test_4level),
        cmocka_unit_test(test_access_paging_off),
        cmocka_unit_test(test_access_32bit),
        cmocka_unit_test(test_ad_32bit),
        cmocka_unit_test(test_access_pae),
        cmocka_unit_test(test_access_4level),
        cmocka_unit_test(test_ad_race),
        cmocka_unit_test(test_5level),
    };
    return cmocka_run_group_tests_name("gpt", tests, NULL, NULL);
}
