#ifndef HV_VERSION_H
#define HV_VERSION_H
#define HV_NAME    "hv"
#define HV_VERSION "0.2.0"
#endif
