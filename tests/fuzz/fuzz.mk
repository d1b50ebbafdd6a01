# Fuzz targets (libFuzzer, clang, ASan+UBSan) for the parsers that read
# untrusted bytes. Each tests/fuzz/fuzz_NAME.c defines
# LLVMFuzzerTestOneInput and links with PURE_SRCS.
#   make fuzz              run every target for FUZZ_SECONDS (default 300)
#   tests/run.sh runs each for a few seconds as part of make test.

FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -Iinclude -DHV_HOST_TEST -Wall -Wextra -Werror \
        -Wno-unused-parameter
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 300

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(PURE_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(PURE_SRCS)

fuzz: deps fuzz-build
	@for f in $(FUZZ_BINS); do \
	    echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	    mkdir -p $(BUILD)/fuzz/corpus-$$(basename $$f); \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        $(BUILD)/fuzz/corpus-$$(basename $$f) || exit 1; \
	done
