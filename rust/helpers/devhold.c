// SPDX-License-Identifier: GPL-2.0

#include <linux/devhold.h>

__rust_helper bool rust_helper_devhold_list_empty(const struct devhold_list *list)
{
	return devhold_list_empty(list);
}
