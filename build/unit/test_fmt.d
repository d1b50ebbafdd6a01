build/unit/test_fmt: tests/unit/test_fmt.c include/hv/fmt.h \
 include/hv/compiler.h
include/hv/fmt.h:
include/hv/compiler.h:
