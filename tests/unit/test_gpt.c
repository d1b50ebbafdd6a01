/* Guest page-table walks in every paging mode against hand-built tables
 * in a fake guest memory. */
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
static uint8_t mem[MEM];

static const void *rd(void *ctx, uint64_t gpa, size_t len)
{
    (void)ctx;
    return (gpa < MEM && len <= MEM - gpa) ? mem + gpa : NULL;
}

static void put32(uint64_t a, uint32_t v) { memcpy(mem + a, &v, 4); }
static void put64(uint64_t a, uint64_t v) { memcpy(mem + a, &v, 8); }

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_off),
        cmocka_unit_test(test_32bit),
        cmocka_unit_test(test_pae),
        cmocka_unit_test(test_4level),
    };
    return cmocka_run_group_tests_name("gpt", tests, NULL, NULL);
}
