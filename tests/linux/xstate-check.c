/*
 * xstate-check [N]: do a task's vector registers survive context switches?
 *
 * Run by the Linux test guest's /init (tests/linux/init) pinned to one
 * CPU. It forks a twin; both put their own values in the registers this
 * CPU has (k1, ZMM16 with AVX-512; YMM2 with AVX; XMM8 always), yield the
 * CPU N times (sched_yield, so the twin runs in between) and compare after
 * each yield. The kernel saves and restores those registers at each
 * switch with XSAVE and friends: a vCPU whose XSAVE family does not do
 * what CPUID promises loses them here. Found so: Bochs 2.7's XSAVEC,
 * which Linux uses when XSAVES is absent, writes another layout than the
 * one XRSTOR reads (arch/x86/fpu.c hides it from guests now).
 *
 * Prints one line:
 *   xstate-check: kept AVX-512 (k1, zmm16, ymm2, xmm8) over N yields, S switches
 *   xstate-check: LOST k1 A, zmm16 B, ymm2 C, xmm8 D of N yields, S switches
 *   xstate-check: too few switches (S of N yields): nothing was tested
 * and exits 0 only for the first. S counts the yields after which the
 * twin had run (a shared counter), at least N/4 wanted.
 *
 * No C library (static, -nostdlib): nothing else in the process touches
 * the registers, and it runs wherever the kernel does. tests/linux/linux.mk
 * builds it into the test initramfs.
 */
typedef unsigned long u64;
typedef unsigned int u32;

#define SYS_write 1
#define SYS_mmap 9
#define SYS_sched_yield 24
#define SYS_fork 57
#define SYS_exit 60
#define SYS_wait4 61

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}
#define sys(n, a, b, c) sys6(n, a, b, c, 0, 0, 0)

static char line[200];
static int len;
static void put(const char *s) { while (*s && len < (int)sizeof(line) - 1) line[len++] = *s++; }
static void putn(u64 v)
{
    char b[24];
    int i = 23;
    b[i] = 0;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    put(b + i);
}
static void flush(void) { line[len++] = '\n'; sys(SYS_write, 1, (long)line, len); len = 0; }

static void cpuid(u32 leaf, u32 sub, u32 r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* Each register's value for this task and round: differs between the
 * twins and from round to round. */
static unsigned char want[64] __attribute__((aligned(64)));
static unsigned char got[64] __attribute__((aligned(64)));
static void fill(unsigned seed, unsigned round)
{
    for (int i = 0; i < 64; i++)
        want[i] = (unsigned char)(seed * 101 + round * 7 + i * 13 + 1);
}
static int same(int n)
{
    for (int i = 0; i < n; i++)
        if (got[i] != want[i])
            return 0;
    return 1;
}

__attribute__((target("avx512f"))) static void set_avx512(u32 k)
{
    __asm__ volatile("vmovdqu64 %0, %%zmm16\n\tkmovw %k1, %%k1" : : "m"(want), "r"(k) : "xmm16", "k1");
}
__attribute__((target("avx512f"))) static u32 get_avx512(void)
{
    u32 k;
    __asm__ volatile("vmovdqu64 %%zmm16, %0\n\tkmovw %%k1, %k1" : "=m"(got), "=r"(k));
    return k;
}
__attribute__((target("avx"))) static void set_avx(void)
{
    __asm__ volatile("vmovdqu %0, %%ymm2" : : "m"(want) : "xmm2");
}
__attribute__((target("avx"))) static void get_avx(void)
{
    __asm__ volatile("vmovdqu %%ymm2, %0" : "=m"(got));
}
static void set_sse(void) { __asm__ volatile("movdqu %0, %%xmm8" : : "m"(want) : "xmm8"); }
static void get_sse(void) { __asm__ volatile("movdqu %%xmm8, %0" : "=m"(got)); }

static u64 atoi_(const char *s)
{
    u64 v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (u64)(*s++ - '0');
    return v;
}

__attribute__((used)) void start_c(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    u64 n = argc > 1 ? atoi_(argv[1]) : 1000;
    if (!n)
        n = 1000;

    u32 r[4], xlo = 0, xhi = 0;
    cpuid(1, 0, r);
    int osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1;
    if (osxsave)
        __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    avx = avx && osxsave && (xlo & 6) == 6;
    cpuid(0, 0, r);
    int avx512 = 0;
    if (r[0] >= 7) {
        cpuid(7, 0, r);
        avx512 = avx && ((r[1] >> 16) & 1) && (xlo & 0xe0) == 0xe0;
    }

    /* Each side counts its rounds in shared memory: after a yield, the
     * twin's count moved if it ran. */
    volatile u64 *count = (volatile u64 *)sys6(SYS_mmap, 0, 4096, 3, 0x21 /* SHARED|ANON */, -1, 0);
    if ((long)count < 0) {
        put("xstate-check: mmap failed");
        flush();
        sys(SYS_exit, 2, 0, 0);
    }
    long pid = sys(SYS_fork, 0, 0, 0);
    int twin = pid == 0;
    unsigned seed = twin ? 2 : 1;
    u64 lost_k = 0, lost_z = 0, lost_y = 0, lost_x = 0, switches = 0;
    for (u64 i = 0; i < n; i++) {
        fill(seed, (unsigned)i);
        u32 k = (u32)(want[0] | want[1] << 8);
        if (avx512)
            set_avx512(k);
        if (avx)
            set_avx();
        set_sse();
        u64 other = count[!twin];
        count[twin] = i + 1;
        sys(SYS_sched_yield, 0, 0, 0);
        if (count[!twin] != other)
            switches++;
        /* Read back in reverse, each before anything else may touch it. */
        get_sse();
        if (!same(16))
            lost_x++;
        if (avx) {
            get_avx();
            if (!same(32))
                lost_y++;
        }
        if (avx512) {
            u32 g = get_avx512();
            if (g != k)
                lost_k++;
            if (!same(64))
                lost_z++;
        }
    }
    if (twin)
        sys(SYS_exit, lost_k || lost_z || lost_y || lost_x ? 1 : 0, 0, 0);
    int status = 0;
    sys6(SYS_wait4, pid, (long)&status, 0, 0, 0, 0);

    const char *regs = avx512 ? "AVX-512 (k1, zmm16, ymm2, xmm8)" : avx ? "AVX (ymm2, xmm8)" : "SSE (xmm8)";
    int bad = lost_k || lost_z || lost_y || lost_x || status != 0;
    if (bad) {
        put("xstate-check: LOST k1 ");
        putn(lost_k);
        put(", zmm16 ");
        putn(lost_z);
        put(", ymm2 ");
        putn(lost_y);
        put(", xmm8 ");
        putn(lost_x);
        put(" of ");
    } else if (switches < n / 4) {
        put("xstate-check: too few switches (");
        putn(switches);
        put(" of ");
        putn(n);
        put(" yields): nothing was tested");
        flush();
        sys(SYS_exit, 1, 0, 0);
    } else {
        put("xstate-check: kept ");
        put(regs);
        put(" over ");
    }
    putn(n);
    put(" yields, ");
    putn(switches);
    put(" switches");
    if (bad && status != 0)
        put(" (the twin lost some too)");
    flush();
    sys(SYS_exit, bad, 0, 0);
}

/* The kernel starts us with the stack as argc, argv...: hand it to C with
 * the stack aligned as a call expects. */
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n\thlt\n");
