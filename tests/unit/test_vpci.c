/* The guest's PCI configuration space (dm/vpci.c): mechanism #1 as Linux
 * probes it, the host bridge's header, absent devices, odd access sizes
 * and the reset control register at 0xcf9. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <hv/vpci.h>

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

/* pci_conf1_read as Linux does it: address, then data at reg & 3. */
static uint32_t conf1_read(struct vpci *p, unsigned bus, unsigned dev, unsigned fn,
                           unsigned reg, unsigned len)
{
    assert_int_equal(vpci_write(p, 0xcf8, 4, cfg_addr(bus, dev, fn, reg)), VPCI_NONE);
    return vpci_read(p, (uint16_t)(0xcfc + (reg & 3)), len);
}

static void conf1_write(struct vpci *p, unsigned bus, unsigned dev, unsigned fn, unsigned reg,
                        unsigned len, uint32_t val)
{
    assert_int_equal(vpci_write(p, 0xcf8, 4, cfg_addr(bus, dev, fn, reg)), VPCI_NONE);
    assert_int_equal(vpci_write(p, (uint16_t)(0xcfc + (reg & 3)), len, val), VPCI_NONE);
}

/* arch/x86/pci/direct.c: pci_check_type1, then pci_sanity_check with no
 * DMI (every devfn of bus 0 until a host bridge, VGA, Intel or Compaq). */
static void test_linux_type1_check(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    assert_int_equal(vpci_write(&p, 0xcfb, 1, 0x01), VPCI_NONE);
    uint32_t tmp = vpci_read(&p, 0xcf8, 4);
    assert_int_equal(tmp, 0);
    vpci_write(&p, 0xcf8, 4, 0x80000000u);
    assert_int_equal(vpci_read(&p, 0xcf8, 4), 0x80000000u);
    bool sane = false;
    for (unsigned devfn = 0; devfn < 0x100 && !sane; devfn++) {
        uint32_t x = conf1_read(&p, 0, devfn >> 3, devfn & 7, 0x0a, 2);
        if (x == 0x0600 || x == 0x0300)
            sane = true;
        x = conf1_read(&p, 0, devfn >> 3, devfn & 7, 0x00, 2);
        if (x == 0x8086 || x == 0x0e11)
            sane = true;
    }
    assert_true(sane);
    vpci_write(&p, 0xcf8, 4, tmp);
    assert_int_equal(vpci_read(&p, 0xcf8, 4), tmp);
}

/* pci_check_type2 would follow a failed type 1 check: 0xcf8 and 0xcfa
 * bytes must not read back 0, so it never claims mechanism #2. */
static void test_not_type2(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    vpci_write(&p, 0xcfb, 1, 0);
    vpci_write(&p, 0xcf8, 1, 0);
    vpci_write(&p, 0xcfa, 1, 0);
    assert_int_equal(vpci_read(&p, 0xcf8, 1), 0xff);
    assert_int_equal(vpci_read(&p, 0xcfa, 1), 0xff);
    assert_int_equal(vpci_read(&p, 0xcfb, 1), 0xff);
    /* ...and none of those byte writes touched CONFIG_ADDRESS. */
    assert_int_equal(vpci_read(&p, 0xcf8, 4), 0);
    assert_int_equal(vpci_read(&p, 0xcf8, 2), 0xffff);
    assert_int_equal(vpci_read(&p, 0xcfa, 2), 0xffff);
}

static void test_address_register(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    /* Reserved bits 30:24 and 1:0 read 0. */
    vpci_write(&p, 0xcf8, 4, 0xffffffffu);
    assert_int_equal(vpci_read(&p, 0xcf8, 4), 0x80fffffcu);
    vpci_write(&p, 0xcf8, 4, 0x12345678u);
    assert_int_equal(vpci_read(&p, 0xcf8, 4), 0x00345678u);
    /* Word and byte writes to 0xcf8 are not CONFIG_ADDRESS. */
    vpci_write(&p, 0xcf8, 2, 0xffff);
    vpci_write(&p, 0xcf8, 1, 0xff);
    assert_int_equal(vpci_read(&p, 0xcf8, 4), 0x00345678u);
}

