/* SPDX-License-Identifier: GPL-2.0 */
/* Forwarder: see ../kshim.h. */
#include "../kshim.h"
