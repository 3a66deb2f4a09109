/* SPDX-License-Identifier: MIT */
#include "gateway/err.h"

static const char *const gs_err_names[GS_ERR_COUNT_] = {
    [GS_OK] = "success",
    [GS_ENOMEM] = "out of memory",
    [GS_EINVAL] = "invalid argument",
    [GS_EIO] = "input/output error",
    [GS_ECONFIG] = "configuration error",
    [GS_ESTORE] = "database error",
    [GS_EFULL] = "disk or quota full",
    [GS_EBUSY] = "resource busy",
    [GS_ENOENT] = "not found",
    [GS_EPERM] = "permission denied",
    [GS_EPARSE] = "parse error",
    [GS_EMQTT] = "MQTT error",
    [GS_EGPIO] = "GPIO error",
    [GS_ESYS] = "system error",
};

const char *gs_strerror(int err)
{
	if (err < 0 || err >= GS_ERR_COUNT_ || !gs_err_names[err])
		return "unknown error";
	return gs_err_names[err];
}