static void test_host_bridge_header(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x00, 4), 0x12378086u);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x00, 2), 0x8086);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x02, 2), 0x1237);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x01, 1), 0x80);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 4), 0x02800006u);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x08, 4), 0x06000002u);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x0b, 1), 0x06);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x0a, 2), 0x0600);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x0e, 1), 0x00);   /* header type 0 */
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x2c, 4), 0);      /* subsystem */
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x34, 1), 0);      /* capabilities */
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x3c, 4), 0);      /* no interrupt */
    for (unsigned reg = 0x10; reg < 0x100; reg += 4)
        if (reg != 0x2c)
            assert_int_equal(conf1_read(&p, 0, 0, 0, reg, 4), 0);
    /* Status bit 4 clear: no capability list. */
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x06, 2) & 0x10, 0);
    /* The pure byte accessor agrees. */
    assert_int_equal(vpci_config_byte(&p, 0, 0, 0, 0x00), 0x86);
    assert_int_equal(vpci_config_byte(&p, 0, 0, 0, 0x0b), 0x06);
    assert_int_equal(vpci_config_byte(&p, 0, 0, 0, 0x100), 0xff);
}

static void test_bars_size_to_nothing(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    for (unsigned reg = 0x10; reg <= 0x24; reg += 4) {
        conf1_write(&p, 0, 0, 0, reg, 4, 0xffffffffu);
        assert_int_equal(conf1_read(&p, 0, 0, 0, reg, 4), 0);
    }
    conf1_write(&p, 0, 0, 0, 0x30, 4, 0xfffff800u);     /* expansion ROM */
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x30, 4), 0);
    /* Identification is read-only. */
    conf1_write(&p, 0, 0, 0, 0x00, 4, 0);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x00, 4), 0x12378086u);
    conf1_write(&p, 0, 0, 0, 0x08, 4, 0);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x08, 4), 0x06000002u);
}

static void test_command_register(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    conf1_write(&p, 0, 0, 0, 0x04, 2, 0xffff);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 2), 0x0147);
    conf1_write(&p, 0, 0, 0, 0x04, 2, 0);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 2), 0);
    /* A byte at a time, and a dword that also writes the status. */
    conf1_write(&p, 0, 0, 0, 0x05, 1, 0x01);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 2), 0x0100);
    conf1_write(&p, 0, 0, 0, 0x04, 1, 0x07);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 2), 0x0107);
    conf1_write(&p, 0, 0, 0, 0x04, 4, 0xffff0002u);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 4), 0x02800002u);
    /* Status is write-1-to-clear of nothing set: unchanged. */
    conf1_write(&p, 0, 0, 0, 0x06, 2, 0xffff);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x06, 2), 0x0280);
    /* A reset brings the power-on value back. */
    vpci_reset(&p);
    assert_int_equal(vpci_read(&p, 0xcf8, 4), 0);
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 2), 0x0006);
}

static void test_absent_devices(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    static const unsigned bdf[][3] = {
        { 0, 0, 1 }, { 0, 0, 7 }, { 0, 1, 0 }, { 0, 31, 0 }, { 0, 31, 7 }, { 1, 0, 0 },
        { 255, 0, 0 }, { 0, 2, 0 },
    };
    for (unsigned i = 0; i < sizeof(bdf) / sizeof(bdf[0]); i++) {
        assert_int_equal(conf1_read(&p, bdf[i][0], bdf[i][1], bdf[i][2], 0, 4), 0xffffffffu);
        assert_int_equal(conf1_read(&p, bdf[i][0], bdf[i][1], bdf[i][2], 0x0a, 2), 0xffff);
        assert_int_equal(conf1_read(&p, bdf[i][0], bdf[i][1], bdf[i][2], 0x0e, 1), 0xff);
        conf1_write(&p, bdf[i][0], bdf[i][1], bdf[i][2], 0x04, 2, 0xffff);
        assert_int_equal(vpci_config_byte(&p, bdf[i][0], bdf[i][1], bdf[i][2], 0), 0xff);
    }
    /* Writes to absent devices changed nothing of the host bridge. */
    assert_int_equal(conf1_read(&p, 0, 0, 0, 0x04, 2), 0x0006);
}

