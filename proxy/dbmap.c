/*
 * dbmap.c: the shared table of dbmap.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "dbmap.h"

#define DBMAP_SLOTS	256
#define DBMAP_TTL	(5 * 60 * 1000)	/* ms an entry lives */

struct dbmap_entry {
	uint64_t	 expires;	/* ms, uv_hrtime() based; 0: free */
	char		 orig[256], recv[256];
	char		 remote_id[128], backend_id[64];
};

static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static struct dbmap_entry table[DBMAP_SLOTS];

static uint64_t
now_ms(void)
{
	return uv_hrtime() / 1000000;
}

void
dbmap_add(const char *originating, const char *receiving,
    const char *remote_id, const char *backend_id)
{
	uint64_t now = now_ms(), oldest = UINT64_MAX;
	size_t pick = 0;

	if (remote_id == NULL || *remote_id == '\0')
		return;
	pthread_mutex_lock(&mtx);
	/* A free or expired slot, else the one closest to expiring. */
	for (size_t i = 0; i < DBMAP_SLOTS; i++) {
		if (table[i].expires <= now) {
			pick = i;
			break;
		}
		if (table[i].expires < oldest) {
			oldest = table[i].expires;
			pick = i;
		}
	}
	table[pick].expires = now + DBMAP_TTL;
	snprintf(table[pick].orig, sizeof(table[pick].orig), "%s",
	    originating);
	snprintf(table[pick].recv, sizeof(table[pick].recv), "%s", receiving);
	snprintf(table[pick].remote_id, sizeof(table[pick].remote_id), "%s",
	    remote_id);
	snprintf(table[pick].backend_id, sizeof(table[pick].backend_id), "%s",
	    backend_id);
	pthread_mutex_unlock(&mtx);
}

int
dbmap_lookup(const char *originating, const char *receiving,
    const char *remote_id, char *out, size_t outlen)
{
	uint64_t now = now_ms();
	int rc = -1;

	pthread_mutex_lock(&mtx);
	for (size_t i = 0; i < DBMAP_SLOTS; i++) {
		const struct dbmap_entry *e = &table[i];

		if (e->expires > now && strcmp(e->orig, originating) == 0 &&
		    strcmp(e->recv, receiving) == 0 &&
		    strcmp(e->remote_id, remote_id) == 0) {
			snprintf(out, outlen, "%s", e->backend_id);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&mtx);
	return rc;
}
