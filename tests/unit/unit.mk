# Host unit tests (cmocka) under ASan and UBSan.
#
# Every file in PURE_SRCS is pure logic: it includes only <hv/...> headers
# and the freestanding C headers, so it builds for the host unchanged.
# Each tests/unit/test_NAME.c becomes one binary linked with all of them.

PURE_SRCS := lib/fmt.c lib/strlcpy.c config/parse.c config/guest.c config/values.c config/resources.c config/validate.c lib/pf2.c vmx/caps.c lib/cmdline.c drivers/acpi.c drivers/acpi_aml.c drivers/acpi_describe.c mm/pmm.c mm/heap.c boot/mb2_parse.c guest/image.c arch/x86/insn_decode.c arch/x86/xcr0.c vmx/event.c vmx/ept.c vmx/controls.c vm/vmsr.c vm/cpuid_policy.c vmx/gpt.c vm/vlapic.c sched/policy.c mgmt/shell_parse.c vm/layout.c arch/x86/tsc_pick.c arch/x86/insn_alu.c lib/textfilter.c vm/unbacked.c guest/linux_image.c guest/linux_boot.c guest/acpi_tables.c guest/acpi_dsdt.c dm/vpci.c dm/vacpi_pm.c

# The interval timer and the real-time clock (dm/vpit.c, dm/vrtc.c) and the
# calendar they share with the host RTC driver.
PURE_SRCS += dm/pit8254.c lib/datetime.c dm/mc146818.c
# The I/O APIC (dm/vioapic.c) and the 16550A UART (dm/vuart.c).
PURE_SRCS += dm/ioapic.c dm/pc16550d.c
# The 8259A pair (dm/vpic.c).
PURE_SRCS += dm/i8259.c

HOST_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined \
        -fno-sanitize-recover=all -fno-omit-frame-pointer $(WARN) \
        -Wno-missing-prototypes -Iinclude -Itests/unit -DHV_HOST_TEST -MMD -MP
HOST_LDLIBS := -lcmocka

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
HOST_OBJS  = $(PURE_SRCS:%.c=$(BUILD)/host/%.o)

.SECONDARY: $(HOST_OBJS)

unit: $(UNIT_BINS)

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

# Sources only one test needs (they reference symbols the test stubs).
UNIT_EXTRA_test_exit_table := exit/exit_table.c vmx/exit_reason.c

.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $(HOST_OBJS) $$(UNIT_EXTRA_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $< $(HOST_OBJS) $(UNIT_EXTRA_$*) $(HOST_LDLIBS)

-include $(HOST_OBJS:.o=.d) $(UNIT_BINS:=.d)
