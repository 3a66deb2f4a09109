/* SPDX-License-Identifier: MIT */
#include "gateway/event.h"

static const char *const gs_event_kind_names[] = {
    [GS_EV_IN] = "in",
    [GS_EV_OUT] = "out",
    [GS_EV_PULSE] = "pulse",
    [GS_EV_JOIN] = "join",
    [GS_EV_SERVE] = "serve",
    [GS_EV_ABANDON] = "abandon",
    [GS_EV_PRESS] = "press",
    [GS_EV_FAULT] = "fault",
    [GS_EV_RECOVERED] = "recovered",
};

_Static_assert(sizeof(gs_event_kind_names) / sizeof(gs_event_kind_names[0]) ==
                   GS_EV_KIND_COUNT_,
               "every event kind has a name");

const char *gs_event_kind_name(enum gs_event_kind kind)
{
	if ((unsigned)kind >= GS_EV_KIND_COUNT_)
		return "unknown";
	return gs_event_kind_names[kind];
}
