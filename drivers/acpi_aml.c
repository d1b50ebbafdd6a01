/*
 * The \_S5 sleep-state package in DSDT/SSDT AML (include/hv/acpi.h,
 * acpi_aml_find_s5()). Pure logic: no AML interpreter, only a scan for the
 * one named package the power-off needs, with every read bounds-checked
 * against the byte stream it was given. Section numbers refer to ACPI 6.5.
 */
#include <hv/acpi.h>

#define AML_NAME_OP     0x08    /* 20.2.5.1 */
#define AML_ROOT_CHAR   0x5c    /* '\\' */
#define AML_PACKAGE_OP  0x12
#define AML_ZERO_OP     0x00
#define AML_ONE_OP      0x01
#define AML_ONES_OP     0xff
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c

/* ---- AML: \_S5 (7.4.2, 20.2) --------------------------------------------- */

/* PkgLength (20.2.4): bits 7-6 of the lead byte give 0-3 following bytes;
 * with none, bits 5-0 are the length; otherwise bits 3-0 are its low nibble
 * (bits 5-4 must be zero) and each following byte adds 8 higher bits. */
static bool aml_pkglen(const uint8_t *aml, size_t end, size_t *pos, size_t *val)
{
    size_t p = *pos;

    if (p >= end)
        return false;
    uint8_t lead = aml[p];
    unsigned follow = lead >> 6;
    if (end - p - 1 < follow)
        return false;
    size_t v;
    if (follow == 0) {
        v = lead & 0x3f;
    } else {
        if (lead & 0x30)
            return false;
        v = lead & 0x0f;
        for (unsigned k = 0; k < follow; k++)
            v |= (size_t)aml[p + 1 + k] << (4 + 8 * k);
    }
    *val = v;
    *pos = p + 1 + follow;
    return true;
}

/* ComputationalData integers (20.2.3) plus the constant objects. */
static bool aml_int(const uint8_t *aml, size_t end, size_t *pos, uint32_t *val)
{
    size_t p = *pos, n;

    if (p >= end)
        return false;
    switch (aml[p]) {
    case AML_ZERO_OP:
        *val = 0;
        *pos = p + 1;
        return true;
    case AML_ONE_OP:
        *val = 1;
        *pos = p + 1;
        return true;
    case AML_ONES_OP:
        *val = 0xffffffff;
        *pos = p + 1;
        return true;
    case AML_BYTE_PREFIX:
        n = 1;
        break;
    case AML_WORD_PREFIX:
        n = 2;
        break;
    case AML_DWORD_PREFIX:
        n = 4;
        break;
    default:
        return false;
    }
    if (end - p - 1 < n)
        return false;
    uint32_t v = 0;
    for (size_t k = 0; k < n; k++)
        v |= (uint32_t)aml[p + 1 + k] << (8 * k);
    *val = v;
    *pos = p + 1 + n;
    return true;
}

/* PackageOp PkgLength NumElements PackageElementList (20.2.5.4), starting
 * at `pos`; the package must lie within aml[0, len). */
static bool s5_package(const uint8_t *aml, size_t len, size_t pos, uint32_t *a, uint32_t *b)
{
    size_t q, plen;

    if (pos >= len || aml[pos] != AML_PACKAGE_OP)
        return false;
    q = pos + 1;
    if (!aml_pkglen(aml, len, &q, &plen))
        return false;
    /* PkgLength counts from its own first byte. */
    if (plen > len - (pos + 1))
        return false;
    size_t end = pos + 1 + plen;
    if (q >= end)
        return false;
    uint8_t count = aml[q++];
    if (count < 2)
        return false;
    return aml_int(aml, end, &q, a) && aml_int(aml, end, &q, b);
}

bool acpi_aml_find_s5(const uint8_t *aml, size_t len, uint32_t *slp_typa, uint32_t *slp_typb)
{
    if (!aml)
        return false;
    /* NameOp, optional root prefix, NameSeg "_S5_": the name is defined at
     * this point, not merely referenced. */
    for (size_t i = 1; i + 4 <= len; i++) {
        if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_')
            continue;
        bool defined = aml[i - 1] == AML_NAME_OP ||
                       (aml[i - 1] == AML_ROOT_CHAR && i >= 2 && aml[i - 2] == AML_NAME_OP);
        uint32_t a, b;
        if (defined && s5_package(aml, len, i + 4, &a, &b)) {
            if (slp_typa)
                *slp_typa = a;
            if (slp_typb)
                *slp_typb = b;
            return true;
        }
    }
    return false;
}
