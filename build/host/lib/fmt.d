build/host/lib/fmt.o: lib/fmt.c include/hv/fmt.h include/hv/compiler.h
include/hv/fmt.h:
include/hv/compiler.h:
