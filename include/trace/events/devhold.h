/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM devhold

#if !defined(_TRACE_DEVHOLD_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DEVHOLD_H

#include <linux/devhold.h>
#include <linux/tracepoint.h>

/* devhold_get() took a hold on @obj (the object's name). */
TRACE_EVENT(devhold_get,
	    TP_PROTO(const struct devhold *hold, const char *domain, const char *obj),
	    TP_ARGS(hold, domain, obj),
	    TP_STRUCT__entry(__field(const void *, hold)
			     __string(domain, domain)
			     __string(obj, obj)),
	    TP_fast_assign(__entry->hold = hold;
			   __assign_str(domain);
			   __assign_str(obj);),
	    TP_printk("hold=%p domain=%s obj=%s", __entry->hold,
		      __get_str(domain), __get_str(obj))
);

DECLARE_EVENT_CLASS(devhold_hold,
		    TP_PROTO(const struct devhold *hold, const char *domain),
		    TP_ARGS(hold, domain),
		    TP_STRUCT__entry(__field(const void *, hold)
				     __string(domain, domain)),
		    TP_fast_assign(__entry->hold = hold;
				   __assign_str(domain);),
		    TP_printk("hold=%p domain=%s", __entry->hold,
			      __get_str(domain))
);

/* devhold_put_deferred() published the hold, before it kicks the release work. */
DEFINE_EVENT(devhold_hold, devhold_put,
	     TP_PROTO(const struct devhold *hold, const char *domain),
	     TP_ARGS(hold, domain)
);

/* The release work finished the object and module puts of the hold. */
DEFINE_EVENT(devhold_hold, devhold_release,
	     TP_PROTO(const struct devhold *hold, const char *domain),
	     TP_ARGS(hold, domain)
);

DECLARE_EVENT_CLASS(devhold_barrier,
		    TP_PROTO(const char *domain),
		    TP_ARGS(domain),
		    TP_STRUCT__entry(__string(domain, domain)),
		    TP_fast_assign(__assign_str(domain);),
		    TP_printk("domain=%s", __get_str(domain))
);

DEFINE_EVENT(devhold_barrier, devhold_barrier_begin,
	     TP_PROTO(const char *domain),
	     TP_ARGS(domain)
);

DEFINE_EVENT(devhold_barrier, devhold_barrier_end,
	     TP_PROTO(const char *domain),
	     TP_ARGS(domain)
);

/* The domain's last reference is gone: it is freed right after. */
DEFINE_EVENT(devhold_barrier, devhold_domain_free,
	     TP_PROTO(const char *domain),
	     TP_ARGS(domain)
);

TRACE_EVENT(devhold_list_push,
	    TP_PROTO(const char *list, bool first),
	    TP_ARGS(list, first),
	    TP_STRUCT__entry(__string(list, list)
			     __field(bool, first)),
	    TP_fast_assign(__assign_str(list);
			   __entry->first = first;),
	    TP_printk("list=%s first=%d", __get_str(list), __entry->first)
);

/* A flush of the list has waited for the list's work item. */
TRACE_EVENT(devhold_list_flush,
	    TP_PROTO(const char *list),
	    TP_ARGS(list),
	    TP_STRUCT__entry(__string(list, list)),
	    TP_fast_assign(__assign_str(list);),
	    TP_printk("list=%s", __get_str(list))
);

TRACE_EVENT(devhold_list_drain,
	    TP_PROTO(const char *list, unsigned long count),
	    TP_ARGS(list, count),
	    TP_STRUCT__entry(__string(list, list)
			     __field(unsigned long, count)),
	    TP_fast_assign(__assign_str(list);
			   __entry->count = count;),
	    TP_printk("list=%s count=%lu", __get_str(list), __entry->count)
);

#endif /* _TRACE_DEVHOLD_H */

#include <trace/define_trace.h>
