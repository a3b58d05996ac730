/* SPDX-License-Identifier: MIT */
/* libhtp 0.5.x (Debian's libhtp-dev): OISF's HTTP/1 parser, the one Suricata 7 uses. */
#include <htp/htp.h>
