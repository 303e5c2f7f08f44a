/*
 * namecache.h: what the small per-domain caches (DNS answers, POSH
 * documents) share: a clock in milliseconds for their expiry times and
 * the slot a domain name hashes to.
 */
#ifndef PROXY_NAMECACHE_H
#define PROXY_NAMECACHE_H

#include <stdint.h>

#include <uv.h>

/* Monotonic milliseconds, as the cached entries' expiry times. */
static inline uint64_t
nc_now_ms(void)
{
	return uv_hrtime() / 1000000;
}

/* The slot of domain in a table of nslots (djb2 over its bytes). */
static inline unsigned
nc_slot(const char *domain, unsigned nslots)
{
	unsigned h = 5381;

	for (const char *p = domain; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	return h % nslots;
}

#endif
