/* Text console on the firmware's framebuffer (RGB) or VGA text mode. */
#ifndef HV_FBCON_H
#define HV_FBCON_H

#include <hv/boot_info.h>

/* Register a console backend for `fb`; false when there is none or it is
 * unusable (the reason is printed). */
bool fbcon_init(const struct boot_framebuffer *fb);

#endif
