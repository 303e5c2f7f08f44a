/*
 * ticket.c: the session ticket keys of ticket.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ticket.h"

struct ticket_key {
	struct ticket_key	*next;
	enum pol_dir		 dir;
	gnutls_datum_t		 key;
	char			 domain[];
};

static struct ticket_key	*keys;
static pthread_mutex_t		 keys_lock = PTHREAD_MUTEX_INITIALIZER;

/* The master key of domain for dir, made if there is none; NULL if not. */
static const gnutls_datum_t *
key_for(enum pol_dir dir, const char *domain)
{
	struct ticket_key *k;
	size_t n = strlen(domain);

	pthread_mutex_lock(&keys_lock);
	for (k = keys; k != NULL; k = k->next)
		if (k->dir == dir && strcmp(k->domain, domain) == 0)
			break;
	if (k == NULL && (k = calloc(1, sizeof(*k) + n + 1)) != NULL) {
		if (gnutls_session_ticket_key_generate(&k->key) < 0) {
			free(k);
			k = NULL;
		} else {
			k->dir = dir;
			memcpy(k->domain, domain, n + 1);
			k->next = keys;
			keys = k;
		}
	}
	pthread_mutex_unlock(&keys_lock);
	return k != NULL ? &k->key : NULL;
}

int
ticket_enable(gnutls_session_t tls, enum pol_dir dir, const char *domain)
{
	const gnutls_datum_t *key = key_for(dir, domain);
	int rc;

	if (key == NULL)
		return GNUTLS_E_MEMORY_ERROR;
	/* The period is the ticket lifetime and the rotation of its key. */
	gnutls_db_set_cache_expiration(tls, TICKET_PERIOD);
	if ((rc = gnutls_session_ticket_enable_server(tls, key)) < 0)
		return rc;
	return 0;
}

void
ticket_cleanup(void)
{
	struct ticket_key *k, *next;

	pthread_mutex_lock(&keys_lock);
	for (k = keys; k != NULL; k = next) {
		next = k->next;
		gnutls_memset(k->key.data, 0, k->key.size);
		gnutls_free(k->key.data);
		free(k);
	}
	keys = NULL;
	pthread_mutex_unlock(&keys_lock);
}