static void test_enable_bit_and_data_offsets(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    /* Enable clear: CONFIG_DATA is nothing. */
    vpci_write(&p, 0xcf8, 4, 0x00000000u);
    assert_int_equal(vpci_read(&p, 0xcfc, 4), 0xffffffffu);
    vpci_write(&p, 0xcfc, 2, 0);
    vpci_write(&p, 0xcf8, 4, 0x80000004u);
    assert_int_equal(vpci_read(&p, 0xcfc, 2), 0x0006);
    /* Each data port reaches its byte of the dword. */
    vpci_write(&p, 0xcf8, 4, 0x80000000u);
    assert_int_equal(vpci_read(&p, 0xcfc, 1), 0x86);
    assert_int_equal(vpci_read(&p, 0xcfd, 1), 0x80);
    assert_int_equal(vpci_read(&p, 0xcfe, 1), 0x37);
    assert_int_equal(vpci_read(&p, 0xcff, 1), 0x12);
    assert_int_equal(vpci_read(&p, 0xcfe, 2), 0x1237);
    /* Past 0xcff is not ours: those bytes are all ones. */
    assert_int_equal(vpci_read(&p, 0xcfe, 4), 0xffff1237u);
    assert_int_equal(vpci_read(&p, 0xcff, 4), 0xffffff12u);
    /* An access running from 0xcfb into the data port. */
    assert_int_equal(vpci_read(&p, 0xcfb, 2), 0x86ff);
}

static void test_reset_control(void **state)
{
    (void)state;
    struct vpci p;
    vpci_reset(&p);
    assert_int_equal(vpci_read(&p, 0xcf9, 1), 0);
    /* Linux's cf9 reboot: SYS_RST, then SYS_RST | RST_CPU. */
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x02), VPCI_NONE);
    assert_int_equal(vpci_read(&p, 0xcf9, 1), 0x02);
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x06), VPCI_RESET);
    vpci_reset(&p);
    /* The FADT's reset register: 0x06 at once. */
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x06), VPCI_RESET);
    vpci_reset(&p);
    /* Cold: 0x0e. A CPU-only reset (RST_CPU alone) resets too. */
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x0e), VPCI_RESET);
    vpci_reset(&p);
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x04), VPCI_RESET);
    /* Only a 0 -> 1 edge of RST_CPU. */
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x06), VPCI_NONE);
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x02), VPCI_NONE);
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0x06), VPCI_RESET);
    vpci_reset(&p);
    /* Bits without RST_CPU do nothing; other bits do not stick. */
    assert_int_equal(vpci_write(&p, 0xcf9, 1, 0xfb), VPCI_NONE);
    assert_int_equal(vpci_read(&p, 0xcf9, 1), 0x0a);
    vpci_reset(&p);
    /* Not a byte access: not the reset register. */
    assert_int_equal(vpci_write(&p, 0xcf9, 2, 0x0606), VPCI_NONE);
    assert_int_equal(vpci_write(&p, 0xcf8, 4, 0x00000600u), VPCI_NONE);
    assert_int_equal(vpci_read(&p, 0xcf9, 1), 0);
    /* Neither does it disturb CONFIG_ADDRESS. */
    vpci_write(&p, 0xcf8, 4, 0x80000008u);
    vpci_write(&p, 0xcf9, 1, 0x02);
    assert_int_equal(vpci_read(&p, 0xcf8, 4), 0x80000008u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_type1_check),
        cmocka_unit_test(test_not_type2),
        cmocka_unit_test(test_address_register),
        cmocka_unit_test(test_host_bridge_header),
        cmocka_unit_test(test_bars_size_to_nothing),
        cmocka_unit_test(test_command_register),
        cmocka_unit_test(test_absent_devices),
        cmocka_unit_test(test_enable_bit_and_data_offsets),
        cmocka_unit_test(test_reset_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
