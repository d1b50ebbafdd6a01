build/host/lib/strlcpy.o: lib/strlcpy.c include/hv/string.h
include/hv/string.h:
